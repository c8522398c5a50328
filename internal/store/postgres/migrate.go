package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/latchkey/latchkey/internal/store/sqlstore"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// rekeyLockID is the transaction advisory lock that serialises login
// rekeying between instances starting at once ("latchkey-rekey-logins").
const rekeyLockID int64 = 0x6c6b2d72656b6579

// provider returns goose's migration provider for db. Migrations run under
// goose's session advisory lock, polled every second for up to 10 minutes.
func provider(db *sql.DB) (*goose.Provider, error) {
	fsys, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 600))
	if err != nil {
		return nil, err
	}
	return goose.NewProvider(goose.DialectPostgres, db, fsys,
		goose.WithDisableGlobalRegistry(true), goose.WithSessionLocker(locker))
}

// migrate applies pending migrations through db, then recomputes login keys
// made by another login normalisation (sqlstore.RekeyLogins); it returns
// the versions applied.
func migrate(ctx context.Context, db *sql.DB, name string) ([]int64, error) {
	p, err := provider(db)
	if err != nil {
		return nil, fmt.Errorf("postgres: migrations: %w", err)
	}
	results, err := p.Up(ctx)
	if err != nil {
		return nil, fmt.Errorf("postgres: migrate %s: %w", name, err)
	}
	if err := rekeyLogins(ctx, db, name); err != nil {
		return nil, err
	}
	applied := make([]int64, 0, len(results))
	for _, r := range results {
		applied = append(applied, r.Source.Version)
	}
	return applied, nil
}

// rekeyLogins runs sqlstore.RekeyLogins in a transaction that holds an
// advisory lock, so that two instances never rekey at once: the second
// waits, then finds the work done.
func rekeyLogins(ctx context.Context, db *sql.DB, name string) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("postgres: %s: rekey logins: %w", name, err)
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, rekeyLockID); err != nil {
		return fmt.Errorf("postgres: %s: rekey logins: lock: %w", name, err)
	}
	if err := sqlstore.RekeyLogins(ctx, tx, "postgres", name); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("postgres: %s: rekey logins: %w", name, err)
	}
	return nil
}

// ErrSchemaBehind is why Open with NoMigrate refuses a database whose
// schema is older than this build's.
var ErrSchemaBehind = errors.New("schema is behind this build: run `latchkey migrate`")

// checkSchema fails unless every migration of this build is applied.
func checkSchema(ctx context.Context, db *sql.DB, name string) error {
	p, err := provider(db)
	if err != nil {
		return fmt.Errorf("postgres: migrations: %w", err)
	}
	current, target, err := p.GetVersions(ctx)
	if err != nil {
		return fmt.Errorf("postgres: %s: schema version: %w", name, err)
	}
	if current < target {
		return fmt.Errorf("postgres: %s: at version %d, this build needs %d: %w", name, current, target, ErrSchemaBehind)
	}
	return nil
}
