// Package sqlitetest gives tests fresh SQLite database files that are
// already migrated.
//
// Migrating a new file applies every migration, each in a transaction of
// its own; with the race detector that costs a good part of a second, and
// the conformance suite and the end-to-end tests open hundreds of fresh
// stores. So the first call in a test binary migrates one file with
// sqlite.Migrate, the product's own migration path, and keeps its bytes;
// every call after copies them into a new file. sqlite.Open on the copy
// still runs the migration step, which finds nothing to apply, exactly as
// it does on the restart of a deployed server.
//
// Tests of the migrations themselves (a fresh file, concurrent first
// opens) must keep creating empty files and must not use this package.
package sqlitetest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/latchkey/latchkey/internal/store/sqlite"
)

var template struct {
	once  sync.Once
	bytes []byte
	err   error
}

// migrated returns the bytes of a freshly migrated database file, made
// once per test binary.
func migrated() ([]byte, error) {
	template.once.Do(func() {
		dir, err := os.MkdirTemp("", "latchkey-sqlite-template-")
		if err != nil {
			template.err = err
			return
		}
		defer os.RemoveAll(dir)
		path := filepath.Join(dir, "template.db")
		if _, err := sqlite.Migrate(context.Background(), path); err != nil {
			template.err = err
			return
		}
		// Migrate closed its connections, which checkpointed the WAL into
		// the file: the file alone is the whole database.
		if _, err := os.Stat(path + "-wal"); err == nil {
			template.err = fmt.Errorf("sqlitetest: %s-wal outlived Migrate", path)
			return
		}
		template.bytes, template.err = os.ReadFile(path)
	})
	return template.bytes, template.err
}

// Path writes a migrated, empty database file under a new t.TempDir() and
// returns its path, for sqlite.Open or a config's db.
func Path(t testing.TB) string {
	t.Helper()
	return PathIn(t, t.TempDir())
}

// PathIn is Path in the folder dir (which must exist), as the file
// latchkey.db.
func PathIn(t testing.TB, dir string) string {
	t.Helper()
	b, err := migrated()
	if err != nil {
		t.Fatalf("sqlitetest: migrate the template database: %v", err)
	}
	path := filepath.Join(dir, "latchkey.db")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatalf("sqlitetest: %v", err)
	}
	return path
}
