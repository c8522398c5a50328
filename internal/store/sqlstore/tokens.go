package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/latchkey/latchkey/internal/store"
)

const refreshCols = `id, family_id, auth_server_id, client_id, user_id, scopes, auth_time, issued_at,
	expires_at, idle_window, last_used_at, rotated_at, replaced_by, revoked_at, amr`

// Hot-path statements: refresh grants, revocation, introspection and
// client assertions (see hotpath_test.go). The SELECTs that lock take the
// dialect's ForUpdate after them.
const (
	refreshByIDSQL      = `SELECT ` + refreshCols + ` FROM refresh_tokens WHERE id = $1`
	familyTokensSQL     = `SELECT id FROM refresh_tokens WHERE family_id = $1 ORDER BY issued_at, id`
	revokeFamilySQL     = `UPDATE refresh_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at = 0`
	revokeFamilyRecSQL  = `UPDATE token_records SET revoked_at = $2 WHERE family_id = $1 AND revoked_at = 0`
	tokenRecordByJTISQL = `SELECT ` + tokenRecordCols + ` FROM token_records WHERE jti = $1`
	usedOnceSQL         = `SELECT expires_at FROM single_use WHERE id = $1`
	useOnceSQL          = `INSERT INTO single_use (id, expires_at) VALUES ($1, $2)
		ON CONFLICT (id) DO UPDATE SET expires_at = excluded.expires_at
		WHERE single_use.expires_at <= $3`
)

// The statements of a refresh token's use (UseRefreshToken), prepared once
// on the write pool (prepareWrites): parsing them cost about as much as
// running them.
const (
	insertRefreshSQL = `INSERT INTO refresh_tokens (` + refreshCols + `)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`
	updateRefreshSQL = `UPDATE refresh_tokens SET family_id = $2, auth_server_id = $3, client_id = $4, user_id = $5,
			scopes = $6, auth_time = $7, issued_at = $8, expires_at = $9, idle_window = $10,
			last_used_at = $11, rotated_at = $12, replaced_by = $13, revoked_at = $14
		WHERE id = $1`
	revokeSuccessorSQL    = `UPDATE refresh_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at = 0`
	revokeSuccessorRecSQL = `UPDATE token_records SET revoked_at = $2 WHERE refresh_id = $1 AND revoked_at = 0`
	refreshRevokedSQL     = `SELECT revoked_at FROM refresh_tokens WHERE id = $1`
	insertTokenRecordSQL  = `INSERT INTO token_records (` + tokenRecordCols + `) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (jti) DO UPDATE SET family_id = excluded.family_id, refresh_id = excluded.refresh_id,
			client_id = excluded.client_id, expires_at = excluded.expires_at, revoked_at = excluded.revoked_at`
)

// useRefreshSQL are the statements UseRefreshToken prepares, in the
// dialect d (the locking reads end with its ForUpdate).
func useRefreshSQL(d Dialect) []string {
	return []string{refreshByIDSQL + d.ForUpdate, insertRefreshSQL, updateRefreshSQL,
		revokeSuccessorSQL, revokeSuccessorRecSQL, insertTokenRecordSQL}
}

func scanRefresh(sc scanner) (store.RefreshToken, error) {
	var r store.RefreshToken
	var scopes, amr string
	var authTime, issued, expires, idle, lastUsed, rotated, revoked int64
	err := sc.Scan(&r.ID, &r.FamilyID, &r.AuthServerID, &r.ClientID, &r.UserID, &scopes, &authTime, &issued,
		&expires, &idle, &lastUsed, &rotated, &r.ReplacedBy, &revoked, &amr)
	if err != nil {
		return store.RefreshToken{}, err
	}
	if r.Scopes, err = fromListJSON(scopes); err != nil {
		return store.RefreshToken{}, fmt.Errorf("refresh token: scopes: %w", err)
	}
	if r.AMR, err = fromListJSON(amr); err != nil {
		return store.RefreshToken{}, fmt.Errorf("refresh token: amr: %w", err)
	}
	r.AuthTime, r.IssuedAt, r.ExpiresAt = fromMillis(authTime), fromMillis(issued), fromMillis(expires)
	r.IdleWindow = fromMillisDuration(idle)
	r.LastUsedAt, r.RotatedAt, r.RevokedAt = fromMillis(lastUsed), fromMillis(rotated), fromMillis(revoked)
	return r, nil
}

// refreshArgs are the values of refreshCols, in order.
func refreshArgs(r store.RefreshToken) ([]any, error) {
	scopes, err := listJSON(r.Scopes)
	if err != nil {
		return nil, err
	}
	amr, err := listJSON(r.AMR)
	if err != nil {
		return nil, err
	}
	return []any{r.ID, r.FamilyID, r.AuthServerID, r.ClientID, r.UserID, scopes, millis(r.AuthTime),
		millis(r.IssuedAt), millis(r.ExpiresAt), durationMillis(r.IdleWindow), millis(r.LastUsedAt),
		millis(r.RotatedAt), r.ReplacedBy, millis(r.RevokedAt), amr}, nil
}

// CreateRefreshToken implements store.Store. Error messages leave out token
// ids: they reach logs, and an id is all a token's store record is found by.
func (s *Store) CreateRefreshToken(ctx context.Context, t store.RefreshToken) error {
	const op = "create refresh token"
	if err := s.checkID(op, t.ID); err != nil {
		return err
	}
	args, err := refreshArgs(t)
	if err != nil {
		return s.errf("%s: %w", op, err)
	}
	s.prepareWrites(ctx, insertRefreshSQL)
	return s.inTxGrouped(ctx, op, func(tx *sql.Tx) error {
		if _, err := s.txExec(ctx, tx, insertRefreshSQL, args...); err != nil {
			return s.execErr(op, err)
		}
		return nil
	})
}

// GetRefreshToken implements store.Store.
func (s *Store) GetRefreshToken(ctx context.Context, id string) (store.RefreshToken, error) {
	t, err := readRow(ctx, s, scanRefresh, refreshByIDSQL, id)
	if err != nil {
		return store.RefreshToken{}, s.queryErr("get refresh token", err)
	}
	return t, nil
}

// lockRefresh reads a refresh token in tx, locking its row until tx ends.
func (s *Store) lockRefresh(ctx context.Context, tx *sql.Tx, id string) (store.RefreshToken, error) {
	return scanRefresh(s.txQueryRow(ctx, tx, refreshByIDSQL+s.d.ForUpdate, id))
}

// UseRefreshToken implements store.Store. Neither the token's id nor its
// family can change, and a successor always joins the token's family, so
// that revoking the family reaches it. A successor whose id exists is
// ErrConflict and undoes the whole use. Rows are locked along the chain, the
// token before its successor, so two uses never wait on each other in
// opposite orders.
func (s *Store) UseRefreshToken(ctx context.Context, id string, fn func(store.RefreshToken, *store.RefreshToken) (store.RefreshUse, error)) (store.RefreshToken, error) {
	const op = "use refresh token"
	var updated store.RefreshToken
	s.prepareWrites(ctx, useRefreshSQL(s.d)...)
	err := s.inTxGrouped(ctx, op, func(tx *sql.Tx) error {
		old, err := s.lockRefresh(ctx, tx, id)
		if err != nil {
			return s.queryErr(op, err)
		}
		var prev *store.RefreshToken
		if old.ReplacedBy != "" {
			p, err := s.lockRefresh(ctx, tx, old.ReplacedBy)
			switch {
			case err == nil:
				prev = &p
			case !errors.Is(err, sql.ErrNoRows):
				return s.queryErr(op+": successor", err)
			}
		}
		use, err := fn(old, prev)
		if err != nil {
			return err
		}
		next := use.Token
		next.ID, next.FamilyID, next.ReplacedBy = id, old.FamilyID, old.ReplacedBy
		refreshID := id
		var refreshRevoked time.Time // the revocation of refreshID's row
		if use.Successor != nil {
			succ := *use.Successor
			succ.FamilyID = old.FamilyID
			if err := s.checkID(op+": successor", succ.ID); err != nil {
				return err
			}
			if prev != nil {
				if err := s.replaceSuccessor(ctx, tx, *prev, succ.IssuedAt); err != nil {
					return err
				}
			}
			args, err := refreshArgs(succ)
			if err != nil {
				return s.errf("%s: successor: %w", op, err)
			}
			if _, err := s.txExec(ctx, tx, insertRefreshSQL, args...); err != nil {
				return s.execErr(op+": successor", err)
			}
			// The successor's row is this transaction's until it ends.
			refreshRevoked = succ.RevokedAt
			next.ReplacedBy, refreshID = succ.ID, succ.ID
			if next.RotatedAt.IsZero() {
				next.RotatedAt = succ.IssuedAt
			}
		}
		args, err := refreshArgs(next)
		if err != nil {
			return s.errf("%s: %w", op, err)
		}
		res, err := s.txExec(ctx, tx, updateRefreshSQL, args[:14]...) // amr, last, is kept as stored
		if err != nil {
			return s.execErr(op, err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return s.errf("%s: updated %d rows: %v", op, n, err)
		}
		// The row as stored now, decoded from the values just written (amr
		// as it was): what reading it back would give, without the read.
		stored := append(args[:14:14], old.AMR)
		if updated, err = scanRefresh(valuesScanner(stored)); err != nil {
			return s.errf("%s: %w", op, err)
		}
		if refreshID == id {
			refreshRevoked = updated.RevokedAt
		}
		if use.Access != nil {
			rec := *use.Access
			rec.FamilyID, rec.RefreshID = old.FamilyID, refreshID
			// refreshID's row is locked by this transaction (read above, or
			// inserted), so its revocation is known without reading it again.
			if rec.RevokedAt.IsZero() {
				rec.RevokedAt = refreshRevoked
			}
			return s.insertTokenRecord(ctx, tx, rec)
		}
		return nil
	})
	if err != nil {
		return store.RefreshToken{}, err
	}
	return updated, nil
}

// valuesScanner scans the values of refreshArgs (the amr last, as a list)
// the way a row of refreshCols is scanned.
type valuesScanner []any

func (v valuesScanner) Scan(dest ...any) error {
	if len(dest) != len(v) {
		return fmt.Errorf("scan %d values into %d destinations", len(v), len(dest))
	}
	for i, d := range dest {
		switch d := d.(type) {
		case *string:
			switch x := v[i].(type) {
			case string:
				*d = x
			case []string: // the amr, encoded as stored
				s, err := listJSON(x)
				if err != nil {
					return err
				}
				*d = s
			default:
				return fmt.Errorf("value %d: %T into a string", i, v[i])
			}
		case *int64:
			x, ok := v[i].(int64)
			if !ok {
				return fmt.Errorf("value %d: %T into an int64", i, v[i])
			}
			*d = x
		default:
			return fmt.Errorf("value %d: unsupported destination %T", i, d)
		}
	}
	return nil
}

// replaceSuccessor revokes prev, a successor being replaced by another,
// and the access tokens recorded with it, at at. prev's row is locked.
func (s *Store) replaceSuccessor(ctx context.Context, tx *sql.Tx, prev store.RefreshToken, at time.Time) error {
	const op = "use refresh token: replace successor"
	if !prev.RotatedAt.IsZero() {
		return s.errf("%s: %w: the successor has been rotated", op, store.ErrConflict)
	}
	if at.IsZero() {
		return s.errf("%s: the new successor has no issue time", op)
	}
	for _, q := range []string{revokeSuccessorSQL, revokeSuccessorRecSQL} {
		if _, err := s.txExec(ctx, tx, q, prev.ID, millis(at)); err != nil {
			return s.execErr(op, err)
		}
	}
	return nil
}

// RevokeFamily implements store.Store. Records revoked before keep their
// first revocation time. The family's rows are locked before they are
// changed: a use in progress (which holds the used token's row) finishes
// first, and the UPDATEs, each a statement of its own, then see the
// successor and the access token it recorded, even under PostgreSQL's
// READ COMMITTED, where an UPDATE's snapshot would miss rows inserted by
// a transaction that commits while it waits. The lock is taken again until
// it finds no new row, so that every row of the family is locked, the
// successors committed while it waited included: no use can then add to
// the family before the UPDATEs. Rows are locked in the order of issue,
// which is the order a use locks a token and its successor, so the two
// never wait on each other in a cycle.
func (s *Store) RevokeFamily(ctx context.Context, familyID string, at time.Time) error {
	const op = "revoke family"
	if err := s.checkID(op, familyID); err != nil {
		return err
	}
	if at.IsZero() {
		return s.errf("%s: zero revocation time", op)
	}
	return s.inTx(ctx, op, func(tx *sql.Tx) error {
		// Lock until a pass finds no row it had not locked: under READ
		// COMMITTED a pass sees only the rows committed when it began, so a
		// successor committed by a use it waited for, which it did not lock,
		// could be used and given a successor of its own while the UPDATEs
		// below run, and that one would escape them.
		locked := make(map[string]bool)
		for {
			grew, err := s.lockFamily(ctx, tx, familyID, locked)
			if err != nil {
				return s.errf("%s: lock: %w", op, err)
			}
			if !grew {
				break
			}
		}
		for _, q := range []struct{ table, sql string }{
			{"refresh_tokens", revokeFamilySQL},
			{"token_records", revokeFamilyRecSQL},
		} {
			if _, err := tx.ExecContext(ctx, q.sql, familyID, millis(at)); err != nil {
				return s.execErr(op+": "+q.table, err)
			}
		}
		return nil
	})
}

// lockFamily locks the family's refresh tokens in tx, in the order of
// issue, adds their ids to locked and reports whether any was not there.
func (s *Store) lockFamily(ctx context.Context, tx *sql.Tx, familyID string, locked map[string]bool) (grew bool, err error) {
	rows, err := tx.QueryContext(ctx, familyTokensSQL+s.d.ForUpdate, familyID)
	if err != nil {
		return false, err
	}
	defer func() { err = errors.Join(err, rows.Close()) }()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return false, err
		}
		if !locked[id] {
			locked[id], grew = true, true
		}
	}
	return grew, rows.Err()
}

const tokenRecordCols = `jti, family_id, refresh_id, client_id, expires_at, revoked_at`

func scanTokenRecord(sc scanner) (store.TokenRecord, error) {
	var r store.TokenRecord
	var expires, revoked int64
	if err := sc.Scan(&r.JTI, &r.FamilyID, &r.RefreshID, &r.ClientID, &expires, &revoked); err != nil {
		return store.TokenRecord{}, err
	}
	r.ExpiresAt, r.RevokedAt = fromMillis(expires), fromMillis(revoked)
	return r, nil
}

// RecordToken implements store.Store.
func (s *Store) RecordToken(ctx context.Context, r store.TokenRecord) error {
	s.prepareWrites(ctx, refreshRevokedSQL+s.d.ForUpdate, insertTokenRecordSQL)
	return s.inTxGrouped(ctx, "record token "+quote(r.JTI), func(tx *sql.Tx) error {
		return s.recordToken(ctx, tx, r)
	})
}

// recordToken stores r in tx. A record of a family that is not revoked
// takes the revocation of its refresh token, read under a lock: a family
// revoked (or a successor replaced) before this insert, which the
// revocation could not reach, still takes the record down, and one revoked
// after it waits for tx and then sees the record.
func (s *Store) recordToken(ctx context.Context, tx *sql.Tx, r store.TokenRecord) error {
	op := "record token " + quote(r.JTI)
	if err := s.checkID(op, r.JTI); err != nil {
		return err
	}
	refreshID := r.RefreshID
	if refreshID == "" {
		refreshID = r.FamilyID
	}
	if r.RevokedAt.IsZero() && refreshID != "" {
		var revoked int64
		err := s.txQueryRow(ctx, tx, refreshRevokedSQL+s.d.ForUpdate, refreshID).Scan(&revoked)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return s.errf("%s: %w", op, err)
		}
		r.RevokedAt = fromMillis(revoked)
	}
	return s.insertTokenRecord(ctx, tx, r)
}

// insertTokenRecord stores r in tx as it is.
func (s *Store) insertTokenRecord(ctx context.Context, tx *sql.Tx, r store.TokenRecord) error {
	op := "record token " + quote(r.JTI)
	if err := s.checkID(op, r.JTI); err != nil {
		return err
	}
	_, err := s.txExec(ctx, tx, insertTokenRecordSQL,
		r.JTI, r.FamilyID, r.RefreshID, r.ClientID, millis(r.ExpiresAt), millis(r.RevokedAt))
	if err != nil {
		return s.execErr(op, err)
	}
	return nil
}

// GetTokenRecord implements store.Store.
func (s *Store) GetTokenRecord(ctx context.Context, jti string) (store.TokenRecord, error) {
	r, err := readRow(ctx, s, scanTokenRecord, tokenRecordByJTISQL, jti)
	if err != nil {
		return store.TokenRecord{}, s.queryErr("get token record "+quote(jti), err)
	}
	return r, nil
}

// UseOnce implements store.Store. Whether a recorded key has expired is
// judged by this process's clock: a key is in use while now < expiresAt.
// An expired record is replaced, so the key is recorded anew. A zero
// expiresAt is refused: the key would never count as used.
func (s *Store) UseOnce(ctx context.Context, key string, expiresAt time.Time) error {
	op := "use once " + quote(key)
	if err := s.checkID(op, key); err != nil {
		return err
	}
	if expiresAt.IsZero() {
		return s.errf("%s: zero expiry", op)
	}
	res, err := s.write.ExecContext(ctx, useOnceSQL, key, millis(expiresAt), millis(time.Now()))
	if err != nil {
		return s.execErr(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return s.errf("%s: %w", op, err)
	}
	if n == 0 {
		return s.errf("%s: %w: already used", op, store.ErrConflict)
	}
	return nil
}

// UsedOnce implements store.Store, judging expiry by this process's
// clock as UseOnce does.
func (s *Store) UsedOnce(ctx context.Context, key string) (bool, error) {
	op := "used once " + quote(key)
	if err := s.checkID(op, key); err != nil {
		return false, err
	}
	exp, err := readRow(ctx, s, func(sc scanner) (int64, error) {
		var v int64
		return v, sc.Scan(&v)
	}, usedOnceSQL, key)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, s.queryErr(op, err)
	}
	return time.Now().Before(fromMillis(exp)), nil
}

// DeleteExpired implements store.Store. A record expires at its expiry
// time (it is expired when expiry <= now): refresh tokens at ExpiresAt
// when set, or IdleWindow (when positive) after the later of LastUsedAt
// and IssuedAt; token records at ExpiresAt when set; single-use keys at
// their expiry.
func (s *Store) DeleteExpired(ctx context.Context, now time.Time) (int64, error) {
	const op = "delete expired"
	// CASE rather than max()/GREATEST(): the later of two times, portably.
	stmts := []string{
		// An expired token goes only when its family has no live current
		// token: a rotated token must stay to be recognised if it is
		// replayed, which revokes the family (reuse detection).
		`DELETE FROM refresh_tokens WHERE ` + refreshExpiredSQL("refresh_tokens") + ` AND NOT EXISTS (
			SELECT 1 FROM refresh_tokens AS live WHERE live.family_id = refresh_tokens.family_id
			AND live.rotated_at = 0 AND live.revoked_at = 0 AND NOT ` + refreshExpiredSQL("live") + `)`,
		`DELETE FROM token_records WHERE expires_at <> 0 AND expires_at <= $1`,
		`DELETE FROM single_use WHERE expires_at <= $1`,
	}
	var total int64
	err := s.inTx(ctx, op, func(tx *sql.Tx) error {
		for _, q := range stmts {
			res, err := tx.ExecContext(ctx, q, millis(now))
			if err != nil {
				return s.execErr(op, err)
			}
			n, err := res.RowsAffected()
			if err != nil {
				return s.errf("%s: %w", op, err)
			}
			total += n
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return total, nil
}

// refreshExpiredSQL is the condition "the refresh token t is past its
// absolute expiry or idle past its window at $1", as in token.RefreshExpired.
// CASE rather than max()/GREATEST(): the later of two times, portably.
func refreshExpiredSQL(t string) string {
	return `((` + t + `.expires_at <> 0 AND ` + t + `.expires_at <= $1) OR (` + t + `.idle_window > 0 AND
		(CASE WHEN ` + t + `.last_used_at > ` + t + `.issued_at THEN ` + t + `.last_used_at ELSE ` + t + `.issued_at END) + ` + t + `.idle_window <= $1))`
}
