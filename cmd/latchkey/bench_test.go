package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/app"
	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/keys"
	"github.com/latchkey/latchkey/internal/provision"
)

// benchTarget is a real Latchkey serving over HTTP on loopback, with a
// client allowed the three grants, a custom scope "jobs", four users in
// files and one more.
type benchTarget struct {
	tokenURL, clientID, secretFile, usersTxt, usersCSV, passwordFile string
}

func newBenchTarget(t *testing.T) benchTarget {
	t.Helper()
	dir := t.TempDir()
	cfg := config.Default()
	cfg.DB = filepath.Join(dir, "latchkey.db")
	cfg.MasterKeyFile = filepath.Join(dir, "master.key")
	if _, err := keys.CreateMasterKeyFile(cfg.MasterKeyFile); err != nil {
		t.Fatal(err)
	}
	cfg.Password.MemoryKiB, cfg.Password.Iterations = 64, 1 // cheap hashing: the algorithm is the same
	cfg.LoginProtection.RateLimits.Source.Requests = 0      // every request comes from 127.0.0.1
	srv := httptest.NewUnstartedServer(nil)
	cfg.BaseURL = "http://" + srv.Listener.Addr().String()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	a, err := app.Open(ctx, cfg, app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Bootstrap(ctx); err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = a.Handler
	srv.Start()
	t.Cleanup(func() { srv.Close(); a.Close() })

	if _, err := a.Provision.PutScope(ctx, provision.ScopeInput{AuthServerID: "default", Name: "jobs"}); err != nil {
		t.Fatal(err)
	}
	c, secret, err := a.Provision.CreateClient(ctx, provision.ClientInput{Name: "bench", GrantTypes: []string{"password", "refresh_token", "client_credentials"}})
	if err != nil {
		t.Fatal(err)
	}
	tg := benchTarget{tokenURL: srv.URL + "/oauth2/default/v1/token", clientID: c.ID, secretFile: filepath.Join(dir, "secret"),
		usersTxt: filepath.Join(dir, "users.txt"), usersCSV: filepath.Join(dir, "users.csv"), passwordFile: filepath.Join(dir, "password")}
	txt, csv := "# bench users\n", "username,password\n"
	for i := range 4 {
		login, pw := fmt.Sprintf("user%d@example.com", i), fmt.Sprintf("pass:word,%d long enough", i)
		if _, err := a.Provision.CreateUser(ctx, provision.UserInput{Login: login, Email: login, FirstName: "U", LastName: "Ser", Password: pw}); err != nil {
			t.Fatal(err)
		}
		txt += login + ":" + pw + "\n"
		csv += login + `,"` + pw + `"` + "\n"
	}
	// A user of its own for the one-user case: the per-user rate limit is on.
	if _, err := a.Provision.CreateUser(ctx, provision.UserInput{Login: "solo@example.com", Email: "solo@example.com", FirstName: "S", LastName: "Olo", Password: "lone rider:42x"}); err != nil {
		t.Fatal(err)
	}
	for p, body := range map[string]string{tg.secretFile: secret + "\n", tg.usersTxt: txt, tg.usersCSV: csv, tg.passwordFile: "lone rider:42x\n"} {
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return tg
}

// TestBenchAgainstLatchkey runs latchkey bench against a real Latchkey for
// each grant: every request is answered 200 and the JSON result carries
// every documented field.
func TestBenchAgainstLatchkey(t *testing.T) {
	t.Parallel()
	tg := newBenchTarget(t)
	base := []string{"bench", "--token-url", tg.tokenURL, "--client-id", tg.clientID, "--client-secret-file", tg.secretFile, "--json", "-c", "2"}
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"password, users file", []string{"--users-file", tg.usersTxt, "-n", "8"}},
		{"password, one user, open loop", []string{"--username", "solo@example.com", "--password-file", tg.passwordFile, "-n", "3", "--rate", "20"}},
		{"client_credentials", []string{"--grant", "client_credentials", "--scope", "jobs", "-n", "8"}},
		{"refresh_token, CSV users", []string{"--grant", "refresh_token", "--users-file", tg.usersCSV, "-n", "8", "--client-auth", "basic"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			stdout, stderr, err := runCLIEnv(nil, "", append(append([]string{}, base...), tc.args...)...)
			if err != nil {
				t.Fatalf("latchkey bench: %v\n%s", err, stderr)
			}
			var res map[string]any
			if err := json.Unmarshal([]byte(stdout), &res); err != nil {
				t.Fatalf("not JSON: %v\n%s", err, stdout)
			}
			for _, k := range []string{"token_url", "grant", "mode", "concurrency", "target_rate", "requests", "succeeded", "duration_seconds",
				"requests_per_second", "succeeded_per_second", "latency_ms", "status", "errors", "late", "unsent", "warmup_seconds",
				"warmup_requests", "interrupted"} {
				if _, ok := res[k]; !ok {
					t.Errorf("no %q in %s", k, stdout)
				}
			}
			lat, _ := res["latency_ms"].(map[string]any)
			for _, k := range []string{"samples", "exact", "min", "mean", "p50", "p90", "p99", "max"} {
				if _, ok := lat[k]; !ok {
					t.Errorf("no latency_ms.%s in %s", k, stdout)
				}
			}
			n := res["requests"].(float64)
			status, _ := res["status"].(map[string]any)
			if n < 3 || res["succeeded"] != n || len(status) != 1 || status["200"] != n || len(res["errors"].(map[string]any)) != 0 ||
				lat["samples"] != n || lat["max"].(float64) <= 0 || res["requests_per_second"].(float64) <= 0 {
				t.Fatalf("not every request answered 200:\n%s", stdout)
			}
		})
	}
}

// TestBenchGet: --get sends plain GET requests to the one address, here
// Latchkey's JWKS, with the headers given.
func TestBenchGet(t *testing.T) {
	t.Parallel()
	tg := newBenchTarget(t)
	keys := strings.TrimSuffix(tg.tokenURL, "/token") + "/keys"
	stdout, stderr, err := runCLIEnv(nil, "", "bench", "--get", keys, "-n", "6", "-c", "2", "--header", "X-Bench: 1", "--json")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	var res struct {
		GetURL    string           `json:"get_url"`
		TokenURL  string           `json:"token_url"`
		Grant     string           `json:"grant"`
		Requests  int64            `json:"requests"`
		Succeeded int64            `json:"succeeded"`
		Status    map[string]int64 `json:"status"`
	}
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, stdout)
	}
	if res.GetURL != keys || res.TokenURL != "" || res.Grant != "" || res.Requests != 6 || res.Succeeded != 6 || res.Status["200"] != 6 {
		t.Fatalf("result:\n%s", stdout)
	}
	stdout, stderr, err = runCLIEnv(nil, "", "bench", "--get", keys, "-n", "2", "-c", "1")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if !strings.HasPrefix(stdout, "GET, closed loop, 1 workers: "+keys+"\n") || !strings.Contains(stdout, "\nstatus     200: 2\n") {
		t.Errorf("text result:\n%s", stdout)
	}
}

// TestBenchTextOutput: without --json the result is for a person.
func TestBenchTextOutput(t *testing.T) {
	t.Parallel()
	tg := newBenchTarget(t)
	stdout, stderr, err := runCLIEnv(map[string]string{"LATCHKEY_CLIENT_SECRET": strings.TrimSpace(mustRead(t, tg.secretFile))}, "",
		"bench", "--token-url", tg.tokenURL, "--client-id", tg.clientID, "--grant", "client_credentials", "--scope", "jobs",
		"-n", "5", "-c", "1", "--progress")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	for _, want := range []string{"client_credentials grant, closed loop, 1 workers: " + tg.tokenURL + "\n", "\nrequests   5 in ", "(5 succeeded, ",
		"\nlatency    p50 ", "\nstatus     200: 5\n"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("no %q in:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "errors") || strings.Contains(stdout, "schedule") {
		t.Errorf("lines for nothing:\n%s", stdout)
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestBenchRefusesWhatCannotRun: a command line that cannot run ends with
// status 2 and says why, before any request is sent.
func TestBenchRefusesWhatCannotRun(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	users := filepath.Join(dir, "users.txt")
	if err := os.WriteFile(users, []byte("ada:pw\nbob\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	url := "http://127.0.0.1:9/oauth2/default/v1/token" // the discard port: nothing should be sent anyway
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no bound", []string{"--token-url", url, "--username", "ada", "--password", "pw"},
			"latchkey bench: the run has no bound: give a duration (-d/--duration) or a request count (-n/--requests), or both"},
		{"no token url", []string{"-n", "5"}, "latchkey bench: --token-url (or --get) is required"},
		{"get and token url", []string{"--token-url", url, "--get", url, "-n", "5"}, "give --token-url or --get, not both"},
		{"get with a grant", []string{"--get", url, "-n", "5", "--grant", "password"}, "a --get run sends plain GET requests"},
		{"get with a client", []string{"--get", url, "-n", "5", "--client-id", "x"}, "a --get run sends plain GET requests"},
		{"header without a colon", []string{"--get", url, "-n", "5", "--header", "If-None-Match"}, `--header "If-None-Match": want "Name: value"`},
		{"header with a bad name", []string{"--get", url, "-n", "5", "--header", "If None: x"}, `--header "If None: x": want "Name: value"`},
		{"header on a token run", []string{"--token-url", url, "-n", "5", "--header", "X: y", "--username", "a", "--password", "p"}, "--header is for --get runs"},
		{"unknown flag", []string{"--token-url", url, "-n", "5", "--bogus"}, "latchkey bench: unknown flag: --bogus"},
		{"an argument", []string{"--token-url", url, "-n", "5", "extra"}, `latchkey bench: bench takes no arguments, got "extra"`},
		{"unknown grant", []string{"--token-url", url, "-n", "5", "--grant", "implicit"}, `--grant "implicit": want password, client_credentials or refresh_token`},
		{"unknown client auth", []string{"--token-url", url, "-n", "5", "--client-auth", "jwt", "--username", "a", "--password", "p"}, `--client-auth "jwt": want basic or post`},
		{"bad users file", []string{"--token-url", url, "-n", "5", "--users-file", users}, "--users-file: " + users + ": line 2: want username:password"},
		{"users twice", []string{"--token-url", url, "-n", "5", "--users-file", users, "--username", "ada"}, "not both"},
		{"password without a user", []string{"--token-url", url, "-n", "5", "--password", "pw"}, "a password was given without --username"},
		{"zero concurrency", []string{"--token-url", url, "-n", "5", "-c", "0", "--username", "a", "--password", "p"}, "--concurrency 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, stderr := runMain(t, dir, nil, append([]string{"bench"}, tc.args...)...)
			if code != 2 || !strings.Contains(stderr, tc.want) {
				t.Errorf("latchkey bench %s: exit %d, stderr:\n%s\nwant exit 2 and:\n%s", strings.Join(tc.args, " "), code, stderr, tc.want)
			}
		})
	}
}
