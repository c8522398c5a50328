package sqlstore

import (
	"context"
	"database/sql"

	"github.com/latchkey/latchkey/internal/store"
)

// ListPasswordHistory implements store.Store.
func (s *Store) ListPasswordHistory(ctx context.Context, userID string, limit int) ([]string, error) {
	if limit <= 0 {
		return nil, nil
	}
	out, err := readAll(ctx, s, func(sc scanner) (string, error) {
		var h string
		err := sc.Scan(&h)
		return h, err
	}, `SELECT hash FROM password_history WHERE user_id = $1 ORDER BY seq DESC LIMIT $2`, userID, limit)
	if err != nil {
		return nil, s.errf("list password history of %s: %w", quote(userID), err)
	}
	return out, nil
}

// ChangePassword implements store.Store.
func (s *Store) ChangePassword(ctx context.Context, userID string, keep int, fn func(store.User) (store.User, error)) (store.User, error) {
	op := "change password of user " + quote(userID)
	var updated store.User
	err := s.inTx(ctx, op, func(tx *sql.Tx) error {
		old, err := scanUser(tx.QueryRowContext(ctx,
			`SELECT `+userCols+` FROM users WHERE id = $1`+s.d.ForUpdate, userID))
		if err != nil {
			return s.queryErr(op, err)
		}
		u, err := fn(old)
		if err != nil {
			return err
		}
		u.ID = userID
		u = statusChange(old, u)
		if updated, err = updateUser(ctx, tx, u); err != nil {
			return s.execErr(op, err)
		}
		if old.PasswordHash != "" && old.PasswordHash != u.PasswordHash {
			if _, err := tx.ExecContext(ctx,
				`INSERT INTO password_history (user_id, seq, hash, replaced_at)
				SELECT $1, COALESCE(MAX(seq), 0) + 1, $2, $3 FROM password_history WHERE user_id = $1`,
				userID, old.PasswordHash, millis(u.PasswordChangedAt)); err != nil {
				return s.execErr(op+": record history", err)
			}
		}
		// Keep the newest keep rows: those whose seq is within keep of the
		// highest (seqs of a user have no gaps).
		if _, err := tx.ExecContext(ctx,
			`DELETE FROM password_history WHERE user_id = $1
			AND seq <= (SELECT COALESCE(MAX(seq), 0) FROM password_history WHERE user_id = $1) - $2`,
			userID, max(keep, 0)); err != nil {
			return s.execErr(op+": trim history", err)
		}
		return nil
	})
	if err != nil {
		return store.User{}, err
	}
	return updated, nil
}
