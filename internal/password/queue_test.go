package password

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

type labelKey struct{}

// labelled returns a context that queues under k and names the request in
// the order a gate records.
func labelled(ctx context.Context, k QueueKey, label string) context.Context {
	return context.WithValue(WithQueueKey(ctx, k), labelKey{}, label)
}

// gate is an inWorker hook: it records the order labelled requests reach a
// worker and keeps requests labelled "hold" in their worker until released.
type gate struct {
	mu      sync.Mutex
	served  []string
	open    chan struct{}
	entered chan struct{}
}

func newGate() *gate {
	return &gate{open: make(chan struct{}), entered: make(chan struct{}, 64)}
}

func (g *gate) hook(ctx context.Context, _ string) {
	label, _ := ctx.Value(labelKey{}).(string)
	if label == "" {
		return
	}
	g.mu.Lock()
	g.served = append(g.served, label)
	open := g.open
	g.mu.Unlock()
	if label == "hold" {
		g.entered <- struct{}{}
		<-open
	}
}

func (g *gate) order() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.served)
}

// holdWorkers occupies n workers of h and returns once they are all inside.
// The returned function lets them go and waits for them to finish.
func (g *gate) holdWorkers(t *testing.T, h *Hasher, n int, k QueueKey) (release func()) {
	t.Helper()
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			if _, err := h.Hash(labelled(context.Background(), k, "hold"), "pw"); err != nil {
				t.Errorf("holder: %v", err)
			}
		})
	}
	for range n {
		select {
		case <-g.entered:
		case <-time.After(10 * time.Second):
			t.Fatal("holders did not reach a worker")
		}
	}
	return func() {
		g.mu.Lock()
		close(g.open)
		g.open = make(chan struct{})
		g.mu.Unlock()
		wg.Wait()
	}
}

// waitQueued waits until exactly n requests wait in h's queue.
func waitQueued(t *testing.T, h *Hasher, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		h.pool.mu.Lock()
		got := h.pool.waiting
		h.pool.mu.Unlock()
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d waiting, want %d", got, n)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestFairAdmission(t *testing.T) {
	t.Parallel()
	g := newGate()
	h, err := newHasherHooked(Config{Params: cheap, Workers: 1, Queue: 16, ClientQueue: 3, SourceQueue: 2}, g.hook)
	if err != nil {
		t.Fatal(err)
	}
	release := g.holdWorkers(t, h, 1, QueueKey{Client: "other"})
	a1 := QueueKey{Client: "A", Source: "192.0.2.1"}
	a2 := QueueKey{Client: "A", Source: "192.0.2.2"}
	a3 := QueueKey{Client: "A", Source: "192.0.2.3"}
	b1 := QueueKey{Client: "B", Source: "192.0.2.1"}
	// Arrival order; the busy ones are refused at once, the others wait.
	arrivals := []struct {
		label string
		key   QueueKey
		busy  bool
	}{
		{"A/1 #1", a1, false},
		{"A/1 #2", a1, false},
		{"A/1 #3", a1, true}, // source A/1 is at its cap of 2
		{"A/2 #1", a2, false},
		{"A/3 #1", a3, true}, // client A is at its cap of 3
		{"B/1 #1", b1, false},
	}
	var wg sync.WaitGroup
	queued := 0
	for _, a := range arrivals {
		ctx := labelled(context.Background(), a.key, a.label)
		if a.busy {
			if _, err := h.Hash(ctx, "pw"); !errors.Is(err, ErrBusy) {
				t.Fatalf("%s: err = %v, want ErrBusy", a.label, err)
			}
			continue
		}
		wg.Go(func() {
			if _, err := h.Hash(ctx, "pw"); err != nil {
				t.Errorf("%s: %v", a.label, err)
			}
		})
		queued++
		waitQueued(t, h, queued)
	}
	release()
	wg.Wait()
	// Client B and source A/2 are served before the rest of A/1's backlog.
	want := []string{"hold", "A/1 #1", "B/1 #1", "A/2 #1", "A/1 #2"}
	if got := g.order(); !slices.Equal(got, want) {
		t.Fatalf("served %q, want %q", got, want)
	}
}

func TestAdmissionCaps(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		cfg      Config
		waiting  []QueueKey // admitted to the queue, in order
		busy     QueueKey   // then refused
		admitted []QueueKey // while these still get in
	}{
		{
			name:     "source cap",
			cfg:      Config{Queue: 8, ClientQueue: 4, SourceQueue: 2},
			waiting:  []QueueKey{{"A", "x"}, {"A", "x"}},
			busy:     QueueKey{"A", "x"},
			admitted: []QueueKey{{"A", "y"}},
		},
		{
			name:     "client cap",
			cfg:      Config{Queue: 8, ClientQueue: 2, SourceQueue: 2},
			waiting:  []QueueKey{{"A", "x"}, {"A", "y"}},
			busy:     QueueKey{"A", "z"},
			admitted: []QueueKey{{"B", "x"}},
		},
		{
			name:     "unkeyed callers share the zero key",
			cfg:      Config{Queue: 8, ClientQueue: 4, SourceQueue: 1},
			waiting:  []QueueKey{{}},
			busy:     QueueKey{},
			admitted: []QueueKey{{"A", ""}},
		},
		{
			name:    "total cap",
			cfg:     Config{Queue: 2, ClientQueue: 2, SourceQueue: 2},
			waiting: []QueueKey{{"A", "x"}, {"B", "x"}},
			busy:    QueueKey{"C", "x"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := newGate()
			cfg := tc.cfg
			cfg.Params, cfg.Workers = cheap, 1
			h, err := newHasherHooked(cfg, g.hook)
			if err != nil {
				t.Fatal(err)
			}
			release := g.holdWorkers(t, h, 1, QueueKey{Client: "holder"})
			ctx, cancel := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			defer wg.Wait()
			defer release()
			defer cancel()
			enqueue := func(k QueueKey) {
				wg.Go(func() { _, _ = h.Hash(WithQueueKey(ctx, k), "pw") })
			}
			for i, k := range tc.waiting {
				enqueue(k)
				waitQueued(t, h, i+1)
			}
			if _, err := h.Hash(WithQueueKey(ctx, tc.busy), "pw"); !errors.Is(err, ErrBusy) {
				t.Fatalf("%+v: err = %v, want ErrBusy", tc.busy, err)
			}
			for i, k := range tc.admitted {
				enqueue(k)
				waitQueued(t, h, len(tc.waiting)+i+1)
			}
		})
	}
}

func TestQueueDefaults(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		cfg                   Config
		queue, client, source int
	}{
		{Config{Workers: 2}, 128, 32, 16},
		{Config{Workers: 1, Queue: 4}, 4, 1, 1},
		{Config{Workers: 1, Queue: 10, ClientQueue: 20, SourceQueue: 30}, 10, 10, 10},
		{Config{Workers: 1, Queue: 10, ClientQueue: 5}, 10, 5, 1},
	} {
		t.Run(fmt.Sprintf("%+v", tc.cfg), func(t *testing.T) {
			t.Parallel()
			tc.cfg.Params = cheap
			h, err := New(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			p := h.pool
			if p.queueCap != tc.queue || p.clientCap != tc.client || p.sourceCap != tc.source {
				t.Fatalf("caps = %d/%d/%d, want %d/%d/%d", p.queueCap, p.clientCap, p.sourceCap, tc.queue, tc.client, tc.source)
			}
		})
	}
}

func TestCancelledWaitersLeakNoSlot(t *testing.T) {
	t.Parallel()
	const workers, waiters = 2, 100
	g := newGate()
	h, err := newHasherHooked(Config{Params: cheap, Workers: workers, Queue: 256}, g.hook)
	if err != nil {
		t.Fatal(err)
	}
	release := g.holdWorkers(t, h, workers, QueueKey{Client: "holder"})
	ctx, cancel := context.WithCancel(context.Background())
	errs := make(chan error, waiters)
	for i := range waiters {
		k := QueueKey{Client: fmt.Sprint("c", i%5), Source: fmt.Sprint("s", i%7)}
		go func() {
			_, err := h.Hash(WithQueueKey(ctx, k), "pw")
			errs <- err
		}()
	}
	waitQueued(t, h, waiters)
	cancel()
	for range waiters {
		if err := <-errs; !errors.Is(err, context.Canceled) {
			t.Fatalf("waiter err = %v, want context.Canceled", err)
		}
	}
	release()
	p := h.pool
	p.mu.Lock()
	if p.free != workers || p.waiting != 0 || len(p.clients) != 0 || p.ring.Len() != 0 {
		t.Errorf("after cancellation: free %d, waiting %d, clients %d, ring %d", p.free, p.waiting, len(p.clients), p.ring.Len())
	}
	p.mu.Unlock()
	// Every slot still serves: all the workers can be held at once again.
	g.holdWorkers(t, h, workers, QueueKey{Client: "holder"})()
}

// TestGrantRacingCancel hands a slot to a waiter exactly as its context is
// cancelled; whichever the waiter sees first, the slot must come back.
func TestGrantRacingCancel(t *testing.T) {
	t.Parallel()
	h, err := New(Config{Params: cheap, Workers: 1, Queue: 4})
	if err != nil {
		t.Fatal(err)
	}
	p := h.pool
	for range 200 {
		if err := p.acquire(context.Background()); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- p.acquire(ctx) }()
		waitQueued(t, h, 1)
		p.mu.Lock()
		cancel()
		p.releaseLocked()
		p.mu.Unlock()
		if err := <-done; err == nil {
			p.release() // the waiter took the slot: it gives it back
		} else if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v", err)
		}
		p.mu.Lock()
		free, waiting := p.free, p.waiting
		p.mu.Unlock()
		if free != 1 || waiting != 0 {
			t.Fatalf("free %d, waiting %d; want 1, 0", free, waiting)
		}
	}
}

// BenchmarkAdmission measures the queue's own cost: acquire and release with
// no hashing, uncontended and with 8 goroutines per CPU on one worker slot.
func BenchmarkAdmission(b *testing.B) {
	b.Run("free", func(b *testing.B) {
		p := newAdmission(1, 64, 16, 8)
		ctx := WithQueueKey(context.Background(), QueueKey{Client: "c", Source: "s"})
		b.ReportAllocs()
		for b.Loop() {
			if err := p.acquire(ctx); err != nil {
				b.Fatal(err)
			}
			p.release()
		}
	})
	b.Run("contended", func(b *testing.B) {
		p := newAdmission(1, 1<<16, 1<<14, 1<<12)
		var n sync.Mutex
		id := 0
		b.ReportAllocs()
		b.SetParallelism(8)
		b.RunParallel(func(pb *testing.PB) {
			n.Lock()
			k := QueueKey{Client: fmt.Sprint("c", id%4), Source: fmt.Sprint("s", id%3)}
			id++
			n.Unlock()
			ctx := WithQueueKey(context.Background(), k)
			for pb.Next() {
				if err := p.acquire(ctx); err != nil {
					b.Error(err)
					return
				}
				p.release()
			}
		})
	})
}
