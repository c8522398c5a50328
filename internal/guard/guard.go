package guard

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/latchkey/latchkey/internal/events"
	"github.com/latchkey/latchkey/internal/oauth"
	"github.com/latchkey/latchkey/internal/oautherr"
	"github.com/latchkey/latchkey/internal/ratelimit"
	"github.com/latchkey/latchkey/internal/reqlog"
	"github.com/latchkey/latchkey/internal/store"
)

// Config is the guard's policy. The zero value turns everything off;
// Defaults is what a server starts with.
type Config struct {
	// MaxAttempts is how many failed passwords lock a login (Okta's
	// maxAttempts); 0 turns lockout off.
	MaxAttempts int
	// AutoUnlock is how long a lock lasts (Okta's autoUnlockMinutes); 0
	// means until an operator unlocks. It is also the quiet period after
	// which failures that did not lock are forgotten.
	AutoUnlock time.Duration
	// KnownSourceFor is how long a source stays known after its last
	// successful login.
	KnownSourceFor time.Duration

	// Username limits password logins per username; Client and Source
	// limit every token request per authenticated client and per source.
	Username, Client, Source ratelimit.Limit

	// Sources says whose X-Forwarded-For is believed.
	Sources Sources
	// TrustedClients are the ids of confidential clients trusted to send
	// their end user's address in X-Forwarded-For.
	TrustedClients []string
}

// Defaults are Okta's lockout (10 attempts, 60 minutes) and per-username
// limit (4 a second), no per-client limit, and a per-source limit sized
// for an app server that sends all its users' logins from one address.
func Defaults() Config {
	return Config{
		MaxAttempts:    10,
		AutoUnlock:     time.Hour,
		KnownSourceFor: 90 * 24 * time.Hour,
		Username:       ratelimit.Limit{Requests: 4, Window: time.Second},
		Source:         ratelimit.Limit{Requests: 100, Window: time.Second},
	}
}

// Delayer waits as long as a password check takes, without doing one
// (password.Hasher.Delay): a locked-out login answers no faster than a
// wrong password.
type Delayer interface {
	Delay(ctx context.Context) error
}

// Guard implements oauth.LoginGuard. Build it with New.
type Guard struct {
	store  store.Store
	cfg    Config
	delay  Delayer
	events events.Sink
	logger *slog.Logger
	now    func() time.Time
	// rateLimited is Deps.RateLimited.
	rateLimited func(limit string)

	username, client, source *ratelimit.Limiter

	mu       sync.Mutex
	inflight map[string]int // optimistic attempts in flight, per login
}

// Deps are the guard's collaborators.
type Deps struct {
	Store  store.Store
	Delay  Delayer     // optional
	Events events.Sink // optional: the audit trail
	Logger *slog.Logger
	Now    func() time.Time // time.Now when nil
	// RateLimited, when set, is told of every refusal by a rate limit,
	// named "username", "client" or "source" (the audit trail records
	// only the first of a window). It must be safe for concurrent use.
	RateLimited func(limit string)
}

var _ oauth.LoginGuard = (*Guard)(nil)

// New returns a Guard enforcing cfg.
func New(cfg Config, d Deps) *Guard {
	now := d.Now
	if now == nil {
		now = time.Now
	}
	logger := d.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Guard{
		store: d.Store, cfg: cfg, delay: d.Delay, events: d.Events, logger: logger, now: now,
		inflight: map[string]int{},
		username: ratelimit.New(cfg.Username, now),
		client:   ratelimit.New(cfg.Client, now),
		source:   ratelimit.New(cfg.Source, now),

		rateLimited: d.RateLimited,
	}
}

// errRateLimited is CONTRACT section 2's per-user rate-limit answer, used
// for every limit of the token endpoint.
var errRateLimited = oautherr.ErrInvalidGrant.WithStatus(http.StatusTooManyRequests).
	WithDescription("API call exceeded rate limit due to too many requests.")

func (g *Guard) refuse(r ratelimit.Result, which string) error {
	return errRateLimited.WithHeader("Retry-After", strconv.Itoa(r.RetryAfter(g.now()))).WithDebug("%s rate limit", which)
}

// take charges one limiter and records its state for the headers; the
// first refusal of a key in a window is recorded in the audit trail by
// violation.
func (g *Guard) take(ctx context.Context, l *ratelimit.Limiter, key, which string, violation func(events.RateLimit) events.Event) error {
	r, ok := l.Take(key)
	if !ok {
		return nil
	}
	ratelimit.Observe(ctx, r)
	if r.Allowed {
		return nil
	}
	if g.rateLimited != nil {
		g.rateLimited(which)
	}
	if r.FirstRefusal && g.events != nil {
		lim := g.limitOf(which)
		g.events.Record(ctx, violation(events.RateLimit{Bucket: "token:" + which, Limit: lim.Requests, Window: lim.Window.String()}))
	}
	return g.refuse(r, which)
}

func (g *Guard) limitOf(which string) ratelimit.Limit {
	switch which {
	case "username":
		return g.cfg.Username
	case "client":
		return g.cfg.Client
	default:
		return g.cfg.Source
	}
}

// loginActor names the user of an attempt in the audit trail without a
// lookup: by the login as sent.
func loginActor(login string) events.Actor {
	return events.Actor{Type: events.TypeUser, AlternateID: truncate(login, 256)}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

func (g *Guard) vouches(c store.Client) bool {
	return c.TokenEndpointAuthMethod != oauth.AuthNone && slices.Contains(g.cfg.TrustedClients, c.ID)
}

// AdmitRequest implements oauth.LoginGuard.
func (g *Guard) AdmitRequest(ctx context.Context, r *http.Request, client store.Client) (string, error) {
	addr, _ := g.cfg.Sources.Resolve(r, g.vouches(client))
	src := SourceKey(addr)
	if addr.IsValid() {
		reqlog.SetSource(ctx, addr.String())
	}
	app := events.App(client.ID, client.Name)
	org := func(l events.RateLimit) events.Event { return events.OrgRateLimitViolation(app, l) }
	if err := g.take(ctx, g.client, client.ID, "client", org); err != nil {
		return src, err
	}
	if src != "" {
		if err := g.take(ctx, g.source, src, "source", org); err != nil {
			return src, err
		}
	}
	return src, nil
}

// PeekRequest implements oauth.LoginGuard: the source limit as the proxies
// say, uncounted.
func (g *Guard) PeekRequest(ctx context.Context, r *http.Request) {
	addr, ok := g.cfg.Sources.Resolve(r, false)
	if !ok {
		return
	}
	if res, ok := g.source.Peek(SourceKey(addr)); ok {
		ratelimit.Observe(ctx, res)
	}
}

// lockoutOn reports whether failures are counted at all.
func (g *Guard) lockoutOn() bool { return g.cfg.MaxAttempts > 0 }

// lockedUntil is when a lock taken now lifts.
func (g *Guard) lockedUntil(now time.Time) time.Time {
	if g.cfg.AutoUnlock <= 0 {
		return now.AddDate(100, 0, 0) // until an operator unlocks
	}
	return now.Add(g.cfg.AutoUnlock)
}

func locked(c store.LoginCounter, now time.Time) bool { return c.LockedUntil.After(now) }

// settle forgets what time has made irrelevant: a lock that lifted, and
// failures that did not lock within a quiet period of AutoUnlock.
func (g *Guard) settle(c *store.LoginCounter, now time.Time) {
	switch {
	case !c.LockedUntil.IsZero() && !c.LockedUntil.After(now):
		c.Failures, c.LockedUntil = 0, time.Time{}
	case c.LockedUntil.IsZero() && g.cfg.AutoUnlock > 0 && c.Failures > 0 && now.Sub(c.UpdatedAt) >= g.cfg.AutoUnlock:
		c.Failures = 0
	}
}

// known reports whether pair is a source that logged in before and has
// not been idle for longer than KnownSourceFor.
func (g *Guard) known(pair store.LoginCounter, now time.Time) bool {
	if pair.Source == "" || pair.LastSuccessAt.IsZero() {
		return false
	}
	return g.cfg.KnownSourceFor <= 0 || now.Sub(pair.LastSuccessAt) < g.cfg.KnownSourceFor
}

// Check implements oauth.LoginGuard: the per-username limit, then the
// lockout.
//
// A login with no failures is let through after one read, without a
// write, while no other attempt of it is in flight on this instance (the
// optimistic path: the common case of a user logging in costs no write
// when nothing changes). Every other attempt is counted as a failure in the
// store before the password is checked, in one transaction (Done gives it
// back on success or when nothing was checked), and is let through only if
// the failures counted plus this instance's optimistic attempt stay under
// MaxAttempts: of N parallel attempts on one instance, exactly MaxAttempts
// reach the hash. Across K instances the first burst against a login with
// no failures may get up to K-1 more (one optimistic attempt each).
func (g *Guard) Check(ctx context.Context, a oauth.LoginAttempt) (oauth.LoginAdmission, error) {
	key := store.NormalizeLogin(a.Username)
	app := events.App(a.ClientID, "")
	if err := g.take(ctx, g.username, key, "username", func(l events.RateLimit) events.Event {
		return events.UserRateLimitViolation(loginActor(a.Username), app, l)
	}); err != nil {
		return nil, err
	}
	adm := &admission{g: g, attempt: a, key: key}
	if !g.lockoutOn() {
		return adm, nil
	}
	if g.optimistic(ctx, adm) {
		return adm, nil
	}
	var refused bool
	err := g.store.UpdateLoginCounters(ctx, key, a.Source, func(shared, pair store.LoginCounter) (store.LoginCounter, store.LoginCounter, error) {
		now := g.now()
		refused, adm.known, adm.locking = false, false, false
		g.settle(&shared, now)
		g.settle(&pair, now)
		c := &shared
		if g.known(pair, now) {
			c, adm.known = &pair, true
		}
		if locked(*c, now) || c.Failures+g.inFlight(key) >= g.cfg.MaxAttempts {
			refused = true
			return shared, pair, nil
		}
		c.Failures++
		c.UpdatedAt = now
		if c.Failures >= g.cfg.MaxAttempts {
			// Taken now so that no attempt beyond the limit gets in while
			// this one is checked; a success gives it back.
			c.LockedUntil = g.lockedUntil(now)
			adm.locking = true
		}
		return shared, pair, nil
	})
	if err != nil {
		return nil, fmt.Errorf("guard: count login attempt: %w", err)
	}
	if refused {
		if g.events != nil {
			g.events.Record(ctx, events.SessionStart(loginActor(a.Username), app, events.ReasonLockedOut))
		}
		// The same answer as a wrong password, after as long.
		if g.delay != nil {
			if err := g.delay.Delay(ctx); err != nil && ctx.Err() != nil {
				return nil, oautherr.ErrTemporarilyUnavailable.WithDescription("The request was cancelled.")
			}
		}
		return nil, oautherr.ErrInvalidGrant.WithDescription("The credentials provided were invalid.").WithDebug("locked out")
	}
	adm.counted = true
	return adm, nil
}

// optimistic lets adm through without a write when its login has no
// failures and no lock where it would be counted, and no other optimistic
// attempt of the login is in flight here. A read error leaves the decision
// to the counted path.
func (g *Guard) optimistic(ctx context.Context, adm *admission) bool {
	shared, pair, err := g.store.GetLoginCounters(ctx, adm.key, adm.attempt.Source)
	if err != nil {
		return false
	}
	now := g.now()
	g.settle(&shared, now)
	g.settle(&pair, now)
	c, known := shared, g.known(pair, now)
	if known {
		c = pair
	}
	if c.Failures > 0 || locked(c, now) {
		return false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.inflight[adm.key] > 0 {
		return false
	}
	g.inflight[adm.key]++
	adm.optimistic, adm.known, adm.seenShared, adm.seenPair = true, known, shared, pair
	return true
}

// inFlight is how many optimistic attempts of a login are in flight here.
func (g *Guard) inFlight(key string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.inflight[key]
}

func (g *Guard) release(key string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.inflight[key]--; g.inflight[key] <= 0 {
		delete(g.inflight, key)
	}
}

// refreshKnownEvery is how stale a known source's last success may get
// before a successful login writes it again (it decides when the source
// stops being known).
const refreshKnownEvery = 24 * time.Hour

// admission is one attempt the guard let through.
type admission struct {
	g       *Guard
	attempt oauth.LoginAttempt
	key     string
	counted bool // a failure was counted for it
	known   bool // counted on the known source's own counter
	locking bool // its failure, if it fails, completes a lock
	// optimistic: let through uncounted (Guard.optimistic), with the
	// counters as they were read.
	optimistic           bool
	seenShared, seenPair store.LoginCounter
}

// Done implements oauth.LoginAdmission. Errors are logged: the answer to
// the client is already decided.
func (a *admission) Done(ctx context.Context, r oauth.LoginResult) {
	g := a.g
	var err error
	switch {
	case a.optimistic:
		defer g.release(a.key)
		err = a.doneOptimistic(ctx, r)
	case !a.counted:
		return
	case r.Outcome == oauth.LoginNotChecked:
		err = a.update(ctx, func(shared, pair *store.LoginCounter, now time.Time) {
			c := a.charged(shared, pair)
			if c.Failures > 0 {
				c.Failures--
			}
			if c.Failures < g.cfg.MaxAttempts {
				c.LockedUntil = time.Time{}
			}
		})
	case r.Outcome == oauth.LoginSucceeded:
		err = a.update(ctx, a.succeeded)
	}
	if err != nil {
		g.logger.WarnContext(ctx, "login guard: record outcome", "err", err)
	}
	if r.UserID == "" {
		return
	}
	locked := a.locking && r.Outcome == oauth.LoginFailed
	if locked && g.events != nil {
		g.events.Record(ctx, events.AccountLocked(events.User(r.UserID, a.attempt.Username, ""), g.cfg.MaxAttempts))
	}
	if r.UserStatus == store.UserLockedOut || locked {
		if err := g.syncStatus(ctx, a.key, r.UserID); err != nil {
			g.logger.WarnContext(ctx, "login guard: update user status", "user_id", r.UserID, "err", err)
		}
	}
}

// succeeded resets the counts after a success. A lock that failures from
// unknown sources took stays when the success came from a known source:
// the attacker elsewhere stays locked out.
func (a *admission) succeeded(shared, pair *store.LoginCounter, now time.Time) {
	if !a.known || !locked(*shared, now) {
		shared.Failures, shared.LockedUntil = 0, time.Time{}
	}
	shared.UpdatedAt = now
	if a.attempt.Source != "" {
		pair.Failures, pair.LockedUntil = 0, time.Time{}
		pair.LastSuccessAt, pair.UpdatedAt = now, now
	}
}

// doneOptimistic records the outcome of an uncounted attempt: a failure is
// counted now (and may complete a lock); a success writes only what
// changes (a source becoming known, or known again after a day, or
// failures on the shared count to reset).
func (a *admission) doneOptimistic(ctx context.Context, r oauth.LoginResult) error {
	g := a.g
	switch r.Outcome {
	case oauth.LoginFailed:
		return a.update(ctx, func(shared, pair *store.LoginCounter, now time.Time) {
			g.settle(shared, now)
			g.settle(pair, now)
			c := a.charged(shared, pair)
			c.Failures++
			c.UpdatedAt = now
			if c.Failures >= g.cfg.MaxAttempts && !locked(*c, now) {
				c.LockedUntil = g.lockedUntil(now)
				a.locking = true
			}
		})
	case oauth.LoginSucceeded:
		now := g.now()
		sh, p := a.seenShared, a.seenPair
		stale := a.attempt.Source != "" && (p.Failures > 0 || p.LastSuccessAt.IsZero() || now.Sub(p.LastSuccessAt) >= refreshKnownEvery)
		if sh.Failures == 0 && sh.LockedUntil.IsZero() && !stale {
			return nil
		}
		return a.update(ctx, a.succeeded)
	}
	return nil
}

// charged is the counter Check counted the attempt on.
func (a *admission) charged(shared, pair *store.LoginCounter) *store.LoginCounter {
	if a.known {
		return pair
	}
	return shared
}

func (a *admission) update(ctx context.Context, fn func(shared, pair *store.LoginCounter, now time.Time)) error {
	return a.g.store.UpdateLoginCounters(ctx, a.key, a.attempt.Source, func(shared, pair store.LoginCounter) (store.LoginCounter, store.LoginCounter, error) {
		fn(&shared, &pair, a.g.now())
		return shared, pair, nil
	})
}

// syncStatus makes the user's status say whether any of the login's
// counters is locked: ACTIVE becomes LOCKED_OUT, and LOCKED_OUT goes back
// to ACTIVE once no lock holds. Other statuses are an operator's and stay.
// A lockout revokes the tokens issued to the user until then
// (store.RevokeUserTokens); a login from a known source after it gets
// tokens that work.
func (g *Guard) syncStatus(ctx context.Context, key, userID string) error {
	counters, err := g.store.ListLoginCounters(ctx, key)
	if err != nil {
		return err
	}
	now := g.now()
	anyLocked := slices.ContainsFunc(counters, func(c store.LoginCounter) bool { return locked(c, now) })
	lockedOut := false
	u, err := g.store.UpdateUser(ctx, userID, func(u store.User) (store.User, error) {
		switch {
		case anyLocked && u.Status == store.UserActive:
			u.Status, lockedOut = store.UserLockedOut, true
		case !anyLocked && u.Status == store.UserLockedOut:
			u.Status = store.UserActive
		default:
			return u, errUnchanged
		}
		u.UpdatedAt = now
		return u, nil
	})
	if errors.Is(err, errUnchanged) {
		return nil
	}
	if err == nil && lockedOut {
		err = g.store.RevokeUserTokens(ctx, userID, now)
	}
	if err == nil && !anyLocked && g.events != nil {
		// The lock lifted on its own (an operator's unlock goes through
		// provision and records its own event).
		g.events.Record(ctx, events.AccountUnlocked(events.User(u.ID, u.Login, "")))
	}
	return err
}

var errUnchanged = errors.New("guard: status unchanged")

// Housekeep forgets counters that no longer matter: failures idle for
// longer than AutoUnlock, and sources not seen to succeed for longer than
// KnownSourceFor.
func (g *Guard) Housekeep(ctx context.Context) (int64, error) {
	now := g.now()
	idle := g.cfg.AutoUnlock
	if idle <= 0 {
		idle = 24 * time.Hour
	}
	return g.store.DeleteStaleLoginCounters(ctx, now.Add(-idle), now.Add(-g.cfg.KnownSourceFor))
}

// ParsePrefixes reads trusted proxy networks: CIDR prefixes or single
// addresses.
func ParsePrefixes(list []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(list))
	for _, s := range list {
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("%q is neither an address nor a CIDR prefix", s)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}
