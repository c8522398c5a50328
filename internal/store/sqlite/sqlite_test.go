package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/store/sqlite"
	"github.com/latchkey/latchkey/internal/store/sqlite/sqlitetest"
	"github.com/latchkey/latchkey/internal/store/storetest"
)

func open(t testing.TB, dsn string) store.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("Open(%q): %v", dsn, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func tempDB(t testing.TB) string { return filepath.Join(t.TempDir(), "latchkey.db") }

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t, sqlitetest.Path(t)) })
}

// TestTwoOpens runs the multi-instance suite over two Opens of one file,
// which behave to SQLite as two processes would.
func TestTwoOpens(t *testing.T) {
	storetest.RunShared(t, func(t *testing.T) (store.Store, store.Store) {
		path := sqlitetest.Path(t)
		return open(t, path), open(t, path)
	})
}

func TestReopenKeepsData(t *testing.T) {
	path := tempDB(t)
	s, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	u := store.User{ID: "00u1", Login: "ada@example.com", Status: store.UserActive, CreatedAt: time.UnixMilli(1700000000123).UTC()}
	if err := s.CreateUser(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	applied, err := sqlite.Migrate(t.Context(), path)
	if err != nil || len(applied) != 0 {
		t.Fatalf("Migrate of a migrated file: applied %v, %v; want nothing", applied, err)
	}
	got, err := open(t, "file:"+path+"?_busy_timeout=1000").GetUserByLogin(t.Context(), "ADA@example.com")
	if err != nil || got.ID != u.ID || !got.CreatedAt.Equal(u.CreatedAt) {
		t.Fatalf("after reopening: got %+v, %v; want %+v", got, err, u)
	}
}

func TestMigrateFreshFile(t *testing.T) {
	path := tempDB(t)
	applied, err := sqlite.Migrate(t.Context(), path)
	if want := migrationVersions(t); err != nil || !slices.Equal(applied, want) {
		t.Fatalf("Migrate: applied %v, %v; want %v", applied, err, want)
	}
	s := open(t, path)
	if err := s.CreateClient(t.Context(), store.Client{ID: "0oa1"}); err != nil {
		t.Fatal(err)
	}
}

// migrationVersions lists the versions of the migration files, in order.
func migrationVersions(t *testing.T) []int64 {
	t.Helper()
	entries, err := os.ReadDir("migrations")
	if err != nil {
		t.Fatal(err)
	}
	var out []int64
	for _, e := range entries {
		v, _, ok := strings.Cut(e.Name(), "_")
		n, err := strconv.ParseInt(v, 10, 64)
		if !ok || err != nil || !strings.HasSuffix(e.Name(), ".sql") {
			t.Fatalf("migration file %q is not named NNNNN_name.sql", e.Name())
		}
		out = append(out, n)
	}
	return out
}

// TestFilesPrivate checks that a new database and the WAL files SQLite
// makes beside it are readable by their owner only: they hold password
// hashes.
func TestFilesPrivate(t *testing.T) {
	path := tempDB(t)
	s := open(t, path)
	if err := s.CreateUser(t.Context(), store.User{ID: "00u1", Login: "ada", PasswordHash: "hash"}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if perm := fi.Mode().Perm(); perm != 0o600 {
			t.Errorf("%s has mode %v, want -rw-------", filepath.Base(p), perm)
		}
	}
}

// TestExistingFileKeepsMode checks that Open does not change the
// permissions of a database file its operator created.
func TestExistingFileKeepsMode(t *testing.T) {
	path := tempDB(t)
	if err := os.WriteFile(path, nil, 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o640); err != nil { // whatever the umask
		t.Fatal(err)
	}
	open(t, path)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o640 {
		t.Errorf("mode after Open: %v, want -rw-r-----", perm)
	}
}

func TestOpenRejectsMemory(t *testing.T) {
	for _, dsn := range []string{"", ":memory:", "file::memory:", "file:x.db?mode=memory&cache=shared"} {
		if s, err := sqlite.Open(t.Context(), dsn); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded, want an error", dsn)
		}
	}
}

func TestOpenURIForms(t *testing.T) {
	dir := t.TempDir()
	for i, form := range []string{"file:%s", "file://%s", "%s?_busy_timeout=100&_txlock=deferred"} {
		path := filepath.Join(dir, fmt.Sprintf("db%d.sqlite", i))
		s := open(t, fmt.Sprintf(form, path))
		if err := s.CreateClient(t.Context(), store.Client{ID: "0oa1"}); err != nil {
			t.Fatalf("form %q: %v", form, err)
		}
		if _, err := os.Stat(path); err != nil {
			t.Fatalf("form %q did not create %s: %v", form, path, err)
		}
	}
}

// TestConcurrentOpensOfFreshFile starts several stores on a new file at
// once: the migration lock must let exactly one create the schema.
func TestConcurrentOpensOfFreshFile(t *testing.T) {
	path := tempDB(t)
	const n = 4
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			s, err := sqlite.Open(t.Context(), path)
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
	clients, err := open(t, path).ListClients(t.Context(), store.Page{})
	if err != nil || len(clients) != n {
		t.Fatalf("ListClients: %d clients, %v; want %d", len(clients), err, n)
	}
}

// Separate processes: the test binary re-runs itself as children that
// share one fresh file, migrate it at once and write to it concurrently.
const (
	childEnv     = "LATCHKEY_SQLITE_TEST_CHILD"
	childUpdates = 25
)

func TestSeparateProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	path := tempDB(t)
	const children = 3
	cmds := make([]*exec.Cmd, children)
	outs := make([]strings.Builder, children)
	for i := range cmds {
		cmds[i] = exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestChildProcess$", "-test.count=1")
		cmds[i].Env = append(os.Environ(), childEnv+"="+path+"|"+strconv.Itoa(i))
		cmds[i].Stdout, cmds[i].Stderr = &outs[i], &outs[i]
		if err := cmds[i].Start(); err != nil {
			t.Fatal(err)
		}
	}
	for i, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Errorf("child %d: %v\n%s", i, err, outs[i].String())
		}
	}
	if t.Failed() {
		return
	}
	s := open(t, path)
	u, err := s.GetUser(t.Context(), "00u-counter")
	if err != nil {
		t.Fatal(err)
	}
	if len(u.FirstName) != children*childUpdates {
		t.Errorf("counter after %d processes × %d updates: %d, updates were lost", children, childUpdates, len(u.FirstName))
	}
	clients, err := s.ListClients(t.Context(), store.Page{})
	if err != nil || len(clients) != children*childUpdates {
		t.Errorf("ListClients: %d clients, %v; want %d", len(clients), err, children*childUpdates)
	}
}

// TestChildProcess is the body of TestSeparateProcesses' children; run
// directly it does nothing.
func TestChildProcess(t *testing.T) {
	arg := os.Getenv(childEnv)
	if arg == "" {
		t.Skip("runs only as a child of TestSeparateProcesses")
	}
	path, id, _ := strings.Cut(arg, "|")
	s := open(t, path)
	ctx := t.Context()
	err := s.CreateUser(ctx, store.User{ID: "00u-counter", Login: "counter"})
	if err != nil && !errors.Is(err, store.ErrConflict) {
		t.Fatal(err)
	}
	for i := range childUpdates {
		if err := s.CreateClient(ctx, store.Client{ID: fmt.Sprintf("0oa-%s-%02d", id, i)}); err != nil {
			t.Fatal(err)
		}
		_, err := s.UpdateUser(ctx, "00u-counter", func(u store.User) (store.User, error) {
			u.FirstName += "x"
			return u, nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
