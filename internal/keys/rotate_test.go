package keys

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/store/sqlite"
)

// t0 is where test clocks start (whole milliseconds: the store keeps
// milliseconds).
var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// clock is an injectable clock that tests move by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: t0} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func openStore(t testing.TB, path string) store.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func newSealer(t testing.TB) *Sealer {
	t.Helper()
	mk := make([]byte, MasterKeySize)
	rand.Read(mk)
	s, err := NewSealer(mk)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// fixture is a Manager over a fresh SQLite file, with a clock.
type fixture struct {
	path   string
	store  store.Store
	sealer *Sealer
	clock  *clock
	m      *Manager
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	f := &fixture{path: filepath.Join(t.TempDir(), "keys.db"), sealer: newSealer(t), clock: newClock()}
	f.store = openStore(t, f.path)
	f.m = NewManager(Config{Store: f.store, Sealer: f.sealer, Now: f.clock.Now})
	return f
}

// instance is another Manager on its own connection to f's database, with
// the same master key and clock: a second server process.
func (f *fixture) instance(t *testing.T) *Manager {
	t.Helper()
	return NewManager(Config{Store: openStore(t, f.path), Sealer: f.sealer, Now: f.clock.Now})
}

func (f *fixture) keys(t *testing.T, as string) []store.SigningKey {
	t.Helper()
	ks, err := f.store.ListKeys(context.Background(), as)
	if err != nil {
		t.Fatal(err)
	}
	return ks
}

// byStatus returns the kids of ks in each state.
func byStatus(ks []store.SigningKey) map[string][]string {
	out := map[string][]string{}
	for _, k := range ks {
		out[k.Status] = append(out[k.Status], k.ID)
	}
	return out
}

// roleKids returns the kids of the one ACTIVE and the one NEXT key, failing
// unless there is exactly one of each.
func roleKids(t *testing.T, ks []store.SigningKey) (active, next string) {
	t.Helper()
	s := byStatus(ks)
	if len(s[store.KeyActive]) != 1 || len(s[store.KeyNext]) != 1 {
		t.Fatalf("want one ACTIVE and one NEXT key, got %v", s)
	}
	return s[store.KeyActive][0], s[store.KeyNext][0]
}

func jwksKids(t *testing.T, m *Manager, as string) []string {
	t.Helper()
	set, err := m.JWKS(context.Background(), as)
	if err != nil {
		t.Fatal(err)
	}
	var kids []string
	for _, k := range set.Keys {
		if !k.IsPublic() || k.Use != "sig" || !slices.Contains(store.SigningAlgs, k.Algorithm) {
			t.Errorf("JWKS key %s: public %v, use %q, alg %q", k.KeyID, k.IsPublic(), k.Use, k.Algorithm)
		}
		kids = append(kids, k.KeyID)
	}
	slices.Sort(kids)
	return kids
}

// allAlgs are the algorithms a server may sign with.
var allAlgs = []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.EdDSA}

func sorted(kids ...string) []string {
	kids = slices.Clone(kids)
	slices.Sort(kids)
	return kids
}

// sign signs a payload with the server's ACTIVE key and returns the token
// and the kid in its header.
func sign(t *testing.T, m *Manager, as string) (token, kid string) {
	t.Helper()
	s, err := m.ActiveSigner(context.Background(), as)
	if err != nil {
		t.Fatal(err)
	}
	token, err = s.Sign([]byte(`{"sub":"ada"}`))
	if err != nil {
		t.Fatal(err)
	}
	jws, err := jose.ParseSignedCompact(token, allAlgs)
	if err != nil {
		t.Fatal(err)
	}
	if h := jws.Signatures[0].Header; h.KeyID != s.KeyID || h.Algorithm != s.Alg {
		t.Fatalf("header kid %q alg %q, signer kid %q alg %q", h.KeyID, h.Algorithm, s.KeyID, s.Alg)
	}
	return token, s.KeyID
}

// verifies reports whether token verifies against the server's JWKS now.
func verifies(t *testing.T, m *Manager, as, token string) bool {
	t.Helper()
	set, err := m.JWKS(context.Background(), as)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := jose.ParseSignedCompact(token, allAlgs)
	if err != nil {
		t.Fatal(err)
	}
	ks := set.Key(jws.Signatures[0].Header.KeyID)
	if len(ks) != 1 {
		return false
	}
	_, err = jws.Verify(ks[0])
	return err == nil
}

func TestEnsure(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.m.Ensure(ctx, "default"); err != nil {
		t.Fatal(err)
	}
	ks := f.keys(t, "default")
	if len(ks) != 2 {
		t.Fatalf("%d keys after Ensure, want 2", len(ks))
	}
	active, next := roleKids(t, ks)
	for _, k := range ks {
		if !k.CreatedAt.Equal(t0) || k.Alg != "RS256" || !k.ExpiredAt.IsZero() {
			t.Errorf("key %+v", k)
		}
		if want := k.Status == store.KeyActive; k.ActivatedAt.Equal(t0) != want {
			t.Errorf("%s key activated at %v", k.Status, k.ActivatedAt)
		}
	}
	if got := jwksKids(t, f.m, "default"); !slices.Equal(got, sorted(active, next)) {
		t.Errorf("JWKS kids %v, want ACTIVE %s and NEXT %s", got, active, next)
	}
	token, kid := sign(t, f.m, "default")
	if kid != active {
		t.Errorf("signed with %s, want the ACTIVE key %s", kid, active)
	}
	if !verifies(t, f.m, "default", token) {
		t.Error("token does not verify against the JWKS")
	}

	// Ensure again, from another instance: nothing changes.
	if err := f.instance(t).Ensure(ctx, "default"); err != nil {
		t.Fatal(err)
	}
	a2, n2 := roleKids(t, f.keys(t, "default"))
	if a2 != active || n2 != next || len(f.keys(t, "default")) != 2 {
		t.Errorf("second Ensure changed the keys: %s %s, want %s %s", a2, n2, active, next)
	}
}

// TestEnsureAddsNext: a server from before NEXT keys had only an ACTIVE key.
func TestEnsureAddsNext(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	old, err := f.m.Generate("default", store.AlgRS256, store.KeyActive)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.store.CreateKey(ctx, old); err != nil {
		t.Fatal(err)
	}
	if err := f.m.Ensure(ctx, "default"); err != nil {
		t.Fatal(err)
	}
	if active, _ := roleKids(t, f.keys(t, "default")); active != old.ID {
		t.Errorf("ACTIVE %s, want the existing key %s", active, old.ID)
	}
}

func TestEnsureConcurrent(t *testing.T) {
	f := newFixture(t)
	ms := []*Manager{f.m, f.instance(t), f.instance(t)}
	var wg sync.WaitGroup
	errs := make([]error, len(ms))
	for i, m := range ms {
		wg.Go(func() { errs[i] = m.Ensure(context.Background(), "default") })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if ks := f.keys(t, "default"); len(ks) != 2 {
		t.Fatalf("%d keys, want 2: %v", len(ks), byStatus(ks))
	}
	roleKids(t, f.keys(t, "default"))
}

func TestRotate(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.m.Ensure(ctx, "default"); err != nil {
		t.Fatal(err)
	}
	oldActive, oldNext := roleKids(t, f.keys(t, "default"))
	f.clock.Advance(time.Hour)
	before, kid := sign(t, f.m, "default") // also fills the signer cache
	if kid != oldActive {
		t.Fatalf("signed with %s, want %s", kid, oldActive)
	}

	r, err := f.m.Rotate(ctx, "default")
	if err != nil {
		t.Fatal(err)
	}
	now := t0.Add(time.Hour)
	if !r.Rotated || r.Active.ID != oldNext || r.Expired.ID != oldActive || r.Next.ID == oldNext || r.Next.ID == oldActive {
		t.Fatalf("Rotation: rotated %v, active %s, next %s, expired %s; want active %s, expired %s, a new next",
			r.Rotated, r.Active.ID, r.Next.ID, r.Expired.ID, oldNext, oldActive)
	}
	ks := f.keys(t, "default")
	active, next := roleKids(t, ks)
	if active != oldNext || next != r.Next.ID {
		t.Errorf("store: ACTIVE %s NEXT %s, want %s %s", active, next, oldNext, r.Next.ID)
	}
	for _, k := range ks {
		switch k.ID {
		case oldActive:
			if k.Status != store.KeyExpired || !k.ExpiredAt.Equal(now) || !k.ActivatedAt.Equal(t0) {
				t.Errorf("former ACTIVE: %s, activated %v, expired %v", k.Status, k.ActivatedAt, k.ExpiredAt)
			}
		case oldNext:
			if !k.ActivatedAt.Equal(now) || !k.ExpiredAt.IsZero() {
				t.Errorf("former NEXT: activated %v, expired %v", k.ActivatedAt, k.ExpiredAt)
			}
		case next:
			if !k.CreatedAt.Equal(now) || !k.ActivatedAt.IsZero() {
				t.Errorf("new NEXT: created %v, activated %v", k.CreatedAt, k.ActivatedAt)
			}
		}
	}
	if got := jwksKids(t, f.m, "default"); !slices.Equal(got, sorted(oldActive, oldNext, next)) {
		t.Errorf("JWKS kids %v, want the EXPIRED, ACTIVE and NEXT keys", got)
	}
	// This instance signs with the new key at once, not after the recheck.
	after, kid := sign(t, f.m, "default")
	if kid != oldNext {
		t.Errorf("after Rotate signed with %s, want the former NEXT %s", kid, oldNext)
	}
	for name, tok := range map[string]string{"before": before, "after": after} {
		if !verifies(t, f.m, "default", tok) {
			t.Errorf("token signed %s the rotation does not verify against the JWKS", name)
		}
	}
}

func TestRotateWithoutKeys(t *testing.T) {
	f := newFixture(t)
	if _, err := f.m.Rotate(context.Background(), "aus404"); !errors.Is(err, ErrNoActiveKey) {
		t.Fatalf("Rotate of a server without keys: %v, want ErrNoActiveKey", err)
	}
	if ks := f.keys(t, "aus404"); len(ks) != 0 {
		t.Errorf("Rotate created keys: %v", byStatus(ks))
	}
}

// TestRotateWithoutNext: a forced rotation of a server that has only an
// ACTIVE key still leaves one ACTIVE and one NEXT.
func TestRotateWithoutNext(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	old, err := f.m.Generate("default", store.AlgRS256, store.KeyActive)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.store.CreateKey(ctx, old); err != nil {
		t.Fatal(err)
	}
	r, err := f.m.Rotate(ctx, "default")
	if err != nil {
		t.Fatal(err)
	}
	ks := f.keys(t, "default")
	active, next := roleKids(t, ks)
	if !r.Rotated || r.Expired.ID != old.ID || active == old.ID || r.Active.ID != active || r.Next.ID != next {
		t.Errorf("Rotation %+v, store %v", r, byStatus(ks))
	}
}

// TestActiveSignerSeesOtherInstance: a rotation by another instance is used
// once the recheck period has passed.
func TestActiveSignerSeesOtherInstance(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.m.Ensure(ctx, "default"); err != nil {
		t.Fatal(err)
	}
	_, kid := sign(t, f.m, "default")
	r, err := f.instance(t).Rotate(ctx, "default")
	if err != nil {
		t.Fatal(err)
	}
	if r.Expired.ID != kid {
		t.Fatalf("other instance expired %s, want %s", r.Expired.ID, kid)
	}
	f.clock.Advance(30 * time.Second)
	if _, kid := sign(t, f.m, "default"); kid != r.Active.ID {
		t.Errorf("30s after another instance rotated, signed with %s, want %s", kid, r.Active.ID)
	}
}

func TestRotateIfDue(t *testing.T) {
	day := 24 * time.Hour
	tests := []struct {
		name   string
		server store.AuthServer
		due    time.Duration // 0: never
	}{
		{"default interval", store.AuthServer{ID: "default", KeyRotationMode: store.RotationAuto}, 90 * day},
		{"empty mode is AUTO", store.AuthServer{ID: "default"}, 90 * day},
		{"custom interval", store.AuthServer{ID: "default", KeyRotationMode: store.RotationAuto, KeyRotationInterval: 30 * day}, 30 * day},
		{"interval below two weeks", store.AuthServer{ID: "default", KeyRotationInterval: day}, 14 * day},
		{"manual", store.AuthServer{ID: "default", KeyRotationMode: store.RotationManual}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			ctx := context.Background()
			if err := f.m.Ensure(ctx, "default"); err != nil {
				t.Fatal(err)
			}
			oldActive, oldNext := roleKids(t, f.keys(t, "default"))
			check := func(at time.Duration, wantRotated bool) Rotation {
				t.Helper()
				f.clock.Advance(t0.Add(at).Sub(f.clock.Now()))
				r, err := f.m.RotateIfDue(ctx, tt.server)
				if err != nil {
					t.Fatal(err)
				}
				if r.Rotated != wantRotated {
					t.Fatalf("at %v: rotated %v, want %v", at, r.Rotated, wantRotated)
				}
				return r
			}
			if tt.due == 0 {
				r := check(1000*day, false)
				if a, n := roleKids(t, f.keys(t, "default")); a != oldActive || n != oldNext || r.Active.ID != a || r.Next.ID != n {
					t.Errorf("MANUAL server's keys changed")
				}
				return
			}
			check(tt.due-time.Millisecond, false)
			if a, _ := roleKids(t, f.keys(t, "default")); a != oldActive {
				t.Fatalf("rotated before due")
			}
			r := check(tt.due, true)
			if r.Active.ID != oldNext || r.Expired.ID != oldActive {
				t.Errorf("rotation: %+v", r)
			}
			// The new ACTIVE key signs for a full interval from now.
			check(tt.due+tt.due-time.Millisecond, false)
			check(2*tt.due, true)
			if n := len(byStatus(f.keys(t, "default"))[store.KeyExpired]); n != 2 {
				t.Errorf("%d EXPIRED keys after two rotations, want 2", n)
			}
		})
	}
}

// TestRotateIfDueLegacy: an old ACTIVE key without a NEXT key gets a NEXT
// key first, which must be published for two weeks before it signs.
func TestRotateIfDueLegacy(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	old, err := f.m.Generate("default", store.AlgRS256, store.KeyActive)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.store.CreateKey(ctx, old); err != nil {
		t.Fatal(err)
	}
	srv := store.AuthServer{ID: "default"}
	f.clock.Advance(365 * 24 * time.Hour)
	r, err := f.m.RotateIfDue(ctx, srv)
	if err != nil {
		t.Fatal(err)
	}
	active, next := roleKids(t, f.keys(t, "default"))
	if r.Rotated || active != old.ID || r.Next.ID != next {
		t.Fatalf("first pass: rotated %v, ACTIVE %s (want %s)", r.Rotated, active, old.ID)
	}
	f.clock.Advance(MinNextPublication - time.Millisecond)
	if r, err := f.m.RotateIfDue(ctx, srv); err != nil || r.Rotated {
		t.Fatalf("rotated %v, %v before NEXT was published two weeks", r.Rotated, err)
	}
	f.clock.Advance(time.Millisecond)
	if r, err := f.m.RotateIfDue(ctx, srv); err != nil || !r.Rotated || r.Active.ID != next {
		t.Fatalf("after two weeks: %+v, %v", r, err)
	}
}

func TestPrune(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.m.Ensure(ctx, "default"); err != nil {
		t.Fatal(err)
	}
	r, err := f.m.Rotate(ctx, "default") // expires at t0
	if err != nil {
		t.Fatal(err)
	}
	// An EXPIRED key that does not say when it expired is kept.
	undated, err := f.m.Generate("default", store.AlgRS256, store.KeyExpired)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.store.CreateKey(ctx, undated); err != nil {
		t.Fatal(err)
	}
	window := 2 * time.Hour
	f.clock.Advance(window - time.Millisecond)
	deleted, err := f.m.Prune(ctx, "default", window)
	if err != nil || len(deleted) != 0 {
		t.Fatalf("before the window passed: deleted %v, %v", deleted, err)
	}
	f.clock.Advance(time.Millisecond)
	deleted, err = f.m.Prune(ctx, "default", window)
	if err != nil || !slices.Equal(deleted, []string{r.Expired.ID}) {
		t.Fatalf("after the window: deleted %v, %v; want [%s]", deleted, err, r.Expired.ID)
	}
	if got := jwksKids(t, f.m, "default"); !slices.Equal(got, sorted(r.Active.ID, r.Next.ID, undated.ID)) {
		t.Errorf("JWKS kids %v after Prune", got)
	}
	// Another instance that read the key before it was deleted is fine.
	if deleted, err := f.instance(t).Prune(ctx, "default", window); err != nil || len(deleted) != 0 {
		t.Errorf("second Prune: %v, %v", deleted, err)
	}
}

func TestPruneDefaultWindow(t *testing.T) {
	if want := 25*time.Hour + 5*time.Minute; DefaultPublishExpiredFor != want || PublishWindow(time.Hour) != want {
		t.Fatalf("DefaultPublishExpiredFor %v, PublishWindow(1h) %v, want %v", DefaultPublishExpiredFor, PublishWindow(time.Hour), want)
	}
	f := newFixture(t)
	ctx := context.Background()
	if err := f.m.Ensure(ctx, "default"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.Rotate(ctx, "default"); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(DefaultPublishExpiredFor - time.Millisecond)
	if deleted, err := f.m.Prune(ctx, "default", 0); err != nil || len(deleted) != 0 {
		t.Fatalf("deleted %v, %v before the default window", deleted, err)
	}
	f.clock.Advance(time.Millisecond)
	if deleted, err := f.m.Prune(ctx, "default", 0); err != nil || len(deleted) != 1 {
		t.Fatalf("deleted %v, %v at the default window", deleted, err)
	}
}

// race runs fn on two Managers over two connections to one database at
// once, several times, and checks that each round rotated exactly once.
func race(t *testing.T, fn func(m *Manager) (Rotation, error), between func(f *fixture)) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.m.Ensure(ctx, "default"); err != nil {
		t.Fatal(err)
	}
	ms := [2]*Manager{f.instance(t), f.instance(t)}
	const rounds = 3
	for round := 1; round <= rounds; round++ {
		between(f)
		var rs [2]Rotation
		var errs [2]error
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i, m := range ms {
			wg.Go(func() {
				<-start
				rs[i], errs[i] = fn(m)
			})
		}
		close(start)
		wg.Wait()
		if err := errors.Join(errs[:]...); err != nil {
			t.Fatal(err)
		}
		if rs[0].Rotated == rs[1].Rotated {
			t.Fatalf("round %d: rotated %v and %v, want exactly one", round, rs[0].Rotated, rs[1].Rotated)
		}
		ks := f.keys(t, "default")
		if n := len(byStatus(ks)[store.KeyExpired]); n != round {
			t.Fatalf("round %d: %d EXPIRED keys, want %d", round, n, round)
		}
		active, next := roleKids(t, ks)
		for i, r := range rs {
			if r.Active.ID != active || r.Next.ID != next {
				t.Errorf("round %d: instance %d reports ACTIVE %s NEXT %s, store has %s %s", round, i, r.Active.ID, r.Next.ID, active, next)
			}
		}
	}
}

func TestRotateConcurrent(t *testing.T) {
	// Rotate is unconditional: an instance that lists the keys after the
	// other's rotation has committed rotates again, rightly. What this test
	// proves is the case of two instances that both listed the same ACTIVE
	// key before either committed: exactly one rotates. Rotate lists, then
	// makes the new NEXT key, then commits; with the keys coming in pairs
	// each instance has listed before either can commit. (Slow real key
	// generation made the overlap likely, not certain.)
	var once sync.Once
	race(t, func(m *Manager) (Rotation, error) { return m.Rotate(context.Background(), "default") },
		func(*fixture) { once.Do(func() { pairedKeys(t) }) }) // after race's Ensure, which makes its keys alone
}

// pairedKeys makes new signing keys come in pairs until t ends: a call
// returns only once another call has arrived, then each takes its key from
// the source installed before (the pool TestMain installs). The hook is
// process-wide: t must not run in parallel with tests that make keys.
func pairedKeys(t *testing.T) {
	prev := rsaKeySource.Load()
	var mu sync.Mutex
	var waiting chan struct{} // the first of a pair waits on it
	src := func() (*rsa.PrivateKey, error) {
		mu.Lock()
		if ch := waiting; ch == nil {
			ch = make(chan struct{})
			waiting = ch
			mu.Unlock()
			select {
			case <-ch:
			case <-time.After(time.Minute): // only so that a broken pairing fails instead of hanging
				mu.Lock()
				if waiting == ch {
					waiting = nil
				}
				mu.Unlock()
				return nil, errors.New("pairedKeys: no second key was asked for")
			}
		} else {
			close(ch)
			waiting = nil
			mu.Unlock()
		}
		if prev == nil {
			return rsa.GenerateKey(rand.Reader, RSABits)
		}
		return (*prev)()
	}
	rsaKeySource.Store(&src)
	t.Cleanup(func() { rsaKeySource.Store(prev) })
}

func TestRotateIfDueConcurrent(t *testing.T) {
	race(t, func(m *Manager) (Rotation, error) {
		return m.RotateIfDue(context.Background(), store.AuthServer{ID: "default"})
	}, func(f *fixture) { f.clock.Advance(DefaultRotationInterval) })
}

// syncBuffer is a log sink the loop writes while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestRunRotation(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, as := range []string{"default", "ausManual"} {
		if err := f.m.Ensure(ctx, as); err != nil {
			t.Fatal(err)
		}
	}
	// An EXPIRED key whose window has passed, to be deleted.
	stale, err := f.m.Generate("default", store.AlgRS256, store.KeyExpired)
	if err != nil {
		t.Fatal(err)
	}
	stale.ExpiredAt = t0.Add(-time.Hour)
	if err := f.store.CreateKey(ctx, stale); err != nil {
		t.Fatal(err)
	}
	oldActive, oldNext := roleKids(t, f.keys(t, "default"))
	manualActive, _ := roleKids(t, f.keys(t, "ausManual"))
	f.clock.Advance(DefaultRotationInterval)

	servers := []store.AuthServer{
		{ID: "default"},
		{ID: "ausManual", KeyRotationMode: store.RotationManual},
		{ID: "ausNew"}, // no keys yet
	}
	calls := make(chan int, 1000)
	var mu sync.Mutex
	n := 0
	list := func(context.Context) ([]store.AuthServer, error) {
		mu.Lock()
		n++
		call := n
		mu.Unlock()
		select {
		case calls <- call:
		default:
		}
		if call == 1 {
			return nil, errors.New("store down")
		}
		return servers, nil
	}
	var logs syncBuffer
	var rotated []string // told by the Rotated hook; read after the loop ends
	loopCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		f.m.RunRotation(loopCtx, RotationConfig{List: list, Every: time.Millisecond, PublishExpiredFor: time.Hour,
			Logger: slog.New(slog.NewTextHandler(&logs, nil)), Rotated: func(id string) { rotated = append(rotated, id) }})
	}()
	// The third call to List begins after the second pass, the first that
	// got the servers, has finished.
	for c := range calls {
		if c == 3 {
			break
		}
	}
	cancel()
	<-done

	ks := f.keys(t, "default")
	active, _ := roleKids(t, ks)
	st := byStatus(ks)
	if active != oldNext || !slices.Equal(st[store.KeyExpired], []string{oldActive}) {
		t.Errorf("default: %v; want %s ACTIVE and only %s EXPIRED (the stale key deleted, one rotation)", st, oldNext, oldActive)
	}
	if a, _ := roleKids(t, f.keys(t, "ausManual")); a != manualActive {
		t.Errorf("MANUAL server rotated")
	}
	roleKids(t, f.keys(t, "ausNew"))
	out := logs.String()
	for _, want := range []string{"store down", "signing keys rotated", "authserver=default", "expired signing key deleted", "kid=" + stale.ID} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	if strings.Count(out, "signing keys rotated") != 1 {
		t.Errorf("want one rotation logged:\n%s", out)
	}
	if !slices.Equal(rotated, []string{"default"}) {
		t.Errorf("Rotated told of %v, want [default]", rotated)
	}
}
