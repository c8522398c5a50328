package events

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/latchkey/latchkey/internal/reqlog"
	"github.com/latchkey/latchkey/internal/store"
)

// Sink receives events. Record must never block its caller (a login waits
// on it) and must be safe for concurrent use.
type Sink interface {
	Record(ctx context.Context, e Event)
}

// Record hands e to sink when there is one: the nil-safe call for optional
// sinks.
func Record(ctx context.Context, sink Sink, e Event) {
	if sink != nil {
		sink.Record(ctx, e)
	}
}

// RecorderConfig configures a Recorder; only Store is required.
type RecorderConfig struct {
	Store  store.Events
	Logger *slog.Logger     // discards when nil
	Now    func() time.Time // time.Now when nil; stamps published
	// Buffer is how many events may wait to be written (default 4096);
	// beyond it, events are dropped and counted.
	Buffer int
	// BatchSize is how many events one write holds at most (default 256);
	// a full batch is written at once.
	BatchSize int
	// FlushEvery is how long an event waits at most before it is written
	// (default 200ms).
	FlushEvery time.Duration
	// WarnEvery is the least time between two warnings about dropped or
	// unwritten events (default 10s).
	WarnEvery time.Duration
	// Observer, when set, is shown every event Record receives, as it
	// arrives, even one that is then dropped (package metrics counts
	// them). Its Record must never block.
	Observer Sink
}

// Recorder is the Sink a server uses: Record queues events in a bounded
// buffer and Run writes them to the store in batches. It is safe for
// concurrent use.
//
// Record only appends to a slice under a mutex: the writer is not woken
// per event (a channel send to a parked goroutine is a futex wake and a
// context switch on the request's path), but when a batch is full or the
// FlushEvery tick comes.
type Recorder struct {
	cfg RecorderConfig

	qmu    sync.Mutex // guards queue and closed
	queue  []Event    // recorded, not yet taken by a flush; at most cfg.Buffer
	closed bool
	// full is signalled (never blocking) when the queue reaches a batch.
	full chan struct{}

	mu      sync.Mutex    // serializes writes to the store; guards spare and runDone
	spare   []Event       // the queue's other slice, reused between flushes
	runDone chan struct{} // closed when Run returns; nil until Run starts

	stop      chan struct{} // closed by Close
	closeOnce sync.Once

	dropped  atomic.Int64 // refused because the buffer was full or the recorder closed
	failed   atomic.Int64 // lost because the store refused them
	lastWarn atomic.Int64 // unix nanoseconds of the last warning
}

var _ Sink = (*Recorder)(nil)

// NewRecorder returns a Recorder; start it with Run and end it with Close.
func NewRecorder(cfg RecorderConfig) *Recorder {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Buffer <= 0 {
		cfg.Buffer = 4096
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 256
	}
	if cfg.FlushEvery <= 0 {
		cfg.FlushEvery = 200 * time.Millisecond
	}
	if cfg.WarnEvery <= 0 {
		cfg.WarnEvery = 10 * time.Second
	}
	return &Recorder{cfg: cfg, full: make(chan struct{}, 1), stop: make(chan struct{})}
}

// Record stamps e and queues it without blocking: it fills in the uuid and
// the published time when unset, the client's address from the context's
// resolved source (package reqlog; e.Client.IPAddress is the fallback) and
// the request id as the transaction. When the buffer is full, or the
// recorder is closed, the event is dropped and counted.
func (r *Recorder) Record(ctx context.Context, e Event) {
	Record(ctx, r.cfg.Observer, e)
	e = Stamp(ctx, e, r.cfg.Now)
	r.qmu.Lock()
	if r.closed || len(r.queue) >= r.cfg.Buffer {
		r.qmu.Unlock()
		r.drop()
		return
	}
	r.queue = append(r.queue, e)
	n := len(r.queue)
	r.qmu.Unlock()
	if n == r.cfg.BatchSize {
		select {
		case r.full <- struct{}{}:
		default: // already signalled
		}
	}
}

// Stamp completes e as Record does; Sinks other than Recorder may use it.
func Stamp(ctx context.Context, e Event, now func() time.Time) Event {
	if e.Published.IsZero() {
		e.Published = now()
	}
	e.Published = e.Published.UTC().Truncate(time.Millisecond)
	if e.UUID == "" {
		e.UUID = newUUID(e.Published)
	}
	if e.Version == "" {
		e.Version = Version
	}
	if info := reqlog.From(ctx); info != nil && info.Source != "" {
		e.Client.IPAddress = info.Source
	}
	if id := reqlog.RequestID(ctx); id != "" && e.Transaction.ID == "" {
		e.Transaction = Transaction{Type: TransactionWeb, ID: id}
	}
	return e
}

func (r *Recorder) drop() {
	n := r.dropped.Add(1)
	r.warn("audit events dropped: the event buffer is full", "dropped_total", n)
}

// warn logs at most once per WarnEvery, so that a flood of dropped events
// does not become a flood of log lines.
func (r *Recorder) warn(msg string, args ...any) {
	now := time.Now().UnixNano()
	last := r.lastWarn.Load()
	if last != 0 && now-last < int64(r.cfg.WarnEvery) {
		return
	}
	if r.lastWarn.CompareAndSwap(last, now) {
		r.cfg.Logger.Warn(msg, args...)
	}
}

// Dropped returns how many events were dropped because the buffer was full
// or the recorder closed.
func (r *Recorder) Dropped() int64 { return r.dropped.Load() }

// Failed returns how many events were lost because the store refused them.
func (r *Recorder) Failed() int64 { return r.failed.Load() }

// Run writes queued events until ctx is done or Close is called, then
// writes what is left and returns. A batch is written when BatchSize
// events wait or FlushEvery after the last write. Run must be called once.
func (r *Recorder) Run(ctx context.Context) {
	r.mu.Lock()
	if r.runDone != nil {
		r.mu.Unlock()
		panic("events: Recorder.Run called twice")
	}
	done := make(chan struct{})
	r.runDone = done
	r.mu.Unlock()
	defer close(done)

	// Writes run on a context that outlives ctx, each bounded by
	// writeTimeout: when the server stops, its last events matter too.
	wctx := context.WithoutCancel(ctx)
	t := time.NewTicker(r.cfg.FlushEvery)
	defer t.Stop()
	for {
		select {
		case <-r.full:
			r.flushWithin(wctx)
		case <-t.C:
			r.flushWithin(wctx)
		case <-ctx.Done():
			r.flushWithin(wctx)
			return
		case <-r.stop:
			r.flushWithin(wctx)
			return
		}
	}
}

// writeTimeout bounds each flush of Run.
const writeTimeout = 10 * time.Second

func (r *Recorder) flushWithin(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, writeTimeout)
	defer cancel()
	_ = r.Flush(ctx)
}

// Flush writes every event recorded before it was called, in batches of
// BatchSize, and returns the first error. Events the store refused are
// counted in Failed and not retried.
func (r *Recorder) Flush(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.qmu.Lock()
	pending := r.queue
	r.queue = r.spare[:0]
	r.qmu.Unlock()
	var errs []error
	for rest := pending; len(rest) > 0; {
		n := min(len(rest), r.cfg.BatchSize)
		if err := r.write(ctx, rest[:n]); err != nil {
			errs = append(errs, err)
		}
		rest = rest[n:]
	}
	clear(pending) // let the events go; keep the array for the next flush
	r.spare = pending[:0]
	return errors.Join(errs...)
}

func (r *Recorder) write(ctx context.Context, batch []Event) error {
	stored := make([]store.StoredEvent, 0, len(batch))
	for _, e := range batch {
		s, err := ToStored(e)
		if err != nil {
			r.failed.Add(1)
			continue
		}
		stored = append(stored, s)
	}
	if err := r.cfg.Store.AppendEvents(ctx, stored); err != nil {
		n := r.failed.Add(int64(len(stored)))
		r.warn("audit events lost: the store refused them", "err", err, "lost_total", n)
		return err
	}
	return nil
}

// Close stops Run (waiting for it, until ctx is done, if it is running),
// then writes what is left, including events recorded after Run returned.
// Events recorded after Close are dropped and counted.
func (r *Recorder) Close(ctx context.Context) error {
	r.closeOnce.Do(func() {
		r.qmu.Lock()
		r.closed = true
		r.qmu.Unlock()
		close(r.stop)
	})
	r.mu.Lock()
	done := r.runDone
	r.mu.Unlock()
	if done != nil {
		select {
		case <-done:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return r.Flush(ctx)
}
