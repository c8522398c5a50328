package postgres_test

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/store/postgres"
)

// TestMigrationsMatchSQLite: every SQLite migration has its PostgreSQL
// translation under the same file name, so versions line up across engines.
func TestMigrationsMatchSQLite(t *testing.T) {
	names := func(dir string) []string {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range entries {
			out = append(out, e.Name())
		}
		return out
	}
	pg, lite := names("migrations"), names("../sqlite/migrations")
	if !slices.Equal(pg, lite) {
		t.Errorf("PostgreSQL migrations %v, SQLite migrations %v: want the same files", pg, lite)
	}
}

func TestMigrate(t *testing.T) {
	dsn := pg.NewDatabase(t)
	applied, err := postgres.Migrate(t.Context(), dsn)
	if err != nil || len(applied) == 0 || applied[0] != 1 {
		t.Fatalf("Migrate of an empty database: applied %v, %v", applied, err)
	}
	applied, err = postgres.Migrate(t.Context(), dsn)
	if err != nil || len(applied) != 0 {
		t.Fatalf("second Migrate: applied %v, %v; want nothing", applied, err)
	}
	s, err := postgres.Open(t.Context(), dsn, postgres.Options{NoMigrate: true})
	if err != nil {
		t.Fatalf("Open with NoMigrate of a migrated database: %v", err)
	}
	s.Close()
}

// TestNoMigrateRefusesOldSchema: with NoMigrate, Open leaves an empty
// database alone and says to migrate.
func TestNoMigrateRefusesOldSchema(t *testing.T) {
	dsn := pg.NewDatabase(t)
	_, err := postgres.Open(t.Context(), dsn, postgres.Options{NoMigrate: true})
	if !errors.Is(err, postgres.ErrSchemaBehind) {
		t.Fatalf("Open with NoMigrate of an empty database: %v, want ErrSchemaBehind", err)
	}
	applied, err := postgres.Migrate(t.Context(), dsn)
	if err != nil || len(applied) == 0 || applied[0] != 1 {
		t.Fatalf("Migrate after a refused Open: applied %v, %v; want every migration", applied, err)
	}
}

// TestConcurrentOpensOfFreshDatabase starts several stores on an empty
// database at once: the advisory lock lets exactly one create the schema.
func TestConcurrentOpensOfFreshDatabase(t *testing.T) {
	dsn := pg.NewDatabase(t)
	const n = 4
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			s, err := postgres.Open(t.Context(), dsn, postgres.Options{})
			if err != nil {
				errs[i] = err
				return
			}
			errs[i] = errors.Join(s.CreateClient(t.Context(), store.Client{ID: fmt.Sprint("0oa", i)}), s.Close())
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	clients, err := open(t, dsn).ListClients(t.Context(), store.Page{})
	if err != nil || len(clients) != n {
		t.Fatalf("ListClients: %d clients, %v; want %d", len(clients), err, n)
	}
}

// TestDSNPool: the pool parameters are read from the DSN; a bad one, or
// one database/sql cannot honour, is an error that never shows the
// password.
func TestDSNPool(t *testing.T) {
	dsn := pg.NewDatabase(t)
	s := open(t, dsn+"&pool_max_conns=2&pool_max_conn_lifetime=10m&pool_max_conn_idle_time=1m")
	if err := s.Ping(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"&pool_max_conns=zero", "&pool_min_conns=2"} {
		withPassword := strings.Replace(dsn, "postgres@", "postgres:hunter2@", 1) + bad
		_, err := postgres.Open(t.Context(), withPassword, postgres.Options{})
		if err == nil {
			t.Errorf("Open with %s succeeded", bad)
			continue
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("error %q shows the password", err)
		}
	}
}
