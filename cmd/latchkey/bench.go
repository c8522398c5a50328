package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/latchkey/latchkey/internal/bench"
)

// benchUsageExit is the exit status of a bench command line that cannot
// run (a missing bound, a bad flag), as Go's own tools use 2.
const benchUsageExit = 2

// benchFlags are the command line of latchkey bench.
type benchFlags struct {
	clientAuth, grant         string
	username, usersFile       string
	secret, secretFile        string
	password, passwordFile    string
	refreshToken              string
	jsonOut, progress         bool
	duration, warmup, timeout time.Duration
	requests                  int64
	rate                      float64
	concurrency               int
	insecure                  bool
	tokenURL, clientID, scope string
	getURL                    string
	headers                   []string
}

func newBenchCmd(getenv func(string) string) *cobra.Command {
	var f benchFlags
	cmd := &cobra.Command{
		Use:   "bench (--token-url URL | --get URL) (-d DURATION | -n REQUESTS) [flags]",
		Short: "Load-test an OAuth 2.0 token endpoint (Latchkey's or any other) and report throughput and latency",
		Long: `Send token requests of one grant to a token endpoint, Latchkey's or any
other OAuth 2.0 server's, and report requests per second, latency
percentiles (p50, p90, p99, max) and a count per status code and per kind of
transport error. docs/bench.md explains the output and its caveats.

A run needs a bound: -d/--duration, -n/--requests or both (whichever comes
first); without one bench refuses to start. --warmup sends load first for a
while and leaves it out of the figures.

Closed loop (default): -c workers each send a request, wait for its answer
and send the next; latency is measured from the send. Open loop (--rate N):
requests are due N times a second whatever the answers do, sent by at most
-c workers at once; latency is measured from the time each request was due,
so a slow server shows as latency rather than slowing the load down. A
request due while all -c workers are busy is "late"; with --duration, those
due that were never sent are "unsent".

Grants: password (users from --username with --password, or --users-file,
taken in turn so that per-user rate limits do not decide the figure),
client_credentials (--scope names the custom scopes) and refresh_token
(each worker first gets its own refresh token with the password grant, with
offline_access added to the scope, then sends each answer's new refresh
token; or every worker starts from --refresh-token). The client
authenticates with HTTP Basic (--client-auth basic) or in the form
(--client-auth post); a client id without a secret is sent in the form, as a
public client.

--users-file: "username:password" lines (split at the first colon; blank
lines and lines starting with # are skipped), or CSV when the file name
ends in .csv (username,password columns, an optional header row).

Secrets: the client secret from --client-secret-file, LATCHKEY_CLIENT_SECRET
or --client-secret; the password from --password-file, LATCHKEY_PASSWORD or
--password; a refresh token from LATCHKEY_REFRESH_TOKEN or --refresh-token.
A flag's value is visible to every user of the machine in the process list:
use flags for test credentials only.

--get URL sends plain GET requests to one address instead (a JWKS or a
discovery document), with any --header "Name: value" (If-None-Match, say):
no grant, client or users.

Requests go only to --token-url's (or --get's) host: redirects are not followed (a 3xx is
counted as its status) and no proxy is used. HTTP/1.1 with one keep-alive
connection per worker. A progress line goes to standard error once a second
when it is a terminal (always with --progress); the result goes to standard
output, as JSON with --json. Exit status: 0 after a run, whatever the
answers were; 2 when the command line cannot run; 1 when the refresh tokens
could not be obtained.`,
		Example: `  # the password grant, 8 workers, 10 seconds, users from a file
  LATCHKEY_CLIENT_SECRET=... latchkey bench --token-url http://127.0.0.1:8080/oauth2/default/v1/token \
      --client-id 0oa... --users-file users.txt -d 10s

  # client credentials at 500 requests a second for 30 s, after a 5 s warm-up, as JSON
  latchkey bench --token-url https://auth.example.com/oauth2/aus.../v1/token --grant client_credentials \
      --client-id 0oa... --client-secret-file secret.txt --scope jobs --rate 500 -c 64 -d 30s --warmup 5s --json

  # refresh token rotation, 1000 requests
  latchkey bench --token-url http://127.0.0.1:8080/oauth2/default/v1/token --grant refresh_token \
      --client-id 0oa... --client-secret-file secret.txt --users-file users.csv -n 1000

  # the JWKS, 64 workers for 10 s, then the same as revalidations answered 304
  latchkey bench --get http://127.0.0.1:8080/oauth2/default/v1/keys -c 64 -d 10s
  latchkey bench --get http://127.0.0.1:8080/oauth2/default/v1/keys -c 64 -d 10s --header 'If-None-Match: "…"'`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return benchUsage(cmd, fmt.Errorf("bench takes no arguments, got %q", args[0]))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.config(cmd, getenv)
			if err != nil {
				return benchUsage(cmd, err)
			}
			if err := cfg.WithDefaults().Validate(); err != nil {
				return benchUsage(cmd, err)
			}
			return runBench(cmd, cfg, f.jsonOut, f.progress)
		},
	}
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return benchUsage(c, err) })
	fl := cmd.Flags()
	fl.StringVar(&f.tokenURL, "token-url", "", "the token endpoint, e.g. http://127.0.0.1:8080/oauth2/default/v1/token (required, unless --get)")
	fl.StringVar(&f.getURL, "get", "", "instead of token requests, send plain GET requests to this address, e.g. http://127.0.0.1:8080/oauth2/default/v1/keys")
	fl.StringArrayVar(&f.headers, "header", nil, `a request header of a --get run, "Name: value" (repeatable), e.g. "If-None-Match: \"…\""`)
	fl.StringVar(&f.clientID, "client-id", "", "the client id")
	fl.StringVar(&f.secret, "client-secret", "", "the client secret (visible in the process list: prefer --client-secret-file or LATCHKEY_CLIENT_SECRET)")
	fl.StringVar(&f.secretFile, "client-secret-file", "", "read the client secret from the first line of this file")
	fl.StringVar(&f.clientAuth, "client-auth", string(bench.ClientAuthBasic), "how the client credentials are sent: basic (HTTP Basic) or post (in the form)")
	fl.StringVar(&f.grant, "grant", string(bench.GrantPassword), "the grant to send: password, client_credentials or refresh_token")
	fl.StringVar(&f.scope, "scope", "", `space-separated scopes to request (default "openid" for the password grant, the server's default scopes otherwise)`)
	fl.StringVar(&f.username, "username", "", "the one user of the password grant (with --password); --users-file gives many")
	fl.StringVar(&f.password, "password", "", "the user's password (visible in the process list: prefer --password-file or LATCHKEY_PASSWORD)")
	fl.StringVar(&f.passwordFile, "password-file", "", "read the user's password from the first line of this file")
	fl.StringVar(&f.usersFile, "users-file", "", `users taken in turn: "username:password" lines, or CSV (username,password) when the name ends in .csv`)
	fl.StringVar(&f.refreshToken, "refresh-token", "", "refresh token every worker starts from (refresh_token grant; or LATCHKEY_REFRESH_TOKEN); without it, each worker gets one with the password grant")
	fl.IntVarP(&f.concurrency, "concurrency", "c", bench.DefaultConcurrency, "workers (connections): requests in flight at most")
	fl.Float64Var(&f.rate, "rate", 0, "requests per second of an open loop, latency measured from when each is due (default 0: closed loop)")
	fl.DurationVarP(&f.duration, "duration", "d", 0, "how long to measure, e.g. 10s")
	fl.Int64VarP(&f.requests, "requests", "n", 0, "how many requests to measure")
	fl.DurationVar(&f.warmup, "warmup", 0, "load sent before the measurement and left out of the figures, e.g. 2s")
	fl.DurationVar(&f.timeout, "timeout", bench.DefaultTimeout, "one request's time limit; a request past it counts as a timeout error")
	fl.BoolVar(&f.jsonOut, "json", false, "print the result as JSON (field names in docs/bench.md)")
	fl.BoolVar(&f.progress, "progress", false, "print the progress line even when standard error is not a terminal (one line a second)")
	fl.BoolVar(&f.insecure, "insecure-skip-verify", false, "accept any TLS certificate (a test server's self-signed one); never against a server you do not control")
	return cmd
}

// benchUsage prints why the command line cannot run and ends with status 2.
func benchUsage(cmd *cobra.Command, err error) error {
	fmt.Fprintln(cmd.ErrOrStderr(), "latchkey bench:", err)
	return exitError{code: benchUsageExit}
}

// config turns the flags into a run's configuration.
func (f *benchFlags) config(cmd *cobra.Command, getenv func(string) string) (bench.Config, error) {
	fl := cmd.Flags()
	secret, err := benchSecret(fl, "client-secret", f.secret, f.secretFile, "LATCHKEY_CLIENT_SECRET", "client secret", getenv)
	if err != nil {
		return bench.Config{}, err
	}
	grant := f.grant
	if f.getURL != "" && !fl.Changed("grant") {
		grant = ""
	}
	var headers [][2]string
	for _, h := range f.headers {
		name, value, ok := strings.Cut(h, ":")
		if !ok {
			return bench.Config{}, fmt.Errorf("--header %q: want \"Name: value\"", h)
		}
		headers = append(headers, [2]string{strings.TrimSpace(name), strings.TrimSpace(value)})
	}
	cfg := bench.Config{
		GetURL: f.getURL, Headers: headers,
		TokenURL: f.tokenURL, ClientID: f.clientID, ClientSecret: secret, ClientAuth: bench.ClientAuth(f.clientAuth),
		Grant: bench.Grant(grant), Scope: f.scope, Concurrency: f.concurrency, Rate: f.rate, Duration: f.duration,
		Requests: f.requests, Warmup: f.warmup, Timeout: f.timeout, InsecureSkipVerify: f.insecure,
	}
	if fl.Changed("concurrency") && f.concurrency == 0 {
		return bench.Config{}, errors.New("--concurrency 0: want at least 1")
	}
	if fl.Changed("timeout") && f.timeout <= 0 {
		return bench.Config{}, fmt.Errorf("--timeout %v: want a positive duration", f.timeout)
	}
	cfg.RefreshToken = f.refreshToken
	if !fl.Changed("refresh-token") && cfg.Grant == bench.GrantRefreshToken && f.username == "" && f.usersFile == "" {
		cfg.RefreshToken = getenv("LATCHKEY_REFRESH_TOKEN")
	}
	switch {
	case f.usersFile != "" && (f.username != "" || fl.Changed("password") || f.passwordFile != ""):
		return bench.Config{}, errors.New("give users with --users-file or with --username and --password, not both")
	case f.usersFile != "":
		users, err := bench.ReadUsersFile(f.usersFile)
		if err != nil {
			return bench.Config{}, fmt.Errorf("--users-file: %w", err)
		}
		cfg.Users = users
	case f.username != "":
		pw, err := benchSecret(fl, "password", f.password, f.passwordFile, "LATCHKEY_PASSWORD", "password", getenv)
		if err != nil {
			return bench.Config{}, err
		}
		if pw == "" {
			return bench.Config{}, errors.New("--username needs a password: --password-file, LATCHKEY_PASSWORD or --password")
		}
		cfg.Users = []bench.User{{Username: f.username, Password: pw}}
	case fl.Changed("password") || f.passwordFile != "":
		return bench.Config{}, errors.New("a password was given without --username")
	}
	return cfg, nil
}

// benchSecret is a secret given by its flag, its -file flag or its
// environment variable; "" when none is.
func benchSecret(fl *pflag.FlagSet, flag, value, file, env, what string, getenv func(string) string) (string, error) {
	switch {
	case fl.Changed(flag) && file != "":
		return "", fmt.Errorf("give the %s with --%s or --%s-file, not both", what, flag, flag)
	case fl.Changed(flag):
		if value == "" {
			return "", fmt.Errorf("--%s is empty", flag)
		}
		return value, nil
	case file != "":
		return readSecretFile(file, what)
	}
	return getenv(env), nil
}

// runBench runs the load and prints the result.
func runBench(cmd *cobra.Command, cfg bench.Config, jsonOut, forceProgress bool) error {
	stderr := cmd.ErrOrStderr()
	tty := false
	if f, ok := stderr.(*os.File); ok {
		tty = term.IsTerminal(int(f.Fd()))
	}
	var opts bench.Options
	var printed bool
	if tty || forceProgress {
		var prev bench.Progress
		opts.Progress = func(p bench.Progress) {
			line := p.Line(prev)
			prev = p
			if tty {
				fmt.Fprint(stderr, "\r"+line+"\x1b[K")
				printed = true
			} else {
				fmt.Fprintln(stderr, line)
			}
		}
	}
	res, err := bench.Run(cmd.Context(), cfg, opts)
	if printed {
		fmt.Fprintln(stderr)
	}
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	if jsonOut {
		return writeBenchJSON(out, res)
	}
	return res.WriteText(out)
}

func writeBenchJSON(w io.Writer, res bench.Result) error {
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}
