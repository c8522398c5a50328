package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"runtime"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/latchkey/latchkey/internal/store/sqlstore"
)

// defaultBusyTimeoutMS is how long a connection waits for another's lock
// before SQLite gives up with SQLITE_BUSY, unless the DSN sets _busy_timeout.
const defaultBusyTimeoutMS = "5000"

// dialect is what sqlstore needs to know about SQLite.
func dialect() sqlstore.Dialect {
	return sqlstore.Dialect{Name: "sqlite", IsUniqueViolation: IsUniqueViolation, InProcess: true}
}

// IsUniqueViolation reports whether err is SQLite's report of a violated
// PRIMARY KEY or UNIQUE constraint.
func IsUniqueViolation(err error) bool {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return true
	}
	return false
}

// Open opens the database at dsn, a file path or a "file:" URI (created if
// missing), applies pending migrations and returns a store over it. Query
// parameters of the DSN are kept, so "_busy_timeout" or "_synchronous" can
// be tuned; _txlock is always "immediate".
func Open(ctx context.Context, dsn string) (*sqlstore.Store, error) {
	d, err := parseDSN(dsn)
	if err != nil {
		return nil, err
	}
	write, err := d.openWriter()
	if err != nil {
		return nil, err
	}
	if _, err := migrate(ctx, write, d.path); err != nil {
		_ = write.Close()
		return nil, err
	}
	read, err := sql.Open("sqlite", d.reader())
	if err != nil {
		_ = write.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", d.path, err)
	}
	n := max(4, runtime.NumCPU())
	read.SetMaxOpenConns(n)
	read.SetMaxIdleConns(n)
	s, err := sqlstore.New(write, read, dialect())
	if err != nil {
		_ = errors.Join(write.Close(), read.Close())
		return nil, err
	}
	if err := s.Ping(ctx); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

// Migrate applies the pending migrations to the database at dsn and returns
// the versions it applied. Open does the same; Migrate is for running
// migrations without serving (`latchkey migrate`).
func Migrate(ctx context.Context, dsn string) ([]int64, error) {
	d, err := parseDSN(dsn)
	if err != nil {
		return nil, err
	}
	write, err := d.openWriter()
	if err != nil {
		return nil, err
	}
	applied, err := migrate(ctx, write, d.path)
	return applied, errors.Join(err, write.Close())
}

// dsn is a parsed data source name.
type dsn struct {
	base  string     // the DSN without its query
	path  string     // the database file
	query url.Values // the DSN's query parameters
}

func parseDSN(s string) (dsn, error) {
	base, rawQuery, _ := strings.Cut(s, "?")
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return dsn{}, fmt.Errorf("sqlite: dsn query: %w", err)
	}
	path := base
	if strings.HasPrefix(base, "file:") {
		u, err := url.Parse(base)
		if err != nil {
			return dsn{}, fmt.Errorf("sqlite: dsn: %w", err)
		}
		path = u.Path
		if u.Opaque != "" {
			if path, err = url.PathUnescape(u.Opaque); err != nil {
				return dsn{}, fmt.Errorf("sqlite: dsn: %w", err)
			}
		}
	}
	if path == "" || path == ":memory:" || q.Get("mode") == "memory" {
		return dsn{}, fmt.Errorf("sqlite: %q: need a database file (in-memory databases are not shared between connections)", s)
	}
	return dsn{base: base, path: path, query: q}, nil
}

// with returns the DSN with the given parameters set; those in keep are set
// only when the DSN lacks them.
func (d dsn) with(force, keep map[string]string) string {
	q := url.Values{}
	for k, v := range d.query {
		q[k] = append([]string(nil), v...)
	}
	for k, v := range keep {
		if !q.Has(k) {
			q.Set(k, v)
		}
	}
	for k, v := range force {
		q.Set(k, v)
	}
	return d.base + "?" + q.Encode()
}

// openWriter opens the single-connection pool that all writes go through,
// creating the database file first if it is missing.
func (d dsn) openWriter() (*sql.DB, error) {
	if err := createPrivate(d.path); err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite", d.with(
		map[string]string{"_txlock": "immediate"},
		map[string]string{"_busy_timeout": defaultBusyTimeoutMS, "_foreign_keys": "1"},
	))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", d.path, err)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	return db, nil
}

// createPrivate creates the database file with mode 0600 unless it exists:
// it holds password hashes, and SQLite gives the -wal and -shm files it makes
// later the database file's permissions. Left to the driver, the file would
// get 0644. An existing file keeps the permissions its operator chose.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("sqlite: create %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("sqlite: create %s: %w", path, err)
	}
	return nil
}

// reader is the DSN of the read-only query pool.
func (d dsn) reader() string {
	return d.with(
		map[string]string{"_query_only": "1"},
		map[string]string{"_busy_timeout": defaultBusyTimeoutMS, "_foreign_keys": "1"},
	)
}
