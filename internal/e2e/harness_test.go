package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/app"
	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/keys"
	"github.com/latchkey/latchkey/internal/provision"
	"github.com/latchkey/latchkey/internal/store/sqlite/sqlitetest"
)

// env is one running server with a client and a user.
type env struct {
	t            testing.TB
	srv          *httptest.Server
	app          *app.App
	cfg          config.Config
	issuer       string
	tokenURL     string
	clientID     string
	clientSecret string
	postClientID string // a client_secret_post client
	postSecret   string
	username     string
	password     string
	userID       string
}

// testConfig returns a config on a fresh SQLite file in dir, with cheap
// password hashing so tests stay fast (the algorithm is the same).
func testConfig(t testing.TB, dir string) config.Config {
	t.Helper()
	cfg := config.Default()
	cfg.DB = sqlitetest.PathIn(t, dir)
	cfg.MasterKeyFile = filepath.Join(dir, "master.key")
	if _, err := keys.CreateMasterKeyFile(cfg.MasterKeyFile); err != nil {
		t.Fatal(err)
	}
	cfg.Password.MemoryKiB, cfg.Password.Iterations = 64, 1
	return cfg
}

// startApp serves cfg on a new local listener and returns the server and app.
func startApp(t testing.TB, cfg config.Config) (*httptest.Server, *app.App) {
	t.Helper()
	return startAppWith(t, cfg, app.Options{})
}

func startAppWith(t testing.TB, cfg config.Config, opts app.Options) (*httptest.Server, *app.App) {
	t.Helper()
	return startAppConfigured(t, cfg, opts, nil)
}

func startAppConfigured(t testing.TB, cfg config.Config, opts app.Options, configure func(*app.App)) (*httptest.Server, *app.App) {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	cfg.BaseURL = "http://" + srv.Listener.Addr().String()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	a, err := app.Open(context.Background(), cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Bootstrap(context.Background()); err != nil {
		t.Fatal(err)
	}
	if configure != nil {
		configure(a)
	}
	srv.Config.Handler = a.Handler
	srv.Start()
	t.Cleanup(func() { srv.Close(); a.Close() })
	return srv, a
}

func newEnv(t testing.TB) *env {
	t.Helper()
	return newEnvWith(t, app.Options{}, nil)
}

// newEnvWith is newEnv with app options (a clock, a logger); configure,
// when set, may change the app before it serves its first request.
func newEnvWith(t testing.TB, opts app.Options, configure func(*app.App)) *env {
	t.Helper()
	return newEnvConfig(t, nil, opts, configure)
}

// newEnvFrom is newEnvWith on a config the test made (with testConfig).
func newEnvFrom(t testing.TB, cfg config.Config, opts app.Options, configure func(*app.App)) *env {
	t.Helper()
	return newEnvConfig(t, func(c *config.Config) { *c = cfg }, opts, configure)
}

// newEnvConfig is newEnvWith whose config edit, when set, changes the
// test config before the server starts.
func newEnvConfig(t testing.TB, edit func(*config.Config), opts app.Options, configure func(*app.App)) *env {
	t.Helper()
	cfg := testConfig(t, t.TempDir())
	if edit != nil {
		edit(&cfg)
	}
	srv, a := startAppConfigured(t, cfg, opts, configure)
	e := &env{t: t, srv: srv, app: a, cfg: cfg, issuer: srv.URL + "/oauth2/default", username: "ada@example.com", password: "correct horse battery"}
	e.tokenURL = e.issuer + "/v1/token"
	ctx := context.Background()
	c, secret, err := a.Provision.CreateClient(ctx, provision.ClientInput{Name: "test app"})
	if err != nil {
		t.Fatal(err)
	}
	e.clientID, e.clientSecret = c.ID, secret
	pc, psecret, err := a.Provision.CreateClient(ctx, provision.ClientInput{Name: "post app", AuthMethod: "client_secret_post"})
	if err != nil {
		t.Fatal(err)
	}
	e.postClientID, e.postSecret = pc.ID, psecret
	u, err := a.Provision.CreateUser(ctx, provision.UserInput{Login: e.username, Email: e.username, FirstName: "Ada", LastName: "Lovelace", Password: e.password})
	if err != nil {
		t.Fatal(err)
	}
	e.userID = u.ID
	return e
}

// testClock is a server's injected clock, moved by the test.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func newTestClock() *testClock { return &testClock{now: time.Now().Truncate(time.Second)} }

// Now is the clock's time.
func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward.
func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// basic returns an Authorization header value per RFC 6749 section 2.3.1.
func basic(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret)))
}

// response is a decoded HTTP answer.
type response struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// post sends a raw form body with the given headers.
func (e *env) post(u, body string, header map[string]string) response {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	return e.do(req)
}

func (e *env) get(u string) response {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return e.do(req)
}

func (e *env) do(req *http.Request) response {
	e.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := response{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	_ = json.Unmarshal(raw, &r.body)
	return r
}

// passwordForm is the seed's body for the env's user.
func (e *env) passwordForm(scope string) url.Values {
	return url.Values{"grant_type": {"password"}, "username": {e.username}, "password": {e.password}, "scope": {scope}}
}
