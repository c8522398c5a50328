package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/latchkey/latchkey/internal/app"
	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/provision"
)

// TestRestartKeepsEverything: users, clients and the signing key survive a
// restart on the same database and master key; a token minted before still
// verifies against the new process's JWKS.
func TestRestartKeepsEverything(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, dir)
	srv1, a1 := startApp(t, cfg)
	ctx := context.Background()
	c, secret, err := a1.Provision.CreateClient(ctx, provision.ClientInput{Name: "app"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a1.Provision.CreateUser(ctx, provision.UserInput{Login: "grace@example.com", Password: "hopper hopper"}); err != nil {
		t.Fatal(err)
	}
	e1 := &env{t: t, srv: srv1, issuer: srv1.URL + "/oauth2/default"}
	before := e1.post(e1.issuer+"/v1/token", "grant_type=password&username=grace%40example.com&password=hopper+hopper&scope=openid",
		map[string]string{"Authorization": basic(c.ID, secret)})
	if before.status != 200 {
		t.Fatalf("before restart: %d %s", before.status, before.raw)
	}
	kids := func(e *env) []any {
		var out []any
		for _, k := range e.get(e.issuer + "/v1/keys").body["keys"].([]any) {
			out = append(out, k.(map[string]any)["kid"])
		}
		return out
	}
	before1 := kids(e1)
	srv1.Close()
	a1.Close()

	srv2, _ := startApp(t, cfg)
	e2 := &env{t: t, srv: srv2, issuer: srv2.URL + "/oauth2/default"}
	if after := kids(e2); len(after) != 2 || fmt.Sprint(after) != fmt.Sprint(before1) {
		t.Fatalf("signing keys changed across restart: %v vs %v", before1, after)
	}
	after := e2.post(e2.issuer+"/v1/token", "grant_type=password&username=grace%40example.com&password=hopper+hopper&scope=openid",
		map[string]string{"Authorization": basic(c.ID, secret)})
	if after.status != 200 {
		t.Fatalf("after restart: %d %s", after.status, after.raw)
	}
	// The old token's signature checks out against the new process's keys
	// (the issuer differs only because the test server's port changed).
	verifyJWT(t, e2, before.body["access_token"].(string))
}

// TestWrongMasterKeyFailsAtStart: a server given another master key than
// its database's does not start (it used to report ready and answer every
// confidential client 401 and a public one 500); the error names where the
// key came from, never the key.
func TestWrongMasterKeyFailsAtStart(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, dir)
	srv, a := startApp(t, cfg)
	if _, _, err := a.Provision.CreateClient(context.Background(), provision.ClientInput{Name: "app"}); err != nil {
		t.Fatal(err)
	}
	srv.Close()
	a.Close()
	cfg.MasterKeyFile = ""
	cfg.MasterKey = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
	a2, err := app.Open(context.Background(), cfg, app.Options{})
	if err == nil {
		a2.Close()
		t.Fatal("Open with another master key succeeded")
	}
	if !errors.Is(err, app.ErrWrongMasterKey) || !strings.Contains(err.Error(), "LATCHKEY_MASTER_KEY") || strings.Contains(err.Error(), cfg.MasterKey) {
		t.Fatalf("Open with another master key: %v", err)
	}
}

// TestBcryptUserIsUpgraded: an imported bcrypt hash verifies and is replaced
// by argon2id at the first successful login.
func TestBcryptUserIsUpgraded(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	b, _ := bcrypt.GenerateFromPassword([]byte("imported pw"), bcrypt.MinCost)
	u, err := e.app.Provision.CreateUser(ctx, provision.UserInput{Login: "legacy@example.com", PasswordHash: string(b)})
	if err != nil {
		t.Fatal(err)
	}
	r := e.post(e.tokenURL, "grant_type=password&username=legacy%40example.com&password=imported+pw&scope=openid", map[string]string{"Authorization": basic(e.clientID, e.clientSecret)})
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	stored, _ := e.app.Store.GetUser(ctx, u.ID)
	if !strings.HasPrefix(stored.PasswordHash, "$argon2id$") {
		t.Fatalf("hash not upgraded: %q", stored.PasswordHash[:7])
	}
	r = e.post(e.tokenURL, "grant_type=password&username=legacy%40example.com&password=imported+pw&scope=openid", map[string]string{"Authorization": basic(e.clientID, e.clientSecret)})
	if r.status != 200 {
		t.Fatalf("after upgrade: %d %s", r.status, r.raw)
	}
}

// TestAccessLogHasNoSecrets: one line per request with method, path,
// status, duration and client id, and never a password, secret or token.
func TestAccessLogHasNoSecrets(t *testing.T) {
	var buf syncBuffer
	cfg := testConfig(t, t.TempDir())
	cfg.Log.Level = "debug"
	srv := httptestServer(t, cfg, slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	ctx := context.Background()
	c, secret, _ := srv.app.Provision.CreateClient(ctx, provision.ClientInput{Name: "app"})
	_, _ = srv.app.Provision.CreateUser(ctx, provision.UserInput{Login: "auditor@example.com", Password: "pw-in-the-log?"})
	e := &env{t: t, srv: srv.srv}
	ok := e.post(srv.srv.URL+"/oauth2/default/v1/token?password=leak1", "grant_type=password&username=auditor%40example.com&password=pw-in-the-log%3F&scope=openid",
		map[string]string{"Authorization": basic(c.ID, secret)})
	good := e.post(srv.srv.URL+"/oauth2/default/v1/token", "grant_type=password&username=auditor%40example.com&password=pw-in-the-log%3F&scope=openid",
		map[string]string{"Authorization": basic(c.ID, secret)})
	bad := e.post(srv.srv.URL+"/oauth2/default/v1/token", "grant_type=password&username=auditor%40example.com&password=wrong-guess&scope=openid",
		map[string]string{"Authorization": basic(c.ID, secret)})
	if ok.status != 400 || good.status != 200 || bad.status != 400 {
		t.Fatalf("statuses %d %d %d", ok.status, good.status, bad.status)
	}
	log := buf.String()
	for _, s := range []string{"pw-in-the-log", "wrong-guess", "leak1", secret, good.body["access_token"].(string), good.body["id_token"].(string)} {
		if strings.Contains(log, s) {
			t.Fatalf("log contains a secret %q:\n%s", s[:6], log)
		}
	}
	var lines []string
	for _, l := range strings.Split(log, "\n") {
		if strings.Contains(l, "msg=request") {
			lines = append(lines, l)
		}
	}
	if len(lines) != 3 {
		t.Fatalf("want 3 access-log lines, got %d:\n%s", len(lines), log)
	}
	for _, want := range []string{"method=POST", "path=/oauth2/default/v1/token", `route="POST /oauth2/{server}/v1/token"`, "status=200", "duration_ms=", "client_id=" + c.ID} {
		if !strings.Contains(lines[1], want) {
			t.Errorf("log line %q lacks %q", lines[1], want)
		}
	}
	if strings.Contains(lines[1], "error=") {
		t.Errorf("a success names an error: %q", lines[1])
	}
	for _, want := range []string{"status=400", "error=invalid_grant", `reason="wrong password"`} {
		if !strings.Contains(lines[2], want) {
			t.Errorf("log line %q lacks %q", lines[2], want)
		}
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type served struct {
	srv *httptest.Server
	app *app.App
}

func httptestServer(t *testing.T, cfg config.Config, logger *slog.Logger) served {
	t.Helper()
	srv, a := startAppWith(t, cfg, app.Options{Logger: logger})
	return served{srv: srv, app: a}
}
