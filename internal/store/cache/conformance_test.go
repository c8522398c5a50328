package cache_test

import (
	"context"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/store/cache"
	"github.com/latchkey/latchkey/internal/store/sqlite"
	"github.com/latchkey/latchkey/internal/store/sqlite/sqlitetest"
	"github.com/latchkey/latchkey/internal/store/storetest"
)

// openSQLite opens a SQLite store on path, closed with the test.
func openSQLite(t testing.TB, path string) store.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open(%q): %v", path, err)
	}
	return s
}

// wrap puts a cache in front of inner and closes both with the test.
func wrap(t testing.TB, inner store.Store, cfg cache.Config) *cache.Store {
	t.Helper()
	c := cache.New(inner, cfg)
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return c
}

// TestConformance runs the suite through a cache whose records would live
// for an hour: every read the suite repeats after a write is served from
// the cache unless that write invalidated it.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		inner := openSQLite(t, sqlitetest.Path(t))
		return wrap(t, inner, cache.Config{TTL: time.Hour, Invalidator: cache.NewLocal()})
	})
}

// TestShared runs the multi-instance suite over two caches in front of two
// opens of one database, as two instances would have them.
//
// SharedInvalidator is the deployment with notifications: one Invalidator
// for both, records living an hour, so each must see the other's writes
// through the invalidations alone. NoInvalidatorTTL0 is an instance that
// hears nothing from the other, with caching off: the suite's reads after
// the other's writes would otherwise be served stale within the TTL, which
// is the stated bound (TestTTLBoundWithoutInvalidator checks it); here it
// shows that the writes and atomic operations pass through unchanged.
func TestShared(t *testing.T) {
	cases := []struct {
		name string
		cfg  func() (cache.Config, cache.Config)
	}{
		{"SharedInvalidator", func() (cache.Config, cache.Config) {
			inv := cache.NewLocal()
			return cache.Config{TTL: time.Hour, Invalidator: inv}, cache.Config{TTL: time.Hour, Invalidator: inv}
		}},
		{"NoInvalidatorTTL0", func() (cache.Config, cache.Config) {
			return cache.Config{}, cache.Config{}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			storetest.RunShared(t, func(t *testing.T) (store.Store, store.Store) {
				path := sqlitetest.Path(t)
				ca, cb := c.cfg()
				return wrap(t, openSQLite(t, path), ca), wrap(t, openSQLite(t, path), cb)
			})
		})
	}
}
