package e2e

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestDiscoveryGolden compares both discovery documents, at both places
// RFC 8414 allows, with golden files ({base} stands for the server URL).
func TestDiscoveryGolden(t *testing.T) {
	e := newEnv(t)
	cases := []struct{ path, golden string }{
		{"/oauth2/default/.well-known/openid-configuration", "openid-configuration.json"},
		{"/oauth2/default/.well-known/oauth-authorization-server", "oauth-authorization-server.json"},
		{"/.well-known/oauth-authorization-server/oauth2/default", "oauth-authorization-server.json"},
	}
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			r := e.get(e.srv.URL + tc.path)
			if r.status != http.StatusOK || r.header.Get("Content-Type") != "application/json" {
				t.Fatalf("%d %s", r.status, r.header.Get("Content-Type"))
			}
			var pretty bytes.Buffer
			if err := json.Indent(&pretty, []byte(strings.ReplaceAll(r.raw, e.srv.URL, "{base}")), "", "  "); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.golden, pretty.Bytes())
		})
	}
}

func TestJWKS(t *testing.T) {
	e := newEnv(t)
	r := e.get(e.issuer + "/v1/keys")
	if r.status != http.StatusOK || r.header.Get("Cache-Control") != "max-age=3600, must-revalidate" {
		t.Fatalf("%d Cache-Control %q", r.status, r.header.Get("Cache-Control"))
	}
	// The ACTIVE key and the NEXT key, published ahead of signing.
	keys, _ := r.body["keys"].([]any)
	if len(keys) != 2 {
		t.Fatalf("keys: %s", r.raw)
	}
	for _, key := range keys {
		k := key.(map[string]any)
		assertKeys(t, "jwk", k, []string{"kty", "alg", "kid", "use", "n", "e"})
		if k["kty"] != "RSA" || k["alg"] != "RS256" || k["use"] != "sig" || k["e"] != "AQAB" || len(k["n"].(string)) != 342 {
			t.Fatalf("jwk %v (n must be a 2048-bit modulus)", k)
		}
	}
}

func TestHealth(t *testing.T) {
	e := newEnv(t)
	for _, p := range []string{"/healthz", "/readyz"} {
		if r := e.get(e.srv.URL + p); r.status != 200 || r.body["status"] != "ok" {
			t.Fatalf("%s: %d %s", p, r.status, r.raw)
		}
	}
	// /readyz says what it checked: the store answers, the master key is
	// the database's, the ACTIVE signing keys unseal.
	r := e.get(e.srv.URL + "/readyz")
	if checks, _ := r.body["checks"].(map[string]any); len(checks) != 3 || checks["store"] != "ok" || checks["master_key"] != "ok" || checks["signing_keys"] != "ok" {
		t.Fatalf("/readyz checks: %s", r.raw)
	}
	if r := e.get(e.srv.URL + "/nowhere"); r.status != 404 || r.body["errorCode"] != "E0000007" {
		t.Fatalf("unknown path: %d %s", r.status, r.raw)
	}
	if r := e.get(e.srv.URL + "/readyz"); r.header.Get("X-Request-Id") == "" {
		t.Fatal("no X-Request-Id")
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/e2e -run %s -update)", err, t.Name())
	}
	if !bytes.Equal(bytes.TrimSpace(got), bytes.TrimSpace(want)) {
		t.Fatalf("%s differs from the golden file:\n%s\nwant:\n%s", name, got, want)
	}
}
