package sqlstore

import (
	"context"
	"database/sql"

	"github.com/latchkey/latchkey/internal/store"
)

const keyCols = `id, auth_server_id, alg, status, public_jwk, private_sealed, created_at, activated_at, expired_at`

// keysNewestFirst is ListKeys' order; id breaks ties so the order is total.
const keysNewestFirst = ` ORDER BY created_at DESC, id`

func scanKey(sc scanner) (store.SigningKey, error) {
	var k store.SigningKey
	var created, activated, expired int64
	err := sc.Scan(&k.ID, &k.AuthServerID, &k.Alg, &k.Status, &k.PublicJWK, &k.PrivateSealed,
		&created, &activated, &expired)
	if err != nil {
		return store.SigningKey{}, err
	}
	k.PublicJWK, k.PrivateSealed = nilIfEmpty(k.PublicJWK), nilIfEmpty(k.PrivateSealed)
	k.CreatedAt, k.ActivatedAt, k.ExpiredAt = fromMillis(created), fromMillis(activated), fromMillis(expired)
	return k, nil
}

// blob stores a nil slice as an empty one: the columns are NOT NULL.
func blob(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// CreateKey implements store.Store.
func (s *Store) CreateKey(ctx context.Context, k store.SigningKey) error {
	op := "create key " + quote(k.ID)
	if err := s.checkID(op, k.ID); err != nil {
		return err
	}
	if err := insertKey(ctx, s.write, k); err != nil {
		return s.execErr(op, err)
	}
	return nil
}

// execer is *sql.DB or *sql.Tx.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func insertKey(ctx context.Context, db execer, k store.SigningKey) error {
	_, err := db.ExecContext(ctx,
		`INSERT INTO signing_keys (`+keyCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		k.ID, k.AuthServerID, k.Alg, k.Status, blob(k.PublicJWK), blob(k.PrivateSealed),
		millis(k.CreatedAt), millis(k.ActivatedAt), millis(k.ExpiredAt))
	return err
}

// ListKeys implements store.Store: newest first, then by kid.
func (s *Store) ListKeys(ctx context.Context, authServerID string) ([]store.SigningKey, error) {
	out, err := readAll(ctx, s, scanKey,
		`SELECT `+keyCols+` FROM signing_keys WHERE auth_server_id = $1`+keysNewestFirst, authServerID)
	if err != nil {
		return nil, s.errf("list keys of %s: %w", quote(authServerID), err)
	}
	return out, nil
}

// UpdateKeys implements store.Store. Keys fn returns with a kid already in
// the set are updated, others inserted (ErrConflict if the kid belongs to
// another authorization server); keys fn leaves out are kept as they are.
// It returns every key of the authorization server afterwards, newest first.
func (s *Store) UpdateKeys(ctx context.Context, authServerID string, fn func([]store.SigningKey) ([]store.SigningKey, error)) ([]store.SigningKey, error) {
	op := "update keys of " + quote(authServerID)
	var result []store.SigningKey
	err := s.inTx(ctx, op, func(tx *sql.Tx) error {
		// Taking this row's lock first serializes rotations of one server on
		// engines with row locks, even while the server has no key to lock.
		_, err := tx.ExecContext(ctx,
			`INSERT INTO signing_key_locks (auth_server_id) VALUES ($1)
			ON CONFLICT (auth_server_id) DO UPDATE SET auth_server_id = excluded.auth_server_id`,
			authServerID)
		if err != nil {
			return s.errf("%s: lock: %w", op, err)
		}
		old, err := queryAll(ctx, tx, scanKey,
			`SELECT `+keyCols+` FROM signing_keys WHERE auth_server_id = $1`+keysNewestFirst+s.d.ForUpdate,
			authServerID)
		if err != nil {
			return s.errf("%s: %w", op, err)
		}
		known := make(map[string]bool, len(old))
		for _, k := range old {
			known[k.ID] = true
		}
		next, err := fn(old)
		if err != nil {
			return err
		}
		for _, k := range next {
			k.AuthServerID = authServerID
			if err := s.putKey(ctx, tx, k, known[k.ID]); err != nil {
				return s.execErr(op+": key "+quote(k.ID), err)
			}
			known[k.ID] = true
		}
		result, err = queryAll(ctx, tx, scanKey,
			`SELECT `+keyCols+` FROM signing_keys WHERE auth_server_id = $1`+keysNewestFirst, authServerID)
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

// putKey updates k if it exists, else inserts it.
func (s *Store) putKey(ctx context.Context, tx *sql.Tx, k store.SigningKey, exists bool) error {
	if k.ID == "" {
		return s.errf("empty id")
	}
	if !exists {
		return insertKey(ctx, tx, k)
	}
	_, err := tx.ExecContext(ctx,
		`UPDATE signing_keys SET alg = $2, status = $3, public_jwk = $4, private_sealed = $5,
			created_at = $6, activated_at = $7, expired_at = $8
		WHERE id = $1`,
		k.ID, k.Alg, k.Status, blob(k.PublicJWK), blob(k.PrivateSealed),
		millis(k.CreatedAt), millis(k.ActivatedAt), millis(k.ExpiredAt))
	return err
}

// DeleteKey implements store.Store; ErrNotFound unless the authorization
// server has a key with that kid.
func (s *Store) DeleteKey(ctx context.Context, authServerID, kid string) error {
	op := "delete key " + quote(kid) + " of " + quote(authServerID)
	res, err := s.write.ExecContext(ctx,
		`DELETE FROM signing_keys WHERE auth_server_id = $1 AND id = $2`, authServerID, kid)
	return s.oneRow(op, res, err)
}
