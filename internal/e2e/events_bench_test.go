package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/events"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/store/postgres"
	"github.com/latchkey/latchkey/internal/store/sqlite"
)

// BenchmarkAppendEvents writes one batch of the audit trail's writer as
// the Recorder does (store.AppendEvents of 255 events: the events of 85
// password grants, a session start and two token grants each, two targets
// an event), on SQLite and on PostgreSQL on loopback. On PostgreSQL the
// store's connections pass through the counting proxy (pgCounter), so the
// timings include its two extra hops, and roundtrips/batch counts what
// one batch costs the database (BEGIN and COMMIT included).
func BenchmarkAppendEvents(b *testing.B) {
	for _, backend := range []string{"sqlite", "postgres"} {
		b.Run("backend="+backend, func(b *testing.B) {
			ctx := context.Background()
			var st store.Store
			var counter *pgCounter
			var err error
			if backend == "postgres" {
				var dsn string
				counter, dsn = newPGCounter(b, pgDatabase(b))
				st, err = postgres.Open(ctx, dsn, postgres.Options{})
			} else {
				st, err = sqlite.Open(ctx, filepath.Join(b.TempDir(), "events.db"))
			}
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = st.Close() })
			batch := 0
			next := func() []store.StoredEvent {
				batch++
				return grantEvents(b, batch, 85)
			}
			if err := st.AppendEvents(ctx, next()); err != nil { // warm the pool
				b.Fatal(err)
			}
			if counter != nil {
				counter.reset()
			}
			b.ReportAllocs()
			for b.Loop() {
				evs := next()
				if err := st.AppendEvents(ctx, evs); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*255), "ns/event")
			if counter != nil {
				b.ReportMetric(float64(counter.roundTrips.Load())/float64(b.N), "roundtrips/batch")
			}
		})
	}
}

// grantEvents returns the stored events of n password grants, as the
// Recorder hands them to the store.
func grantEvents(b *testing.B, batch, n int) []store.StoredEvent {
	now := time.Now()
	out := make([]store.StoredEvent, 0, 3*n)
	for i := range n {
		user := events.User(fmt.Sprintf("00u%06d%06d", batch, i), "ada@example.com", "Ada Lovelace")
		app := events.App("0oabench", "bench app")
		p := events.Party{ServerID: "default", App: app, User: user}
		for _, e := range []events.Event{
			events.SessionStart(user, app, ""),
			events.TokenGrant(p, events.AccessToken, fmt.Sprintf("AT.%d.%d", batch, i), "password", []string{"openid"}),
			events.TokenGrant(p, events.IDToken, fmt.Sprintf("ID.%d.%d", batch, i), "password", []string{"openid"}),
		} {
			e = events.Stamp(context.Background(), e, func() time.Time { return now })
			s, err := events.ToStored(e)
			if err != nil {
				b.Fatal(err)
			}
			out = append(out, s)
		}
	}
	return out
}
