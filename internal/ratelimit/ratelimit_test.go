package ratelimit

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"
)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestTakeWindow(t *testing.T) {
	c := &clock{now: time.Unix(1_700_000_000, 250_000_000)}
	l := New(Limit{Requests: 4, Window: time.Second}, c.Now)
	for i := range 4 {
		r, ok := l.Take("ada")
		if !ok || !r.Allowed || r.Remaining != 3-i || r.Limit != 4 {
			t.Fatalf("request %d: %+v %v", i+1, r, ok)
		}
		if want := time.Unix(1_700_000_001, 0); !r.Reset.Equal(want) {
			t.Fatalf("reset %v, want %v", r.Reset, want)
		}
	}
	r, _ := l.Take("ada")
	if r.Allowed || r.Remaining != 0 || !r.FirstRefusal {
		t.Fatalf("fifth request: %+v, want the first refusal", r)
	}
	if again, _ := l.Take("ada"); again.Allowed || again.FirstRefusal {
		t.Fatalf("sixth request: %+v, want refused and not the first", again)
	}
	if got := r.RetryAfter(c.Now()); got != 1 {
		t.Errorf("RetryAfter = %d, want 1", got)
	}
	// Another key has its own count.
	if r, _ := l.Take("grace"); !r.Allowed || r.Remaining != 3 {
		t.Errorf("another key: %+v", r)
	}
	// Peek does not count.
	if r, _ := l.Peek("grace"); r.Remaining != 3 {
		t.Errorf("peek: %+v", r)
	}
	c.Advance(750 * time.Millisecond) // the next window
	if r, _ := l.Take("ada"); !r.Allowed || r.Remaining != 3 {
		t.Errorf("next window: %+v", r)
	}
}

func TestOff(t *testing.T) {
	for _, l := range []*Limiter{nil, New(Limit{}, nil), New(Limit{Requests: 5}, nil)} {
		if _, ok := l.Take("x"); ok {
			t.Errorf("%+v: an off limiter reported a result", l)
		}
	}
}

func TestConcurrentExact(t *testing.T) {
	c := &clock{now: time.Unix(1_700_000_000, 0)}
	l := New(Limit{Requests: 50, Window: time.Hour}, c.Now)
	var wg sync.WaitGroup
	var mu sync.Mutex
	allowed := 0
	for range 200 {
		wg.Go(func() {
			if r, _ := l.Take("k"); r.Allowed {
				mu.Lock()
				allowed++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if allowed != 50 {
		t.Errorf("%d allowed of 200 concurrent requests, want exactly 50", allowed)
	}
}

func TestHeadersKeepTightest(t *testing.T) {
	reset := time.Unix(1_700_000_000, 500_000_000)
	ctx, h := WithHeaders(context.Background())
	if h.Set() {
		t.Fatal("set before any observation")
	}
	Observe(ctx, Result{Allowed: true, Limit: 100, Remaining: 90, Reset: reset})
	Observe(ctx, Result{Allowed: true, Limit: 4, Remaining: 2, Reset: reset})
	Observe(ctx, Result{Allowed: true, Limit: 10, Remaining: 5, Reset: reset})
	hdr := http.Header{}
	h.Write(hdr)
	if hdr.Get("X-Rate-Limit-Limit") != "4" || hdr.Get("X-Rate-Limit-Remaining") != "2" || hdr.Get("X-Rate-Limit-Reset") != "1700000001" {
		t.Errorf("headers %v", hdr)
	}
	Observe(ctx, Result{Allowed: false, Limit: 100, Remaining: 0, Reset: reset})
	h.Write(hdr)
	if hdr.Get("X-Rate-Limit-Limit") != "100" || hdr.Get("X-Rate-Limit-Remaining") != "0" {
		t.Errorf("a refusal must win: %v", hdr)
	}
	Observe(context.Background(), Result{}) // no collector: no panic
}

func BenchmarkTake(b *testing.B) {
	l := New(Limit{Requests: 1 << 30, Window: time.Second}, nil)
	keys := []string{"ada@example.com", "grace@example.com", "192.0.2.1", "0oaclient"}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			l.Take(keys[i%len(keys)])
			i++
		}
	})
}
