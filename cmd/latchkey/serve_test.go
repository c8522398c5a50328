package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/keys"
)

// lockedBuffer is an io.Writer the test reads while serve writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startDev runs `latchkey serve --dev` until the returned stop is called and
// returns what it printed once it has printed the demo credentials; extra
// are further flags.
func startDev(t *testing.T, db, addr string, extra ...string) (printed string, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	root := newRootCmd(func(string) string { return "" })
	out := &lockedBuffer{}
	root.SetArgs(append([]string{"serve", "--dev", "--db", db, "--addr", addr}, extra...))
	root.SetOut(out)
	root.SetErr(io.Discard)
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(out.String(), "scope=openid") {
		select {
		case err := <-done:
			cancel()
			t.Fatalf("serve --dev ended: %v\n%s", err, out.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("serve --dev printed nothing in 30 s:\n%s", out.String())
		}
	}
	return out.String(), func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve --dev: %v", err)
		}
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestServeDevPrintsAWorkingCurl is the README's first command: serve --dev
// prints credentials and a curl whose request gets tokens, and a restart
// prints the same credentials and keeps the signing keys.
func TestServeDevPrintsAWorkingCurl(t *testing.T) {
	db := filepath.Join(t.TempDir(), "latchkey-dev.db")
	addr := freeAddr(t)
	printed, stop := startDev(t, db, addr)
	field := func(s, name string) string {
		m := regexp.MustCompile(`(?m)^\s+` + name + `\s+(\S+)$`).FindStringSubmatch(s)
		if m == nil {
			t.Fatalf("no %q in:\n%s", name, s)
		}
		return m[1]
	}
	id, secret, user, pw := field(printed, "client id"), field(printed, "client secret"), field(printed, "username"), field(printed, "password")
	issuer := field(printed, "issuer")
	if issuer != "http://"+addr+"/oauth2/default" || !strings.Contains(printed, "--user '"+id+":"+secret+"'") {
		t.Fatalf("printed:\n%s", printed)
	}
	// The curl's request, as curl sends it.
	data := regexp.MustCompile(`--data '([^']+)'`).FindStringSubmatch(printed)[1]
	req, _ := http.NewRequest(http.MethodPost, issuer+"/v1/token", strings.NewReader(data))
	req.SetBasicAuth(id, secret)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var tok map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if resp.StatusCode != 200 || tok["token_type"] != "Bearer" || tok["id_token"] == nil || tok["expires_in"] != float64(3600) {
		t.Fatalf("the printed curl: %d %v", resp.StatusCode, tok)
	}
	if q, _ := url.ParseQuery(data); q.Get("username") != user || q.Get("password") != pw {
		t.Fatalf("the curl's body does not carry the printed user: %s", data)
	}
	keys := func() string {
		r, err := http.Get(issuer + "/v1/keys")
		if err != nil {
			t.Fatal(err)
		}
		defer r.Body.Close()
		b, _ := io.ReadAll(r.Body)
		return string(b)
	}
	before := keys()
	stop()

	again, stop2 := startDev(t, db, addr)
	defer stop2()
	if field(again, "client id") != id || field(again, "client secret") != secret || field(again, "password") != pw {
		t.Fatalf("a restart printed other credentials:\n%s\nvs\n%s", printed, again)
	}
	if keys() != before {
		t.Fatal("the signing keys changed across a restart")
	}
}

// TestServeDevFileDSN: --dev with a "file:" DSN carrying SQLite
// parameters keeps its master key and demo credentials beside the file it
// names (not in a file named after the whole DSN), and a restart prints
// the same credentials.
func TestServeDevFileDSN(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dev.db")
	dsn := "file:" + path + "?_pragma=synchronous(NORMAL)"
	addr := freeAddr(t)
	printed, stop := startDev(t, dsn, addr)
	stop()
	for _, f := range []string{path + ".key", path + ".demo.json"} {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("serve --dev --db %s: %v", dsn, err)
		}
	}
	again, stop2 := startDev(t, dsn, addr)
	stop2()
	secret := regexp.MustCompile(`client secret\s+(\S+)`)
	if a, b := secret.FindStringSubmatch(printed), secret.FindStringSubmatch(again); a == nil || b == nil || a[1] != b[1] {
		t.Fatalf("a restart printed another client secret:\n%s\nvs\n%s", printed, again)
	}
}

// TestServeRefusesAnotherMasterKey: a server started with a master key
// other than its database's exits non-zero at once, saying why and naming
// where the key came from, instead of reporting ready and refusing every
// client.
func TestServeRefusesAnotherMasterKey(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "latchkey-dev.db")
	_, stop := startDev(t, db, freeAddr(t)) // creates the database and its keys
	stop()
	other := filepath.Join(dir, "other.key")
	if err := keys.WriteNewMasterKeyFile(other); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$", "--", "serve", "--db", db, "--master-key-file", other, "--addr", freeAddr(t))
	cmd.Env = append(os.Environ(), "LATCHKEY_TEST_RUN_MAIN=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("serve with another master key still runs after 60 s; stderr:\n%s", stderr.String())
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() == 0 {
		t.Fatalf("serve with another master key: %v, want a non-zero exit; stderr:\n%s", err, stderr.String())
	}
	if msg := stderr.String(); !strings.Contains(msg, "the master key is not the one this database was set up with") || !strings.Contains(msg, other) {
		t.Fatalf("stderr does not say which key failed:\n%s", msg)
	}
}
