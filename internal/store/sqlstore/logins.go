package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/latchkey/latchkey/internal/store"
)

const loginCounterCols = `login_key, source, failures, locked_until, last_success_at, updated_at`

// loginCountersSQL is a hot-path read (every password grant), locked
// with the dialect's ForUpdate after it.
const loginCountersSQL = `SELECT ` + loginCounterCols + ` FROM login_counters
	WHERE login_key = $1 AND source IN ($2, $3) ORDER BY source`

// The writes of UpdateLoginCounters, prepared once on the write pool.
const (
	insertLoginCounterSQL = `INSERT INTO login_counters (` + loginCounterCols + `) VALUES ($1, $2, 0, 0, 0, 0)
		ON CONFLICT (login_key, source) DO NOTHING`
	updateLoginCounterSQL = `UPDATE login_counters SET failures = $3, locked_until = $4, last_success_at = $5, updated_at = $6
		WHERE login_key = $1 AND source = $2`
)

func scanLoginCounter(sc scanner) (store.LoginCounter, error) {
	var c store.LoginCounter
	var locked, success, updated int64
	if err := sc.Scan(&c.LoginKey, &c.Source, &c.Failures, &locked, &success, &updated); err != nil {
		return store.LoginCounter{}, err
	}
	c.LockedUntil, c.LastSuccessAt, c.UpdatedAt = fromMillis(locked), fromMillis(success), fromMillis(updated)
	return c, nil
}

// UpdateLoginCounters implements store.Store. Absent rows are inserted
// first so that both can be read under the transaction's lock (FOR UPDATE
// where the engine needs it): there is then always a row to serialise on.
func (s *Store) UpdateLoginCounters(ctx context.Context, loginKey, source string, fn func(shared, pair store.LoginCounter) (store.LoginCounter, store.LoginCounter, error)) error {
	op := "update login counters"
	if loginKey == "" {
		return s.errf("%s: empty login", op)
	}
	lockSQL := loginCountersSQL + s.d.ForUpdate
	s.prepareWrites(ctx, insertLoginCounterSQL, lockSQL, updateLoginCounterSQL)
	return s.inTxGrouped(ctx, op, func(tx *sql.Tx) error {
		sources := []string{""}
		if source != "" {
			sources = append(sources, source)
		}
		for _, src := range sources {
			if _, err := s.txExec(ctx, tx, insertLoginCounterSQL, loginKey, src); err != nil {
				return s.execErr(op, err)
			}
		}
		var q querier = tx
		if st := s.txStmt(ctx, tx, lockSQL); st != nil {
			q = stmtQuerier{st}
		}
		rows, err := queryAll(ctx, q, scanLoginCounter, lockSQL, loginKey, "", source)
		if err != nil {
			return s.errf("%s: %w", op, err)
		}
		shared, pair := rows[0], rows[0]
		if source != "" {
			pair = rows[1]
		}
		newShared, newPair, err := fn(shared, pair)
		if err != nil {
			return err
		}
		newShared.LoginKey, newShared.Source = loginKey, ""
		write := []store.LoginCounter{newShared}
		if source != "" {
			newPair.LoginKey, newPair.Source = loginKey, source
			write = append(write, newPair)
		}
		for _, c := range write {
			if _, err := s.txExec(ctx, tx, updateLoginCounterSQL,
				c.LoginKey, c.Source, c.Failures, millis(c.LockedUntil), millis(c.LastSuccessAt), millis(c.UpdatedAt)); err != nil {
				return s.execErr(op, err)
			}
		}
		return nil
	})
}

// GetLoginCounters implements store.Store.
func (s *Store) GetLoginCounters(ctx context.Context, loginKey, source string) (store.LoginCounter, store.LoginCounter, error) {
	shared := store.LoginCounter{LoginKey: loginKey}
	pair := store.LoginCounter{LoginKey: loginKey, Source: source}
	rows, err := readAll(ctx, s, scanLoginCounter,
		`SELECT `+loginCounterCols+` FROM login_counters WHERE login_key = $1 AND source IN ($2, $3)`, loginKey, "", source)
	if err != nil {
		return shared, pair, s.errf("get login counters: %w", err)
	}
	for _, c := range rows {
		if c.Source == "" {
			shared = c
		}
		if c.Source == source {
			pair = c
		}
	}
	return shared, pair, nil
}

// ListLoginCounters implements store.Store.
func (s *Store) ListLoginCounters(ctx context.Context, loginKey string) ([]store.LoginCounter, error) {
	out, err := readAll(ctx, s, scanLoginCounter,
		`SELECT `+loginCounterCols+` FROM login_counters WHERE login_key = $1 ORDER BY source`, loginKey)
	if err != nil {
		return nil, s.errf("list login counters: %w", err)
	}
	return out, nil
}

// ResetLoginCounters implements store.Store.
func (s *Store) ResetLoginCounters(ctx context.Context, loginKey string, at time.Time) error {
	_, err := s.write.ExecContext(ctx,
		`UPDATE login_counters SET failures = 0, locked_until = 0, updated_at = $2 WHERE login_key = $1`,
		loginKey, millis(at))
	if err != nil {
		return s.execErr("reset login counters", err)
	}
	return nil
}

// DeleteStaleLoginCounters implements store.Store.
func (s *Store) DeleteStaleLoginCounters(ctx context.Context, idleBefore, knownBefore time.Time) (int64, error) {
	res, err := s.write.ExecContext(ctx,
		`DELETE FROM login_counters WHERE updated_at < $1 AND locked_until < $1 AND last_success_at < $2`,
		millis(idleBefore), millis(knownBefore))
	if err != nil {
		return 0, s.execErr("delete stale login counters", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, s.errf("delete stale login counters: %w", err)
	}
	return n, nil
}
