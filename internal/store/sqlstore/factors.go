package sqlstore

import (
	"context"
	"database/sql"

	"github.com/latchkey/latchkey/internal/store"
)

const factorCols = `id, user_id, factor_type, provider, status, sealed, last_step, recovery_codes, created_at, updated_at`

// factorsSQL is a hot-path read when a policy asks for a second factor.
const factorsSQL = `SELECT ` + factorCols + ` FROM user_factors WHERE user_id = $1 ORDER BY created_at, id`

func scanFactor(sc scanner) (store.Factor, error) {
	var f store.Factor
	var codes string
	var created, updated int64
	if err := sc.Scan(&f.ID, &f.UserID, &f.Type, &f.Provider, &f.Status, &f.Sealed, &f.LastStep, &codes, &created, &updated); err != nil {
		return store.Factor{}, err
	}
	var err error
	if f.RecoveryCodes, err = fromListJSON(codes); err != nil {
		return store.Factor{}, err
	}
	f.Sealed = nilIfEmpty(f.Sealed)
	f.CreatedAt, f.UpdatedAt = fromMillis(created), fromMillis(updated)
	return f, nil
}

// ListFactors implements store.Store.
func (s *Store) ListFactors(ctx context.Context, userID string) ([]store.Factor, error) {
	out, err := readAll(ctx, s, scanFactor, factorsSQL, userID)
	if err != nil {
		return nil, s.errf("list factors of user %s: %w", quote(userID), err)
	}
	return out, nil
}

// UpdateFactors implements store.Store. The user's row is locked first, so
// that updates of one user's factors are serialized.
func (s *Store) UpdateFactors(ctx context.Context, userID string, fn func([]store.Factor) ([]store.Factor, error)) ([]store.Factor, error) {
	op := "update factors of user " + quote(userID)
	var result []store.Factor
	err := s.inTx(ctx, op, func(tx *sql.Tx) error {
		ok, err := s.exists(ctx, tx, `SELECT 1 FROM users WHERE id = $1`, userID)
		if err != nil {
			return s.errf("%s: %w", op, err)
		}
		if !ok {
			return s.errf("%s: user: %w", op, store.ErrNotFound)
		}
		old, err := queryAll(ctx, tx, scanFactor, factorsSQL, userID)
		if err != nil {
			return s.errf("%s: %w", op, err)
		}
		known := make(map[string]bool, len(old))
		for _, f := range old {
			known[f.ID] = true
		}
		next, err := fn(old)
		if err != nil {
			return err
		}
		kept := make(map[string]bool, len(next))
		for _, f := range next {
			if err := s.checkID(op, f.ID); err != nil {
				return err
			}
			if kept[f.ID] {
				return s.errf("%s: factor %s twice: %w", op, quote(f.ID), store.ErrConflict)
			}
			kept[f.ID] = true
		}
		for id := range known {
			if !kept[id] {
				if _, err := tx.ExecContext(ctx, `DELETE FROM user_factors WHERE id = $1`, id); err != nil {
					return s.execErr(op, err)
				}
			}
		}
		for _, f := range next {
			codes, err := listJSON(f.RecoveryCodes)
			if err != nil {
				return s.errf("%s: %w", op, err)
			}
			if known[f.ID] {
				_, err = tx.ExecContext(ctx,
					`UPDATE user_factors SET factor_type = $2, provider = $3, status = $4, sealed = $5, last_step = $6,
					recovery_codes = $7, created_at = $8, updated_at = $9 WHERE id = $1`,
					f.ID, f.Type, f.Provider, f.Status, blob(f.Sealed), f.LastStep, codes, millis(f.CreatedAt), millis(f.UpdatedAt))
			} else {
				_, err = tx.ExecContext(ctx, `INSERT INTO user_factors (`+factorCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
					f.ID, userID, f.Type, f.Provider, f.Status, blob(f.Sealed), f.LastStep, codes, millis(f.CreatedAt), millis(f.UpdatedAt))
			}
			if err != nil {
				return s.execErr(op+": factor "+quote(f.ID), err)
			}
		}
		result, err = queryAll(ctx, tx, scanFactor, factorsSQL, userID)
		if err != nil {
			return s.errf("%s: %w", op, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return result, nil
}
