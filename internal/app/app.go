// Package app wires Latchkey together from a Config: it opens the store,
// loads the master key, and builds every service and the HTTP handler in
// one place, with explicit dependencies and no global state. The CLI and
// the end-to-end tests both start the server through it.
package app

import (
	"context"
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/events"
	"github.com/latchkey/latchkey/internal/guard"
	"github.com/latchkey/latchkey/internal/httpapi"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/keys"
	"github.com/latchkey/latchkey/internal/metrics"
	"github.com/latchkey/latchkey/internal/mfa"
	"github.com/latchkey/latchkey/internal/mgmtapi"
	"github.com/latchkey/latchkey/internal/oauth"
	"github.com/latchkey/latchkey/internal/oidc"
	"github.com/latchkey/latchkey/internal/password"
	"github.com/latchkey/latchkey/internal/policy"
	"github.com/latchkey/latchkey/internal/provision"
	"github.com/latchkey/latchkey/internal/ratelimit"
	"github.com/latchkey/latchkey/internal/secrets"
	"github.com/latchkey/latchkey/internal/setup"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/store/cache"
	"github.com/latchkey/latchkey/internal/store/postgres"
	"github.com/latchkey/latchkey/internal/store/sqlite"
	"github.com/latchkey/latchkey/internal/tlsreload"
	"github.com/latchkey/latchkey/internal/token"
)

// App is a built server.
type App struct {
	Config    config.Config
	Logger    *slog.Logger
	Store     store.Store
	Hasher    *password.Hasher
	Keys      *keys.Manager
	Policy    *policy.Engine
	Provision *provision.Service
	OAuth     *oauth.Server
	Guard     *guard.Guard
	UserInfo  *oidc.UserInfo
	// Management is the management API (/api/v1).
	Management *mgmtapi.API
	// Events records the audit trail; RunEvents writes it to the store and
	// Close writes what is left.
	Events  *events.Recorder
	Handler http.Handler
	// Now is the clock every service was built with.
	Now func() time.Time

	// Metrics are the Prometheus metrics (package metrics); nil when
	// metrics.enabled is false.
	Metrics *metrics.Metrics

	// invalidator is the cache's invalidator when the app started it (a
	// NotifyInvalidator over PostgreSQL): Close stops it.
	invalidator io.Closer
	// unsubscribe stops the JWKS and discovery documents hearing of the
	// cache's invalidations.
	unsubscribe func()
	// publishing counts the key changes being published to the other
	// instances: Close waits for them before it closes the invalidator.
	publishing *sync.WaitGroup
}

// docsRecheck is how long the prepared JWKS and discovery documents are
// served with no change heard of: the store cache's TTL, so that a change
// no notification carries is seen within the same bound; one second when
// the cache is off.
func docsRecheck(ttl time.Duration) time.Duration {
	if ttl <= 0 {
		return time.Second
	}
	return ttl
}

func (a *App) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// Options are what a caller may inject, mostly for tests.
type Options struct {
	Logger *slog.Logger     // discards when nil
	Now    func() time.Time // time.Now when nil
	// NoMigrate opens a PostgreSQL store without applying its pending
	// migrations (serve --no-migrate): the schema must be current. A
	// SQLite file is always migrated as it opens.
	NoMigrate bool
	// Invalidator carries the store cache's invalidations. Nil: over
	// PostgreSQL, a postgres.NotifyInvalidator the app starts and Close
	// stops, so every instance and CLI command over the database hears of
	// every change; over SQLite, one Local of the app's own. Apps that
	// share a SQLite database within one process (tests) pass one shared
	// Local.
	Invalidator cache.Invalidator
}

// IsPostgres reports whether a DSN names a PostgreSQL database.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// OpenStore opens the store a DSN names: PostgreSQL for postgres:// and
// postgresql:// URLs, else a SQLite file. Pending migrations are applied
// unless noMigrate (PostgreSQL only).
func OpenStore(ctx context.Context, dsn string, noMigrate bool) (store.Store, error) {
	if IsPostgres(dsn) {
		s, err := postgres.Open(ctx, dsn, postgres.Options{NoMigrate: noMigrate})
		if err != nil {
			return nil, err
		}
		return s, nil
	}
	s, err := sqlite.Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// Migrate applies the pending migrations of the store a DSN names and
// returns the versions applied.
func Migrate(ctx context.Context, dsn string) ([]int64, error) {
	if IsPostgres(dsn) {
		return postgres.Migrate(ctx, dsn)
	}
	return sqlite.Migrate(ctx, dsn)
}

// cachedStore puts the hot-path cache (package store/cache) in front of
// the store. Every service of the app writes through it, so the app sees
// its own changes at once; changes by other processes arrive through inv
// when it reaches them (PostgreSQL's notifications) and otherwise within
// cfg.TTL: on SQLite, the CLI's writes from another process.
//
// The cache's clock is the wall clock even when the app's is injected:
// the TTL bounds how long a change stays unseen in real time, not in the
// tokens' time.
func cachedStore(inner store.Store, cfg config.Cache, inv cache.Invalidator, logger *slog.Logger) store.Store {
	return cache.New(inner, cache.Config{TTL: cfg.TTL.Duration, Invalidator: inv, Now: time.Now, Logger: logger})
}

// MasterKeyFileFor is where a master key file is looked for when none is
// configured: beside a SQLite database file, "{file}.key" (for a "file:"
// DSN, beside the file it names, without its parameters). `serve --dev`
// creates it; otherwise it is used only if it exists. PostgreSQL has none.
func MasterKeyFileFor(dsn string) string {
	if path := DatabaseFile(dsn); path != "" {
		return path + ".key"
	}
	return ""
}

// DemoFileFor is where `serve --dev` keeps the demo client's and user's
// credentials: beside a SQLite database file, "{file}.demo.json"; for a
// PostgreSQL database, latchkey-dev.demo.json in the working directory.
func DemoFileFor(dsn string) string {
	if path := DatabaseFile(dsn); path != "" {
		return path + ".demo.json"
	}
	return "latchkey-dev.demo.json"
}

// MasterKey returns the master key the config names: LATCHKEY_MASTER_KEY,
// else the key file, else "{db}.key" beside a SQLite database if it exists.
func MasterKey(cfg config.Config) ([]byte, error) {
	if cfg.MasterKey != "" {
		return keys.ParseMasterKey(cfg.MasterKey)
	}
	if cfg.MasterKeyFile != "" {
		return keys.LoadMasterKeyFile(cfg.MasterKeyFile)
	}
	if f := MasterKeyFileFor(cfg.DB); f != "" {
		if _, err := os.Stat(f); err == nil {
			return keys.LoadMasterKeyFile(f)
		}
	}
	return nil, errors.New("app: no master key: set master_key_file, LATCHKEY_MASTER_KEY_FILE or LATCHKEY_MASTER_KEY " +
		"(create a key file with: latchkey keys init-master --file PATH)")
}

// Open builds the whole server from a validated config. The caller closes it.
func Open(ctx context.Context, cfg config.Config, opts Options) (*App, error) {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	mk, err := MasterKey(cfg)
	if err != nil {
		return nil, err
	}
	inner, err := OpenStore(ctx, cfg.DB, opts.NoMigrate)
	if err != nil {
		return nil, err
	}
	m := newMetrics(cfg)
	if m != nil {
		// Below the cache: the metrics time the database, not cache hits.
		inner = m.Store(inner)
	}
	inv, owned, err := invalidator(ctx, cfg.DB, opts.Invalidator, logger)
	if err != nil {
		inner.Close()
		return nil, err
	}
	if inv == nil {
		inv = cache.NewLocal()
	}
	st := cachedStore(inner, cfg.Cache, inv, logger)
	var a *App
	fail := func(err error) (*App, error) {
		if a != nil && a.unsubscribe != nil {
			a.unsubscribe()
		}
		st.Close()
		if owned != nil {
			owned.Close()
		}
		return nil, err
	}
	a, err = build(cfg, st, mk, logger, now, m, inv)
	if err != nil {
		return fail(err)
	}
	a.invalidator = owned
	if err := proveMasterKey(ctx, st, a.Keys, mk, masterKeySource(cfg)); err != nil {
		return fail(err)
	}
	return a, nil
}

// invalidator is the cache's invalidator: given's if not nil; else over
// PostgreSQL a NotifyInvalidator, which the caller owns (closes), started
// for the app's lifetime rather than ctx's; else nil (Open makes a
// Local).
func invalidator(ctx context.Context, dsn string, given cache.Invalidator, logger *slog.Logger) (cache.Invalidator, io.Closer, error) {
	if given != nil || !IsPostgres(dsn) {
		return given, nil, nil
	}
	n, err := postgres.StartNotifyInvalidator(context.WithoutCancel(ctx), dsn, postgres.NotifyOptions{Logger: logger})
	if err != nil {
		return nil, nil, err
	}
	return n, n, nil
}

func build(cfg config.Config, st store.Store, masterKey []byte, logger *slog.Logger, now func() time.Time, m *metrics.Metrics, inv cache.Invalidator) (*App, error) {
	sealer, err := keys.NewSealer(masterKey)
	if err != nil {
		return nil, err
	}
	sec, err := secrets.NewHasher(masterKey)
	if err != nil {
		return nil, err
	}
	p := cfg.Password
	hasher, err := password.New(password.Config{
		Params:  password.Params{MemoryKiB: p.MemoryKiB, Iterations: p.Iterations, Parallelism: p.Parallelism, SaltLen: 16, KeyLen: 32},
		Workers: p.Workers, Queue: p.Queue, ClientQueue: p.ClientQueue, SourceQueue: p.SourceQueue,
		// A CLI command that checks no password never pays for the dummy
		// hash; Serve and ServeTLS warm the hasher before they listen.
		Lazy: true,
	})
	if err != nil {
		return nil, err
	}
	// The JWKS and discovery documents are encoded once per change: a
	// change of keys made here drops them at once and is published, so
	// that every other instance over the database drops its own; any
	// change the cache hears of (authorization servers, scopes…) drops
	// them too (docs, subscribed below).
	// The publication (a round trip to PostgreSQL) runs on its own, so
	// that the change returns at once; Close waits for it.
	docs := &oidc.Handlers{}
	publishing := &sync.WaitGroup{}
	km := keys.NewManager(keys.Config{Store: st, Sealer: sealer, Now: now,
		Changed: func(ctx context.Context, _ string) {
			docs.Invalidate()
			ctx = context.WithoutCancel(ctx)
			publishing.Go(func() {
				ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
				defer cancel()
				if err := inv.Publish(ctx, oidc.InvalidationKind); err != nil {
					logger.Warn("signing keys changed; other instances serve the new JWKS within cache.ttl",
						"ttl", cfg.Cache.TTL.Duration, "err", err)
				}
			})
		}})
	pwPolicy := cfg.PasswordPolicy
	pol := &policy.Engine{Store: st, BaseURL: cfg.BaseURL,
		Lifetimes: policy.Lifetimes{Access: cfg.Tokens.AccessTokenLifetime.Duration, ID: cfg.Tokens.IDTokenLifetime.Duration}}
	orgID, err := orgID(masterKey)
	if err != nil {
		return nil, err
	}
	minter := &token.Minter{Keys: km, Now: now, IDP: orgID}
	rec := events.NewRecorder(events.RecorderConfig{Store: st, Logger: logger, Now: now, Observer: eventObserver(m)})
	oa := &oauth.Server{Store: st, Policy: pol, Hasher: hasher, Secrets: sec, Minter: minter, Logger: logger, Now: now, Realm: "Latchkey",
		Sealer: sealer, ClientJWKS: oauth.NewRemoteJWKS(oauth.RemoteJWKSConfig{Now: now, AllowInsecure: cfg.Clients.AllowInsecureJWKSURI}), Events: rec,
		MFA:         &mfa.Verifier{Store: st, Sealer: sealer, Secrets: sec, Now: now},
		MFALimit:    ratelimit.Limit{Requests: cfg.LoginProtection.RateLimits.MFA.Requests, Window: cfg.LoginProtection.RateLimits.MFA.Window.Duration},
		RateLimited: rateLimitHook(m)}
	g, err := newGuard(cfg.LoginProtection, st, hasher, rec, logger, now, rateLimitHook(m))
	if err != nil {
		return nil, err
	}
	oa.Guard = g
	oi := docs
	oi.Policy, oi.Keys, oi.Logger, oi.JWKSMaxAge = pol, km, logger, cfg.Tokens.JWKSMaxAge.Duration
	oi.Recheck = docsRecheck(cfg.Cache.TTL.Duration)
	check, err := keyCheckValue(masterKey)
	if err != nil {
		return nil, err
	}
	readiness := []httpapi.Check{
		{Name: CheckStore, Run: st.Ping},
		{Name: CheckMasterKey, Run: func(ctx context.Context) error { return checkMasterKey(ctx, st, check) }},
		{Name: CheckSigningKeys, Run: func(ctx context.Context) error { return checkSigningKeys(ctx, st, km) }},
	}
	verifier := &token.Verifier{Keys: km, Now: now}
	lc := &oauth.Lifecycle{Server: oa, Verifier: verifier}
	ui := &oidc.UserInfo{Policy: pol, Store: st, Verifier: verifier, Logger: logger, Realm: oa.Realm,
		Claims: func(ctx context.Context, srv policy.Server, user store.User, clientID string, scopes []string) (map[string]any, error) {
			// The OIDC profile and email claims, then the server's custom
			// identity claims; a custom claim never replaces a standard one.
			out, err := pol.IdentityClaims(ctx, srv, user, clientID, scopes)
			if err != nil {
				return nil, err
			}
			if out == nil {
				out = map[string]any{}
			}
			for k, v := range token.ProfileClaims(&user, scopes) {
				out[k] = v
			}
			return out, nil
		}}
	prov := &provision.Service{Store: st, Hasher: hasher, Secrets: sec, Keys: km, Sealer: sealer, Now: now,
		PasswordPolicy: &pwPolicy, Events: rec, AllowInsecureJWKSURI: cfg.Clients.AllowInsecureJWKSURI}
	mgmt := mgmtapi.New(mgmtapi.Config{Store: st, Provision: prov, Policy: pol, Keys: km, Lifecycle: lc, Secrets: sec, Events: rec,
		BaseURL: cfg.BaseURL, Logger: logger, Now: now,
		RateLimit: ratelimit.Limit{Requests: cfg.ManagementAPI.RateLimit.Requests, Window: cfg.ManagementAPI.RateLimit.Window.Duration}})
	if m != nil {
		m.HashPool(hasher.Stats)
		m.AuditEvents(rec.Dropped, rec.Failed)
	}
	return &App{
		unsubscribe: inv.Subscribe(func(string) { oi.Invalidate() }),
		publishing:  publishing,
		Config:      cfg, Logger: logger, Store: st, Hasher: hasher, Keys: km, Policy: pol, Now: now,
		Metrics:    m,
		Provision:  prov,
		OAuth:      oa,
		Guard:      g,
		Events:     rec,
		UserInfo:   ui,
		Management: mgmt,
		Handler: httpapi.New(httpapi.Deps{OAuth: oa, Lifecycle: lc, OIDC: oi, UserInfo: ui, Readiness: readiness, Logger: logger,
			TrustedOrigins: cfg.CORS.TrustedOrigins, Management: mgmt,
			Requests: requestObserver(m), Metrics: mainMetricsHandler(m, cfg)}),
	}, nil
}

// newGuard builds the login guard from the configuration.
func newGuard(lp config.LoginProtection, st store.Store, hasher *password.Hasher, sink events.Sink, logger *slog.Logger, now func() time.Time,
	rateLimited func(string)) (*guard.Guard, error) {
	proxies, err := guard.ParsePrefixes(lp.TrustedProxies)
	if err != nil {
		return nil, fmt.Errorf("app: login_protection.trusted_proxies: %w", err)
	}
	limit := func(rl config.RateLimit) ratelimit.Limit {
		return ratelimit.Limit{Requests: rl.Requests, Window: rl.Window.Duration}
	}
	cfg := guard.Config{
		MaxAttempts:    lp.Lockout.MaxAttempts,
		AutoUnlock:     time.Duration(lp.Lockout.AutoUnlockMinutes) * time.Minute,
		KnownSourceFor: lp.Lockout.KnownSourceFor.Duration,
		Username:       limit(lp.RateLimits.Username),
		Client:         limit(lp.RateLimits.Client),
		Source:         limit(lp.RateLimits.Source),
		Sources:        guard.Sources{TrustedProxies: proxies},
		TrustedClients: lp.TrustedClients,
	}
	return guard.New(cfg, guard.Deps{Store: st, Delay: hasher, Events: sink, Logger: logger, Now: now, RateLimited: rateLimited}), nil
}

// orgID derives the deployment's org id ("00o…", the idp claim) from the
// master key, so every instance of a deployment agrees without storing it.
func orgID(masterKey []byte) (string, error) {
	b, err := hkdf.Key(sha256.New, masterKey, nil, "latchkey org id v1", ids.Length-len(ids.Org))
	if err != nil {
		return "", err
	}
	return ids.Derived(ids.Org, b), nil
}

// eventsCloseTimeout bounds how long Close waits to write the last events.
const eventsCloseTimeout = 10 * time.Second

// Close writes the events still queued, then releases the store and stops
// the cache's invalidator if the app started it. Call it
// after the HTTP server has stopped, so that no event is lost on a clean
// stop.
func (a *App) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), eventsCloseTimeout)
	defer cancel()
	err := a.Events.Close(ctx)
	if err != nil {
		err = fmt.Errorf("app: write the last audit events: %w", err)
	}
	if a.unsubscribe != nil {
		a.unsubscribe()
	}
	if a.publishing != nil {
		a.publishing.Wait()
	}
	err = errors.Join(err, a.Store.Close())
	if a.invalidator != nil {
		err = errors.Join(err, a.invalidator.Close())
	}
	return err
}

// RunEvents writes recorded events to the store until ctx is done (Close
// writes what is left).
func (a *App) RunEvents(ctx context.Context) { a.Events.Run(ctx) }

// Bootstrap makes sure the defaults exist (the Everyone group, the org and
// default authorization servers with their keys and the default policy)
// and applies the configuration's setup section. It returns what the setup
// changed.
func (a *App) Bootstrap(ctx context.Context) (setup.Report, error) {
	if err := a.Provision.EnsureDefaults(ctx); err != nil {
		return nil, err
	}
	rep, err := setup.Apply(ctx, a.Provision, a.Config.Setup)
	if err != nil {
		return rep, fmt.Errorf("app: apply the config's setup: %w", err)
	}
	return rep, nil
}

// Serve serves HTTP on ln until ctx is done, then shuts down gracefully,
// waiting at most shutdownTimeout for requests in flight.
func (a *App) Serve(ctx context.Context, ln net.Listener, shutdownTimeout time.Duration) error {
	if err := a.Hasher.Warm(); err != nil {
		return err
	}
	srv := a.httpServer(a.Handler)
	return serveUntilDone(ctx, srv, shutdownTimeout, func() error { return srv.Serve(ln) })
}

// ServeTLS is Serve over TLS (1.2 at least) with the pair certs serves,
// which its Reload may replace at any time. Every answer carries
// Strict-Transport-Security unless tls.hsts_max_age is 0.
func (a *App) ServeTLS(ctx context.Context, ln net.Listener, certs *tlsreload.Reloader, shutdownTimeout time.Duration) error {
	if err := a.Hasher.Warm(); err != nil {
		return err
	}
	srv := a.httpServer(hsts(a.Handler, a.Config.TLS.HSTSMaxAge.Duration))
	srv.TLSConfig = certs.Config()
	return serveUntilDone(ctx, srv, shutdownTimeout, func() error { return srv.ServeTLS(ln, "", "") })
}

// LoadTLS loads the configured certificate pair: nil when TLS is off, an
// error unless both files are readable and the key matches. Reload-time
// warnings go to the app's logger.
func (a *App) LoadTLS() (*tlsreload.Reloader, error) {
	if !a.Config.TLS.Enabled() {
		return nil, nil
	}
	return tlsreload.New(a.Config.TLS.CertFile, a.Config.TLS.KeyFile, a.Logger)
}

func (a *App) httpServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          slog.NewLogLogger(a.Logger.Handler(), slog.LevelWarn),
	}
}

// serveUntilDone runs serve until it fails or ctx is done, then shuts srv
// down gracefully.
func serveUntilDone(ctx context.Context, srv *http.Server, shutdownTimeout time.Duration, serve func() error) error {
	errc := make(chan error, 1)
	go func() { errc <- serve() }()
	select {
	case err := <-errc:
		return fmt.Errorf("app: serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("app: shutdown: %w", err)
	}
	return nil
}

// hsts adds Strict-Transport-Security to every answer (RFC 6797 section
// 6.1); a maxAge of 0 adds nothing.
func hsts(h http.Handler, maxAge time.Duration) http.Handler {
	if maxAge <= 0 {
		return h
	}
	value := "max-age=" + strconv.FormatInt(int64(maxAge/time.Second), 10)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Strict-Transport-Security", value)
		h.ServeHTTP(w, r)
	})
}
