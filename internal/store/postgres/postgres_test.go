package postgres_test

import (
	"context"
	"os"
	"testing"

	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/store/postgres"
	"github.com/latchkey/latchkey/internal/store/postgres/pgtest"
	"github.com/latchkey/latchkey/internal/store/storetest"
)

var pg *pgtest.Server

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m, &pg)) }

func open(t testing.TB, dsn string) store.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), dsn, postgres.Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t, pg.NewMigratedDatabase(t, postgres.Migrate)) })
}

// TestTwoPools runs the multi-instance suite over two stores, each with a
// pool of its own, over one database: two instances of Latchkey.
func TestTwoPools(t *testing.T) {
	storetest.RunShared(t, func(t *testing.T) (store.Store, store.Store) {
		dsn := pg.NewMigratedDatabase(t, postgres.Migrate)
		return open(t, dsn), open(t, dsn)
	})
}
