package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/latchkey/latchkey/internal/store"
)

// RevokeUserTokens implements store.Store. The user's row is updated first:
// on engines that lock rows, that serialises it with UpdateUser and
// ChangePassword of the same user.
func (s *Store) RevokeUserTokens(ctx context.Context, userID string, at time.Time) error {
	op := "revoke user tokens " + quote(userID)
	if err := s.checkID(op, userID); err != nil {
		return err
	}
	if at.IsZero() {
		return s.errf("%s: zero revocation time", op)
	}
	ms := millis(at)
	return s.inTx(ctx, op, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx,
			`UPDATE users SET tokens_valid_after = CASE WHEN tokens_valid_after > $2 THEN tokens_valid_after ELSE $2 END
			WHERE id = $1`, userID, ms)
		if err := s.oneRow(op, res, err); err != nil {
			return err
		}
		// Records first: they are found through the families' tokens.
		if _, err := tx.ExecContext(ctx,
			`UPDATE token_records SET revoked_at = $2 WHERE revoked_at = 0 AND family_id <> '' AND family_id IN (
				SELECT family_id FROM refresh_tokens WHERE user_id = $1)`, userID, ms); err != nil {
			return s.execErr(op+": token records", err)
		}
		if _, err := tx.ExecContext(ctx,
			`UPDATE refresh_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at = 0`, userID, ms); err != nil {
			return s.execErr(op+": refresh tokens", err)
		}
		return nil
	})
}

// DeleteUser implements store.Store.
func (s *Store) DeleteUser(ctx context.Context, id string) error {
	op := "delete user " + quote(id)
	if err := s.checkID(op, id); err != nil {
		return err
	}
	return s.inTx(ctx, op, func(tx *sql.Tx) error {
		var login string
		if err := tx.QueryRowContext(ctx, `SELECT login FROM users WHERE id = $1`+s.d.ForUpdate, id).Scan(&login); err != nil {
			return s.queryErr(op, err)
		}
		stmts := []struct {
			q   string
			arg string
		}{
			{`DELETE FROM group_members WHERE user_id = $1`, id},
			{`DELETE FROM client_assignments WHERE principal_id = $1`, id},
			{`DELETE FROM password_history WHERE user_id = $1`, id},
			{`DELETE FROM user_factors WHERE user_id = $1`, id},
			{`DELETE FROM login_counters WHERE login_key = $1`, loginKey(login)},
			{`DELETE FROM users WHERE id = $1`, id},
		}
		for _, st := range stmts {
			if _, err := tx.ExecContext(ctx, st.q, st.arg); err != nil {
				return s.execErr(op, err)
			}
		}
		return nil
	})
}

// oneRow maps the result of a statement that must change exactly one
// record: none changed becomes store.ErrNotFound.
func (s *Store) oneRow(op string, res sql.Result, err error) error {
	if err != nil {
		return s.execErr(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return s.errf("%s: %w", op, err)
	}
	if n == 0 {
		return s.errf("%s: %w", op, store.ErrNotFound)
	}
	return nil
}
