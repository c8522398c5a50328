package app

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/config"
)

func TestGCPercent(t *testing.T) {
	const mib = 1 << 20
	for _, tc := range []struct {
		live, target uint64
		want         int
	}{
		{10 * mib, 30 * mib, 200},   // the next collection at the target
		{6 * mib, 67 * mib, 500},    // capped: at most 500
		{48 * mib, 140 * mib, 191},  // the default hash's pool at work
		{100 * mib, 140 * mib, 100}, // a large live heap: paced as by default
		{200 * mib, 140 * mib, 100}, // over the target: never below 100
		{0, 140 * mib, 100},         // no reading
	} {
		if got := gcPercent(tc.live, tc.target); got != tc.want {
			t.Errorf("gcPercent(%d MiB, %d MiB) = %d, want %d", tc.live/mib, tc.target/mib, got, tc.want)
		}
	}
}

func TestGCTarget(t *testing.T) {
	cfg := config.Default()
	cfg.Password.Workers, cfg.Password.MemoryKiB = 2, 19*1024
	if got, want := GCTarget(cfg), uint64(64+2*2*19)<<20; got != want {
		t.Errorf("GCTarget = %d MiB, want %d MiB", got>>20, want>>20)
	}
}

// TestTuneGC: serve's pacing sets the percentage after collections, keeps
// an operator's GOGC, and its stop restores what was in force.
func TestTuneGC(t *testing.T) {
	current := func() int { p := debug.SetGCPercent(-1); debug.SetGCPercent(p); return p }
	before := current()
	if _, started := TuneGC(config.Default(), func(k string) string {
		if k == "GOGC" {
			return "150"
		}
		return ""
	}); started || current() != before {
		t.Fatalf("TuneGC with GOGC set: started %v, percent %d (was %d)", started, current(), before)
	}

	cfg := config.Default()
	cfg.Password.Workers, cfg.Password.MemoryKiB = 2, 19*1024 // a 140 MiB target: far above this test's live heap
	stop, started := TuneGC(cfg, func(string) string { return "" })
	if !started {
		t.Fatal("TuneGC did not start without GOGC")
	}
	deadline := time.Now().Add(10 * time.Second)
	for current() != gcMaxPercent {
		if time.Now().After(deadline) {
			stop()
			t.Fatalf("percent %d after collections, want %d", current(), gcMaxPercent)
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	runtime.GC()
	time.Sleep(10 * time.Millisecond)
	if got := current(); got != before {
		t.Fatalf("percent %d after stop, want %d", got, before)
	}
}
