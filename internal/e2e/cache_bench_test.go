package e2e

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/app"
	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/policy"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/store/cache"
	"github.com/latchkey/latchkey/internal/store/postgres"
	"github.com/latchkey/latchkey/internal/store/sqlite"
)

// benchEnv is newEnv for benchmarks of the password grant, which repeat
// one user's login far beyond the per-username rate limit (4/s): the
// limits are off, the cache's TTL is ttl.
func benchEnv(b *testing.B, ttl time.Duration) *env {
	return newEnvConfig(b, func(c *config.Config) {
		c.LoginProtection.RateLimits.Username.Requests = 0
		c.LoginProtection.RateLimits.Source.Requests = 0
		c.Cache.TTL = config.Duration{Duration: ttl}
	}, app.Options{}, nil)
}

// BenchmarkPasswordGrantNoCache is BenchmarkPasswordGrant with the store
// cache off (cache.ttl 0s).
func BenchmarkPasswordGrantNoCache(b *testing.B) {
	e := benchEnv(b, 0)
	body := e.passwordForm("openid profile email").Encode()
	auth := basic(e.clientID, e.clientSecret)
	b.ReportAllocs()
	for b.Loop() {
		serveBench(b, e.app.Handler, "/oauth2/default/v1/token", body, auth)
	}
}

// BenchmarkPasswordGrantReads makes the store reads of one password grant
// (server, scopes, client, user, then the decision: the Everyone group, the
// user's groups, assignments, policies, rules, claims) through the policy
// engine, over SQLite alone or behind the cache, and with each read that
// reaches the database delayed by a simulated network round trip, as on a
// networked PostgreSQL. reads/op counts the reads that reached the database.
func BenchmarkPasswordGrantReads(b *testing.B) {
	e := newEnv(b)
	passwordGrantReads(b, e, []time.Duration{0, 500 * time.Microsecond}, func(ctx context.Context) (store.Store, error) {
		return sqlite.Open(ctx, e.cfg.DB)
	})
}

// BenchmarkPasswordGrantReadsPostgres is BenchmarkPasswordGrantReads over
// a PostgreSQL database on loopback (the package's throwaway server), with
// no simulated delay: each read that reaches the database is a real round
// trip.
func BenchmarkPasswordGrantReadsPostgres(b *testing.B) {
	dsn := pgDatabase(b)
	e := newEnvConfig(b, func(c *config.Config) { c.DB = dsn }, app.Options{}, nil)
	passwordGrantReads(b, e, []time.Duration{0}, func(ctx context.Context) (store.Store, error) {
		return postgres.Open(ctx, dsn, postgres.Options{})
	})
}

// passwordGrantReads runs the cases of BenchmarkPasswordGrantReads over
// e's database, opened by open, for each simulated round trip in rtts.
func passwordGrantReads(b *testing.B, e *env, rtts []time.Duration, open func(context.Context) (store.Store, error)) {
	ctx := context.Background()
	for i := range 3 { // a user in a few groups, as in a real directory
		g, err := e.app.Provision.CreateGroup(ctx, fmt.Sprintf("group %d", i), "")
		if err != nil {
			b.Fatal(err)
		}
		if err := e.app.Store.AddGroupMember(ctx, g.ID, e.userID); err != nil {
			b.Fatal(err)
		}
	}
	for _, rtt := range rtts {
		for _, ttl := range []time.Duration{0, cache.DefaultTTL} {
			name := fmt.Sprintf("rtt=%v/cache=%v", rtt, ttl)
			b.Run(name, func(b *testing.B) {
				inner, err := open(ctx)
				if err != nil {
					b.Fatal(err)
				}
				slow := &roundTrips{Store: inner, rtt: rtt}
				st := cache.New(slow, cache.Config{TTL: ttl})
				defer st.Close()
				pol := &policy.Engine{Store: st, BaseURL: e.srv.URL}
				grant := func() {
					srv, err := pol.Server(ctx, "default")
					if err != nil {
						b.Fatal(err)
					}
					scopes, err := pol.ResolveScopes(ctx, srv, policy.GrantPassword, []string{"openid", "profile", "email"})
					if err != nil {
						b.Fatal(err)
					}
					c, err := st.GetClient(ctx, e.clientID)
					if err != nil {
						b.Fatal(err)
					}
					u, err := st.GetUserByLogin(ctx, e.username)
					if err != nil {
						b.Fatal(err)
					}
					if _, err := pol.Decide(ctx, policy.Request{Server: srv, Client: c, User: &u, Grant: policy.GrantPassword, Scopes: scopes}); err != nil {
						b.Fatal(err)
					}
				}
				grant() // warm
				slow.reads.Store(0)
				b.ReportAllocs()
				for b.Loop() {
					grant()
				}
				b.ReportMetric(float64(slow.reads.Load())/float64(b.N), "reads/op")
			})
		}
	}
}

// roundTrips is a store whose reads on a password grant's path each cost
// a simulated round trip, and are counted.
type roundTrips struct {
	store.Store
	rtt   time.Duration
	reads atomic.Int64
}

func (r *roundTrips) trip() {
	r.reads.Add(1)
	if r.rtt > 0 {
		time.Sleep(r.rtt)
	}
}

func (r *roundTrips) GetAuthServer(ctx context.Context, id string) (store.AuthServer, error) {
	r.trip()
	return r.Store.GetAuthServer(ctx, id)
}

func (r *roundTrips) GetClient(ctx context.Context, id string) (store.Client, error) {
	r.trip()
	return r.Store.GetClient(ctx, id)
}

func (r *roundTrips) GetUserByLogin(ctx context.Context, login string) (store.User, error) {
	r.trip()
	return r.Store.GetUserByLogin(ctx, login)
}

func (r *roundTrips) ListScopes(ctx context.Context, id string) ([]store.Scope, error) {
	r.trip()
	return r.Store.ListScopes(ctx, id)
}

func (r *roundTrips) ListClaims(ctx context.Context, id string) ([]store.Claim, error) {
	r.trip()
	return r.Store.ListClaims(ctx, id)
}

func (r *roundTrips) ListPolicies(ctx context.Context, id string) ([]store.Policy, error) {
	r.trip()
	return r.Store.ListPolicies(ctx, id)
}

func (r *roundTrips) ListRules(ctx context.Context, id string) ([]store.PolicyRule, error) {
	r.trip()
	return r.Store.ListRules(ctx, id)
}

func (r *roundTrips) GetGroupByName(ctx context.Context, name string) (store.Group, error) {
	r.trip()
	return r.Store.GetGroupByName(ctx, name)
}

func (r *roundTrips) ListUserGroups(ctx context.Context, id string) ([]store.Group, error) {
	r.trip()
	return r.Store.ListUserGroups(ctx, id)
}

func (r *roundTrips) ListClientAssignments(ctx context.Context, id string) ([]string, error) {
	r.trip()
	return r.Store.ListClientAssignments(ctx, id)
}
