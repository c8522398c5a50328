package password

import (
	"context"
	"errors"
	"sync"
	"testing"
)

// TestStats: the pool reports its slots in use, its waiters, the waits it
// served and the callers it refused.
func TestStats(t *testing.T) {
	t.Parallel()
	g := newGate()
	h, err := newHasherHooked(Config{Params: cheap, Workers: 1, Queue: 1}, g.hook)
	if err != nil {
		t.Fatal(err)
	}
	if s := h.Stats(); s.Workers != 1 || s.Busy != 0 || s.Queued != 0 || s.QueueCap != 1 || s.Waits != 0 || s.Rejected != 0 {
		t.Fatalf("idle stats %+v", s)
	}
	release := g.holdWorkers(t, h, 1, QueueKey{Client: "A"})
	var wg sync.WaitGroup
	wg.Go(func() {
		if _, err := h.Hash(context.Background(), "pw"); err != nil {
			t.Errorf("waiter: %v", err)
		}
	})
	waitQueued(t, h, 1)
	if _, err := h.Hash(context.Background(), "pw"); !errors.Is(err, ErrBusy) {
		t.Fatalf("err = %v, want ErrBusy", err)
	}
	if s := h.Stats(); s.Busy != 1 || s.Queued != 1 || s.Rejected != 1 {
		t.Fatalf("busy stats %+v", s)
	}
	release()
	wg.Wait()
	if s := h.Stats(); s.Busy != 0 || s.Queued != 0 || s.Waits != 1 || s.WaitTime <= 0 || s.Rejected != 1 {
		t.Fatalf("stats after %+v", s)
	}
}
