package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/latchkey/latchkey/internal/app"
	"github.com/latchkey/latchkey/internal/config"
)

// TestAPITokensCLI: create prints the value once (the field token in
// --json), list never shows it, the token authenticates to the management
// API of a server on the same database, and revoke ends it.
func TestAPITokensCLI(t *testing.T) {
	db := keysDB(t)
	var created map[string]any
	if err := json.Unmarshal([]byte(mustCLI(t, "", "apitokens", "create", "--db", db, "--name", "terraform", "--json")), &created); err != nil {
		t.Fatal(err)
	}
	id, _ := created["id"].(string)
	token, _ := created["token"].(string)
	if !strings.HasPrefix(id, "00T") || len(token) != 42 || !strings.HasPrefix(token, "00") || created["name"] != "terraform" {
		t.Fatalf("created %v", created)
	}
	if text := mustCLI(t, "", "apitokens", "create", "--db", db, "--name", "ci"); !strings.Contains(text, "token: 00") || !strings.Contains(text, "shown once") {
		t.Fatalf("text output:\n%s", text)
	}
	for _, args := range [][]string{{"apitokens", "list", "--db", db}, {"apitokens", "list", "--db", db, "--json"}} {
		out := mustCLI(t, "", args...)
		if strings.Contains(out, token) || strings.Contains(out, "hmac") || !strings.Contains(out, id) || !strings.Contains(out, "terraform") {
			t.Fatalf("%v shows a value or hash, or misses the token:\n%s", args, out)
		}
	}
	if _, err := runCLI(t, "", "apitokens", "create", "--db", db); err == nil {
		t.Fatal("create without --name succeeded")
	}

	get := serveAPITokens(t, db)
	if status := get("SSWS " + token); status != http.StatusOK {
		t.Fatalf("the new token: %d", status)
	}
	mustCLI(t, "", "apitokens", "revoke", "--db", db, id)
	if status := get("SSWS " + token); status != http.StatusUnauthorized {
		t.Fatalf("a revoked token: %d", status)
	}
	if _, err := runCLI(t, "", "apitokens", "revoke", "--db", db, id); err == nil || !strings.Contains(err.Error(), "no API token") {
		t.Fatalf("revoking twice: %v", err)
	}
}

// serveAPITokens serves the database db and returns a function that GETs
// /api/v1/api-tokens with an Authorization header and returns the status.
func serveAPITokens(t *testing.T, db string) func(auth string) int {
	t.Helper()
	cfg := config.Default()
	cfg.DB = db
	srv := httptest.NewUnstartedServer(nil)
	cfg.BaseURL = "http://" + srv.Listener.Addr().String()
	cfg.Cache.TTL = config.Duration{}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	a, err := app.Open(context.Background(), cfg, app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = a.Handler
	srv.Start()
	t.Cleanup(func() { srv.Close(); a.Close() })
	return func(auth string) int {
		req, _ := http.NewRequest("GET", srv.URL+"/api/v1/api-tokens", nil)
		req.Header.Set("Authorization", auth)
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
}

// TestClientsGrantCLI: okta.* scopes are granted to a private_key_jwt
// service client; anything else is refused with the reason.
func TestClientsGrantCLI(t *testing.T) {
	db := keysDB(t)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	jwks, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: key.Public(), KeyID: "k1", Algorithm: "ES256", Use: "sig"}}})
	jwksFile := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(jwksFile, jwks, 0o600); err != nil {
		t.Fatal(err)
	}
	var svc, web map[string]any
	must := func(out string, v *map[string]any) {
		if err := json.Unmarshal([]byte(out), v); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
	}
	must(mustCLI(t, "", "clients", "create", "--db", db, "--name", "provisioner", "--grant-types", "client_credentials",
		"--auth-method", "private_key_jwt", "--jwks-file", jwksFile, "--json"), &svc)
	must(mustCLI(t, "", "clients", "create", "--db", db, "--name", "web", "--grant-types", "client_credentials", "--json"), &web)
	svcID := svc["id"].(string)
	out := mustCLI(t, "", "clients", "grant", "--db", db, svcID, "--scopes", "okta.users.read,okta.groups.manage")
	if !strings.Contains(out, "okta.users.read") || !strings.Contains(out, "okta.groups.manage") || !strings.Contains(out, "oag") {
		t.Fatalf("grant output:\n%s", out)
	}
	// Granting again keeps one grant a scope.
	var grants []map[string]any
	if err := json.Unmarshal([]byte(mustCLI(t, "", "clients", "grant", "--db", db, svcID, "--scopes", "okta.users.read", "--json")), &grants); err != nil || len(grants) != 2 {
		t.Fatalf("grants after a second grant: %v %v", grants, err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{svcID, "--scopes", "okta.everything"}, "not an okta.* scope"},
		{[]string{web["id"].(string), "--scopes", "okta.users.read"}, "private_key_jwt"},
		{[]string{"0oanobody", "--scopes", "okta.users.read"}, "no client 0oanobody"},
	} {
		_, err := runCLI(t, "", append([]string{"clients", "grant", "--db", db}, tc.args...)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Fatalf("grant %v: %v, want %q", tc.args, err, tc.want)
		}
	}
}
