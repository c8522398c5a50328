package password

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// Fake costs of one check: what argon2id at OWASP's parameters and bcrypt at
// cost 12 take on one core.
const (
	argon2Cost = 27 * time.Millisecond
	bcryptCost = 82 * time.Millisecond
)

// fakeClock is a Config.Now and Config.Sleep that only move when told, and
// an inWorker hook that charges each check its fake cost.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	inSlot  int                   // checks that reached a worker
	onSleep func(d time.Duration) // called at each sleep, if set
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Unix(1_800_000_000, 0)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if c.onSleep != nil {
		c.onSleep(d)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	c.advance(d)
	return nil
}

func (c *fakeClock) chargeCost(_ context.Context, encoded string) {
	c.mu.Lock()
	c.inSlot++
	c.mu.Unlock()
	if strings.HasPrefix(encoded, "$2") {
		c.advance(bcryptCost)
	} else {
		c.advance(argon2Cost)
	}
}

func newFakeTimeHasher(t *testing.T, clk *fakeClock) *Hasher {
	t.Helper()
	h, err := newHasherHooked(Config{Params: cheap, Workers: 1, Now: clk.Now, Sleep: clk.Sleep}, clk.chargeCost)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// took returns how long f took by clk.
func took(clk *fakeClock, f func()) time.Duration {
	start := clk.Now()
	f()
	return clk.Now().Sub(start)
}

func TestEqualTime(t *testing.T) {
	t.Parallel()
	clk := newFakeClock()
	h := newFakeTimeHasher(t, clk)
	ctx := context.Background()
	argonHash, err := h.Hash(ctx, "right")
	if err != nil {
		t.Fatal(err)
	}
	b, err := bcrypt.GenerateFromPassword([]byte("right"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	bcryptHash := string(b)

	// New seeded the floor with the dummy check's cost: the first unknown
	// user already takes as long as an argon2id check.
	if d := took(clk, func() { _ = h.VerifyDummy(ctx, "x") }); d != argon2Cost {
		t.Fatalf("first VerifyDummy took %v, want %v", d, argon2Cost)
	}
	// A bcrypt user is checked: from then on everyone takes its time.
	if d := took(clk, func() { _, _ = h.Verify(ctx, bcryptHash, "wrong") }); d != bcryptCost {
		t.Fatalf("first bcrypt check took %v, want %v", d, bcryptCost)
	}
	for _, tc := range []struct {
		name  string
		check func() error
	}{
		{"unknown user", func() error { return h.VerifyDummy(ctx, "wrong") }},
		{"wrong password, argon2id", func() error { _, err := h.Verify(ctx, argonHash, "wrong"); return err }},
		{"wrong password, bcrypt", func() error { _, err := h.Verify(ctx, bcryptHash, "wrong"); return err }},
		{"right password, argon2id", func() error { _, err := h.Verify(ctx, argonHash, "right"); return err }},
		{"over-long password", func() error {
			_, err := h.Verify(ctx, bcryptHash, strings.Repeat("x", MaxLength+1))
			return err
		}},
		{"locked out (Delay)", func() error { return h.Delay(ctx) }},
	} {
		// Not parallel: the subtests share one fake clock.
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if d := took(clk, func() { err = tc.check() }); d != bcryptCost {
				t.Errorf("took %v, want %v", d, bcryptCost)
			}
			if err != nil {
				t.Errorf("err = %v", err)
			}
		})
	}
}

func TestDelayUsesNoWorker(t *testing.T) {
	t.Parallel()
	clk := newFakeClock()
	h := newFakeTimeHasher(t, clk)
	before := clk.inSlot
	// Hold the only worker: Delay must not need it.
	if err := h.pool.acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer h.pool.release()
	if d := took(clk, func() {
		if err := h.Delay(context.Background()); err != nil {
			t.Fatal(err)
		}
	}); d != argon2Cost {
		t.Fatalf("Delay took %v, want the floor %v", d, argon2Cost)
	}
	if clk.inSlot != before {
		t.Fatal("Delay hashed")
	}
}

func TestFloorWaitsAfterRelease(t *testing.T) {
	t.Parallel()
	clk := newFakeClock()
	h := newFakeTimeHasher(t, clk)
	b, _ := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
	if _, err := h.Verify(context.Background(), string(b), "pw"); err != nil {
		t.Fatal(err)
	}
	slept := 0
	clk.onSleep = func(d time.Duration) {
		slept++
		h.pool.mu.Lock()
		defer h.pool.mu.Unlock()
		if h.pool.free != 1 {
			t.Errorf("sleeping %v while holding a worker", d)
		}
	}
	if err := h.VerifyDummy(context.Background(), "pw"); err != nil {
		t.Fatal(err)
	}
	if slept != 1 {
		t.Fatalf("slept %d times, want 1", slept)
	}
}

func TestFloorForgetsOldFormats(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		idle  time.Duration
		floor time.Duration
	}{
		{"within the window", time.Hour - time.Second, bcryptCost},
		{"past the window", time.Hour + time.Second, argon2Cost},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clk := newFakeClock()
			h, err := newHasherHooked(Config{Params: cheap, Workers: 1, FloorWindow: time.Hour, Now: clk.Now, Sleep: clk.Sleep}, clk.chargeCost)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
			if _, err := h.Verify(context.Background(), string(b), "pw"); err != nil {
				t.Fatal(err)
			}
			clk.advance(tc.idle)
			if d := took(clk, func() { _ = h.Delay(context.Background()) }); d != tc.floor {
				t.Fatalf("Delay took %v, want %v", d, tc.floor)
			}
		})
	}
}

func TestFloorWaitCancelled(t *testing.T) {
	t.Parallel()
	clk := newFakeClock()
	h := newFakeTimeHasher(t, clk)
	b, _ := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
	if _, err := h.Verify(context.Background(), string(b), "pw"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	clk.onSleep = func(time.Duration) { cancel() }
	if err := h.VerifyDummy(ctx, "pw"); !errors.Is(err, context.Canceled) {
		t.Fatalf("VerifyDummy err = %v, want context.Canceled", err)
	}
	if err := h.Delay(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Delay err = %v, want context.Canceled", err)
	}
}

// TestUnreadableHashIsNotFloored: the caller follows an unreadable hash
// with VerifyDummy, which waits the floor; waiting here too would double it.
func TestUnreadableHashIsNotFloored(t *testing.T) {
	t.Parallel()
	clk := newFakeClock()
	h := newFakeTimeHasher(t, clk)
	clk.onSleep = func(d time.Duration) { t.Errorf("slept %v for an unreadable hash", d) }
	for _, enc := range []string{"plain", "$2a$31$abcdefghijklmnopqrstuuJm5lYgBYyQXnBBe4VMbWmGrBAWa6a7a"} {
		if _, err := h.Verify(context.Background(), enc, "pw"); err == nil {
			t.Fatalf("Verify(%q) succeeded", enc)
		}
	}
}

func TestFloorRule(t *testing.T) {
	t.Parallel()
	ms := time.Millisecond
	base := costClass{format: "argon2id", memoryKiB: 64, iterations: 1, parallelism: 1}
	slow := costClass{format: "bcrypt", bcryptCost: 12}
	type sample struct {
		class costClass
		d     time.Duration
	}
	for _, tc := range []struct {
		name    string
		samples []sample
		want    time.Duration
	}{
		{"first sample is the estimate", []sample{{base, 100 * ms}}, 100 * ms},
		// mean 100 + (60-100)/8 = 95; dev 0 + (40-0)/4 = 10; 95 + 2*10.
		{"mean plus two deviations", []sample{{base, 100 * ms}, {base, 60 * ms}}, 115 * ms},
		{"slowest class wins", []sample{{base, 27 * ms}, {slow, 82 * ms}, {base, 27 * ms}}, 82 * ms},
		{"steady cost has no deviation", []sample{{slow, 82 * ms}, {slow, 82 * ms}, {slow, 82 * ms}}, 82 * ms},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			now := time.Unix(0, 0)
			f := newFloorStats(base, time.Hour)
			for _, s := range tc.samples {
				f.observe(s.class, s.d, now)
			}
			if got := f.floor(now); got != tc.want {
				t.Fatalf("floor = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestFloorClassesBounded(t *testing.T) {
	t.Parallel()
	base := costClass{format: "argon2id", memoryKiB: 64, iterations: 1, parallelism: 1}
	f := newFloorStats(base, time.Hour)
	now := time.Unix(0, 0)
	f.observe(base, time.Millisecond, now)
	for i := range 100 {
		now = now.Add(time.Second)
		f.observe(costClass{format: "bcrypt", bcryptCost: i}, time.Millisecond, now)
	}
	if len(f.classes) > maxClasses {
		t.Fatalf("%d classes tracked, want at most %d", len(f.classes), maxClasses)
	}
	if f.classes[base] == nil {
		t.Fatal("the configured class was forgotten")
	}
}

// TestSeedTakesFasterRun: New times the dummy hash and one dummy check and
// seeds the floor with the faster, so a cold first run does not slow logins.
func TestSeedTakesFasterRun(t *testing.T) {
	t.Parallel()
	clk := newFakeClock()
	coldFirst := func(_ context.Context, encoded string) {
		if encoded == "" {
			clk.advance(3 * argon2Cost) // the dummy hash, on a cold heap
		} else {
			clk.advance(argon2Cost)
		}
	}
	h, err := newHasherHooked(Config{Params: cheap, Workers: 1, Now: clk.Now, Sleep: clk.Sleep}, coldFirst)
	if err != nil {
		t.Fatal(err)
	}
	if d := took(clk, func() { _ = h.Delay(context.Background()) }); d != argon2Cost {
		t.Fatalf("seeded floor %v, want %v", d, argon2Cost)
	}
}

// TestLazyHasherSeedsOnFirstUse: a Lazy hasher hashes nothing until it is
// first used (a CLI command that checks no password pays nothing), then
// seeds the floor before that first answer, exactly as New does eagerly:
// the first unknown-user check already waits the floor.
func TestLazyHasherSeedsOnFirstUse(t *testing.T) {
	var hashes atomic.Int64
	count := func(context.Context, string) { hashes.Add(1) }
	h, err := newHasherHooked(Config{Params: cheap, Workers: 1, Lazy: true}, count)
	if err != nil {
		t.Fatal(err)
	}
	if n := hashes.Load(); n != 0 {
		t.Fatalf("a lazy hasher hashed %d times at construction", n)
	}
	if got := h.floor.floor(time.Now()); got != 0 {
		t.Fatalf("floor before first use %v, want 0 (unseeded)", got)
	}
	if err := h.VerifyDummy(context.Background(), "nobody's password"); err != nil {
		t.Fatal(err)
	}
	// The seed (a hash and a check) ran before the dummy check itself.
	if n := hashes.Load(); n != 3 {
		t.Fatalf("%d hashes after the first check, want 3 (dummy hash, seeding check, the check)", n)
	}
	if got := h.floor.floor(time.Now()); got <= 0 {
		t.Fatalf("floor after first use %v, want the seeded cost", got)
	}
	if err := h.Warm(); err != nil || hashes.Load() != 3 {
		t.Fatalf("Warm after seeding: %v, %d hashes", err, hashes.Load())
	}
	eager, err := newHasherHooked(Config{Params: cheap, Workers: 1}, count)
	if err != nil || eager.dummy == "" {
		t.Fatalf("an eager hasher has no dummy hash: %v", err)
	}
}
