package e2e

import (
	"context"
	"net/netip"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/latchkey/latchkey/internal/app"
	"github.com/latchkey/latchkey/internal/events"
	"github.com/latchkey/latchkey/internal/guard"
	"github.com/latchkey/latchkey/internal/oauth"
	"github.com/latchkey/latchkey/internal/password"
	"github.com/latchkey/latchkey/internal/provision"
	"github.com/latchkey/latchkey/internal/ratelimit"
	"github.com/latchkey/latchkey/internal/store"
)

// countingHasher counts the password checks that reach the hasher: real
// ones (against a user's stored hash) and dummy ones.
type countingHasher struct {
	oauth.PasswordHasher
	real, dummy atomic.Int64
}

func (c *countingHasher) Verify(ctx context.Context, encoded, pw string) (password.Result, error) {
	c.real.Add(1)
	return c.PasswordHasher.Verify(ctx, encoded, pw)
}

func (c *countingHasher) VerifyDummy(ctx context.Context, pw string) error {
	c.dummy.Add(1)
	return c.PasswordHasher.VerifyDummy(ctx, pw)
}

// guardEnv is an env whose login guard has the given policy (its clock is
// the env's) and whose hasher counts checks.
type guardEnv struct {
	*env
	clock  *testClock
	hasher *countingHasher
}

func newGuardEnv(t *testing.T, cfg guard.Config) *guardEnv {
	t.Helper()
	clock := newTestClock()
	ge := &guardEnv{clock: clock}
	ge.env = newEnvWith(t, app.Options{Now: clock.Now}, func(a *app.App) {
		ge.hasher = &countingHasher{PasswordHasher: a.OAuth.Hasher}
		a.OAuth.Hasher = ge.hasher
		a.OAuth.Guard = guard.New(cfg, guard.Deps{Store: a.Store, Now: clock.Now})
	})
	return ge
}

// login sends the seed's password grant for username and pw from the
// env's client, with extra headers.
func (e *env) login(username, pw string, header map[string]string) response {
	e.t.Helper()
	f := url.Values{"grant_type": {"password"}, "username": {username}, "password": {pw}, "scope": {"openid"}}
	h := map[string]string{"Authorization": basic(e.clientID, e.clientSecret)}
	for k, v := range header {
		h[k] = v
	}
	return e.post(e.tokenURL, f.Encode(), h)
}

func (e *env) userStatus() string {
	e.t.Helper()
	u, err := e.app.Store.GetUser(context.Background(), e.userID)
	if err != nil {
		e.t.Fatal(err)
	}
	return u.Status
}

func wantInvalidCredentials(t *testing.T, what string, r response) {
	t.Helper()
	if r.status != 400 || r.body["error"] != "invalid_grant" || r.body["error_description"] != "The credentials provided were invalid." {
		t.Fatalf("%s: %d %s, want 400 invalid_grant 'The credentials provided were invalid.'", what, r.status, r.raw)
	}
}

// lockoutOnly is a policy with lockout and no rate limits, so that the
// lockout is what stops an attack.
func lockoutOnly() guard.Config {
	c := guard.Defaults()
	c.Username, c.Source = ratelimit.Limit{}, ratelimit.Limit{}
	return c
}

// TestLockoutUnderParallelAttack: 50 concurrent wrong passwords for one
// user reach the real hash exactly maxAttempts times, lock the user, and
// the right password is refused (without hashing) until the lock lifts.
func TestLockoutUnderParallelAttack(t *testing.T) {
	e := newGuardEnv(t, lockoutOnly())
	const attackers = 50
	var wg sync.WaitGroup
	answers := make([]response, attackers)
	for i := range attackers {
		wg.Go(func() { answers[i] = e.login(e.username, "wrong password "+strconv.Itoa(i), nil) })
	}
	wg.Wait()
	for i, r := range answers {
		wantInvalidCredentials(t, "attempt "+strconv.Itoa(i), r)
		if r.raw != answers[0].raw {
			t.Fatalf("attempt %d answered %q, attempt 0 %q: a lockout must look like a wrong password", i, r.raw, answers[0].raw)
		}
	}
	if got := e.hasher.real.Load(); got != 10 {
		t.Fatalf("%d real hash checks for %d parallel attempts, want exactly maxAttempts = 10", got, attackers)
	}
	if s := e.userStatus(); s != store.UserLockedOut {
		t.Fatalf("user status %s, want LOCKED_OUT", s)
	}

	before := e.hasher.real.Load()
	wantInvalidCredentials(t, "right password while locked", e.login(e.username, e.password, nil))
	if e.hasher.real.Load() != before {
		t.Fatal("a locked login reached the real hash")
	}

	e.clock.Advance(59 * time.Minute)
	wantInvalidCredentials(t, "right password after 59 minutes", e.login(e.username, e.password, nil))
	e.clock.Advance(2 * time.Minute)
	if r := e.login(e.username, e.password, nil); r.status != 200 {
		t.Fatalf("right password after the lock lifted: %d %s", r.status, r.raw)
	}
	if s := e.userStatus(); s != store.UserActive {
		t.Fatalf("user status %s after a successful login, want ACTIVE", s)
	}
	// A success reset the count: nine failures do not lock.
	for range 9 {
		wantInvalidCredentials(t, "wrong password", e.login(e.username, "nope", nil))
	}
	if r := e.login(e.username, e.password, nil); r.status != 200 {
		t.Fatalf("after nine failures: %d %s", r.status, r.raw)
	}
}

// TestUnknownUserLocksAlike: an unknown username is counted and locked
// like a real one, so the lockout tells nothing about existence.
func TestUnknownUserLocksAlike(t *testing.T) {
	e := newGuardEnv(t, lockoutOnly())
	var real, unknown []response
	for range 12 {
		real = append(real, e.login(e.username, "wrong", nil))
		unknown = append(unknown, e.login("nobody@example.com", "wrong", nil))
	}
	for i := range real {
		if real[i].status != unknown[i].status || real[i].raw != unknown[i].raw {
			t.Fatalf("attempt %d: real user %d %s, unknown %d %s", i, real[i].status, real[i].raw, unknown[i].status, unknown[i].raw)
		}
	}
	if got := e.hasher.dummy.Load(); got != 10 {
		t.Errorf("%d dummy checks for the unknown user, want 10 like the real user's real checks", got)
	}
}

// TestOperatorUnlock: latchkey users unlock's service ends a lock at once.
func TestOperatorUnlock(t *testing.T) {
	e := newGuardEnv(t, lockoutOnly())
	for range 10 {
		e.login(e.username, "wrong", nil)
	}
	if s := e.userStatus(); s != store.UserLockedOut {
		t.Fatalf("status %s, want LOCKED_OUT", s)
	}
	u, err := e.app.Provision.UnlockUser(context.Background(), e.username)
	if err != nil || u.Status != store.UserActive {
		t.Fatalf("UnlockUser: %+v, %v", u, err)
	}
	if r := e.login(e.username, e.password, nil); r.status != 200 {
		t.Fatalf("after unlock: %d %s", r.status, r.raw)
	}
}

// TestKnownSourceKeepsLoggingIn: a source that locked itself out does not
// lock the user out at a source that logged in successfully before.
func TestKnownSourceKeepsLoggingIn(t *testing.T) {
	cfg := lockoutOnly()
	cfg.Sources = guard.Sources{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}}
	e := newGuardEnv(t, cfg)
	home := map[string]string{"X-Forwarded-For": "203.0.113.5"}
	attacker := map[string]string{"X-Forwarded-For": "198.51.100.7"}

	if r := e.login(e.username, e.password, home); r.status != 200 {
		t.Fatalf("first login from home: %d %s", r.status, r.raw)
	}
	for range 15 {
		wantInvalidCredentials(t, "attacker", e.login(e.username, "guess", attacker))
	}
	if s := e.userStatus(); s != store.UserLockedOut {
		t.Fatalf("status %s, want LOCKED_OUT", s)
	}
	wantInvalidCredentials(t, "right password from the attacker's source", e.login(e.username, e.password, attacker))
	wantInvalidCredentials(t, "right password from a new source", e.login(e.username, e.password, map[string]string{"X-Forwarded-For": "192.0.2.99"}))
	r := e.login(e.username, e.password, home)
	if r.status != 200 {
		t.Fatalf("right password from the known source while locked elsewhere: %d %s", r.status, r.raw)
	}
	if in := e.introspect(e.basicCaller(), r.body["access_token"].(string), ""); in.body["active"] != true {
		t.Fatalf("a token issued to the known source while LOCKED_OUT introspects %s", in.raw)
	}
	// The known source's success does not lift the attacker's lock.
	wantInvalidCredentials(t, "attacker after the user's login", e.login(e.username, e.password, attacker))

	// The known source has its own count: ten failures there lock it too.
	for range 10 {
		wantInvalidCredentials(t, "typos at home", e.login(e.username, "typo", home))
	}
	wantInvalidCredentials(t, "home locked by its own failures", e.login(e.username, e.password, home))
}

// TestRateLimitHeaders: the per-username limit answers 429 with the
// contract's body, Retry-After and X-Rate-Limit-*, and every answer of the
// token endpoint carries the headers.
func TestRateLimitHeaders(t *testing.T) {
	cfg := guard.Defaults() // 4 a second per username
	e := newGuardEnv(t, cfg)
	reset := strconv.FormatInt(e.clock.Now().Truncate(time.Second).Add(time.Second).Unix(), 10)
	for i := range 4 {
		r := e.login(e.username, e.password, nil)
		if r.status != 200 {
			t.Fatalf("login %d: %d %s", i, r.status, r.raw)
		}
		if got := r.header.Get("X-Rate-Limit-Remaining"); got != strconv.Itoa(3-i) || r.header.Get("X-Rate-Limit-Limit") != "4" || r.header.Get("X-Rate-Limit-Reset") != reset {
			t.Fatalf("login %d: headers limit=%q remaining=%q reset=%q, want 4, %d, %s", i,
				r.header.Get("X-Rate-Limit-Limit"), got, r.header.Get("X-Rate-Limit-Reset"), 3-i, reset)
		}
	}
	before := e.hasher.real.Load()
	r := e.login(e.username, e.password, nil)
	if r.status != 429 || r.body["error"] != "invalid_grant" || r.body["error_description"] != "API call exceeded rate limit due to too many requests." {
		t.Fatalf("fifth login in a second: %d %s", r.status, r.raw)
	}
	if r.header.Get("Retry-After") != "1" || r.header.Get("X-Rate-Limit-Remaining") != "0" || r.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("429 headers: %v", r.header)
	}
	if e.hasher.real.Load() != before {
		t.Fatal("a rate-limited login reached the hash")
	}
	// An unknown username has the same limit and the same answers.
	for range 4 {
		e.login("nobody@example.com", "x", nil)
	}
	if r := e.login("nobody@example.com", "x", nil); r.status != 429 {
		t.Fatalf("unknown username past the limit: %d", r.status)
	}
	// A malformed request is answered with the (source) limit's headers too.
	bad := e.post(e.tokenURL, "grant_type=password", nil)
	if bad.status != 401 || bad.header.Get("X-Rate-Limit-Limit") != "100" {
		t.Fatalf("refused before admission: %d, headers %v", bad.status, bad.header)
	}
	// The next second, logins work again.
	e.clock.Advance(time.Second)
	if r := e.login(e.username, e.password, nil); r.status != 200 {
		t.Fatalf("next second: %d %s", r.status, r.raw)
	}
}

// TestSourceLimitAndSpoofing: the per-source limit counts the peer, and an
// X-Forwarded-For from an untrusted peer changes nothing; behind a trusted
// proxy each forwarded address has its own count.
func TestSourceLimitAndSpoofing(t *testing.T) {
	cfg := guard.Defaults()
	cfg.Username = ratelimit.Limit{}
	cfg.Source = ratelimit.Limit{Requests: 3, Window: time.Minute}
	spoofed := func(i int) map[string]string {
		return map[string]string{"X-Forwarded-For": "198.51.100." + strconv.Itoa(i)}
	}

	untrusted := newGuardEnv(t, cfg)
	for i := range 3 {
		if r := untrusted.login(untrusted.username, untrusted.password, spoofed(i)); r.status != 200 {
			t.Fatalf("request %d: %d %s", i, r.status, r.raw)
		}
	}
	if r := untrusted.login(untrusted.username, untrusted.password, spoofed(9)); r.status != 429 {
		t.Fatalf("a spoofed X-Forwarded-For from an untrusted peer got %d, want 429", r.status)
	}

	cfg.Sources = guard.Sources{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("::1/128")}}
	proxied := newGuardEnv(t, cfg)
	for i := range 6 {
		if r := proxied.login(proxied.username, proxied.password, spoofed(i)); r.status != 200 {
			t.Fatalf("behind a trusted proxy, address %d: %d %s", i, r.status, r.raw)
		}
	}
	for range 3 {
		proxied.login(proxied.username, proxied.password, spoofed(0))
	}
	if r := proxied.login(proxied.username, proxied.password, spoofed(0)); r.status != 429 {
		t.Fatalf("one forwarded address past its limit: %d", r.status)
	}
}

// TestTrustedClientVouches: a confidential client the operator trusts may
// send its end user's address; a public client's header is ignored.
func TestTrustedClientVouches(t *testing.T) {
	cfg := guard.Defaults()
	cfg.Username = ratelimit.Limit{}
	cfg.Source = ratelimit.Limit{Requests: 2, Window: time.Minute}
	clock := newTestClock()
	e := newEnvWith(t, app.Options{Now: clock.Now}, nil)
	pub, _, err := e.app.Provision.CreateClient(context.Background(), provision.ClientInput{Name: "public", AuthMethod: "none"})
	if err != nil {
		t.Fatal(err)
	}
	cfg.TrustedClients = []string{e.clientID, pub.ID}
	e.app.OAuth.Guard = guard.New(cfg, guard.Deps{Store: e.app.Store, Now: clock.Now})

	for i := range 5 {
		r := e.login(e.username, e.password, map[string]string{"X-Forwarded-For": "203.0.113." + strconv.Itoa(i)})
		if r.status != 200 {
			t.Fatalf("trusted client, user address %d: %d %s", i, r.status, r.raw)
		}
	}
	publicLogin := func(i int) response {
		f := url.Values{"grant_type": {"password"}, "username": {e.username}, "password": {e.password}, "scope": {"openid"}, "client_id": {pub.ID}}
		return e.post(e.tokenURL, f.Encode(), map[string]string{"X-Forwarded-For": "203.0.113." + strconv.Itoa(100+i)})
	}
	// The public client's requests all count against the peer.
	codes := []int{publicLogin(0).status, publicLogin(1).status, publicLogin(2).status}
	if codes[2] != 429 {
		t.Fatalf("public client with X-Forwarded-For: statuses %v, want the third refused", codes)
	}
}

// TestEqualAnswersEqualWork: an unknown user, a wrong password, a user
// whose hash was imported as bcrypt, a suspended and a deprovisioned user
// get the same status, body and headers, after the same work: one password
// check each (the hasher's time floor then makes every check last as long
// as the slowest format's, package password).
func TestEqualAnswersEqualWork(t *testing.T) {
	e := newGuardEnv(t, guard.Defaults())
	ctx := context.Background()
	bcryptHash, err := bcrypt.GenerateFromPassword([]byte("imported secret"), 10)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.app.Provision.CreateUser(ctx, provision.UserInput{Login: "imported@example.com", PasswordHash: string(bcryptHash)}); err != nil {
		t.Fatal(err)
	}
	for _, status := range []string{store.UserSuspended, store.UserDeprovisioned} {
		if _, err := e.app.Provision.CreateUser(ctx, provision.UserInput{Login: status + "@example.com", Password: "the right password", Status: status}); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct{ name, login, pw string }{
		{"unknown user", "nobody@example.com", "whatever it is"},
		{"wrong password", e.username, "wrong"},
		{"bcrypt user, wrong password", "imported@example.com", "wrong"},
		{"suspended, right password", store.UserSuspended + "@example.com", "the right password"},
		{"deprovisioned, right password", store.UserDeprovisioned + "@example.com", "the right password"},
	}
	var first response
	for i, c := range cases {
		before := e.hasher.real.Load() + e.hasher.dummy.Load()
		r := e.login(c.login, c.pw, nil)
		if checks := e.hasher.real.Load() + e.hasher.dummy.Load() - before; checks != 1 {
			t.Errorf("%s: %d password checks, want 1", c.name, checks)
		}
		wantInvalidCredentials(t, c.name, r)
		r.header.Del("Date")
		r.header.Del("X-Request-Id")
		if i == 0 {
			first = r
			continue
		}
		if r.raw != first.raw || !reflect.DeepEqual(r.header, first.header) {
			t.Errorf("%s answered %v %s; %s answered %v %s", c.name, r.header, r.raw, cases[0].name, first.header, first.raw)
		}
	}
}

// TestEventsOfPasswordLogins: a scripted sequence of logins leaves exactly
// the expected audit events, and none holds the password.
func TestEventsOfPasswordLogins(t *testing.T) {
	cfg := guard.Defaults()
	cfg.MaxAttempts = 3
	cfg.Source = ratelimit.Limit{}
	clock := newTestClock()
	var g *guard.Guard
	e := newEnvWith(t, app.Options{Now: clock.Now}, func(a *app.App) {
		g = guard.New(cfg, guard.Deps{Store: a.Store, Events: a.Events, Now: clock.Now})
		a.OAuth.Guard = g
	})
	ctx := context.Background()
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	go e.app.RunEvents(runCtx)

	secretPasswords := []string{"first wrong guess", "second wrong guess", "third wrong guess"}
	e.login(e.username, e.password, nil)           // success
	e.login("nobody@example.com", "whatever", nil) // unknown user
	for _, pw := range secretPasswords {           // three failures lock
		e.login(e.username, pw, nil)
	}
	clock.Advance(time.Second)           // a new rate-limit window
	e.login(e.username, e.password, nil) // locked: refused without a check
	if _, err := e.app.Provision.UnlockUser(ctx, e.userID); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Second)
	for range 6 { // 4 a second: the fifth and sixth are refused, one event
		e.login(e.username, e.password, nil)
	}

	if err := e.app.Events.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	stored, err := e.app.Store.ListEvents(ctx, store.EventFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	type row struct{ typ, result, reason, actor string }
	var got []row
	for _, s := range stored {
		ev, err := events.FromStored(s)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(ev.EventType, "app.oauth2.") {
			continue // the token grants, checked in TestEventsOfTheTokenLifecycle
		}
		got = append(got, row{ev.EventType, ev.Outcome.Result, ev.Outcome.Reason, ev.Actor.AlternateID})
		for _, pw := range append(secretPasswords, e.password, e.clientSecret) {
			if strings.Contains(string(s.JSON), pw) {
				t.Errorf("event %s holds a secret", ev.EventType)
			}
		}
	}
	u, nobody := e.username, "nobody@example.com"
	want := []row{
		{events.TypeSessionStart, events.ResultSuccess, "", u},
		{events.TypeSessionStart, events.ResultFailure, events.ReasonUnknownUser, nobody},
		{events.TypeSessionStart, events.ResultFailure, events.ReasonInvalidCredentials, u},
		{events.TypeSessionStart, events.ResultFailure, events.ReasonInvalidCredentials, u},
		{events.TypeAccountLock, events.ResultSuccess, events.ReasonLockedOut, u},
		{events.TypeSessionStart, events.ResultFailure, events.ReasonInvalidCredentials, u},
		{events.TypeSessionStart, events.ResultFailure, events.ReasonLockedOut, u},
		{events.TypeAccountUnlockByAdmin, events.ResultSuccess, "", "system@latchkey"},
		{events.TypeSessionStart, events.ResultSuccess, "", u},
		{events.TypeSessionStart, events.ResultSuccess, "", u},
		{events.TypeSessionStart, events.ResultSuccess, "", u},
		{events.TypeSessionStart, events.ResultSuccess, "", u},
		{events.TypeOperationRateLimitViolation, events.ResultDeny, events.ReasonRateLimited, u},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("events:\n got %v\nwant %v", got, want)
	}
}
