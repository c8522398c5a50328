package events

import (
	"context"
	"sync/atomic"
	"testing"
)

type countingSink struct{ n atomic.Int64 }

func (c *countingSink) Record(context.Context, Event) { c.n.Add(1) }

// TestRecorderObserverSeesEveryEvent: the Observer is shown every event
// Record receives, those the full buffer drops included.
func TestRecorderObserverSeesEveryEvent(t *testing.T) {
	t.Parallel()
	obs := &countingSink{}
	r := NewRecorder(RecorderConfig{Store: &memStore{}, Buffer: 2, Observer: obs})
	for i := range 5 {
		r.Record(context.Background(), numbered(i))
	}
	if obs.n.Load() != 5 || r.Dropped() != 3 {
		t.Fatalf("observed %d, dropped %d; want 5 and 3", obs.n.Load(), r.Dropped())
	}
}
