package sqlstore

import (
	"context"

	"github.com/latchkey/latchkey/internal/store"
)

// ListRefreshTokens implements store.Store.
func (s *Store) ListRefreshTokens(ctx context.Context, p store.Page) ([]store.RefreshToken, error) {
	out, err := readAll(ctx, s, scanRefresh,
		`SELECT `+refreshCols+` FROM refresh_tokens WHERE id > $1 ORDER BY id LIMIT $2`, p.After, limitOf(p))
	if err != nil {
		return nil, s.errf("list refresh tokens: %w", err)
	}
	return out, nil
}

// ListTokenRecords implements store.Store.
func (s *Store) ListTokenRecords(ctx context.Context, p store.Page) ([]store.TokenRecord, error) {
	out, err := readAll(ctx, s, scanTokenRecord,
		`SELECT `+tokenRecordCols+` FROM token_records WHERE jti > $1 ORDER BY jti LIMIT $2`, p.After, limitOf(p))
	if err != nil {
		return nil, s.errf("list token records: %w", err)
	}
	return out, nil
}

// ListSingleUse implements store.Store.
func (s *Store) ListSingleUse(ctx context.Context, p store.Page) ([]store.SingleUse, error) {
	out, err := readAll(ctx, s, func(sc scanner) (store.SingleUse, error) {
		var u store.SingleUse
		var exp int64
		err := sc.Scan(&u.ID, &exp)
		u.ExpiresAt = fromMillis(exp)
		return u, err
	}, `SELECT id, expires_at FROM single_use WHERE id > $1 ORDER BY id LIMIT $2`, p.After, limitOf(p))
	if err != nil {
		return nil, s.errf("list single-use keys: %w", err)
	}
	return out, nil
}

// ListLoginKeys implements store.Store.
func (s *Store) ListLoginKeys(ctx context.Context, p store.Page) ([]string, error) {
	out, err := readAll(ctx, s, scanString,
		`SELECT DISTINCT login_key FROM login_counters WHERE login_key > $1 ORDER BY login_key LIMIT $2`,
		p.After, limitOf(p))
	if err != nil {
		return nil, s.errf("list login keys: %w", err)
	}
	return out, nil
}

// ListMetaNames implements store.Store.
func (s *Store) ListMetaNames(ctx context.Context) ([]string, error) {
	out, err := readAll(ctx, s, scanString, `SELECT name FROM meta ORDER BY name`)
	if err != nil {
		return nil, s.errf("list meta names: %w", err)
	}
	return out, nil
}

// ListPasswordChanges implements store.Store.
func (s *Store) ListPasswordChanges(ctx context.Context, userID string) ([]store.PasswordChange, error) {
	out, err := readAll(ctx, s, func(sc scanner) (store.PasswordChange, error) {
		var c store.PasswordChange
		var at int64
		err := sc.Scan(&c.Hash, &at)
		c.ReplacedAt = fromMillis(at)
		return c, err
	}, `SELECT hash, replaced_at FROM password_history WHERE user_id = $1 ORDER BY seq`, userID)
	if err != nil {
		return nil, s.errf("list password changes of %s: %w", quote(userID), err)
	}
	return out, nil
}
