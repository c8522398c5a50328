package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/app"
	"github.com/latchkey/latchkey/internal/config"
)

// runCLI executes the root command with stdin and an empty environment.
func runCLI(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	root := newRootCmd(func(string) string { return "" })
	var out, errOut bytes.Buffer
	root.SetArgs(args)
	root.SetIn(strings.NewReader(stdin))
	root.SetOut(&out)
	root.SetErr(&errOut)
	err := root.ExecuteContext(context.Background())
	return out.String() + errOut.String(), err
}

func mustCLI(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	out, err := runCLI(t, stdin, args...)
	if err != nil {
		t.Fatalf("latchkey %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func TestUsersCLI(t *testing.T) {
	db := keysDB(t)
	out := mustCLI(t, "a long passphrase\n", "users", "create", "--db", db, "--login", "ada@example.com", "--email", "ada@example.com",
		"--first-name", "Ada", "--last-name", "Lovelace", "--password-stdin", "--json")
	var u map[string]any
	if err := json.Unmarshal([]byte(out), &u); err != nil {
		t.Fatalf("not one JSON object: %v\n%s", err, out)
	}
	prof, _ := u["profile"].(map[string]any)
	if !strings.HasPrefix(u["id"].(string), "00u") || u["status"] != "ACTIVE" || prof["login"] != "ada@example.com" || prof["firstName"] != "Ada" || prof["lastName"] != "Lovelace" {
		t.Fatalf("user %v", u)
	}
	if strings.Contains(out, "passphrase") || strings.Contains(out, "argon2") {
		t.Fatal("the password or its hash is printed")
	}
	if _, err := runCLI(t, "another passphrase\n", "users", "create", "--db", db, "--login", "ADA@example.com", "--password-stdin"); err == nil {
		t.Fatal("duplicate login accepted")
	}
	if _, err := runCLI(t, "", "users", "create", "--db", db, "--login", "x@example.com"); err == nil || !strings.Contains(err.Error(), "--password-stdin") {
		t.Fatalf("no --password-stdin: %v", err)
	}
	if _, err := runCLI(t, "short\n", "users", "create", "--db", db, "--login", "x@example.com", "--password-stdin"); err == nil {
		t.Fatal("a 5-character password accepted")
	}
	_, err := runCLI(t, "qwerty\n", "users", "create", "--db", db, "--login", "qwerty@example.com", "--password-stdin")
	if err == nil {
		t.Fatal("a short, common password that holds the login was accepted")
	}
	for _, want := range []string{"the password was refused (E0000001 Api validation failed: password):\n  - Password requirements were not met. " +
		"Password requirements: at least 8 characters, no parts of your username, does not include your first name, does not include your last name. " +
		"Your password cannot be any of your last 4 passwords.\n  - This password was found in a list of commonly used passwords. Please try another password."} {
		if err.Error() != want {
			t.Fatalf("error:\n%s\nwant:\n%s", err, want)
		}
	}
	var list []map[string]any
	if err := json.Unmarshal([]byte(mustCLI(t, "", "users", "list", "--db", db, "--json")), &list); err != nil || len(list) != 1 {
		t.Fatalf("users list: %v %v", list, err)
	}
	if table := mustCLI(t, "", "users", "list", "--db", db); !strings.Contains(table, "ada@example.com") || !strings.Contains(table, "LOGIN") {
		t.Fatalf("table:\n%s", table)
	}
}

func TestClientsCLI(t *testing.T) {
	db := keysDB(t)
	out := mustCLI(t, "", "clients", "create", "--db", db, "--name", "Billing CLI", "--grant-types", "password,refresh_token", "--auth-method", "client_secret_post", "--json")
	var c map[string]any
	if err := json.Unmarshal([]byte(out), &c); err != nil {
		t.Fatal(err)
	}
	cred := c["credentials"].(map[string]any)["oauthClient"].(map[string]any)
	set := c["settings"].(map[string]any)["oauthClient"].(map[string]any)
	if !strings.HasPrefix(cred["client_id"].(string), "0oa") || len(cred["client_secret"].(string)) < 40 || cred["token_endpoint_auth_method"] != "client_secret_post" {
		t.Fatalf("client %v", c)
	}
	if g := set["grant_types"].([]any); len(g) != 2 || g[0] != "password" || g[1] != "refresh_token" {
		t.Fatalf("grant types %v", g)
	}
	list := mustCLI(t, "", "clients", "list", "--db", db, "--json")
	if strings.Contains(list, cred["client_secret"].(string)) || strings.Contains(list, "client_secret\"") {
		t.Fatal("clients list shows a secret")
	}
	if _, err := runCLI(t, "", "clients", "create", "--db", db, "--name", "x", "--grant-types", "implicit"); err == nil {
		t.Fatal("unsupported grant accepted")
	}
	out = mustCLI(t, "", "clients", "create", "--db", db, "--name", "static", "--grant-types", "password,refresh_token",
		"--refresh-rotation", "STATIC", "--refresh-leeway", "0s", "--json")
	if !strings.Contains(out, `"rotation_type": "STATIC"`) || !strings.Contains(out, `"leeway": 0`) {
		t.Fatalf("refresh settings:\n%s", out)
	}
	if _, err := runCLI(t, "", "clients", "create", "--db", db, "--name", "x", "--refresh-leeway", "2m"); err == nil {
		t.Fatal("a 2-minute leeway accepted")
	}
}

// TestAuthorizationServerCLI builds a custom server, its scope, claim,
// group, policy and rule from the CLI, then gets a token from it with
// `latchkey token` against the real server.
func TestAuthorizationServerCLI(t *testing.T) {
	db := keysDB(t)
	var as map[string]any
	if err := json.Unmarshal([]byte(mustCLI(t, "", "authservers", "create", "--db", db, "--name", "billing", "--audience", "api://billing", "--json")), &as); err != nil {
		t.Fatal(err)
	}
	id := as["id"].(string)
	if !strings.HasPrefix(id, "aus") || as["audiences"].([]any)[0] != "api://billing" {
		t.Fatalf("server %v", as)
	}
	if list := mustCLI(t, "", "authservers", "list", "--db", db); !strings.Contains(list, id) || !strings.Contains(list, "default") || strings.Contains(list, "org ") {
		t.Fatalf("authservers list:\n%s", list)
	}
	mustCLI(t, "", "scopes", "create", "--db", db, "--authserver", id, "--name", "invoices:read", "--default", "--publish")
	if sc := mustCLI(t, "", "scopes", "list", "--db", db, "--authserver", id); !strings.Contains(sc, "invoices:read") || !strings.Contains(sc, "offline_access") {
		t.Fatalf("scopes:\n%s", sc)
	}
	mustCLI(t, "", "claims", "create", "--db", db, "--authserver", id, "--name", "dept", "--type", "RESOURCE", "--value", `"billing"`)
	if _, err := runCLI(t, "", "claims", "create", "--db", db, "--authserver", id, "--name", "x", "--type", "RESOURCE", "--value", "user.password"); err == nil {
		t.Fatal("unsupported expression accepted")
	}
	mustCLI(t, "", "groups", "create", "--db", db, "--name", "Finance")
	mustCLI(t, "pw-pw-pw-pw\n", "users", "create", "--db", db, "--login", "fin@example.com", "--password-stdin")
	mustCLI(t, "", "groups", "add-user", "--db", db, "--group", "Finance", "--user", "fin@example.com")
	out := mustCLI(t, "", "policies", "create", "--db", db, "--authserver", id, "--name", "finance apps")
	policyID := strings.Fields(out)[1]
	mustCLI(t, "", "rules", "create", "--db", db, "--authserver", id, "--policy", policyID, "--name", "finance", "--grant-types", "password",
		"--groups", "Finance", "--access-token-lifetime", "15m")
	var pols []map[string]any
	if err := json.Unmarshal([]byte(mustCLI(t, "", "policies", "list", "--db", db, "--authserver", id, "--json")), &pols); err != nil || len(pols) != 1 {
		t.Fatalf("policies: %v %v", pols, err)
	}
	rule := pols[0]["rules"].([]any)[0].(map[string]any)
	if rule["actions"].(map[string]any)["token"].(map[string]any)["accessTokenLifetimeMinutes"] != float64(15) {
		t.Fatalf("rule %v", rule)
	}
	var cl map[string]any
	_ = json.Unmarshal([]byte(mustCLI(t, "", "clients", "create", "--db", db, "--name", "fin app", "--json")), &cl)
	cred := cl["credentials"].(map[string]any)["oauthClient"].(map[string]any)
	clientID, secret := cred["client_id"].(string), cred["client_secret"].(string)
	mustCLI(t, "", "clients", "unassign", "--db", db, "--client", clientID, "--group", "Everyone")
	mustCLI(t, "", "clients", "assign", "--db", db, "--client", clientID, "--group", "Finance")

	srv := serveDB(t, db)
	issuer := srv.URL + "/oauth2/" + id
	secretFile := filepath.Join(t.TempDir(), "client-secret")
	if err := os.WriteFile(secretFile, []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out = mustCLI(t, "pw-pw-pw-pw\n", "token", "--issuer", issuer, "--client-id", clientID, "--client-secret-file", secretFile,
		"--username", "fin@example.com", "--password-stdin", "--scope", "openid invoices:read")
	var tok map[string]any
	if err := json.Unmarshal([]byte(out), &tok); err != nil || tok["access_token"] == nil || tok["expires_in"] != float64(900) {
		t.Fatalf("token: %v\n%s", err, out)
	}
	checked := mustCLI(t, tok["access_token"].(string)+"\n", "verify", "--issuer", issuer, "--audience", "api://billing")
	if !strings.Contains(checked, `"dept": "billing"`) {
		t.Fatalf("verify:\n%s", checked)
	}
	// A wrong password: the error JSON is printed and the exit status is 1.
	out, err := runCLI(t, "wrong-wrong\n", "token", "--issuer", issuer, "--client-id", clientID, "--client-secret-file", secretFile,
		"--username", "fin@example.com", "--password-stdin")
	var ee exitError
	if err == nil || !asExit(err, &ee) || ee.code != 1 || !strings.Contains(out, `"invalid_grant"`) {
		t.Fatalf("wrong password: %v\n%s", err, out)
	}
}

// TestApplyIsIdempotent applies a declarative setup twice.
func TestApplyIsIdempotent(t *testing.T) {
	db := keysDB(t)
	file := filepath.Join(t.TempDir(), "setup.yaml")
	doc := `groups:
  - name: Engineering
authorizationServers:
  - name: inventory
    audience: api://inventory
    scopes:
      - {name: items:read, default: true, publish: true}
    claims:
      - {name: groups, claimType: IDENTITY, valueType: GROUPS, groupFilterType: STARTS_WITH, value: Eng, alwaysIncludeInToken: true}
    policies:
      - name: all apps
        clients: [ALL_CLIENTS]
        rules:
          - {name: engineers, grantTypes: [password, refresh_token], groups: [Engineering], accessTokenLifetime: 20m}
          - {name: machines, grantTypes: [client_credentials], scopes: [items:read]}
`
	if err := os.WriteFile(file, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	first := mustCLI(t, "", "apply", "--db", db, "--file", file)
	if !strings.Contains(first, "created authorization server inventory") || !strings.Contains(first, "created group Engineering") {
		t.Fatalf("first apply:\n%s", first)
	}
	second := mustCLI(t, "", "apply", "--db", db, "--file", file)
	if strings.Contains(second, "created") {
		t.Fatalf("second apply created again:\n%s", second)
	}
	var pols []map[string]any
	list := mustCLI(t, "", "authservers", "list", "--db", db, "--json")
	var servers []map[string]any
	_ = json.Unmarshal([]byte(list), &servers)
	var id string
	for _, s := range servers {
		if s["name"] == "inventory" {
			id = s["id"].(string)
		}
	}
	_ = json.Unmarshal([]byte(mustCLI(t, "", "policies", "list", "--db", db, "--authserver", id, "--json")), &pols)
	if len(pols) != 1 || len(pols[0]["rules"].([]any)) != 2 {
		t.Fatalf("policies after two applies: %v", pols)
	}
	if err := os.WriteFile(file, []byte("authorizationServers:\n  - name: x\n    audiense: typo\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := runCLI(t, "", "apply", "--db", db, "--file", file); err == nil || !strings.Contains(err.Error(), "audiense") {
		t.Fatalf("unknown key: %v", err)
	}
}

// serveDB serves the store at db over HTTP for the CLI's network commands.
func serveDB(t *testing.T, db string) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	cfg := config.Default()
	cfg.DB = db
	cfg.BaseURL = "http://" + srv.Listener.Addr().String()
	cfg.Password.MemoryKiB, cfg.Password.Iterations = 64, 1
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
	return srv
}

func asExit(err error, target *exitError) bool {
	e, ok := err.(exitError)
	if ok {
		*target = e
	}
	return ok
}
