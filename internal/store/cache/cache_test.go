package cache_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/store/cache"
	"github.com/latchkey/latchkey/internal/store/sqlite/sqlitetest"
)

// counting is an inner store that counts the reads that reach it and may
// run a hook after a read has fetched its record and before it returns.
type counting struct {
	store.Store
	mu    sync.Mutex
	calls map[string]int
	// after, when set, runs once the inner read of method is done.
	after func(method string)
}

func (c *counting) count(method string) {
	c.mu.Lock()
	if c.calls == nil {
		c.calls = map[string]int{}
	}
	c.calls[method]++
	after := c.after
	c.mu.Unlock()
	if after != nil {
		after(method)
	}
}

func (c *counting) n(method string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls[method]
}

func (c *counting) GetClient(ctx context.Context, id string) (store.Client, error) {
	v, err := c.Store.GetClient(ctx, id)
	c.count("GetClient")
	return v, err
}

func (c *counting) ListUserGroups(ctx context.Context, userID string) ([]store.Group, error) {
	v, err := c.Store.ListUserGroups(ctx, userID)
	c.count("ListUserGroups")
	return v, err
}

func (c *counting) ListPolicies(ctx context.Context, id string) ([]store.Policy, error) {
	v, err := c.Store.ListPolicies(ctx, id)
	c.count("ListPolicies")
	return v, err
}

func (c *counting) GetUser(ctx context.Context, id string) (store.User, error) {
	v, err := c.Store.GetUser(ctx, id)
	c.count("GetUser")
	return v, err
}

func (c *counting) GetUserByLogin(ctx context.Context, login string) (store.User, error) {
	v, err := c.Store.GetUserByLogin(ctx, login)
	c.count("GetUserByLogin")
	return v, err
}

// clock is an injectable clock.
type clock struct{ ns atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.ns.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	return c
}
func (c *clock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *clock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

const ttl = 5 * time.Second

// fixture is a database with a client, a user in one group and a policy,
// seen through a counting inner store.
type fixture struct {
	path  string
	inner *counting
	clock *clock
	inv   *cache.Local
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	path := sqlitetest.Path(t)
	s := openSQLite(t, path)
	f := &fixture{path: path, inner: &counting{Store: s}, clock: newClock(), inv: cache.NewLocal()}
	ctx := t.Context()
	err := errors.Join(
		s.CreateClient(ctx, store.Client{ID: "0oa1", Name: "app", GrantTypes: []string{"password"}, Status: store.StatusActive}),
		s.CreateUser(ctx, store.User{ID: "00u1", Login: "ada", Status: store.UserActive}),
		s.CreateGroup(ctx, store.Group{ID: "00g1", Name: "Admins", Type: store.GroupOkta}),
		s.CreateGroup(ctx, store.Group{ID: "00g2", Name: "Ops", Type: store.GroupOkta}),
		s.AddGroupMember(ctx, "00g1", "00u1"),
		s.CreateAuthServer(ctx, store.AuthServer{ID: "default", Status: store.StatusActive}),
		s.PutPolicy(ctx, store.Policy{ID: "00p1", AuthServerID: "default", Priority: 1, Status: store.StatusActive, ClientIDs: []string{store.AllClients}}),
	)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// cache returns the fixture's cache (TTL 5s, the fixture's clock and
// invalidator), closed with the test.
func (f *fixture) cache(t *testing.T) *cache.Store {
	return wrap(t, f.inner, cache.Config{TTL: ttl, Now: f.clock.Now, Invalidator: f.inv})
}

// other returns a cache over a second open of the database, as another
// instance would have, with cfg's TTL and invalidator and the fixture's
// clock.
func (f *fixture) other(t *testing.T, cfg cache.Config) *cache.Store {
	cfg.Now = f.clock.Now
	return wrap(t, openSQLite(t, f.path), cfg)
}

func getClient(t *testing.T, s store.Store) store.Client {
	t.Helper()
	c, err := s.GetClient(t.Context(), "0oa1")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func rename(t *testing.T, s store.Store, name string) {
	t.Helper()
	_, err := s.UpdateClient(t.Context(), "0oa1", func(c store.Client) (store.Client, error) {
		c.Name = name
		return c, nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func wantCalls(t *testing.T, f *fixture, method string, want int) {
	t.Helper()
	if got := f.inner.n(method); got != want {
		t.Errorf("%s reached the inner store %d times, want %d", method, got, want)
	}
}

func TestHitsAndMisses(t *testing.T) {
	f := newFixture(t)
	c := f.cache(t)
	first := getClient(t, c)
	first.GrantTypes[0] = "changed by the caller"
	for range 3 {
		if got := getClient(t, c); got.GrantTypes[0] != "password" {
			t.Fatalf("a caller's change of its copy reached the cache: %v", got.GrantTypes)
		}
	}
	wantCalls(t, f, "GetClient", 1)

	for range 2 {
		if _, err := c.GetClient(t.Context(), "0oa404"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("GetClient of a missing client: %v", err)
		}
	}
	wantCalls(t, f, "GetClient", 3) // errors are not cached

	for range 3 {
		groups, err := c.ListUserGroups(t.Context(), "00u1")
		if err != nil || len(groups) != 1 || groups[0].ID != "00g1" {
			t.Fatalf("ListUserGroups: %v, %v", groups, err)
		}
	}
	wantCalls(t, f, "ListUserGroups", 1)
}

func TestTTLZeroDisables(t *testing.T) {
	f := newFixture(t)
	c := wrap(t, f.inner, cache.Config{TTL: 0, Invalidator: f.inv})
	for range 3 {
		getClient(t, c)
	}
	wantCalls(t, f, "GetClient", 3)
}

func TestTTLExpiry(t *testing.T) {
	f := newFixture(t)
	c := f.cache(t)
	getClient(t, c)
	f.clock.Advance(ttl - time.Nanosecond)
	getClient(t, c)
	wantCalls(t, f, "GetClient", 1)
	f.clock.Advance(time.Nanosecond)
	getClient(t, c)
	wantCalls(t, f, "GetClient", 2)
}

func TestOwnWritesInvalidate(t *testing.T) {
	f := newFixture(t)
	c := f.cache(t)
	getClient(t, c)
	rename(t, c, "renamed")
	if got := getClient(t, c); got.Name != "renamed" {
		t.Errorf("after an update through the cache: name %q", got.Name)
	}
	wantCalls(t, f, "GetClient", 2)

	if _, err := c.ListUserGroups(t.Context(), "00u1"); err != nil {
		t.Fatal(err)
	}
	if err := c.AddGroupMember(t.Context(), "00g2", "00u1"); err != nil {
		t.Fatal(err)
	}
	groups, err := c.ListUserGroups(t.Context(), "00u1")
	if err != nil || len(groups) != 2 {
		t.Errorf("groups after AddGroupMember: %v, %v; want 00g1 and 00g2", groups, err)
	}
}

// TestOtherCacheInvalidates: a write through another cache sharing the
// invalidator is seen at once, with no time passing.
func TestOtherCacheInvalidates(t *testing.T) {
	f := newFixture(t)
	c := f.cache(t)
	other := f.other(t, cache.Config{TTL: ttl, Invalidator: f.inv})
	getClient(t, c)
	rename(t, other, "renamed elsewhere")
	if got := getClient(t, c); got.Name != "renamed elsewhere" {
		t.Errorf("after another cache's update: name %q", got.Name)
	}
}

// TestTTLBoundWithoutInvalidator: a write that sends no notification (the
// CLI on SQLite) is seen once TTL has passed since the cached read began,
// and not served stale any longer.
func TestTTLBoundWithoutInvalidator(t *testing.T) {
	f := newFixture(t)
	c := f.cache(t)
	cli := f.other(t, cache.Config{})
	getClient(t, c)
	f.clock.Advance(time.Second)
	rename(t, cli, "renamed by the CLI")
	f.clock.Advance(ttl - time.Second - time.Nanosecond)
	if got := getClient(t, c); got.Name != "app" {
		t.Errorf("within the TTL: name %q, want the cached app", got.Name)
	}
	f.clock.Advance(time.Nanosecond)
	if got := getClient(t, c); got.Name != "renamed by the CLI" {
		t.Errorf("TTL after the cached read: name %q, want the change", got.Name)
	}
}

// TestStaleReadNotCached: a read fetches the old record, a change and its
// invalidation happen before the read stores it; the old record must not
// be cached.
func TestStaleReadNotCached(t *testing.T) {
	f := newFixture(t)
	c := f.cache(t)
	other := f.other(t, cache.Config{TTL: ttl, Invalidator: f.inv})
	var once sync.Once
	f.inner.after = func(method string) {
		if method == "GetClient" {
			once.Do(func() { rename(t, other, "renamed during the read") })
		}
	}
	if got := getClient(t, c); got.Name != "app" {
		t.Fatalf("the racing read: name %q, want the old app (it began before the change)", got.Name)
	}
	if got := getClient(t, c); got.Name != "renamed during the read" {
		t.Errorf("the next read: name %q; the racing read's old record was cached", got.Name)
	}
	wantCalls(t, f, "GetClient", 2)
}

// TestUserNeverCached: a status change made where no notification comes
// from is seen by the very next read.
func TestUserNeverCached(t *testing.T) {
	f := newFixture(t)
	c := f.cache(t)
	cli := f.other(t, cache.Config{})
	for _, status := range []string{store.UserActive, store.UserSuspended} {
		_, err := cli.UpdateUser(t.Context(), "00u1", func(u store.User) (store.User, error) {
			u.Status = status
			return u, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		u, err := c.GetUser(t.Context(), "00u1")
		if err != nil || u.Status != status {
			t.Errorf("GetUser: %q, %v; want %s", u.Status, err, status)
		}
		u, err = c.GetUserByLogin(t.Context(), "ada")
		if err != nil || u.Status != status {
			t.Errorf("GetUserByLogin: %q, %v; want %s", u.Status, err, status)
		}
	}
	wantCalls(t, f, "GetUser", 2)
	wantCalls(t, f, "GetUserByLogin", 2)
}

// TestKindAllDropsEverything: what an Invalidator delivers after it may
// have missed notifications empties every kind.
func TestKindAllDropsEverything(t *testing.T) {
	f := newFixture(t)
	c := f.cache(t)
	read := func() {
		getClient(t, c)
		if _, err := c.ListPolicies(t.Context(), "default"); err != nil {
			t.Fatal(err)
		}
	}
	read()
	if err := f.inv.Publish(t.Context(), cache.KindClients); err != nil {
		t.Fatal(err)
	}
	read()
	wantCalls(t, f, "GetClient", 2)
	wantCalls(t, f, "ListPolicies", 1)
	if err := f.inv.Publish(t.Context(), cache.KindAll); err != nil {
		t.Fatal(err)
	}
	read()
	wantCalls(t, f, "GetClient", 3)
	wantCalls(t, f, "ListPolicies", 2)
}

// recorder is an Invalidator that records what is published.
type recorder struct {
	local     *cache.Local
	mu        sync.Mutex
	published []string
}

func (r *recorder) Publish(ctx context.Context, kind string) error {
	r.mu.Lock()
	r.published = append(r.published, kind)
	r.mu.Unlock()
	return r.local.Publish(ctx, kind)
}

func (r *recorder) Subscribe(fn func(string)) func() { return r.local.Subscribe(fn) }

func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.published
	r.published = nil
	return out
}

// writes are every write of a cached kind and the kind it must publish,
// failed or not (most fail here, on an empty store).
var writes = map[string]struct {
	kind string
	call func(ctx context.Context, s store.Store) error
}{
	"CreateAuthServer": {cache.KindAuthServers, func(ctx context.Context, s store.Store) error {
		return s.CreateAuthServer(ctx, store.AuthServer{ID: "aus1"})
	}},
	"UpdateAuthServer": {cache.KindAuthServers, func(ctx context.Context, s store.Store) error {
		_, err := s.UpdateAuthServer(ctx, "aus1", func(a store.AuthServer) (store.AuthServer, error) { return a, nil })
		return err
	}},
	"DeleteAuthServer": {cache.KindAuthServers, func(ctx context.Context, s store.Store) error { return s.DeleteAuthServer(ctx, "aus1") }},
	"CreateClient":     {cache.KindClients, func(ctx context.Context, s store.Store) error { return s.CreateClient(ctx, store.Client{ID: "0oa9"}) }},
	"UpdateClient": {cache.KindClients, func(ctx context.Context, s store.Store) error {
		_, err := s.UpdateClient(ctx, "0oa9", func(c store.Client) (store.Client, error) { return c, nil })
		return err
	}},
	"DeleteClient": {cache.KindClients, func(ctx context.Context, s store.Store) error { return s.DeleteClient(ctx, "0oa9") }},
	"UpdateClientSecrets": {cache.KindClients, func(ctx context.Context, s store.Store) error {
		_, err := s.UpdateClientSecrets(ctx, "0oa9", func(cs []store.ClientSecret) ([]store.ClientSecret, error) { return cs, nil })
		return err
	}},
	"PutScope": {cache.KindScopes, func(ctx context.Context, s store.Store) error {
		return s.PutScope(ctx, store.Scope{AuthServerID: "aus1", Name: "x"})
	}},
	"DeleteScope": {cache.KindScopes, func(ctx context.Context, s store.Store) error { return s.DeleteScope(ctx, "aus1", "x") }},
	"PutClaim": {cache.KindClaims, func(ctx context.Context, s store.Store) error {
		return s.PutClaim(ctx, store.Claim{ID: "ocl1", AuthServerID: "aus1"})
	}},
	"DeleteClaim": {cache.KindClaims, func(ctx context.Context, s store.Store) error { return s.DeleteClaim(ctx, "aus1", "ocl1") }},
	"PutPolicy": {cache.KindPolicies, func(ctx context.Context, s store.Store) error {
		return s.PutPolicy(ctx, store.Policy{ID: "00p9", AuthServerID: "aus1"})
	}},
	"DeletePolicy": {cache.KindPolicies, func(ctx context.Context, s store.Store) error { return s.DeletePolicy(ctx, "aus1", "00p9") }},
	"PutRule": {cache.KindPolicies, func(ctx context.Context, s store.Store) error {
		return s.PutRule(ctx, store.PolicyRule{ID: "0pr1", PolicyID: "00p9", AuthServerID: "aus1"})
	}},
	"DeleteRule": {cache.KindPolicies, func(ctx context.Context, s store.Store) error { return s.DeleteRule(ctx, "00p9", "0pr1") }},
	"CreateGroup": {cache.KindDirectory, func(ctx context.Context, s store.Store) error {
		return s.CreateGroup(ctx, store.Group{ID: "00g9", Name: "g"})
	}},
	"UpdateGroup": {cache.KindDirectory, func(ctx context.Context, s store.Store) error {
		_, err := s.UpdateGroup(ctx, "00g9", func(g store.Group) (store.Group, error) { return g, nil })
		return err
	}},
	"DeleteGroup":       {cache.KindDirectory, func(ctx context.Context, s store.Store) error { return s.DeleteGroup(ctx, "00g9") }},
	"AddGroupMember":    {cache.KindDirectory, func(ctx context.Context, s store.Store) error { return s.AddGroupMember(ctx, "00g9", "00u9") }},
	"RemoveGroupMember": {cache.KindDirectory, func(ctx context.Context, s store.Store) error { return s.RemoveGroupMember(ctx, "00g9", "00u9") }},
	"AssignClient":      {cache.KindDirectory, func(ctx context.Context, s store.Store) error { return s.AssignClient(ctx, "0oa9", "00u9") }},
	"UnassignClient":    {cache.KindDirectory, func(ctx context.Context, s store.Store) error { return s.UnassignClient(ctx, "0oa9", "00u9") }},
	"DeleteUser":        {cache.KindDirectory, func(ctx context.Context, s store.Store) error { return s.DeleteUser(ctx, "00u9") }},
}

func TestWritesPublishTheirKind(t *testing.T) {
	rec := &recorder{local: cache.NewLocal()}
	c := wrap(t, openSQLite(t, sqlitetest.Path(t)), cache.Config{TTL: ttl, Invalidator: rec})
	for name, w := range writes {
		_ = w.call(t.Context(), c) // the outcome does not matter
		if got := rec.take(); !slices.Equal(got, []string{w.kind}) {
			t.Errorf("%s published %q, want [%s]", name, got, w.kind)
		}
	}
}

// cachedReads are the methods the cache serves; every other method of
// store.Store that is not in writes goes to the inner store.
var cachedReads = []string{"GetAuthServer", "ListAuthServers", "GetClient", "ListScopes", "ListClaims", "ListPolicies",
	"ListRules", "GetGroup", "GetGroupByName", "ListUserGroups", "ListClientAssignments", "ListClientSecrets"}

// passThrough are the methods that neither read nor write a cached kind.
var passThrough = []string{"Ping", "Close",
	"ListClients", "CreateUser", "GetUser", "GetUserByLogin", "ListUsers", "UpdateUser", "PutUsers", "SearchUsers",
	"RevokeUserTokens", "ListPasswordHistory", "ChangePassword",
	"CreateKey", "ListKeys", "UpdateKeys", "DeleteKey",
	"CreateRefreshToken", "GetRefreshToken", "UseRefreshToken", "RevokeFamily", "RecordToken", "GetTokenRecord", "UseOnce", "UsedOnce", "DeleteExpired",
	"ListGroups", "ListGroupMembers",
	// The management API's group searches and reverse assignment lookup:
	// never on the hot path.
	"SearchGroups", "ListPrincipalClients",
	"UpdateLoginCounters", "GetLoginCounters", "ListLoginCounters", "ResetLoginCounters", "DeleteStaleLoginCounters",
	"AppendEvents", "ListEvents", "DeleteEventsBefore", "GetMeta", "InitMeta",
	// store.Export: whole-store reads of kinds the cache does not keep
	// (migrate-store opens raw stores anyway).
	"ListRefreshTokens", "ListTokenRecords", "ListSingleUse", "ListLoginKeys", "ListMetaNames", "ListPasswordChanges",
	// The management API's credentials: read once per management request
	// or org-server client credentials grant, never on the hot path.
	"CreateAPIToken", "GetAPIToken", "GetAPITokenByHash", "ListAPITokens", "TouchAPIToken", "DeleteAPIToken",
	"CreateClientGrant", "GetClientGrant", "ListClientGrants", "DeleteClientGrant",
	// Second factors: read at an MFA login only, and their last used step
	// must never be stale (a cached copy would let a code be replayed).
	"ListFactors", "UpdateFactors"}

// TestEveryMethodDecided fails when store.Store gains a method nobody has
// decided for: a new write of a cached kind that passed through unnoticed
// would leave stale records behind.
func TestEveryMethodDecided(t *testing.T) {
	decided := map[string]string{}
	for _, m := range cachedReads {
		decided[m] = "cached read"
	}
	for m := range writes {
		decided[m] = "invalidating write"
	}
	for _, m := range passThrough {
		decided[m] = "pass-through"
	}
	typ := reflect.TypeFor[store.Store]()
	for i := range typ.NumMethod() {
		if m := typ.Method(i).Name; decided[m] == "" {
			t.Errorf("store.Store.%s: decide whether the cache serves it, invalidates on it, or passes it through", m)
		}
	}
	if n := len(cachedReads) + len(writes) + len(passThrough); n != typ.NumMethod() {
		t.Errorf("%d methods decided, store.Store has %d: a name is listed twice or is gone", n, typ.NumMethod())
	}
}

func TestLocalUnsubscribe(t *testing.T) {
	inv := cache.NewLocal()
	var got []string
	cancel := inv.Subscribe(func(kind string) { got = append(got, kind) })
	if err := inv.Publish(t.Context(), cache.KindClients); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := inv.Publish(t.Context(), cache.KindScopes); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []string{cache.KindClients}) {
		t.Errorf("delivered %q, want [clients] only", got)
	}
}

// failing is an Invalidator whose notifications never leave the process.
type failing struct{ cache.Local }

func (*failing) Publish(context.Context, string) error { return errors.New("connection lost") }

// TestPublishFailureStillInvalidatesHere: a write whose notification was
// lost still invalidates the cache it went through, and succeeds.
func TestPublishFailureStillInvalidatesHere(t *testing.T) {
	f := newFixture(t)
	c := wrap(t, f.inner, cache.Config{TTL: ttl, Now: f.clock.Now, Invalidator: &failing{}})
	getClient(t, c)
	rename(t, c, "renamed")
	if got := getClient(t, c); got.Name != "renamed" {
		t.Errorf("after an update whose publish failed: name %q", got.Name)
	}
}
