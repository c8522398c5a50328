package sqlstore

import (
	"context"
	"database/sql"

	"github.com/latchkey/latchkey/internal/store"
)

const authServerCols = `id, name, description, audience, status, key_rotation_mode, key_rotation_interval,
	signing_alg, created_at, updated_at`

func scanAuthServer(sc scanner) (store.AuthServer, error) {
	var a store.AuthServer
	var interval, created, updated int64
	err := sc.Scan(&a.ID, &a.Name, &a.Description, &a.Audience, &a.Status, &a.KeyRotationMode, &interval,
		&a.SigningAlg, &created, &updated)
	if err != nil {
		return store.AuthServer{}, err
	}
	a.KeyRotationInterval = fromMillisDuration(interval)
	a.CreatedAt, a.UpdatedAt = fromMillis(created), fromMillis(updated)
	return a, nil
}

// CreateAuthServer implements store.Store.
func (s *Store) CreateAuthServer(ctx context.Context, a store.AuthServer) error {
	op := "create auth server " + quote(a.ID)
	if err := s.checkID(op, a.ID); err != nil {
		return err
	}
	_, err := s.write.ExecContext(ctx,
		`INSERT INTO auth_servers (`+authServerCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		a.ID, a.Name, a.Description, a.Audience, a.Status, a.KeyRotationMode, durationMillis(a.KeyRotationInterval),
		a.SigningAlg, millis(a.CreatedAt), millis(a.UpdatedAt))
	if err != nil {
		return s.execErr(op, err)
	}
	return nil
}

// GetAuthServer implements store.Store.
func (s *Store) GetAuthServer(ctx context.Context, id string) (store.AuthServer, error) {
	a, err := readRow(ctx, s, scanAuthServer,
		`SELECT `+authServerCols+` FROM auth_servers WHERE id = $1`, id)
	if err != nil {
		return store.AuthServer{}, s.queryErr("get auth server "+quote(id), err)
	}
	return a, nil
}

// ListAuthServers implements store.Store; the list is ordered by id.
func (s *Store) ListAuthServers(ctx context.Context) ([]store.AuthServer, error) {
	out, err := readAll(ctx, s, scanAuthServer,
		`SELECT `+authServerCols+` FROM auth_servers ORDER BY id`)
	if err != nil {
		return nil, s.errf("list auth servers: %w", err)
	}
	return out, nil
}

// UpdateAuthServer implements store.Store.
func (s *Store) UpdateAuthServer(ctx context.Context, id string, fn func(store.AuthServer) (store.AuthServer, error)) (store.AuthServer, error) {
	op := "update auth server " + quote(id)
	var updated store.AuthServer
	err := s.inTx(ctx, op, func(tx *sql.Tx) error {
		old, err := scanAuthServer(tx.QueryRowContext(ctx,
			`SELECT `+authServerCols+` FROM auth_servers WHERE id = $1`+s.d.ForUpdate, id))
		if err != nil {
			return s.queryErr(op, err)
		}
		a, err := fn(old)
		if err != nil {
			return err
		}
		a.ID = id
		updated, err = scanAuthServer(tx.QueryRowContext(ctx,
			`UPDATE auth_servers SET name = $2, description = $3, audience = $4, status = $5,
				key_rotation_mode = $6, key_rotation_interval = $7, signing_alg = $8, created_at = $9, updated_at = $10
			WHERE id = $1 RETURNING `+authServerCols,
			a.ID, a.Name, a.Description, a.Audience, a.Status, a.KeyRotationMode, durationMillis(a.KeyRotationInterval),
			a.SigningAlg, millis(a.CreatedAt), millis(a.UpdatedAt)))
		if err != nil {
			return s.execErr(op, err)
		}
		return nil
	})
	if err != nil {
		return store.AuthServer{}, err
	}
	return updated, nil
}

// DeleteAuthServer implements store.Store. The server's row goes first, so
// that a concurrent delete of the same server finds nothing; the records
// that belong to it follow in the same transaction.
func (s *Store) DeleteAuthServer(ctx context.Context, id string) error {
	op := "delete auth server " + quote(id)
	return s.inTx(ctx, op, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM auth_servers WHERE id = $1`, id)
		if err := s.oneRow(op, res, err); err != nil {
			return err
		}
		for _, table := range []string{"scopes", "claims", "policy_rules", "policies", "signing_keys", "signing_key_locks", "refresh_tokens"} {
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE auth_server_id = $1`, id); err != nil {
				return s.execErr(op+": "+table, err)
			}
		}
		return nil
	})
}
