// Package ratelimit counts requests per key in fixed windows and carries
// the state of the most restrictive limit a request met back to the
// handler, which sends it as Okta's X-Rate-Limit-* headers.
//
// Windows are aligned to multiples of their length since the Unix epoch,
// as Okta's are, so X-Rate-Limit-Reset is the same instant for every key of
// a limit. Counts live in this process: with several instances the
// effective limit is the configured one times the number of instances
// (docs/security.md). Memory is bounded by the keys seen in the current
// window: a new window starts with an empty map.
package ratelimit

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Limit is at most Requests per Window; Requests 0 turns the limit off.
type Limit struct {
	Requests int
	Window   time.Duration
}

// On reports whether the limit is in force.
func (l Limit) On() bool { return l.Requests > 0 && l.Window > 0 }

// Result is what one request learned of one limit.
type Result struct {
	Allowed   bool
	Limit     int
	Remaining int
	// Reset is when the current window ends.
	Reset time.Time
	// FirstRefusal is set on the first refused request of a key in a
	// window, so that a violation is reported once per window, not once
	// per refused request.
	FirstRefusal bool
}

// RetryAfter is how long a refused caller should wait, in whole seconds
// (at least 1), as the Retry-After header wants it.
func (r Result) RetryAfter(now time.Time) int {
	s := int(math.Ceil(r.Reset.Sub(now).Seconds()))
	return max(s, 1)
}

// Limiter counts requests per key for one Limit. It is safe for
// concurrent use; a nil or off Limiter allows everything and reports
// nothing.
type Limiter struct {
	limit Limit
	now   func() time.Time

	mu     sync.Mutex
	window int64 // index of the current window since the epoch
	counts map[string]int
}

// New returns a Limiter; now is time.Now when nil.
func New(l Limit, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{limit: l, now: now, counts: map[string]int{}}
}

// On reports whether the limiter limits anything.
func (l *Limiter) On() bool { return l != nil && l.limit.On() }

// Take counts one request for key and reports whether it is within the
// limit. A refused request is counted too, so that hammering does not
// reopen the window early. ok is false when the limiter is off.
func (l *Limiter) Take(key string) (r Result, ok bool) {
	return l.charge(key, 1)
}

// Peek reports the state of key without counting a request.
func (l *Limiter) Peek(key string) (r Result, ok bool) {
	return l.charge(key, 0)
}

func (l *Limiter) charge(key string, n int) (Result, bool) {
	if !l.On() {
		return Result{}, false
	}
	now := l.now()
	w := now.UnixNano() / int64(l.limit.Window)
	l.mu.Lock()
	if w != l.window {
		l.window = w
		clear(l.counts)
	}
	c := l.counts[key]
	first := false
	if n > 0 && c <= l.limit.Requests { // stop counting once over: the value no longer matters
		c += n
		l.counts[key] = c
		first = c > l.limit.Requests
	}
	l.mu.Unlock()
	return Result{
		FirstRefusal: first,
		Allowed:      c <= l.limit.Requests,
		Limit:        l.limit.Requests,
		Remaining:    max(l.limit.Requests-c, 0),
		Reset:        time.Unix(0, (w+1)*int64(l.limit.Window)),
	}, true
}

// Headers collects the limits one request met and keeps the most
// restrictive: a refused one first, else the one with the fewest requests
// remaining, else the one that resets last. It is safe for concurrent use.
type Headers struct {
	mu  sync.Mutex
	set bool
	r   Result
}

type headersKey struct{}

// WithHeaders returns a context that collects the limits a request meets.
func WithHeaders(ctx context.Context) (context.Context, *Headers) {
	h := &Headers{}
	return context.WithValue(ctx, headersKey{}, h), h
}

// Observe records r on the context's Headers, if any.
func Observe(ctx context.Context, r Result) {
	if h, ok := ctx.Value(headersKey{}).(*Headers); ok {
		h.Observe(r)
	}
}

// Observe records r.
func (h *Headers) Observe(r Result) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.set || tighter(r, h.r) {
		h.r, h.set = r, true
	}
}

func tighter(a, b Result) bool {
	if a.Allowed != b.Allowed {
		return !a.Allowed
	}
	if a.Remaining != b.Remaining {
		return a.Remaining < b.Remaining
	}
	return a.Reset.After(b.Reset)
}

// Set reports whether any limit was observed.
func (h *Headers) Set() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.set
}

// Write sets X-Rate-Limit-Limit, X-Rate-Limit-Remaining and
// X-Rate-Limit-Reset (seconds since the epoch) from the most restrictive
// limit observed; nothing when none was.
func (h *Headers) Write(dst http.Header) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.set {
		return
	}
	dst.Set("X-Rate-Limit-Limit", strconv.Itoa(h.r.Limit))
	dst.Set("X-Rate-Limit-Remaining", strconv.Itoa(h.r.Remaining))
	dst.Set("X-Rate-Limit-Reset", strconv.FormatInt(ceilUnix(h.r.Reset), 10))
}

// ceilUnix is t in whole seconds since the epoch, rounded up, so that a
// client waiting until then is never early.
func ceilUnix(t time.Time) int64 {
	s := t.Unix()
	if t.Nanosecond() > 0 {
		s++
	}
	return s
}
