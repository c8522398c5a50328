package sqlstore

import (
	"context"
	"database/sql"

	"github.com/latchkey/latchkey/internal/store"
)

const userCols = `id, status, login, email, email_verified, first_name, last_name, locale, zone_info,
	password_hash, password_changed_at, created_at, updated_at, last_login_at, tokens_valid_after,
	status_changed_at, activated_at`

func scanUser(sc scanner) (store.User, error) {
	var u store.User
	var pwChanged, created, updated, lastLogin, validAfter, statusChanged, activated int64
	err := sc.Scan(&u.ID, &u.Status, &u.Login, &u.Email, &u.EmailVerified, &u.FirstName, &u.LastName,
		&u.Locale, &u.ZoneInfo, &u.PasswordHash, &pwChanged, &created, &updated, &lastLogin, &validAfter, &statusChanged, &activated)
	if err != nil {
		return store.User{}, err
	}
	u.PasswordChangedAt = fromMillis(pwChanged)
	u.CreatedAt, u.UpdatedAt = fromMillis(created), fromMillis(updated)
	u.LastLoginAt = fromMillis(lastLogin)
	u.TokensValidAfter = fromMillis(validAfter)
	u.StatusChangedAt, u.ActivatedAt = fromMillis(statusChanged), fromMillis(activated)
	return u, nil
}

// Hot-path reads (see hotpath_test.go).
const (
	userByIDSQL    = `SELECT ` + userCols + ` FROM users WHERE id = $1`
	userByLoginSQL = `SELECT ` + userCols + ` FROM users WHERE login_key = $1`
)

// loginKey is the unique form of a login (store.NormalizeLogin).
func loginKey(login string) string { return store.NormalizeLogin(login) }

// CreateUser implements store.Store.
func (s *Store) CreateUser(ctx context.Context, u store.User) error {
	op := "create user " + quote(u.ID)
	if err := s.checkID(op, u.ID); err != nil {
		return err
	}
	_, err := s.write.ExecContext(ctx,
		`INSERT INTO users (`+userCols+`, login_key)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`,
		u.ID, u.Status, u.Login, u.Email, u.EmailVerified, u.FirstName, u.LastName, u.Locale, u.ZoneInfo,
		u.PasswordHash, millis(u.PasswordChangedAt), millis(u.CreatedAt), millis(u.UpdatedAt),
		millis(u.LastLoginAt), millis(u.TokensValidAfter), millis(u.StatusChangedAt), millis(u.ActivatedAt), loginKey(u.Login))
	if err != nil {
		return s.execErr(op, err)
	}
	return nil
}

// GetUser implements store.Store.
func (s *Store) GetUser(ctx context.Context, id string) (store.User, error) {
	u, err := readRow(ctx, s, scanUser, userByIDSQL, id)
	if err != nil {
		return store.User{}, s.queryErr("get user "+quote(id), err)
	}
	return u, nil
}

// GetUserByLogin implements store.Store. The login is left out of error
// messages: they reach logs, and a login is personal data.
func (s *Store) GetUserByLogin(ctx context.Context, login string) (store.User, error) {
	u, err := readRow(ctx, s, scanUser, userByLoginSQL, loginKey(login))
	if err != nil {
		return store.User{}, s.queryErr("get user by login", err)
	}
	return u, nil
}

// ListUsers implements store.Store.
func (s *Store) ListUsers(ctx context.Context, p store.Page) ([]store.User, error) {
	out, err := readAll(ctx, s, scanUser,
		`SELECT `+userCols+` FROM users WHERE id > $1 ORDER BY id LIMIT $2`, p.After, limitOf(p))
	if err != nil {
		return nil, s.errf("list users: %w", err)
	}
	return out, nil
}

// UpdateUser implements store.Store.
func (s *Store) UpdateUser(ctx context.Context, id string, fn func(store.User) (store.User, error)) (store.User, error) {
	op := "update user " + quote(id)
	var updated store.User
	err := s.inTx(ctx, op, func(tx *sql.Tx) error {
		old, err := scanUser(tx.QueryRowContext(ctx,
			`SELECT `+userCols+` FROM users WHERE id = $1`+s.d.ForUpdate, id))
		if err != nil {
			return s.queryErr(op, err)
		}
		u, err := fn(old)
		if err != nil {
			return err
		}
		u.ID = id
		u = statusChange(old, u)
		if updated, err = updateUser(ctx, tx, u); err != nil {
			return s.execErr(op, err)
		}
		return nil
	})
	if err != nil {
		return store.User{}, err
	}
	return updated, nil
}

// updateUser writes every field of u over the record with its id, inside
// tx. The token watermark only moves forward: an update that read the user
// before a revocation cannot bring its tokens back.
func updateUser(ctx context.Context, tx *sql.Tx, u store.User) (store.User, error) {
	return scanUser(tx.QueryRowContext(ctx,
		`UPDATE users SET status = $2, login = $3, email = $4, email_verified = $5,
			first_name = $6, last_name = $7, locale = $8, zone_info = $9, password_hash = $10,
			password_changed_at = $11, created_at = $12, updated_at = $13, last_login_at = $14,
			tokens_valid_after = CASE WHEN tokens_valid_after > $15 THEN tokens_valid_after ELSE $15 END,
			login_key = $16, status_changed_at = $17, activated_at = $18
		WHERE id = $1 RETURNING `+userCols,
		u.ID, u.Status, u.Login, u.Email, u.EmailVerified, u.FirstName, u.LastName, u.Locale, u.ZoneInfo,
		u.PasswordHash, millis(u.PasswordChangedAt), millis(u.CreatedAt), millis(u.UpdatedAt),
		millis(u.LastLoginAt), millis(u.TokensValidAfter), loginKey(u.Login), millis(u.StatusChangedAt), millis(u.ActivatedAt)))
}

// statusChange stamps an update that changes the status: StatusChangedAt
// becomes the update's UpdatedAt unless the caller set it.
func statusChange(old, u store.User) store.User {
	if u.Status != old.Status && u.StatusChangedAt.Equal(old.StatusChangedAt) {
		u.StatusChangedAt = u.UpdatedAt
	}
	return u
}
