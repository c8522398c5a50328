package password

import (
	"container/list"
	"context"
	"fmt"
	"sync"
	"time"
)

// QueueKey says on whose behalf a request waits for a worker: the OAuth
// client it came through and the source address it is attributed to. Waiters
// are served round-robin across clients and, within a client, round-robin
// across sources, and each client and each source has its own cap, so that
// one client (or one address behind a client) cannot fill the queue for
// everyone else.
type QueueKey struct {
	Client string
	Source string
}

type queueKeyCtx struct{}

// WithQueueKey returns a context whose hashing requests (Hash, Verify,
// VerifyDummy) queue under k. A request whose context carries no key queues
// under the zero QueueKey, which is one client with one source like any
// other: all unkeyed callers share its caps.
func WithQueueKey(ctx context.Context, k QueueKey) context.Context {
	return context.WithValue(ctx, queueKeyCtx{}, k)
}

func queueKeyFrom(ctx context.Context) QueueKey {
	k, _ := ctx.Value(queueKeyCtx{}).(QueueKey)
	return k
}

// admission hands out worker slots. A free slot is taken at once; otherwise
// the caller waits in a two-level round-robin queue (clients, then sources
// within a client, then FIFO within a source). A released slot goes straight
// to the next waiter, so free > 0 only while nobody waits. Every operation is
// O(1) under one mutex; a waiter blocks on its own channel, no goroutine is
// started for it.
type admission struct {
	mu        sync.Mutex
	free      int // idle worker slots
	waiting   int // waiters in all queues
	queueCap  int
	clientCap int
	sourceCap int
	clients   map[string]*clientQueue
	ring      list.List // of *clientQueue that have waiters; Front is served next

	// For Stats: the slots, and the waits and refusals since the start.
	workers  int
	waits    uint64
	waitTime time.Duration
	rejected uint64
}

type clientQueue struct {
	name    string
	waiting int
	sources map[string]*sourceQueue
	ring    list.List     // of *sourceQueue that have waiters; Front is served next
	elem    *list.Element // in admission.ring
}

type sourceQueue struct {
	name    string
	waiters list.List     // of *waiter, oldest first
	elem    *list.Element // in clientQueue.ring
}

type waiter struct {
	ready   chan struct{} // closed when a slot is handed over
	granted bool          // guarded by admission.mu
	client  *clientQueue
	source  *sourceQueue
	elem    *list.Element // in sourceQueue.waiters
}

func newAdmission(workers, queueCap, clientCap, sourceCap int) *admission {
	return &admission{
		free: workers, queueCap: queueCap, clientCap: clientCap, sourceCap: sourceCap,
		clients: make(map[string]*clientQueue), workers: workers,
	}
}

// acquire takes a worker slot, waiting under the QueueKey of ctx if none is
// free. It returns ErrBusy at once when the whole queue, the key's client or
// the key's source is at its cap, and ctx's error if ctx is done while
// waiting.
func (a *admission) acquire(ctx context.Context) error {
	a.mu.Lock()
	if a.free > 0 {
		a.free--
		a.mu.Unlock()
		return nil
	}
	if err := ctx.Err(); err != nil {
		a.mu.Unlock()
		return err
	}
	w, err := a.enqueueLocked(queueKeyFrom(ctx))
	if err != nil {
		a.rejected++
	}
	a.mu.Unlock()
	if err != nil {
		return err
	}
	start := time.Now()
	select {
	case <-w.ready:
		a.mu.Lock()
		a.waits++
		a.waitTime += time.Since(start)
		a.mu.Unlock()
		return nil
	case <-ctx.Done():
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if w.granted {
		// The slot was handed over as ctx ended: pass it on rather than
		// leak it or spend it on a request nobody waits for.
		a.releaseLocked()
	} else {
		a.removeLocked(w)
	}
	return ctx.Err()
}

// release gives a slot back: to the next waiter if there is one.
func (a *admission) release() {
	a.mu.Lock()
	a.releaseLocked()
	a.mu.Unlock()
}

func (a *admission) enqueueLocked(k QueueKey) (*waiter, error) {
	if a.waiting >= a.queueCap {
		return nil, fmt.Errorf("%w: %d waiting", ErrBusy, a.waiting)
	}
	c := a.clients[k.Client]
	if c != nil && c.waiting >= a.clientCap {
		return nil, fmt.Errorf("%w: the client's share of the queue (%d) is full", ErrBusy, a.clientCap)
	}
	var s *sourceQueue
	if c != nil {
		s = c.sources[k.Source]
	}
	if s != nil && s.waiters.Len() >= a.sourceCap {
		return nil, fmt.Errorf("%w: the source's share of the queue (%d) is full", ErrBusy, a.sourceCap)
	}
	if c == nil {
		c = &clientQueue{name: k.Client, sources: make(map[string]*sourceQueue)}
		c.elem = a.ring.PushBack(c)
		a.clients[k.Client] = c
	}
	if s == nil {
		s = &sourceQueue{name: k.Source}
		s.elem = c.ring.PushBack(s)
		c.sources[k.Source] = s
	}
	w := &waiter{ready: make(chan struct{}), client: c, source: s}
	w.elem = s.waiters.PushBack(w)
	c.waiting++
	a.waiting++
	return w, nil
}

// releaseLocked hands the slot to the oldest waiter of the next source of
// the next client, then moves that source and that client to the back of
// their rings.
func (a *admission) releaseLocked() {
	front := a.ring.Front()
	if front == nil {
		a.free++
		return
	}
	c := front.Value.(*clientQueue)
	s := c.ring.Front().Value.(*sourceQueue)
	w := s.waiters.Front().Value.(*waiter)
	a.removeLocked(w)
	if s.elem != nil {
		c.ring.MoveToBack(s.elem)
	}
	if c.elem != nil {
		a.ring.MoveToBack(c.elem)
	}
	w.granted = true
	close(w.ready)
}

// removeLocked takes w out of its queues, dropping its source and client
// when they have no one left waiting. Their places in the rings are kept
// otherwise, so a cancellation does not reorder anyone.
func (a *admission) removeLocked(w *waiter) {
	c, s := w.client, w.source
	s.waiters.Remove(w.elem)
	c.waiting--
	a.waiting--
	if s.waiters.Len() == 0 {
		c.ring.Remove(s.elem)
		s.elem = nil
		delete(c.sources, s.name)
	}
	if c.waiting == 0 {
		a.ring.Remove(c.elem)
		c.elem = nil
		delete(a.clients, c.name)
	}
}
