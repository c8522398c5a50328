package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
)

// Backup writes a consistent copy of the database at dsn to the file to,
// which must not exist, while servers keep using the database. VACUUM
// INTO reads the database in one read transaction, so the copy is the
// database as of one moment even under WAL and concurrent writers; it is
// also compacted. The copy is written to to+".partial" (mode 0600: it
// holds password hashes), checked with PRAGMA quick_check, then linked
// into place, so a failed backup never leaves a file that looks complete.
func Backup(ctx context.Context, dsn, to string) error {
	d, err := parseDSN(dsn)
	if err != nil {
		return err
	}
	if _, err := os.Stat(d.path); err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	if _, err := os.Lstat(to); err == nil {
		return fmt.Errorf("sqlite: backup: %s already exists: back up to a new file", to)
	}
	partial := to + ".partial"
	f, err := os.OpenFile(partial, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	if err := vacuumInto(ctx, d, partial); err != nil {
		return errors.Join(fmt.Errorf("sqlite: backup: %w", err), os.Remove(partial))
	}
	// Link, not rename: a file created at to meanwhile is not replaced.
	if err := os.Link(partial, to); err != nil {
		return errors.Join(fmt.Errorf("sqlite: backup: %w", err), os.Remove(partial))
	}
	return os.Remove(partial)
}

func vacuumInto(ctx context.Context, d dsn, to string) error {
	db, err := sql.Open("sqlite", d.with(nil, map[string]string{"_busy_timeout": defaultBusyTimeoutMS}))
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "VACUUM INTO ?", to); err != nil {
		return fmt.Errorf("vacuum into %s: %w", to, err)
	}
	cp, err := sql.Open("sqlite", to+"?_query_only=1")
	if err != nil {
		return err
	}
	defer cp.Close()
	var res string
	if err := cp.QueryRowContext(ctx, "PRAGMA quick_check").Scan(&res); err != nil {
		return fmt.Errorf("check the copy: %w", err)
	}
	if res != "ok" {
		return fmt.Errorf("check the copy: %s", res)
	}
	return nil
}
