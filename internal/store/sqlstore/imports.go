package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/latchkey/latchkey/internal/store"
)

// PutUsers implements store.Store. Each user is one prepared INSERT … ON
// CONFLICT (login_key) DO NOTHING; a login that exists is then left alone
// or updated in place, all in one transaction: about 20 µs a user on
// SQLite (see docs/performance.md).
func (s *Store) PutUsers(ctx context.Context, users []store.User, update bool) ([]store.PutOutcome, error) {
	const op = "put users"
	out := make([]store.PutOutcome, 0, len(users))
	err := s.inTx(ctx, op, func(tx *sql.Tx) error {
		ins, err := tx.PrepareContext(ctx, `INSERT INTO users (`+userCols+`, login_key)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
			ON CONFLICT (login_key) DO NOTHING`)
		if err != nil {
			return s.errf("%s: prepare: %w", op, err)
		}
		defer ins.Close()
		var upd, get *sql.Stmt
		if update {
			upd, err = tx.PrepareContext(ctx, `UPDATE users SET login = $2, email = $3, first_name = $4,
				last_name = $5, locale = $6, zone_info = $7, password_hash = $8, password_changed_at = $9,
				updated_at = $10 WHERE login_key = $1 RETURNING id`)
		} else {
			get, err = tx.PrepareContext(ctx, `SELECT id FROM users WHERE login_key = $1`)
		}
		if err != nil {
			return s.errf("%s: prepare: %w", op, err)
		}
		defer func() {
			for _, st := range []*sql.Stmt{upd, get} {
				if st != nil {
					st.Close()
				}
			}
		}()
		for i, u := range users {
			if err := s.checkID(op, u.ID); err != nil {
				return err
			}
			key := loginKey(u.Login)
			res, err := ins.ExecContext(ctx, u.ID, u.Status, u.Login, u.Email, u.EmailVerified, u.FirstName, u.LastName,
				u.Locale, u.ZoneInfo, u.PasswordHash, millis(u.PasswordChangedAt), millis(u.CreatedAt), millis(u.UpdatedAt),
				millis(u.LastLoginAt), millis(u.TokensValidAfter), millis(u.StatusChangedAt), millis(u.ActivatedAt), key)
			if err != nil {
				return s.execErr(fmt.Sprintf("%s: user %d (%s)", op, i, quote(u.ID)), err)
			}
			if n, err := res.RowsAffected(); err != nil {
				return s.errf("%s: %w", op, err)
			} else if n == 1 {
				out = append(out, store.PutOutcome{ID: u.ID, Result: store.PutCreated})
				continue
			}
			o := store.PutOutcome{Result: store.PutSkipped}
			if update {
				o.Result = store.PutUpdated
				err = upd.QueryRowContext(ctx, key, u.Login, u.Email, u.FirstName, u.LastName, u.Locale, u.ZoneInfo,
					u.PasswordHash, millis(u.PasswordChangedAt), millis(u.UpdatedAt)).Scan(&o.ID)
			} else {
				err = get.QueryRowContext(ctx, key).Scan(&o.ID)
			}
			if err != nil {
				return s.errf("%s: user %d: %w", op, i, err)
			}
			out = append(out, o)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
