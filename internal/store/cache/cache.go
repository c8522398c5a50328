package cache

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/latchkey/latchkey/internal/store"
)

// DefaultTTL is the lifetime of a cached record when Config.TTL is not
// set by the caller's configuration: how long a change made without a
// notification (the CLI on SQLite, a lost connection) may stay unseen.
const DefaultTTL = 5 * time.Second

// maxEntries bounds each kind's table. Only records that exist are cached,
// so the bound matters only for the per-user groups of a large directory;
// a full table is emptied and fills again.
const maxEntries = 10_000

// Config configures a cache.
type Config struct {
	// TTL is how long a cached record is served, counted from the start of
	// the read that fetched it. 0 (or less) turns caching off: every read
	// goes to the inner store, and writes still publish invalidations.
	TTL time.Duration
	// Invalidator carries invalidations to and from the other caches over
	// the same database. Nil: only this cache's own writes invalidate it,
	// and others' changes are seen within TTL.
	Invalidator Invalidator
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Logger reports invalidations that could not be published; discarded
	// when nil.
	Logger *slog.Logger
}

// Store is a store.Store that keeps the records of Kinds in memory (see
// the package documentation). Methods it does not override go to the
// inner store unchanged.
type Store struct {
	store.Store // the inner store: every method not overridden
	ttl         time.Duration
	now         func() time.Time
	inv         Invalidator
	logger      *slog.Logger
	tables      map[string]*table // one per kind; the map is never written after New
	unsubscribe func()
}

// New returns a cache in front of inner. Close closes inner too.
func New(inner store.Store, cfg Config) *Store {
	s := &Store{Store: inner, ttl: cfg.TTL, now: cfg.Now, inv: cfg.Invalidator, logger: cfg.Logger, tables: map[string]*table{}}
	if s.now == nil {
		s.now = time.Now
	}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	for _, k := range Kinds {
		s.tables[k] = &table{entries: map[string]entry{}}
	}
	if s.inv != nil {
		s.unsubscribe = s.inv.Subscribe(s.invalidate)
	}
	return s
}

// Close stops receiving invalidations and closes the inner store.
func (s *Store) Close() error {
	if s.unsubscribe != nil {
		s.unsubscribe()
	}
	return s.Store.Close()
}

// table holds the cached records of one kind. gen counts the kind's
// invalidations: a read stores what it fetched only if gen has not moved
// since the read began, so a read that may have seen the old record never
// caches it after the invalidation that followed the change.
type table struct {
	mu      sync.RWMutex
	gen     uint64
	entries map[string]entry
}

type entry struct {
	val     any
	expires time.Time
}

// invalidate drops every record of kind (of every kind for KindAll) and
// moves its generation on. Unknown kinds are ignored: they may come from a
// newer instance.
func (s *Store) invalidate(kind string) {
	for k, t := range s.tables {
		if kind != KindAll && kind != k {
			continue
		}
		t.mu.Lock()
		t.gen++
		clear(t.entries)
		t.mu.Unlock()
	}
}

// changed is called after every write of a record of kind, whether or not
// it failed (a failure may come after the commit): it invalidates this
// cache, then tells the others.
func (s *Store) changed(ctx context.Context, kind string) {
	s.invalidate(kind)
	if s.inv == nil {
		return
	}
	// The write is done; publish even if the caller has given up since.
	if err := s.inv.Publish(context.WithoutCancel(ctx), kind); err != nil {
		s.logger.Warn("cache: invalidation not published; other instances see the change within the TTL",
			"kind", kind, "ttl", s.ttl, "err", err)
	}
}

// cached returns the record of kind under key, from the table while it is
// fresh, else from load, which it then stores unless the kind was
// invalidated meanwhile. What it returns is always the caller's own copy.
func cached[V any](ctx context.Context, s *Store, kind, key string, clone func(V) V, load func(context.Context) (V, error)) (V, error) {
	if s.ttl <= 0 {
		return load(ctx)
	}
	t := s.tables[kind]
	start := s.now()
	t.mu.RLock()
	e, ok := t.entries[key]
	gen := t.gen
	t.mu.RUnlock()
	if ok && start.Before(e.expires) {
		return clone(e.val.(V)), nil
	}
	v, err := load(ctx)
	if err != nil {
		return v, err // errors, ErrNotFound included, are never cached
	}
	kept := clone(v)
	t.mu.Lock()
	if t.gen == gen {
		if len(t.entries) >= maxEntries {
			clear(t.entries)
		}
		// Counted from the start of the read: a record fetched by a read
		// that began before a change is never served longer than TTL
		// after that change.
		t.entries[key] = entry{val: kept, expires: start.Add(s.ttl)}
	}
	t.mu.Unlock()
	return v, nil
}
