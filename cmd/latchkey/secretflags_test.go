package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// tokenEndpoint answers every token request with a token and records the
// client secret and password it received.
type tokenEndpoint struct {
	*httptest.Server
	mu               sync.Mutex
	secret, password string
}

func newTokenEndpoint(t *testing.T) *tokenEndpoint {
	e := &tokenEndpoint{}
	e.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, secret, _ := r.BasicAuth()
		_ = r.ParseForm()
		e.mu.Lock()
		e.secret, e.password = secret, r.PostForm.Get("password")
		e.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"token_type":"Bearer","access_token":"at"}`))
	}))
	t.Cleanup(e.Close)
	return e
}

func (e *tokenEndpoint) got() (secret, password string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.secret, e.password
}

// runCLIEnv is runCLI with an environment; it returns stdout and stderr apart.
func runCLIEnv(env map[string]string, stdin string, args ...string) (stdout, stderr string, err error) {
	root := newRootCmd(func(k string) string { return env[k] })
	var out, errOut bytes.Buffer
	root.SetArgs(args)
	root.SetIn(strings.NewReader(stdin))
	root.SetOut(&out)
	root.SetErr(&errOut)
	err = root.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

// TestTokenSecretsNeverOnTheCommandLine: the client secret and the
// password come from standard input, a file or the environment; at most
// one from standard input; the old --client-secret works with a warning.
func TestTokenSecretsNeverOnTheCommandLine(t *testing.T) {
	t.Parallel()
	e := newTokenEndpoint(t)
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "secret")
	pwFile := filepath.Join(dir, "password")
	empty := filepath.Join(dir, "empty")
	for p, v := range map[string]string{secretFile: "file-secret\nignored\n", pwFile: "file-password\r\n", empty: "\n"} {
		if err := os.WriteFile(p, []byte(v), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	base := []string{"token", "--issuer", e.URL + "/oauth2/default", "--client-id", "0oa1", "--username", "ada"}
	env := map[string]string{"LATCHKEY_CLIENT_SECRET": "env-secret", "LATCHKEY_PASSWORD": "env-password"}
	for _, tc := range []struct {
		name         string
		env          map[string]string
		stdin        string
		args         []string
		wantSecret   string
		wantPassword string
		wantErr      string // in the error or on stderr
		wantWarning  bool
	}{
		{name: "secret file, password stdin", stdin: "stdin-password\n", args: []string{"--client-secret-file", secretFile, "--password-stdin"},
			wantSecret: "file-secret", wantPassword: "stdin-password"},
		{name: "secret stdin, password file", stdin: "stdin-secret\n", args: []string{"--client-secret-stdin", "--password-file", pwFile},
			wantSecret: "stdin-secret", wantPassword: "file-password"},
		{name: "both from the environment", env: env, wantSecret: "env-secret", wantPassword: "env-password"},
		{name: "a flag wins over the environment", env: env, args: []string{"--client-secret-file", secretFile},
			wantSecret: "file-secret", wantPassword: "env-password"},
		{name: "deprecated flag still works, with a warning", stdin: "pw\n", args: []string{"--client-secret", "old-secret", "--password-stdin"},
			wantSecret: "old-secret", wantPassword: "pw", wantWarning: true},
		{name: "both from stdin", stdin: "a\nb\n", args: []string{"--client-secret-stdin", "--password-stdin"}, wantErr: "cannot both read standard input"},
		{name: "secret twice", stdin: "pw\n", args: []string{"--client-secret-stdin", "--client-secret-file", secretFile, "--password-file", pwFile},
			wantErr: "one way only"},
		{name: "no secret", stdin: "pw\n", args: []string{"--password-stdin"}, wantErr: "client secret is required"},
		{name: "no password", args: []string{"--client-secret-file", secretFile}, wantErr: "user's password is required"},
		{name: "empty secret file", stdin: "pw\n", args: []string{"--client-secret-file", empty, "--password-stdin"}, wantErr: "empty"},
		{name: "missing secret file", stdin: "pw\n", args: []string{"--client-secret-file", filepath.Join(dir, "nope"), "--password-stdin"}, wantErr: "no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, stderr, err := runCLIEnv(tc.env, tc.stdin, append(append([]string{}, base...), tc.args...)...)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error()+stderr, tc.wantErr) {
					t.Fatalf("err %v, stderr %q; want %q", err, stderr, tc.wantErr)
				}
				return
			}
			if err != nil || !strings.Contains(out, `"access_token"`) {
				t.Fatalf("err %v\n%s%s", err, out, stderr)
			}
			if s, p := e.got(); s != tc.wantSecret || p != tc.wantPassword {
				t.Fatalf("endpoint got secret %q, password %q; want %q, %q", s, p, tc.wantSecret, tc.wantPassword)
			}
			if warned := strings.Contains(stderr, "--client-secret has been deprecated"); warned != tc.wantWarning {
				t.Fatalf("stderr %q; want a deprecation warning: %v", stderr, tc.wantWarning)
			}
		})
	}
}

// TestNoSecretFlagInHelp: --help offers no flag whose value is a secret.
func TestNoSecretFlagInHelp(t *testing.T) {
	t.Parallel()
	out, _, err := runCLIEnv(nil, "", "token", "--help")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && strings.HasPrefix(f[0], "--") && f[1] == "string" {
			name := strings.TrimPrefix(f[0], "--")
			if (strings.Contains(name, "secret") || strings.Contains(name, "password")) && !strings.HasSuffix(name, "-file") {
				t.Errorf("--help offers a secret as a flag value: %s", line)
			}
		}
	}
	if strings.Contains(out, "--client-secret string") {
		t.Error("the deprecated --client-secret is shown in --help")
	}
}
