package bench

import (
	"math"
	"testing"
	"time"
)

func TestPercentileNearestRank(t *testing.T) {
	t.Parallel()
	var s []time.Duration
	for i := 1; i <= 100; i++ {
		s = append(s, time.Duration(i)*time.Millisecond)
	}
	for _, tc := range []struct {
		samples []time.Duration
		p       float64
		want    time.Duration
	}{
		{s, 50, 50 * time.Millisecond},
		{s, 90, 90 * time.Millisecond},
		{s, 99, 99 * time.Millisecond},
		{s, 100, 100 * time.Millisecond},
		{s, 0.5, time.Millisecond},
		{[]time.Duration{7}, 99, 7},
		{[]time.Duration{1, 2, 3, 4}, 50, 2},    // rank ceil(2) = 2
		{[]time.Duration{1, 2, 3, 4}, 51, 3},    // rank ceil(2.04) = 3
		{[]time.Duration{1, 2, 3, 4}, 99, 4},    // rank ceil(3.96) = 4
		{[]time.Duration{1, 2, 3, 4, 5}, 90, 5}, // rank ceil(4.5) = 5
		{nil, 50, 0},
	} {
		if got := Percentile(tc.samples, tc.p); got != tc.want {
			t.Errorf("p%v of %d samples = %v, want %v", tc.p, len(tc.samples), got, tc.want)
		}
	}
}

func TestRecorderCounts(t *testing.T) {
	t.Parallel()
	r := NewRecorder(1000)
	now := time.Unix(1000, 0)
	// 1..10 ms answered 200, in reverse order; two 429s; a 302; two errors.
	for i := 10; i >= 1; i-- {
		r.Response(200, time.Duration(i)*time.Millisecond, now)
	}
	r.Response(429, 20*time.Millisecond, now.Add(time.Second))
	r.Response(429, 30*time.Millisecond, now)
	r.Response(302, 40*time.Millisecond, now)
	r.Error(ErrTimeout, now.Add(2*time.Second))
	r.Error(ErrConnectionRefused, now)
	c := r.Counts()
	if c.Requests != 15 || c.Succeeded != 10 {
		t.Fatalf("requests %d succeeded %d, want 15 and 10", c.Requests, c.Succeeded)
	}
	if c.Status["200"] != 10 || c.Status["429"] != 2 || c.Status["302"] != 1 || len(c.Status) != 3 {
		t.Fatalf("status %v", c.Status)
	}
	if c.Errors[ErrTimeout] != 1 || c.Errors[ErrConnectionRefused] != 1 || len(c.Errors) != 2 {
		t.Fatalf("errors %v", c.Errors)
	}
	// 13 latencies: 1..10, 20, 30, 40 ms.
	l := c.Latency
	if math.Abs(l.Mean-145.0/13) > 1e-9 {
		t.Fatalf("mean %v, want %v", l.Mean, 145.0/13)
	}
	l.Mean = 0
	want := Latency{Samples: 13, Exact: true, Min: 1, P50: 7, P90: 30, P99: 40, Max: 40}
	if l != want {
		t.Fatalf("latency %+v, want %+v", l, want)
	}
	if last := r.lastCompletion(); !last.Equal(now.Add(2 * time.Second)) {
		t.Fatalf("last completion %v", last)
	}
}

// TestRecorderReservoir: beyond the bound the count, min, max and mean
// stay exact, the percentiles come from a uniform sample and say so.
func TestRecorderReservoir(t *testing.T) {
	t.Parallel()
	r := NewRecorder(1000)
	for i := 1; i <= 100_000; i++ {
		r.Response(200, time.Duration(i)*time.Microsecond, time.Time{})
	}
	if n := len(r.samples); n != 1000 {
		t.Fatalf("kept %d samples, want the bound 1000", n)
	}
	l := r.Counts().Latency
	if l.Samples != 100_000 || l.Exact || l.Min != 0.001 || l.Max != 100 || math.Abs(l.Mean-50.0005) > 1e-9 {
		t.Fatalf("latency %+v", l)
	}
	// A uniform sample of 1000 out of 1..100000 µs: its median is the
	// true median (50 ms) within a few ms (about 5 standard errors).
	if l.P50 < 42 || l.P50 > 58 || l.P99 < 97 {
		t.Fatalf("reservoir percentiles far from the truth: %+v", l)
	}
}
