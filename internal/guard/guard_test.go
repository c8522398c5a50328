package guard

import (
	"context"
	"net/http"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/oauth"
	"github.com/latchkey/latchkey/internal/ratelimit"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/store/sqlite"
)

func openStore(tb testing.TB) store.Store {
	tb.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "guard.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

type fixedClock struct{ t time.Time }

func (c *fixedClock) now() time.Time { return c.t }

// TestNotCheckedGivesTheAttemptBack: an attempt that never reached the
// hash (pool full, request cancelled) does not count.
func TestNotCheckedGivesTheAttemptBack(t *testing.T) {
	st := openStore(t)
	clock := &fixedClock{t: time.Unix(1_700_000_000, 0)}
	cfg := Config{MaxAttempts: 3, AutoUnlock: time.Hour, KnownSourceFor: time.Hour}
	g := New(cfg, Deps{Store: st, Now: clock.now})
	ctx := context.Background()
	a := oauth.LoginAttempt{Username: "Ada@Example.com", Source: "192.0.2.1"}
	for range 10 {
		adm, err := g.Check(ctx, a)
		if err != nil {
			t.Fatalf("an attempt given back still counted: %v", err)
		}
		adm.Done(ctx, oauth.LoginResult{Outcome: oauth.LoginNotChecked})
	}
	cs, err := st.ListLoginCounters(ctx, "ada@example.com")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if c.Failures != 0 || !c.LockedUntil.IsZero() {
			t.Fatalf("counters after attempts given back: %+v", cs)
		}
	}
	// The case of the login does not matter: ADA is ada.
	for range 3 {
		adm, err := g.Check(ctx, oauth.LoginAttempt{Username: "ADA@example.com", Source: "192.0.2.1"})
		if err != nil {
			t.Fatal(err)
		}
		adm.Done(ctx, oauth.LoginResult{Outcome: oauth.LoginFailed})
	}
	if _, err := g.Check(ctx, a); err == nil {
		t.Fatal("a login locked under another case was admitted")
	}
}

// TestFailuresForgottenAfterQuiet: failures that did not lock are
// forgotten after a quiet period as long as the lockout.
func TestFailuresForgottenAfterQuiet(t *testing.T) {
	st := openStore(t)
	clock := &fixedClock{t: time.Unix(1_700_000_000, 0)}
	g := New(Config{MaxAttempts: 3, AutoUnlock: time.Hour, KnownSourceFor: time.Hour}, Deps{Store: st, Now: clock.now})
	ctx := context.Background()
	fail := func() error {
		adm, err := g.Check(ctx, oauth.LoginAttempt{Username: "ada", Source: "192.0.2.1"})
		if err == nil {
			adm.Done(ctx, oauth.LoginResult{Outcome: oauth.LoginFailed})
		}
		return err
	}
	for range 2 {
		if err := fail(); err != nil {
			t.Fatal(err)
		}
	}
	clock.t = clock.t.Add(time.Hour)
	for i := range 2 {
		if err := fail(); err != nil {
			t.Fatalf("failure %d after a quiet hour: %v", i, err)
		}
	}
	if err := fail(); err != nil {
		t.Fatalf("third failure of the new series: %v", err)
	}
	if err := fail(); err == nil {
		t.Fatal("the fourth attempt after three failures was admitted")
	}
	// The source never logged in, so its own counter means nothing and
	// goes; the locked shared counter stays until it is idle.
	n, err := g.Housekeep(ctx)
	if err != nil || n != 1 {
		t.Fatalf("housekeeping while locked: removed %d, %v; want 1 (the unused source counter)", n, err)
	}
	clock.t = clock.t.Add(3 * time.Hour) // the lock lifted, then an idle hour
	if n, err := g.Housekeep(ctx); err != nil || n != 1 {
		t.Fatalf("housekeeping of the idle shared counter: removed %d, %v; want 1", n, err)
	}
}

// TestRateLimitOrder: the client limit applies to every token request of
// a client, whatever the source.
func TestClientLimit(t *testing.T) {
	clock := &fixedClock{t: time.Unix(1_700_000_000, 0)}
	g := New(Config{Client: ratelimit.Limit{Requests: 2, Window: time.Minute}}, Deps{Store: openStore(t), Now: clock.now})
	c := store.Client{ID: "0oaclient", TokenEndpointAuthMethod: oauth.AuthSecretBasic}
	for i := range 3 {
		ctx, h := ratelimit.WithHeaders(context.Background())
		r := &http.Request{RemoteAddr: "192.0.2." + strconv.Itoa(i) + ":1", Header: http.Header{}}
		_, err := g.AdmitRequest(ctx, r, c)
		if (err != nil) != (i == 2) {
			t.Fatalf("request %d: %v", i, err)
		}
		hdr := http.Header{}
		h.Write(hdr)
		if hdr.Get("X-Rate-Limit-Limit") != "2" {
			t.Fatalf("request %d headers: %v", i, hdr)
		}
	}
}

// BenchmarkLogin is the guard's cost per password login on SQLite: the
// per-username limit, the counted attempt and a success (two write
// transactions), without the password check itself.
func BenchmarkLogin(b *testing.B) {
	st := openStore(b)
	g := New(Defaults(), Deps{Store: st})
	g.username = ratelimit.New(ratelimit.Limit{}, nil)
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		a := oauth.LoginAttempt{Username: "user" + strconv.Itoa(i%1000) + "@example.com", Source: "192.0.2.1"}
		adm, err := g.Check(ctx, a)
		if err != nil {
			b.Fatal(err)
		}
		adm.Done(ctx, oauth.LoginResult{Outcome: oauth.LoginSucceeded})
		i++
	}
}

// BenchmarkAdmitRequest is the per-request cost of source resolution and
// the client and source limits.
func BenchmarkAdmitRequest(b *testing.B) {
	g := New(Defaults(), Deps{})
	g.source = ratelimit.New(ratelimit.Limit{Requests: 1 << 30, Window: time.Second}, nil)
	c := store.Client{ID: "0oaclient", TokenEndpointAuthMethod: oauth.AuthSecretBasic}
	r := &http.Request{RemoteAddr: "192.0.2.1:5555", Header: http.Header{"X-Forwarded-For": {"203.0.113.9"}}}
	ctx, _ := ratelimit.WithHeaders(context.Background())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := g.AdmitRequest(ctx, r, c); err != nil {
			b.Fatal(err)
		}
	}
}

// TestOptimisticThenCounted: with one attempt of a login in flight
// uncounted, parallel attempts are counted and, with it, never exceed
// MaxAttempts; a success with nothing to change writes nothing.
func TestOptimisticThenCounted(t *testing.T) {
	st := openStore(t)
	clock := &fixedClock{t: time.Unix(1_700_000_000, 0)}
	g := New(Config{MaxAttempts: 3, AutoUnlock: time.Hour, KnownSourceFor: 24 * time.Hour}, Deps{Store: st, Now: clock.now})
	ctx := context.Background()
	a := oauth.LoginAttempt{Username: "ada", Source: "192.0.2.1"}
	first, err := g.Check(ctx, a) // optimistic: nothing counted yet
	if err != nil {
		t.Fatal(err)
	}
	var admitted []oauth.LoginAdmission
	for range 10 {
		if adm, err := g.Check(ctx, a); err == nil {
			admitted = append(admitted, adm)
		}
	}
	if len(admitted) != 2 {
		t.Fatalf("%d counted attempts let through beside one in flight, want MaxAttempts-1 = 2", len(admitted))
	}
	for _, adm := range admitted {
		adm.Done(ctx, oauth.LoginResult{Outcome: oauth.LoginFailed})
	}
	first.Done(ctx, oauth.LoginResult{Outcome: oauth.LoginFailed})
	if _, err := g.Check(ctx, a); err == nil {
		t.Fatal("a fourth attempt after three failures was let through")
	}
	shared, _, _ := st.GetLoginCounters(ctx, "ada", "192.0.2.1")
	if shared.Failures != 3 || !shared.LockedUntil.After(clock.t) {
		t.Fatalf("shared counter %+v, want 3 failures and a lock", shared)
	}

	// After the lock lifts, a success makes the source known; the next
	// success changes nothing and writes nothing.
	clock.t = clock.t.Add(2 * time.Hour)
	adm, err := g.Check(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	adm.Done(ctx, oauth.LoginResult{Outcome: oauth.LoginSucceeded})
	_, pair, _ := st.GetLoginCounters(ctx, "ada", "192.0.2.1")
	if !pair.LastSuccessAt.Equal(clock.t) {
		t.Fatalf("the source is not known after a success: %+v", pair)
	}
	clock.t = clock.t.Add(time.Minute)
	adm, err = g.Check(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	adm.Done(ctx, oauth.LoginResult{Outcome: oauth.LoginSucceeded})
	_, again, _ := st.GetLoginCounters(ctx, "ada", "192.0.2.1")
	if !again.UpdatedAt.Equal(pair.UpdatedAt) {
		t.Fatalf("a success with nothing to change wrote %+v", again)
	}
}
