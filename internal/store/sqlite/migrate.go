package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"

	"github.com/latchkey/latchkey/internal/store/sqlstore"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrate puts the database file at path in WAL mode, applies pending
// migrations through db, its writer pool, and recomputes login keys made by
// another login normalisation (sqlstore.RekeyLogins); it returns the versions applied.
// Both steps run under the migration lock: switching a fresh file to WAL
// needs an exclusive lock that two connections asking at once can deadlock
// on, and SQLite then fails one of them at once, whatever busy_timeout says.
func migrate(ctx context.Context, db *sql.DB, path string) (_ []int64, err error) {
	unlock, err := lockMigrations(ctx, path+".migrate-lock")
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, unlock()) }()

	var mode string
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode = WAL").Scan(&mode); err != nil {
		return nil, fmt.Errorf("sqlite: %s: set WAL mode: %w", path, err)
	}
	if mode != "wal" {
		return nil, fmt.Errorf("sqlite: %s: journal mode is %q, WAL is not available", path, mode)
	}

	fsys, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("sqlite: migrations: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return nil, fmt.Errorf("sqlite: migrations: %w", err)
	}
	results, err := p.Up(ctx)
	if err != nil {
		return nil, fmt.Errorf("sqlite: migrate %s: %w", path, err)
	}
	if err := rekeyLogins(ctx, db, path); err != nil {
		return nil, err
	}
	applied := make([]int64, 0, len(results))
	for _, r := range results {
		applied = append(applied, r.Source.Version)
	}
	return applied, nil
}

// rekeyLogins runs sqlstore.RekeyLogins in a transaction of its own.
func rekeyLogins(ctx context.Context, db *sql.DB, path string) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: %s: rekey logins: %w", path, err)
	}
	defer func() { _ = tx.Rollback() }()
	if err := sqlstore.RekeyLogins(ctx, tx, "sqlite", path); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: %s: rekey logins: %w", path, err)
	}
	return nil
}

// lockMigrations waits (until ctx ends) until this process alone may
// migrate the database, and returns the function that lets the next one.
//
// The lock is an EXCLUSIVE transaction on a sidecar SQLite file at path:
// SQLite's file locking makes that a mutex between processes, and the
// operating system drops it if its holder dies, so no stale lock outlives a
// crash. The database itself cannot serve: a lock held on it would block the
// migration's own writes. The sidecar is never deleted, since another
// process may be waiting on it.
func lockMigrations(ctx context.Context, path string) (unlock func() error, err error) {
	db, err := sql.Open("sqlite", path+"?_busy_timeout=600000&_txlock=exclusive")
	if err != nil {
		return nil, fmt.Errorf("sqlite: migration lock %s: %w", path, err)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("sqlite: migration lock %s: %w", path, err)
	}
	return func() error {
		if err := errors.Join(tx.Rollback(), db.Close()); err != nil {
			return fmt.Errorf("sqlite: migration unlock %s: %w", path, err)
		}
		return nil
	}, nil
}
