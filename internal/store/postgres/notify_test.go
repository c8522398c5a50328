package postgres_test

import (
	"context"
	"database/sql"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/store/cache"
	"github.com/latchkey/latchkey/internal/store/postgres"
)

// deliveryBound is how long a notification may take to reach another
// instance in these tests: far more than it takes (milliseconds), so that
// a slow machine does not fail them.
const deliveryBound = 5 * time.Second

func startNotify(t *testing.T, dsn string) *postgres.NotifyInvalidator {
	t.Helper()
	return startNotifyWith(t, dsn, postgres.NotifyOptions{MinBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond})
}

func startNotifyWith(t *testing.T, dsn string, opts postgres.NotifyOptions) *postgres.NotifyInvalidator {
	t.Helper()
	n, err := postgres.StartNotifyInvalidator(context.Background(), dsn, opts)
	if err != nil {
		t.Fatalf("StartNotifyInvalidator: %v", err)
	}
	t.Cleanup(func() { _ = n.Close() })
	return n
}

// recorder collects the kinds a subscription receives.
type recorder struct {
	mu    sync.Mutex
	kinds []string
}

func (r *recorder) add(kind string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.kinds = append(r.kinds, kind)
}

// waitFor waits until kind has been received, at most deliveryBound.
func (r *recorder) waitFor(t *testing.T, kind string) {
	t.Helper()
	deadline := time.Now().Add(deliveryBound)
	for {
		r.mu.Lock()
		got := slices.Contains(r.kinds, kind)
		seen := slices.Clone(r.kinds)
		r.mu.Unlock()
		if got {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%q not delivered within %v; delivered: %q", kind, deliveryBound, seen)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (r *recorder) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.kinds = nil
}

// TestNotifyAcrossInstances: a Publish on one invalidator reaches the
// subscribers of another over the same database, and its own.
func TestNotifyAcrossInstances(t *testing.T) {
	t.Parallel()
	dsn := pg.NewDatabase(t)
	a, b := startNotify(t, dsn), startNotify(t, dsn)
	var onA, onB recorder
	defer a.Subscribe(onA.add)()
	defer b.Subscribe(onB.add)()

	if err := a.Publish(context.Background(), cache.KindClients); err != nil {
		t.Fatal(err)
	}
	onB.waitFor(t, cache.KindClients)
	onA.waitFor(t, cache.KindClients)
	if err := b.Publish(context.Background(), cache.KindPolicies); err != nil {
		t.Fatal(err)
	}
	onA.waitFor(t, cache.KindPolicies)

	// A cancelled subscription hears nothing more.
	var gone recorder
	cancel := b.Subscribe(gone.add)
	cancel()
	if err := a.Publish(context.Background(), cache.KindScopes); err != nil {
		t.Fatal(err)
	}
	onB.waitFor(t, cache.KindScopes)
	if len(gone.kinds) != 0 {
		t.Errorf("a cancelled subscription received %q", gone.kinds)
	}
}

// TestNotifyReconnect: when the listening connection is killed, the
// subscriber is told to drop everything (KindAll) once it listens again,
// and later publishes still arrive.
func TestNotifyReconnect(t *testing.T) {
	t.Parallel()
	dsn := pg.NewDatabase(t)
	a, b := startNotify(t, dsn), startNotify(t, dsn)
	var onB recorder
	defer b.Subscribe(onB.add)()
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	ctx := context.Background()

	for round := range 2 { // twice: the reconnected connection is watched too
		// Both invalidators listen (after the first round, each has
		// reconnected on its own schedule: B's KindAll says only that B
		// has).
		deadline := time.Now().Add(deliveryBound)
		for {
			var n int
			if err := admin.QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_activity
				WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE 'LISTEN%'`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n == 2 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("round %d: %d listening connections after %v; want 2", round, n, deliveryBound)
			}
			time.Sleep(10 * time.Millisecond)
		}
		// Every listening backend of this database: both invalidators'.
		res, err := admin.ExecContext(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
			WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE 'LISTEN%'`)
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := res.RowsAffected(); n != 2 {
			t.Fatalf("round %d: terminated %d listening connections; want 2", round, n)
		}
		onB.waitFor(t, cache.KindAll)
		onB.reset()
		if err := a.Publish(ctx, cache.KindClaims); err != nil {
			t.Fatal(err)
		}
		onB.waitFor(t, cache.KindClaims)
		onB.reset()
	}
}

// TestNotifyIdleCheck: pinging a silent listening connection does not
// lose it (no KindAll), and notifications still arrive after the pings.
func TestNotifyIdleCheck(t *testing.T) {
	t.Parallel()
	dsn := pg.NewDatabase(t)
	a := startNotify(t, dsn)
	b := startNotifyWith(t, dsn, postgres.NotifyOptions{IdleCheck: 20 * time.Millisecond})
	var onB recorder
	defer b.Subscribe(onB.add)()
	time.Sleep(300 * time.Millisecond) // about 15 idle checks
	if err := a.Publish(context.Background(), cache.KindDirectory); err != nil {
		t.Fatal(err)
	}
	onB.waitFor(t, cache.KindDirectory)
	onB.mu.Lock()
	defer onB.mu.Unlock()
	if slices.Contains(onB.kinds, cache.KindAll) {
		t.Errorf("idle checks lost the connection: delivered %q", onB.kinds)
	}
}

// TestNotifyClose: Close stops delivery and may be called twice; Publish
// fails after it.
func TestNotifyClose(t *testing.T) {
	t.Parallel()
	dsn := pg.NewDatabase(t)
	a := startNotify(t, dsn)
	var got recorder
	a.Subscribe(got.add)
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if err := a.Publish(context.Background(), cache.KindClients); err == nil {
		t.Error("Publish after Close succeeded")
	}
}
