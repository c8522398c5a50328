package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/app"
	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/provision"
	"github.com/latchkey/latchkey/internal/store/cache"
)

// BenchmarkGrants is the password, refresh and client credentials grants
// through the real handler (as BenchmarkPasswordGrant and the others), on
// SQLite and on PostgreSQL (a throwaway server on loopback, started on
// first use: pgDatabase), with the store cache on (the default TTL) and
// off (cache.ttl 0s). grant=password hashes with the harness's cheap
// argon2id (64 KiB, 1 pass); grant=password-defaulthash with the default
// config's (19 MiB, 2 passes), so the store's share of a real login shows.
// The per-username and per-source rate limits are off (as benchEnv), and
// the audit events are written as serve writes them (RunEvents).
//
// On PostgreSQL, each case then makes a few more grants through a second
// app over the same database whose connections pass through a counting
// proxy (pgCounter), and reports per grant the round trips to the
// database and the SELECT (reads/op) and INSERT, UPDATE or DELETE
// (writes/op) statements it executed. SQLite runs the same statements in
// process, so they are not counted there.
func BenchmarkGrants(b *testing.B) {
	for _, backend := range []string{"sqlite", "postgres"} {
		b.Run("backend="+backend, func(b *testing.B) {
			for _, c := range []struct {
				name string
				ttl  time.Duration
			}{{"on", cache.DefaultTTL}, {"off", 0}} {
				b.Run("cache="+c.name, func(b *testing.B) {
					for _, g := range benchGrants {
						b.Run("grant="+g.name, func(b *testing.B) {
							benchGrant(b, backend, c.ttl, g)
						})
					}
				})
			}
		})
	}
}

// benchGrantCase is one grant: setup makes what it needs in e's store (a
// client, a scope) and returns start, which readies the grant on one
// app's handler (a refresh token issued there) and returns one grant.
type benchGrantCase struct {
	name        string
	defaultHash bool
	setup       func(b *testing.B, e *env) (start func(h http.Handler) (grant func()))
}

var benchGrants = []benchGrantCase{
	{name: "password", setup: passwordGrantCase},
	{name: "password-defaulthash", defaultHash: true, setup: passwordGrantCase},
	{name: "refresh", setup: refreshGrantCase},
	{name: "client_credentials", setup: clientCredentialsCase},
}

const benchTokenPath = "/oauth2/default/v1/token"

func passwordGrantCase(b *testing.B, e *env) func(http.Handler) func() {
	body := e.passwordForm("openid profile email").Encode()
	auth := basic(e.clientID, e.clientSecret)
	return func(h http.Handler) func() {
		return func() { serveBench(b, h, benchTokenPath, body, auth) }
	}
}

func refreshGrantCase(b *testing.B, e *env) func(http.Handler) func() {
	c, secret, err := e.app.Provision.CreateClient(context.Background(),
		provision.ClientInput{Name: "bench", GrantTypes: []string{"password", "refresh_token"}})
	if err != nil {
		b.Fatal(err)
	}
	auth := basic(c.ID, secret)
	return func(h http.Handler) func() {
		var tok map[string]any
		w := serveBench(b, h, benchTokenPath, e.passwordForm("openid offline_access").Encode(), auth)
		_ = json.Unmarshal(w.Body.Bytes(), &tok)
		rt := tok["refresh_token"].(string)
		return func() {
			w := serveBench(b, h, benchTokenPath, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}.Encode(), auth)
			tok = nil
			_ = json.Unmarshal(w.Body.Bytes(), &tok)
			rt = tok["refresh_token"].(string)
		}
	}
}

func clientCredentialsCase(b *testing.B, e *env) func(http.Handler) func() {
	ctx := context.Background()
	if _, err := e.app.Provision.PutScope(ctx, provision.ScopeInput{AuthServerID: "default", Name: "jobs"}); err != nil {
		b.Fatal(err)
	}
	c, secret, err := e.app.Provision.CreateClient(ctx, provision.ClientInput{Name: "m2m", GrantTypes: []string{"client_credentials"}})
	if err != nil {
		b.Fatal(err)
	}
	auth := basic(c.ID, secret)
	return func(h http.Handler) func() {
		return func() { serveBench(b, h, benchTokenPath, "grant_type=client_credentials&scope=jobs", auth) }
	}
}

// benchGrant runs one case of BenchmarkGrants.
func benchGrant(b *testing.B, backend string, ttl time.Duration, g benchGrantCase) {
	var dsn string
	if backend == "postgres" {
		dsn = pgDatabase(b)
	}
	e := newEnvConfig(b, func(c *config.Config) {
		c.LoginProtection.RateLimits.Username.Requests = 0
		c.LoginProtection.RateLimits.Source.Requests = 0
		c.Cache.TTL = config.Duration{Duration: ttl}
		if dsn != "" {
			c.DB = dsn
		}
		if g.defaultHash {
			d := config.Default().Password
			c.Password.MemoryKiB, c.Password.Iterations, c.Password.Parallelism = d.MemoryKiB, d.Iterations, d.Parallelism
		}
	}, app.Options{}, nil)
	runCtx, stop := context.WithCancel(context.Background())
	go e.app.RunEvents(runCtx) // as serve does: the grants' audit events are written in batches
	b.Cleanup(stop)            // before the app's Close, which writes what is left
	start := g.setup(b, e)

	grant := start(e.app.Handler)
	grant() // warm: the cache, the connection pool, the prepared statements
	b.ReportAllocs()
	for b.Loop() {
		grant()
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "grants/s")
	if dsn == "" {
		return
	}

	// Count on a second app over the same database, through the proxy.
	// It does not run its events' writer: their batches (one INSERT per
	// 200ms or 256 events) are left out of the counts.
	b.StopTimer()
	counter, proxied := newPGCounter(b, dsn)
	cfg := e.cfg
	cfg.DB = proxied
	_, twin := startAppConfigured(b, cfg, app.Options{}, nil)
	grant = start(twin.Handler)
	grant()
	grant()
	counter.reset()
	const n = 20
	for range n {
		grant()
	}
	b.ReportMetric(float64(counter.roundTrips.Load())/n, "roundtrips/op")
	b.ReportMetric(float64(counter.reads.Load())/n, "reads/op")
	b.ReportMetric(float64(counter.writes.Load())/n, "writes/op")
}
