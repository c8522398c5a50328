package password

import (
	"context"
	"sync"
	"time"
)

// costClass groups verifications that cost about the same: one hash format
// at one cost. argon2id's key length is left out; its cost is negligible.
type costClass struct {
	format      string // "argon2id", "bcrypt" or an imported format ("pbkdf2-sha256", …)
	memoryKiB   uint32
	iterations  uint32 // argon2id passes, PBKDF2 iterations
	parallelism uint8
	bcryptCost  int
}

func argon2Class(p Params) costClass {
	return costClass{format: "argon2id", memoryKiB: p.MemoryKiB, iterations: p.Iterations, parallelism: p.Parallelism}
}

// maxClasses bounds how many cost classes are tracked. A store rarely holds
// more than two or three; past the bound the least recently seen is
// forgotten (the configured class never is).
const maxClasses = 16

// costStat is the smoothed cost of one class, kept the way TCP keeps its
// round-trip time (RFC 6298 section 2): a moving mean with gain 1/8 and a
// moving mean deviation with gain 1/4.
//
// The estimate adds two deviations, not RFC 6298's four: the margin only
// has to cover the tail of the slowest class (checks of one class are
// alike anyway), and every verification pays it in latency. Two mean
// deviations cover about 95% of a normal tail; four doubled login latency on
// a loaded host for the last few percent.
type costStat struct {
	mean, dev time.Duration
	last      time.Time // when the class was last verified
}

// estimate is the cost a verification of the class rarely exceeds.
func (s *costStat) estimate() time.Duration { return s.mean + 2*s.dev }

// floorStats computes the time floor of verifications. The rule:
//
//	floor(now) = max over classes c seen within window of (mean_c + 2·dev_c)
//
// where mean_c and dev_c are updated with every verification of class c that
// ran a hash, measured in the worker from slot to release:
//
//	dev_c  += (|d − mean_c| − dev_c) / 4
//	mean_c += (d − mean_c) / 8
//
// and the first sample of a class sets mean_c = d, dev_c = 0. The class of
// the configured parameters (the dummy check's) never leaves the maximum, so
// the floor is never below the cost of an unknown-user check; New seeds it
// with the faster of the dummy hash and one dummy check.
type floorStats struct {
	mu      sync.Mutex
	window  time.Duration
	base    costClass
	classes map[costClass]*costStat
}

func newFloorStats(base costClass, window time.Duration) *floorStats {
	return &floorStats{window: window, base: base, classes: make(map[costClass]*costStat)}
}

// observe records that a verification of class c cost d, ending at now.
func (f *floorStats) observe(c costClass, d time.Duration, now time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.classes[c]
	if s == nil {
		if len(f.classes) >= maxClasses {
			f.evictLocked()
		}
		f.classes[c] = &costStat{mean: d, last: now}
		return
	}
	diff := d - s.mean
	if diff < 0 {
		diff = -diff
	}
	s.dev += (diff - s.dev) / 4
	s.mean += (d - s.mean) / 8
	if now.After(s.last) {
		s.last = now
	}
}

// floor returns the floor at now, forgetting classes not seen within window.
func (f *floorStats) floor(now time.Time) time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	var floor time.Duration
	for c, s := range f.classes {
		if c != f.base && now.Sub(s.last) > f.window {
			delete(f.classes, c)
			continue
		}
		floor = max(floor, s.estimate())
	}
	return floor
}

// evictLocked forgets the least recently seen class other than the base.
func (f *floorStats) evictLocked() {
	var (
		oldest costClass
		when   time.Time
		found  bool
	)
	for c, s := range f.classes {
		if c != f.base && (!found || s.last.Before(when)) {
			oldest, when, found = c, s.last, true
		}
	}
	if found {
		delete(f.classes, oldest)
	}
}

// sleepContext waits d or until ctx is done; it is Config.Sleep's default.
func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
