package multi

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver

	"github.com/latchkey/latchkey/internal/store/postgres/pgtest"
)

var (
	pg     *pgtest.Server
	binary string // the latchkey binary TestMain built
)

// baseURL is the public base URL every instance is given, as instances
// behind one load balancer are: tokens carry its issuer whichever instance
// signs them. The tests never connect to it; they talk to each instance's
// own 127.0.0.1 address.
const (
	baseURL  = "http://auth.example.test"
	issuer   = baseURL + "/oauth2/default"
	password = "a long passphrase"
)

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	if os.Getenv(pgtest.SkipEnv) == "1" {
		return m.Run() // pg.NewDatabase skips every test
	}
	dir, err := os.MkdirTemp("", "latchkey-multi-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "FAIL:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	binary = filepath.Join(dir, "latchkey")
	gocmd, err := exec.LookPath("go")
	if err != nil {
		fmt.Fprintln(os.Stderr, "FAIL: no go command to build latchkey with:", err)
		return 1
	}
	args := append(append([]string{"build"}, buildFlags...), "-o", binary, "github.com/latchkey/latchkey/cmd/latchkey")
	build := exec.Command(gocmd, args...)
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: go build ./cmd/latchkey: %v\n%s", err, out)
		return 1
	}
	return pgtest.Main(m, &pg)
}

// lockedBuffer collects a process's output.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// instance is one `latchkey serve` process.
type instance struct {
	name   string
	addr   string // 127.0.0.1:port
	url    string // http://addr
	cmd    *exec.Cmd
	exited chan struct{}
	log    *lockedBuffer
}

func (in *instance) tokenURL() string      { return in.url + "/oauth2/default/v1/token" }
func (in *instance) introspectURL() string { return in.url + "/oauth2/default/v1/introspect" }
func (in *instance) revokeURL() string     { return in.url + "/oauth2/default/v1/revoke" }
func (in *instance) keysURL() string       { return in.url + "/oauth2/default/v1/keys" }

func (in *instance) running() bool {
	select {
	case <-in.exited:
		return false
	default:
		return true
	}
}

// logLines returns the instance's JSON log records (other lines skipped).
func (in *instance) logLines() []map[string]any {
	var out []map[string]any
	for line := range strings.Lines(in.log.String()) {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) == nil {
			out = append(out, rec)
		}
	}
	return out
}

// kill9 kills the process with SIGKILL and waits for it.
func (in *instance) kill9() {
	if in.running() {
		_ = in.cmd.Process.Signal(syscall.SIGKILL)
	}
	<-in.exited
}

// stop ends the process with SIGTERM (SIGKILL after 10 s) and waits for it.
func (in *instance) stop(t testing.TB) {
	if !in.running() {
		return
	}
	_ = in.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-in.exited:
	case <-time.After(10 * time.Second):
		t.Errorf("%s did not stop within 10 s of SIGTERM; killing it", in.name)
		in.kill9()
	}
}

// cluster is one PostgreSQL database, its config file and the instances
// serving it.
type cluster struct {
	dsn    string
	dir    string
	config string
	db     *sql.DB
	a, b   *instance

	// web: password, refresh_token and client_credentials, default leeway
	// (30 s); strict: password and refresh_token with a leeway of 2 s.
	webID, webSecret       string
	strictID, strictSecret string
}

// newCluster prepares a database and starts instances A and B on it. Before
// they start, it runs one instance alone (which creates the default
// authorization server and its keys), creates the clients, the user
// ada@example.com and the scope jobs:read with the CLI, and then calls
// prepare (if not nil) with the database; A and B then start at the same
// moment.
func newCluster(t *testing.T, prepare func(db *sql.DB)) *cluster {
	t.Helper()
	c := &cluster{dsn: pg.NewDatabase(t), dir: t.TempDir()}
	db, err := sql.Open("pgx", c.dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	c.db = db
	keyFile := filepath.Join(c.dir, "master.key")
	c.config = filepath.Join(c.dir, "latchkey.yaml")
	// Cheap password hashing (the algorithm is the same); per-username and
	// per-source rate limits off, so that only the lockout (kept in the
	// database) refuses logins; a long cache lifetime, so that only a
	// NOTIFY explains a change seen quickly.
	cfg := fmt.Sprintf(`db: %q
master_key_file: %q
password: {memory_kib: 64, iterations: 1}
cache: {ttl: 1m}
log: {format: json, level: info}
login_protection:
  rate_limits:
    username: {requests: 0}
    source: {requests: 0}
`, c.dsn, keyFile)
	if err := os.WriteFile(c.config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	c.cli(t, "", "keys", "init-master", "--file", keyFile)

	boot := c.start(t, "boot", freeAddr(t))
	boot.stop(t)

	var app struct {
		Credentials struct {
			OAuthClient struct {
				ClientID     string `json:"client_id"`
				ClientSecret string `json:"client_secret"`
			} `json:"oauthClient"`
		} `json:"credentials"`
	}
	out := c.cli(t, "", "clients", "create", "--name", "web", "--grant-types", "password,refresh_token,client_credentials", "--json")
	if err := json.Unmarshal([]byte(out), &app); err != nil {
		t.Fatalf("clients create --json: %v\n%s", err, out)
	}
	c.webID, c.webSecret = app.Credentials.OAuthClient.ClientID, app.Credentials.OAuthClient.ClientSecret
	out = c.cli(t, "", "clients", "create", "--name", "strict", "--grant-types", "password,refresh_token", "--refresh-leeway", "2s", "--json")
	if err := json.Unmarshal([]byte(out), &app); err != nil {
		t.Fatalf("clients create --json: %v\n%s", err, out)
	}
	c.strictID, c.strictSecret = app.Credentials.OAuthClient.ClientID, app.Credentials.OAuthClient.ClientSecret
	c.user(t, "ada@example.com")
	c.cli(t, "", "scopes", "create", "--authserver", "default", "--name", "jobs:read")

	if prepare != nil {
		prepare(db)
	}
	var wg sync.WaitGroup
	addrA, addrB := freeAddr(t), freeAddr(t)
	wg.Go(func() { c.a = c.start(t, "A", addrA) })
	wg.Go(func() { c.b = c.start(t, "B", addrB) })
	wg.Wait()
	if c.a == nil || c.b == nil {
		t.FailNow()
	}
	return c
}

// user creates an ACTIVE user with the test password.
func (c *cluster) user(t *testing.T, login string) {
	t.Helper()
	c.cli(t, password+"\n", "users", "create", "--login", login, "--password-stdin")
}

// cli runs a latchkey command on the cluster's config and returns its
// standard output; a failure fails t.
func (c *cluster) cli(t testing.TB, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(binary, append(args, "--config", c.config)...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("latchkey %s: %v\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// start runs `latchkey serve` on addr and waits until it answers /healthz.
// t's cleanup stops it. From another goroutine than the test's, a failure
// is reported with Errorf and start returns nil.
func (c *cluster) start(t *testing.T, name, addr string) *instance {
	in := &instance{name: name, addr: addr, url: "http://" + addr, exited: make(chan struct{}), log: &lockedBuffer{}}
	in.cmd = exec.Command(binary, "serve", "--config", c.config, "--addr", addr, "--base-url", baseURL)
	in.cmd.Stdout, in.cmd.Stderr = in.log, in.log
	in.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := in.cmd.Start(); err != nil {
		t.Errorf("start %s: %v", name, err)
		return nil
	}
	go func() { _ = in.cmd.Wait(); close(in.exited) }()
	t.Cleanup(func() {
		in.stop(t)
		if t.Failed() {
			t.Logf("log of instance %s (access log left out):\n%s", name, tail(withoutAccessLog(in.log.String()), 60))
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(in.url + "/healthz")
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return in
			}
		}
		select {
		case <-in.exited:
			t.Errorf("instance %s exited at start:\n%s", name, in.log.String())
			return nil
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Errorf("instance %s did not answer /healthz within 30 s:\n%s", name, in.log.String())
			return nil
		}
	}
}

// restart starts instance in again on its address (after a kill).
func (c *cluster) restart(t *testing.T, in *instance) *instance {
	t.Helper()
	in.kill9()
	n := c.start(t, in.name, in.addr)
	if n == nil {
		t.FailNow()
	}
	return n
}

func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// httpClient talks to the instances; its timeout bounds every request.
var httpClient = &http.Client{Timeout: 15 * time.Second}

// answer is an HTTP answer with its JSON body decoded (when it is JSON).
type answer struct {
	status      int
	contentType string
	raw         []byte
	body        map[string]any
	elapsed     time.Duration
}

func (a answer) str(key string) string {
	s, _ := a.body[key].(string)
	return s
}

func (a answer) String() string {
	return fmt.Sprintf("%d %s", a.status, bytes.TrimSpace(a.raw))
}

// isOAuthError reports whether a is an error in the contract's shape: a
// JSON body with error and error_description.
func (a answer) isOAuthError() bool {
	mt, _, _ := mime.ParseMediaType(a.contentType)
	return mt == "application/json" && a.str("error") != "" && a.str("error_description") != ""
}

// isOktaError reports whether a is an error in the shape of Okta's API
// (errorCode, errorSummary), which the contract uses where a request fails
// before it is an OAuth request: an unknown authorization server (404
// E0000007), or one that could not be read (500 E0000009).
func (a answer) isOktaError() bool {
	mt, _, _ := mime.ParseMediaType(a.contentType)
	return mt == "application/json" && a.str("errorCode") != "" && a.str("errorSummary") != ""
}

// post sends form to url with HTTP Basic client credentials.
func post(ctx context.Context, u, id, secret string, form url.Values) (answer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		return answer{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	start := time.Now()
	resp, err := httpClient.Do(req)
	if err != nil {
		return answer{elapsed: time.Since(start)}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, contentType: resp.Header.Get("Content-Type"), raw: raw, elapsed: time.Since(start)}
	if err != nil {
		return a, err
	}
	_ = json.Unmarshal(raw, &a.body)
	return a, nil
}

// mustPost is post that fails t on a transport error.
func mustPost(t testing.TB, u, id, secret string, form url.Values) answer {
	t.Helper()
	a, err := post(context.Background(), u, id, secret, form)
	if err != nil {
		t.Fatalf("POST %s: %v", u, err)
	}
	return a
}

// passwordGrant asks in for tokens of login with scope.
func passwordGrant(t testing.TB, in *instance, id, secret, login, pass, scope string) answer {
	t.Helper()
	return mustPost(t, in.tokenURL(), id, secret, url.Values{
		"grant_type": {"password"}, "username": {login}, "password": {pass}, "scope": {scope}})
}

// refresh exchanges rt at in.
func refresh(ctx context.Context, in *instance, id, secret, rt string) (answer, error) {
	return post(ctx, in.tokenURL(), id, secret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
}

// active introspects token at in and reports whether it is active.
func active(t testing.TB, in *instance, id, secret, token, hint string) bool {
	t.Helper()
	a := mustPost(t, in.introspectURL(), id, secret, url.Values{"token": {token}, "token_type_hint": {hint}})
	if a.status != http.StatusOK {
		t.Fatalf("introspect at %s: %s", in.name, a)
	}
	on, ok := a.body["active"].(bool)
	if !ok {
		t.Fatalf("introspect at %s: no active field: %s", in.name, a)
	}
	return on
}

// revoke revokes token at in; the answer must be 200.
func revoke(t testing.TB, in *instance, id, secret, token, hint string) {
	t.Helper()
	a := mustPost(t, in.revokeURL(), id, secret, url.Values{"token": {token}, "token_type_hint": {hint}})
	if a.status != http.StatusOK {
		t.Fatalf("revoke at %s: %s", in.name, a)
	}
}

// within polls cond every 10 ms until it holds or bound passes; it returns
// how long it took and whether it held.
func within(bound time.Duration, cond func() bool) (time.Duration, bool) {
	start := time.Now()
	for {
		if cond() {
			return time.Since(start), true
		}
		if time.Since(start) > bound {
			return time.Since(start), false
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// jsonDecode decodes resp's body into v and closes it; a status other than
// 200 is an error.
func jsonDecode(resp *http.Response, v any) error {
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("%s: %d %s", resp.Request.URL, resp.StatusCode, b)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// withoutAccessLog drops the access log's lines from a log.
func withoutAccessLog(log string) string {
	var b strings.Builder
	for line := range strings.Lines(log) {
		if !strings.Contains(line, `"msg":"request"`) {
			b.WriteString(line)
		}
	}
	return b.String()
}
