package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/latchkey/latchkey/internal/store/sqlstore"
)

// uniqueViolation is PostgreSQL's SQLSTATE for a violated PRIMARY KEY or
// UNIQUE constraint.
const uniqueViolation = "23505"

// Dialect is what sqlstore needs to know about PostgreSQL.
func Dialect() sqlstore.Dialect {
	return sqlstore.Dialect{Name: "postgres", IsUniqueViolation: IsUniqueViolation, ForUpdate: " FOR UPDATE"}
}

// IsUniqueViolation reports whether err is PostgreSQL's report of a
// violated PRIMARY KEY or UNIQUE constraint.
func IsUniqueViolation(err error) bool {
	var e *pgconn.PgError
	return errors.As(err, &e) && e.Code == uniqueViolation
}

// Options tune Open.
type Options struct {
	// NoMigrate leaves the schema alone: Open then fails unless the
	// database is already at the schema this build needs (run
	// `latchkey migrate` first). Without it, Open applies pending
	// migrations.
	NoMigrate bool
}

// Open connects to the PostgreSQL database at dsn (a postgres:// URL or a
// keyword/value string, as pgx reads them), applies pending migrations
// unless opts.NoMigrate, and returns a store over it.
//
// The connection pool is sized by DSN parameters, with the names and
// defaults of pgxpool: pool_max_conns (open connections at most; default
// the greater of 4 and the number of CPUs; that many are kept idle),
// pool_max_conn_lifetime (default 1h) and pool_max_conn_idle_time
// (default 30m). pool_min_conns is refused: database/sql opens
// connections on demand and keeps no minimum. Other parameters are pgx's
// (sslmode, connect_timeout, …) or PostgreSQL run-time settings.
func Open(ctx context.Context, dsn string, opts Options) (*sqlstore.Store, error) {
	db, name, err := openDB(dsn)
	if err != nil {
		return nil, err
	}
	if opts.NoMigrate {
		err = checkSchema(ctx, db, name)
	} else {
		_, err = migrate(ctx, db, name)
	}
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	s, err := sqlstore.New(db, db, Dialect())
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	if err := s.Ping(ctx); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

// Migrate applies the pending migrations to the database at dsn and
// returns the versions it applied (`latchkey migrate`).
func Migrate(ctx context.Context, dsn string) ([]int64, error) {
	db, name, err := openDB(dsn)
	if err != nil {
		return nil, err
	}
	applied, err := migrate(ctx, db, name)
	return applied, errors.Join(err, db.Close())
}

// openDB opens the pool dsn describes, without connecting; name is the
// database's name, which error messages use instead of the DSN (it may
// hold a password).
func openDB(dsn string) (db *sql.DB, name string, err error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx's parse errors redact the password.
		return nil, "", fmt.Errorf("postgres: dsn: %w", err)
	}
	if cfg.MinConns != 0 || cfg.MinIdleConns != 0 {
		return nil, "", errors.New("postgres: dsn: pool_min_conns and pool_min_idle_conns are not supported " +
			"(idle connections are kept up to pool_max_conns, each for pool_max_conn_idle_time)")
	}
	db = stdlib.OpenDB(*cfg.ConnConfig)
	db.SetMaxOpenConns(int(cfg.MaxConns))
	db.SetMaxIdleConns(int(cfg.MaxConns))
	db.SetConnMaxLifetime(cfg.MaxConnLifetime)
	db.SetConnMaxIdleTime(cfg.MaxConnIdleTime)
	return db, cfg.ConnConfig.Database, nil
}
