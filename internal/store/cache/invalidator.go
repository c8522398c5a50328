package cache

import (
	"context"
	"sync"
)

// Kinds of cached records. A write of one record invalidates its whole kind
// on every instance: writes of these records are rare (an operator's change)
// and reads are on every request, so precision is not worth a protocol.
const (
	// KindAuthServers: authorization servers.
	KindAuthServers = "authservers"
	// KindClients: clients.
	KindClients = "clients"
	// KindScopes: scopes of every authorization server.
	KindScopes = "scopes"
	// KindClaims: custom claims of every authorization server.
	KindClaims = "claims"
	// KindPolicies: access policies and their rules.
	KindPolicies = "policies"
	// KindDirectory: groups, group memberships and client assignments.
	KindDirectory = "directory"
	// KindAll is not a kind of record: an Invalidator delivers it when it
	// may have missed notifications (after it reconnects), and every kind
	// is then dropped.
	KindAll = "*"
)

// Kinds lists every kind of record the cache keeps.
var Kinds = []string{KindAuthServers, KindClients, KindScopes, KindClaims, KindPolicies, KindDirectory}

// Invalidator carries invalidations between the caches of every instance
// over one database. Implementations must be safe for concurrent use.
//
// The in-process Local serves one process (SQLite, tests); a PostgreSQL
// implementation publishes with NOTIFY and delivers what its LISTEN
// connection receives.
type Invalidator interface {
	// Publish tells every subscriber, in this process and in every other
	// instance, that records of kind have changed. The cache calls it
	// after the write committed. An error means other instances may not
	// hear of the change and rely on the cache's TTL.
	Publish(ctx context.Context, kind string) error
	// Subscribe calls fn with every kind published from now on by any
	// instance, this one included, until cancel is called; and with
	// KindAll whenever notifications may have been lost. fn is called from
	// one goroutine at a time per subscription, must return quickly, and
	// must not call Publish. A subscription does no I/O of its own (an
	// implementation listens on behalf of all its subscribers), so it
	// takes no context.
	Subscribe(fn func(kind string)) (cancel func())
}

// Local is the in-process Invalidator: Publish calls every subscriber
// before it returns. Every cache of one process shares one Local, so that
// a write through any of them is seen at once by all. The zero Local is
// ready to use.
type Local struct {
	mu   sync.Mutex // serialises deliveries, and guards subs and next
	subs map[int]func(string)
	next int
}

// NewLocal returns an in-process Invalidator with no subscribers.
func NewLocal() *Local { return &Local{} }

// Publish implements Invalidator; it never fails.
func (l *Local) Publish(_ context.Context, kind string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, fn := range l.subs {
		fn(kind)
	}
	return nil
}

// Subscribe implements Invalidator.
func (l *Local) Subscribe(fn func(kind string)) (cancel func()) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.subs == nil {
		l.subs = map[int]func(string){}
	}
	id := l.next
	l.next++
	l.subs[id] = fn
	return func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		delete(l.subs, id)
	}
}
