package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/latchkey/latchkey/internal/store"
)

// defaultLimit is the page size when store.Page.Limit is zero or negative.
const defaultLimit = 200

// Dialect holds what differs between database engines.
type Dialect struct {
	// Name prefixes error messages, e.g. "sqlite" or "postgres".
	Name string
	// IsUniqueViolation reports whether a driver error means a PRIMARY KEY
	// or UNIQUE constraint was violated; such errors become store.ErrConflict.
	// Required.
	IsUniqueViolation func(error) bool
	// ForUpdate is appended to the SELECT that reads the record an Update*
	// method is about to change, to lock it until the transaction ends:
	// " FOR UPDATE" on PostgreSQL. SQLite needs none (and has no such
	// clause): its write transactions begin IMMEDIATE and so already hold
	// the database's single write lock.
	ForUpdate string
	// InProcess is true when statements run in this process (SQLite): a
	// statement costs no round trip, so batches are written one prepared
	// row at a time rather than as multi-row statements, which the engine
	// would have to parse anew for each batch and guard with a statement
	// journal.
	InProcess bool
}

// Store implements store.Store. It is safe for concurrent use.
type Store struct {
	d     Dialect
	write *sql.DB // transactions and statements that change data
	read  *sql.DB // plain queries; may be the same pool as write

	// stmts caches prepared read queries (query text → *sql.Stmt on read):
	// parsing a statement costs about as much as running a lookup.
	stmts sync.Map
	// wstmts caches prepared write-path statements on write (query text →
	// *sql.Stmt), which a transaction runs through Tx.StmtContext: on the
	// connection it was already prepared on, that re-uses the parsed
	// statement (see prepareWrites).
	wstmts sync.Map
	// group queues the transactions of inTxGrouped (group.go).
	group txGroup
}

var _ store.Store = (*Store)(nil)

// New returns a Store that writes through write and reads through read
// (pass the same pool twice when the engine needs no split). The Store owns
// both pools: Close closes them. Write transactions are begun with default
// options on write, so a backend that needs a particular BEGIN (SQLite's
// BEGIN IMMEDIATE) configures it on that pool.
func New(write, read *sql.DB, d Dialect) (*Store, error) {
	if write == nil || read == nil {
		return nil, errors.New("sqlstore: nil database pool")
	}
	if d.IsUniqueViolation == nil {
		return nil, errors.New("sqlstore: Dialect.IsUniqueViolation is required")
	}
	if d.Name == "" {
		d.Name = "sqlstore"
	}
	return &Store{d: d, write: write, read: read}, nil
}

// Ping reports whether both pools can reach the database.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.write.PingContext(ctx); err != nil {
		return s.errf("ping: %w", err)
	}
	if s.read != s.write {
		if err := s.read.PingContext(ctx); err != nil {
			return s.errf("ping: %w", err)
		}
	}
	return nil
}

// Close closes the pools.
func (s *Store) Close() error {
	var err error
	for _, m := range []*sync.Map{&s.stmts, &s.wstmts} {
		m.Range(func(_, st any) bool {
			err = errors.Join(err, st.(*sql.Stmt).Close())
			return true
		})
	}
	err = errors.Join(err, s.write.Close())
	if s.read != s.write {
		err = errors.Join(err, s.read.Close())
	}
	if err != nil {
		return s.errf("close: %w", err)
	}
	return nil
}

// errf formats an error prefixed with the dialect's name.
func (s *Store) errf(format string, args ...any) error {
	return fmt.Errorf(s.d.Name+": "+format, args...)
}

// execErr maps a failed write: a unique violation becomes store.ErrConflict
// (keeping the driver's message, which names the constraint).
func (s *Store) execErr(op string, err error) error {
	if s.d.IsUniqueViolation(err) {
		return s.errf("%s: %w: %v", op, store.ErrConflict, err)
	}
	return s.errf("%s: %w", op, err)
}

// queryErr maps a failed single-row read: no row becomes store.ErrNotFound.
func (s *Store) queryErr(op string, err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return s.errf("%s: %w", op, store.ErrNotFound)
	}
	return s.errf("%s: %w", op, err)
}

// inTx runs fn in a write transaction and commits it unless fn fails; fn's
// error is returned unchanged so that a closure's error reaches the caller
// as is.
func (s *Store) inTx(ctx context.Context, op string, fn func(*sql.Tx) error) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return s.errf("%s: begin: %w", op, err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback() // fn's error is the one worth reporting
		return err
	}
	if err := tx.Commit(); err != nil {
		return s.execErr(op+": commit", err)
	}
	return nil
}

// checkID rejects an empty id, which no list could ever page to.
func (s *Store) checkID(op, id string) error {
	if id == "" {
		return s.errf("%s: empty id", op)
	}
	return nil
}

// checkIDs is checkID for every part of a composite key.
func (s *Store) checkIDs(op string, ids ...string) error {
	for _, id := range ids {
		if err := s.checkID(op, id); err != nil {
			return err
		}
	}
	return nil
}

func limitOf(p store.Page) int {
	if p.Limit <= 0 {
		return defaultLimit
	}
	return p.Limit
}

// millis encodes t as unix milliseconds, the zero time as 0.
func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// fromMillis decodes what millis encoded, in UTC.
func fromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// durationMillis encodes d as whole milliseconds (truncated).
func durationMillis(d time.Duration) int64 { return d.Milliseconds() }

// fromMillisDuration decodes what durationMillis encoded.
func fromMillisDuration(ms int64) time.Duration { return time.Duration(ms) * time.Millisecond }

// listJSON encodes a list of strings as a JSON array ("[]" when empty).
func listJSON(l []string) (string, error) {
	if l == nil {
		l = []string{}
	}
	b, err := json.Marshal(l)
	return string(b), err
}

// fromListJSON decodes what listJSON encoded; an empty list comes back nil,
// one spelling of "none" whatever was stored.
func fromListJSON(s string) ([]string, error) {
	var l []string
	if err := json.Unmarshal([]byte(s), &l); err != nil {
		return nil, err
	}
	if len(l) == 0 {
		return nil, nil
	}
	return l, nil
}

// nilIfEmpty reads an empty byte slice back as nil.
func nilIfEmpty(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// scanner is *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}

// querier is *sql.DB or *sql.Tx.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// queryAll runs a query and scans every row with scan.
func queryAll[T any](ctx context.Context, q querier, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, scan)
}

// collect scans every row and closes rows.
func collect[T any](rows *sql.Rows, scan func(scanner) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// quote quotes an id for an error message.
func quote(id string) string { return strconv.Quote(id) }

// prepared returns the cached prepared statement of a read query.
func (s *Store) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := s.stmts.Load(query); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := s.read.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if prev, loaded := s.stmts.LoadOrStore(query, st); loaded {
		_ = st.Close() // another goroutine prepared it first
		return prev.(*sql.Stmt), nil
	}
	return st, nil
}

// readRow runs a single-row read query on the read pool.
func readRow[T any](ctx context.Context, s *Store, scan func(scanner) (T, error), query string, args ...any) (T, error) {
	st, err := s.prepared(ctx, query)
	if err != nil {
		var zero T
		return zero, err
	}
	return scan(st.QueryRowContext(ctx, args...))
}

// readAll runs a read query on the read pool and scans every row.
func readAll[T any](ctx context.Context, s *Store, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	st, err := s.prepared(ctx, query)
	if err != nil {
		return nil, err
	}
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, scan)
}

// prepareWrites prepares, once, the statements a write transaction is about
// to run, on the write pool. It must be called outside any transaction of
// this goroutine: SQLite's write pool has one connection, which a
// transaction holds until it ends. A statement that fails to prepare is
// left to txExec and txQueryRow, which then parse it in the transaction as
// before (the transaction reports the error, if it is one).
func (s *Store) prepareWrites(ctx context.Context, queries ...string) {
	for _, q := range queries {
		if _, ok := s.wstmts.Load(q); ok {
			continue
		}
		st, err := s.write.PrepareContext(ctx, q)
		if err != nil {
			continue
		}
		if _, loaded := s.wstmts.LoadOrStore(q, st); loaded {
			_ = st.Close() // another goroutine prepared it first
		}
	}
}

// txStmt is query's prepared statement bound to tx, or nil when
// prepareWrites has not prepared it.
func (s *Store) txStmt(ctx context.Context, tx *sql.Tx, query string) *sql.Stmt {
	st, ok := s.wstmts.Load(query)
	if !ok {
		return nil
	}
	return tx.StmtContext(ctx, st.(*sql.Stmt))
}

// txExec runs a write statement in tx, prepared when prepareWrites
// prepared it.
func (s *Store) txExec(ctx context.Context, tx *sql.Tx, query string, args ...any) (sql.Result, error) {
	if st := s.txStmt(ctx, tx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return tx.ExecContext(ctx, query, args...)
}

// txQueryRow runs a single-row query in tx, prepared when prepareWrites
// prepared it.
func (s *Store) txQueryRow(ctx context.Context, tx *sql.Tx, query string, args ...any) *sql.Row {
	if st := s.txStmt(ctx, tx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return tx.QueryRowContext(ctx, query, args...)
}

// stmtQuerier runs a prepared statement as a querier (its query text is
// the statement's own and is ignored).
type stmtQuerier struct{ st *sql.Stmt }

func (q stmtQuerier) QueryContext(ctx context.Context, _ string, args ...any) (*sql.Rows, error) {
	return q.st.QueryContext(ctx, args...)
}
