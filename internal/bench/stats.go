package bench

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"time"
)

// Recorder gathers the outcomes of the measured requests. It is safe for
// concurrent use. Latencies of answered requests (any status) are kept as
// samples up to a bound; beyond it a uniform reservoir of that size
// (algorithm R) stands for them, while the count, min, max and mean stay
// exact. Transport errors are counted by kind and have no latency.
type Recorder struct {
	mu       sync.Mutex
	bound    int
	samples  []time.Duration
	seen     int64 // latencies offered
	rng      *rand.Rand
	min, max time.Duration
	sum      float64 // nanoseconds
	status   map[int]int64
	errs     map[string]int64
	requests int64
	ok       int64 // 2xx
	errCount int64
	last     time.Time // the latest completion
}

// NewRecorder returns a recorder that keeps at most bound latencies.
func NewRecorder(bound int) *Recorder {
	return &Recorder{
		bound:  max(bound, 1),
		rng:    rand.New(rand.NewPCG(1, 2)), // a fixed seed: a run's reservoir is reproducible
		status: map[int]int64{},
		errs:   map[string]int64{},
	}
}

// Response records an answered request: its status, its latency, and the
// time it completed.
func (r *Recorder) Response(status int, latency time.Duration, done time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests++
	r.status[status]++
	if status >= 200 && status < 300 {
		r.ok++
	}
	r.completed(done)
	if r.seen == 0 || latency < r.min {
		r.min = latency
	}
	r.max = max(r.max, latency)
	r.sum += float64(latency)
	r.seen++
	if len(r.samples) < r.bound {
		r.samples = append(r.samples, latency)
		return
	}
	if j := r.rng.Int64N(r.seen); j < int64(r.bound) {
		r.samples[j] = latency
	}
}

// Error records a request that got no answer, by the kind of its error
// (ErrorKind).
func (r *Recorder) Error(kind string, done time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests++
	r.errCount++
	r.errs[kind]++
	r.completed(done)
}

func (r *Recorder) completed(done time.Time) {
	if done.After(r.last) {
		r.last = done
	}
}

// Snapshot is the live state of a run, for a progress line.
type Snapshot struct {
	Requests int64 // measured requests completed
	OK       int64 // of them answered 2xx
	Errors   int64 // of them without an answer
}

// Snapshot returns the counts so far.
func (r *Recorder) Snapshot() Snapshot {
	r.mu.Lock()
	defer r.mu.Unlock()
	return Snapshot{Requests: r.requests, OK: r.ok, Errors: r.errCount}
}

// lastCompletion is when the latest recorded request completed (zero when
// none did).
func (r *Recorder) lastCompletion() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.last
}

// Latency summarizes the latencies of answered requests, in milliseconds.
// Percentiles are nearest-rank: the smallest sample with at least p % of
// the samples at or below it.
type Latency struct {
	// Samples is the number of answered requests the figures describe.
	Samples int64 `json:"samples"`
	// Exact is false when there were more than the sample bound, and the
	// percentiles come from a uniform reservoir of that size.
	Exact bool    `json:"exact"`
	Min   float64 `json:"min"`
	Mean  float64 `json:"mean"`
	P50   float64 `json:"p50"`
	P90   float64 `json:"p90"`
	P99   float64 `json:"p99"`
	Max   float64 `json:"max"`
}

// Counts is the recorder's final state.
type Counts struct {
	Requests  int64
	Succeeded int64            // 2xx
	Status    map[string]int64 // by status code
	Errors    map[string]int64 // by ErrorKind
	Latency   Latency
}

// Counts returns the summary. It sorts the samples in place (no copy of a
// bound's worth of memory), which ends the reservoir: call it once, when
// the run is over.
func (r *Recorder) Counts() Counts {
	r.mu.Lock()
	defer r.mu.Unlock()
	slices.Sort(r.samples)
	samples := r.samples
	c := Counts{Requests: r.requests, Succeeded: r.ok, Status: map[string]int64{}, Errors: map[string]int64{}}
	for s, n := range r.status {
		c.Status[strconv.Itoa(s)] = n
	}
	for k, n := range r.errs {
		c.Errors[k] = n
	}
	c.Latency = Latency{Samples: r.seen, Exact: r.seen <= int64(r.bound), Min: ms(r.min), Max: ms(r.max)}
	if r.seen > 0 {
		c.Latency.Mean = r.sum / float64(r.seen) / 1e6
	}
	c.Latency.P50 = ms(Percentile(samples, 50))
	c.Latency.P90 = ms(Percentile(samples, 90))
	c.Latency.P99 = ms(Percentile(samples, 99))
	return c
}

// Percentile is the nearest-rank p-th percentile (0 < p <= 100) of sorted
// samples, 0 for none.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p * float64(len(sorted)) / 100))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }
