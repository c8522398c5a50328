package app

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"

	"github.com/latchkey/latchkey/internal/config"
)

// The garbage collector's pacing under serve.
//
// Go collects when the heap has grown by GOGC percent (100) over what the
// last collection left live. Latchkey's live heap is small (a few MiB)
// while every password check allocates the hash's whole memory (argon2id's
// memory_kib) and drops it at once, so the default pace collects dozens of
// times a second under a login load: with the cheap hash of
// scripts/bench.sh, 20 to 40 % fewer password grants a second than with
// GOGC=400 (docs/performance.md). Raising GOGC alone would let a heap whose
// live part is tens of MiB grow to hundreds.
//
// So serve aims the collector at a heap target instead: GCTarget, 64 MiB
// plus twice the memory of the hashes the pool runs at once. After each
// collection the percentage is set so that the next one comes when the
// heap reaches that target (the live heap plus room for the hashes), at
// least GOGC=100 (so a large live heap is paced as by default, never
// collected continuously) and at most 500. Memory stays bounded by the
// hashing pool; the collections become rare.
const (
	gcBaseTarget = 64 << 20
	gcMinPercent = 100
	gcMaxPercent = 500
)

// GCTarget is the heap size serve's collector aims at (see above): 64 MiB
// plus two hashes' memory per hashing worker (password.workers, else the
// CPU count).
func GCTarget(cfg config.Config) uint64 {
	workers := cfg.Password.Workers
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	return gcBaseTarget + 2*uint64(workers)*uint64(cfg.Password.MemoryKiB)<<10
}

// gcPercent is the GOGC that makes the next collection come when a heap
// whose live part is live reaches target, within [gcMinPercent,
// gcMaxPercent].
func gcPercent(live, target uint64) int {
	if live == 0 || target <= live {
		return gcMinPercent
	}
	p := (target - live) * 100 / live
	return int(min(max(p, gcMinPercent), gcMaxPercent))
}

// TuneGC starts pacing the collector toward GCTarget(cfg), unless the
// environment sets GOGC (an operator's choice is kept); started reports
// whether it did. The returned stop ends the pacing and restores the
// percentage that was in force.
func TuneGC(cfg config.Config, getenv func(string) string) (stop func(), started bool) {
	if getenv("GOGC") != "" {
		return func() {}, false
	}
	t := &gcTuner{target: GCTarget(cfg), samples: []metrics.Sample{{Name: "/gc/heap/live:bytes"}}}
	t.prev = debug.SetGCPercent(gcMinPercent)
	t.tune()
	t.arm()
	return t.stop, true
}

// gcTuner sets the percentage after each collection: a finalizer on an
// unreachable sentinel runs once per collection and arms the next.
type gcTuner struct {
	target  uint64
	mu      sync.Mutex
	samples []metrics.Sample
	prev    int
	current int
	stopped bool
}

type gcSentinel struct{ _ [16]byte } // not zero-sized: those may share an address and never be freed

func (t *gcTuner) arm() {
	runtime.SetFinalizer(&gcSentinel{}, func(*gcSentinel) {
		if t.tune() {
			t.arm()
		}
	})
}

// tune sets the percentage for the live heap the last collection left,
// and reports whether the tuner still runs.
func (t *gcTuner) tune() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped {
		return false
	}
	metrics.Read(t.samples)
	var live uint64
	if s := t.samples[0]; s.Value.Kind() == metrics.KindUint64 {
		live = s.Value.Uint64()
	}
	if p := gcPercent(live, t.target); p != t.current {
		debug.SetGCPercent(p)
		t.current = p
	}
	return true
}

func (t *gcTuner) stop() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.stopped {
		t.stopped = true
		debug.SetGCPercent(t.prev)
	}
}
