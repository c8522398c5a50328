package events

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/store"
)

// memStore is a store.Events that keeps batches in memory; block, when set,
// holds every append until it is closed; fail makes appends fail.
type memStore struct {
	mu      sync.Mutex
	batches [][]store.StoredEvent
	block   chan struct{}
	fail    error
}

func (m *memStore) AppendEvents(ctx context.Context, evs []store.StoredEvent) error {
	if m.block != nil {
		select {
		case <-m.block:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return m.fail
	}
	m.batches = append(m.batches, slices.Clone(evs))
	return nil
}

func (m *memStore) ListEvents(context.Context, store.EventFilter) ([]store.StoredEvent, error) {
	return nil, errors.New("not used")
}

func (m *memStore) DeleteEventsBefore(context.Context, time.Time) (int64, error) { return 0, nil }

func (m *memStore) sizes() []int {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []int
	for _, b := range m.batches {
		out = append(out, len(b))
	}
	return out
}

func (m *memStore) count() int {
	n := 0
	for _, s := range m.sizes() {
		n += s
	}
	return n
}

// eventually waits (up to 10s) until cond holds: for the background
// goroutine, not a timing assertion.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("%s: not after 10s", what)
}

func numbered(i int) Event {
	return SessionStart(User(fmt.Sprintf("00u%d", i), "u", "u"), App("0oa1", "x"), "")
}

// TestRecorderBatches: full batches are written at once (the tick is an
// hour away), the rest when the recorder closes; events keep their order.
func TestRecorderBatches(t *testing.T) {
	t.Parallel()
	m := &memStore{}
	r := NewRecorder(RecorderConfig{Store: m, BatchSize: 3, FlushEvery: time.Hour, Now: fixed})
	go r.Run(context.Background())
	for i := range 7 {
		r.Record(context.Background(), numbered(i))
	}
	eventually(t, "two full batches", func() bool { return m.count() >= 6 })
	if err := r.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	// How the events split depends on how Run and Record interleave; no
	// batch is larger than BatchSize and none is lost.
	for _, n := range m.sizes() {
		if n > 3 {
			t.Fatalf("batch sizes %v: one larger than 3", m.sizes())
		}
	}
	var actors []string
	for _, b := range m.batches {
		for _, s := range b {
			actors = append(actors, s.ActorID)
		}
	}
	if want := []string{"00u0", "00u1", "00u2", "00u3", "00u4", "00u5", "00u6"}; !slices.Equal(actors, want) {
		t.Fatalf("order %v", actors)
	}
}

// TestRecorderFlushesOnTick: an event waits at most FlushEvery.
func TestRecorderFlushesOnTick(t *testing.T) {
	t.Parallel()
	m := &memStore{}
	r := NewRecorder(RecorderConfig{Store: m, FlushEvery: 5 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go r.Run(ctx)
	r.Record(context.Background(), numbered(1))
	eventually(t, "the event written without a full batch", func() bool { return m.count() == 1 })
}

// TestRecorderDropsWhenFull: beyond the buffer, events are dropped and
// counted, with one warning rather than one per event.
func TestRecorderDropsWhenFull(t *testing.T) {
	t.Parallel()
	m := &memStore{}
	var logs bytes.Buffer
	var logMu sync.Mutex
	logger := slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &logMu}, nil))
	r := NewRecorder(RecorderConfig{Store: m, Buffer: 2, Logger: logger, WarnEvery: time.Hour})
	for i := range 50 {
		r.Record(context.Background(), numbered(i))
	}
	if got := r.Dropped(); got != 48 {
		t.Fatalf("dropped %d, want 48", got)
	}
	logMu.Lock()
	warnings := strings.Count(logs.String(), "audit events dropped")
	logMu.Unlock()
	if warnings != 1 {
		t.Fatalf("%d warnings for 48 drops, want 1:\n%s", warnings, logs.String())
	}
	if err := r.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if m.count() != 2 {
		t.Fatalf("stored %d, want the 2 buffered", m.count())
	}
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestRecorderNeverBlocks: a store that hangs holds up no caller of
// Record; the events beyond the buffer are dropped.
func TestRecorderNeverBlocks(t *testing.T) {
	t.Parallel()
	m := &memStore{block: make(chan struct{})}
	r := NewRecorder(RecorderConfig{Store: m, Buffer: 8, BatchSize: 4, FlushEvery: time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	go r.Run(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Go(func() {
				for i := range 1000 {
					r.Record(context.Background(), numbered(g*1000+i))
				}
			})
		}
		wg.Wait()
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Record blocked while the store hung")
	}
	if r.Dropped() == 0 {
		t.Fatal("nothing dropped although the store hung")
	}
	close(m.block)
	cancel()
	if err := r.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := int64(m.count()) + r.Dropped(); got != 8000 {
		t.Fatalf("stored %d + dropped %d = %d, want every event accounted for (8000)", m.count(), r.Dropped(), got)
	}
}

// TestRecorderCloseFlushes: Close writes what is queued, even events
// recorded after Run returned; an event after Close is dropped.
func TestRecorderCloseFlushes(t *testing.T) {
	t.Parallel()
	m := &memStore{}
	r := NewRecorder(RecorderConfig{Store: m, FlushEvery: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() { r.Run(ctx); close(ran) }()
	r.Record(context.Background(), numbered(1))
	cancel()
	<-ran
	if m.count() != 1 {
		t.Fatalf("stored %d when Run's context ended, want 1", m.count())
	}
	r.Record(context.Background(), numbered(2)) // after Run, before Close
	if err := r.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if m.count() != 2 {
		t.Fatalf("stored %d after Close, want 2", m.count())
	}
	r.Record(context.Background(), numbered(3))
	if r.Dropped() != 1 || m.count() != 2 {
		t.Fatalf("after Close: dropped %d, stored %d", r.Dropped(), m.count())
	}
	if err := r.Close(context.Background()); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

// TestRecorderCloseWithoutRun: a recorder never run still writes on Close.
func TestRecorderCloseWithoutRun(t *testing.T) {
	t.Parallel()
	m := &memStore{}
	r := NewRecorder(RecorderConfig{Store: m})
	r.Record(context.Background(), numbered(1))
	if err := r.Close(context.Background()); err != nil || m.count() != 1 {
		t.Fatalf("Close: %v, stored %d", err, m.count())
	}
}

// TestRecorderStoreFailure: events the store refuses are counted as lost.
func TestRecorderStoreFailure(t *testing.T) {
	t.Parallel()
	m := &memStore{fail: errors.New("disk full")}
	r := NewRecorder(RecorderConfig{Store: m})
	r.Record(context.Background(), numbered(1))
	r.Record(context.Background(), numbered(2))
	if err := r.Flush(context.Background()); err == nil {
		t.Fatal("Flush hid the store's error")
	}
	if r.Failed() != 2 {
		t.Fatalf("failed %d, want 2", r.Failed())
	}
}

func TestRecordNilSink(t *testing.T) {
	t.Parallel()
	Record(context.Background(), nil, numbered(1)) // must not panic
}
