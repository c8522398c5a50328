package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/latchkey/latchkey/internal/app"
	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/keys"
)

// devDB is the database `serve --dev` uses unless --db or LATCHKEY_DB says otherwise.
const devDB = "latchkey-dev.db"

func newServeCmd(g *globals) *cobra.Command {
	var (
		dev, noMigrate               bool
		addr, baseURL, masterKeyFile string
		logLevel, logFormat          string
		tlsCert, tlsKey              string
		pprofAddr                    string
	)
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the authorization server",
		Long: `Run the authorization server.

With --dev, Latchkey uses ./latchkey-dev.db (unless --db or LATCHKEY_DB is
set), creates a master key file beside it (latchkey-dev.db.key), the default
and org authorization servers with their signing keys, a demo client allowed
the password and refresh token grants, and a demo user, and prints their
credentials and a curl command that gets a token. A restart keeps everything.

Every start creates what is missing of the defaults (the Everyone group, the
org and default authorization servers, their keys, the default access
policy) and applies the config file's setup: section. While serving, each
instance rotates signing keys that are due, deletes expired tokens, stale
failed-login counts and audit events past events.retention, and writes the
audit trail of logins, lockouts, rate-limit refusals, token grants, refresh
token reuse and revocations to the store (latchkey events list).

Password logins are protected as the config's login_protection: section
says (docs/security.md): a lockout after 10 failures for 60 minutes, rate
limits per username (4/s), client and source with X-Rate-Limit-* headers,
and fair turns per client and source in the hashing pool.

With --db postgres://… (or LATCHKEY_DB, or db: in the config), Latchkey
runs on PostgreSQL, and any number of instances may share the database
(docs/deploy.md). Pending schema migrations are applied at start, under an
advisory lock so that instances starting at once take turns; --no-migrate
leaves the schema alone and refuses to start if it is behind.

Without --dev, a master key must be configured (master_key_file,
LATCHKEY_MASTER_KEY_FILE, LATCHKEY_MASTER_KEY, or an existing {db}.key).
A SQLite file that does not exist is created on the first start only when
the master key is configured so (master_key_file or LATCHKEY_MASTER_KEY);
otherwise serve refuses it ("database not found"), so that a misspelt --db
does not start an empty deployment. serve --dev creates {db}.key for a new
database only: it never generates a key for a database that exists.

Listening off loopback (e.g. --addr 0.0.0.0:8080) needs base_url: tokens
carry the issuer built from it, and the default built from the listen
address is no URL a client can reach.

With --tls-cert and --tls-key (or the config's tls: section) Latchkey serves
HTTPS, TLS 1.2 at least, with Strict-Transport-Security on every answer
(tls.hsts_max_age), and base_url defaults to https://{addr}. The pair must
be readable and match at start. On SIGHUP it is read again and serves new
connections; open ones carry on, and a pair that fails to load leaves the
old one in place with a warning in the log (docs/tls.md).

Prometheus metrics are served at /metrics on the main listener, or alone on
metrics.addr (e.g. 127.0.0.1:9090) when the config sets it; metrics.enabled
false turns them off. The log has a start line (version, commit, store,
base URL, listen addresses), one line per request (route, status,
duration_ms, and for a refusal the error code and the reason) and a line at
shutdown (reason, shutdown_ms). docs/operations.md lists the metrics and
the log fields.

With --pprof-addr (config pprof_addr) the profiles of Go's net/http/pprof
are served at /debug/pprof/ on a listener of their own, never on the main
one. Only a loopback address is accepted (127.0.0.0/8, ::1, localhost):
profiles show the process's memory and internals.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			f := cmd.Flags()
			if f.Changed("addr") {
				cfg.Addr = addr
			}
			if f.Changed("base-url") {
				cfg.BaseURL = baseURL
			}
			if f.Changed("master-key-file") {
				cfg.MasterKeyFile = masterKeyFile
			}
			if f.Changed("log-level") {
				cfg.Log.Level = logLevel
			}
			if f.Changed("log-format") {
				cfg.Log.Format = logFormat
			}
			if f.Changed("tls-cert") {
				cfg.TLS.CertFile = tlsCert
			}
			if f.Changed("tls-key") {
				cfg.TLS.KeyFile = tlsKey
			}
			if f.Changed("pprof-addr") {
				cfg.PprofAddr = pprofAddr
			}
			if dev && g.db == "" && g.getenv("LATCHKEY_DB") == "" && cfg.DB == config.Default().DB {
				cfg.DB = devDB
			}
			if err := app.CheckBaseURL(cfg.Addr, cfg.BaseURL); err != nil {
				return err
			}
			if err := cfg.Validate(); err != nil {
				return err
			}
			if err := prepareServeStore(cfg, dev); err != nil {
				return err
			}
			return runServe(cmd, cfg, dev, noMigrate)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&dev, "dev", false, "development mode: local database, generated master key, demo client and user")
	f.BoolVar(&noMigrate, "no-migrate", false, "do not apply pending schema migrations at start (PostgreSQL: run latchkey migrate first)")
	f.StringVar(&addr, "addr", "", "listen address (default 127.0.0.1:8080; LATCHKEY_ADDR)")
	f.StringVar(&baseURL, "base-url", "", "public base URL issuers are built from, e.g. https://auth.example.com (default http://{addr}, https://{addr} with TLS; LATCHKEY_BASE_URL)")
	f.StringVar(&masterKeyFile, "master-key-file", "", "file holding the base64 master key (LATCHKEY_MASTER_KEY_FILE)")
	f.StringVar(&logLevel, "log-level", "", "debug, info, warn or error (default info; LATCHKEY_LOG_LEVEL)")
	f.StringVar(&logFormat, "log-format", "", "text or json (default text; LATCHKEY_LOG_FORMAT)")
	f.StringVar(&tlsCert, "tls-cert", "", "serve HTTPS with this PEM certificate (and chain) file; needs --tls-key; reloaded on SIGHUP (LATCHKEY_TLS_CERT_FILE)")
	f.StringVar(&tlsKey, "tls-key", "", "PEM private key file of --tls-cert; reloaded on SIGHUP (LATCHKEY_TLS_KEY_FILE)")
	f.StringVar(&pprofAddr, "pprof-addr", "", "serve net/http/pprof's profiles at /debug/pprof/ on this loopback address only, e.g. 127.0.0.1:6060 (default off; config pprof_addr)")
	return cmd
}

// prepareServeStore decides whether serve may open the configured store.
// An existing database is opened with the master key configured for it
// (or {db}.key beside it); serve never generates a key for it. A new
// SQLite file is created only under --dev (with a new {db}.key unless a
// key is configured) or with a master key configured explicitly, which is
// how an operator starts a new production deployment.
func prepareServeStore(cfg config.Config, dev bool) error {
	exists, err := app.DatabaseExists(cfg.DB)
	if err != nil {
		return err
	}
	configured := cfg.MasterKey != "" || cfg.MasterKeyFile != ""
	path, keyFile := app.DatabaseFile(cfg.DB), app.MasterKeyFileFor(cfg.DB)
	switch {
	case exists && configured, exists && !dev:
		return nil // app.Open finds the key or says there is none
	case exists: // --dev on an existing database without a configured key
		if keyFile == "" {
			return nil
		}
		if _, err := os.Stat(keyFile); errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("database %s exists but its master key %s does not: serve --dev generates a master key "+
				"only for a new database; set master_key_file or LATCHKEY_MASTER_KEY to the key it was set up with", path, keyFile)
		}
		return nil
	case configured:
		return nil // a new deployment with its own key
	case !dev:
		return fmt.Errorf("%w: %s (serve creates a new database only when master_key_file or LATCHKEY_MASTER_KEY is set; "+
			"create a key with: latchkey keys init-master --file PATH)", app.ErrDatabaseNotFound, path)
	case keyFile != "":
		if _, err := keys.CreateMasterKeyFile(keyFile); err != nil {
			return fmt.Errorf("create dev master key: %w", err)
		}
	}
	return nil
}

func runServe(cmd *cobra.Command, cfg config.Config, dev, noMigrate bool) (err error) {
	ctx := cmd.Context()
	logger := newLogger(cmd.ErrOrStderr(), cfg)
	if procs, set := app.ServingProcs(cfg, os.Getenv); set {
		runtime.GOMAXPROCS(procs)
		logger.Debug("GOMAXPROCS set above the hashing pool's workers", "gomaxprocs", procs)
	}
	if stopGC, started := app.TuneGC(cfg, os.Getenv); started {
		defer stopGC()
		logger.Debug("garbage collector paced toward a heap target", "target_mib", app.GCTarget(cfg)>>20)
	}
	a, err := app.Open(ctx, cfg, app.Options{Logger: logger, NoMigrate: noMigrate})
	if err != nil {
		return err
	}
	stopping := newStopClock(ctx)
	serving := false
	defer func() {
		if serving { // after a.Close: the shutdown includes the last events' write
			stopping.logStopped(logger, err)
		}
	}()
	defer a.Close()
	rep, err := a.Bootstrap(ctx)
	if err != nil {
		return err
	}
	for _, line := range rep {
		logger.Info("setup: " + line)
	}
	// The pair is checked before listening: a bad one ends serve at once.
	certs, err := a.LoadTLS()
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	metricsAddr, err := serveMetrics(ctx, a, ln, logger)
	if err != nil {
		ln.Close()
		return err
	}
	if err := servePprof(ctx, a, logger); err != nil {
		ln.Close()
		return err
	}
	logStarted(logger, cfg, ln.Addr().String(), metricsAddr)
	serving = true
	if dev {
		d, err := a.EnsureDemo(ctx, app.DemoFileFor(cfg.DB))
		if err != nil {
			ln.Close()
			return fmt.Errorf("dev demo: %w", err)
		}
		printDemo(cmd.OutOrStdout(), cfg.BaseURL, d)
	}
	go a.RunKeyRotation(ctx)
	go a.RunHousekeeping(ctx)
	go a.RunEvents(ctx) // a.Close, deferred, writes the events left when serving stops
	if certs != nil {
		certs.ReloadOn(ctx, syscall.SIGHUP)
		return a.ServeTLS(ctx, ln, certs, 15*time.Second)
	}
	return a.Serve(ctx, ln, 15*time.Second)
}

// serveMetrics starts /metrics on metrics.addr when configured and returns
// where /metrics is served: ln's address when on the main listener, ""
// when metrics are off.
func serveMetrics(ctx context.Context, a *app.App, ln net.Listener, logger *slog.Logger) (string, error) {
	if a.Metrics == nil {
		return "", nil
	}
	if a.Config.Metrics.Addr == "" {
		return ln.Addr().String(), nil
	}
	mln, err := net.Listen("tcp", a.Config.Metrics.Addr)
	if err != nil {
		return "", fmt.Errorf("metrics.addr: %w", err)
	}
	go func() {
		if err := a.ServeMetrics(ctx, mln, 5*time.Second); err != nil {
			logger.Error("metrics listener", "err", err)
		}
	}()
	return mln.Addr().String(), nil
}

// servePprof starts net/http/pprof on pprof_addr (a loopback address,
// checked by config.Validate) when configured.
func servePprof(ctx context.Context, a *app.App, logger *slog.Logger) error {
	if a.Config.PprofAddr == "" {
		return nil
	}
	pln, err := net.Listen("tcp", a.Config.PprofAddr)
	if err != nil {
		return fmt.Errorf("pprof_addr: %w", err)
	}
	logger.Info("pprof listening", "pprof_addr", pln.Addr().String())
	go func() {
		if err := a.ServePprof(ctx, pln, 5*time.Second); err != nil {
			logger.Error("pprof listener", "err", err)
		}
	}()
	return nil
}

func printDemo(w io.Writer, baseURL string, d app.Demo) {
	tokenURL := baseURL + "/oauth2/default/v1/token"
	fmt.Fprintf(w, `
Latchkey is running in development mode (do not use --dev in production).

  issuer         %s/oauth2/default
  client id      %s
  client secret  %s
  username       %s
  password       %s

Get a token (the Resource Owner Password flow):

  curl --request POST \
    --url %s \
    --header 'accept: application/json' \
    --user '%s:%s' \
    --header 'content-type: application/x-www-form-urlencoded' \
    --data 'grant_type=password&username=%s&password=%s&scope=openid%%20profile%%20email'

`, baseURL, d.ClientID, d.ClientSecret, d.Username, d.Password, tokenURL, d.ClientID, d.ClientSecret,
		strings.ReplaceAll(d.Username, "@", "%40"), d.Password)
	if f, ok := w.(*os.File); ok {
		_ = f.Sync()
	}
}
