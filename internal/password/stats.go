package password

import "time"

// PoolStats is what the hashing pool knows about its load, for metrics.
type PoolStats struct {
	Workers  int // worker slots
	Busy     int // slots in use
	Queued   int // callers waiting for a slot
	QueueCap int // the most callers that may wait
	// Waits counts the callers that waited for a slot and got one, since
	// the start, and WaitTime is their total wait.
	Waits    uint64
	WaitTime time.Duration
	// Rejected counts the callers refused at once (ErrBusy) because the
	// queue, or their client's or source's share of it, was full.
	Rejected uint64
}

// Stats returns the pool's load now. It is safe for concurrent use.
func (h *Hasher) Stats() PoolStats {
	a := h.pool
	a.mu.Lock()
	defer a.mu.Unlock()
	return PoolStats{
		Workers: a.workers, Busy: a.workers - a.free, Queued: a.waiting, QueueCap: a.queueCap,
		Waits: a.waits, WaitTime: a.waitTime, Rejected: a.rejected,
	}
}
