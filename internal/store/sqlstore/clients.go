package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/latchkey/latchkey/internal/store"
)

const clientCols = `id, name, token_endpoint_auth_method, grant_types, status,
	jwks, jwks_uri, refresh_rotation, refresh_leeway, created_at, updated_at`

// clientByIDSQL is a hot-path read: client authentication.
const clientByIDSQL = `SELECT ` + clientCols + ` FROM clients WHERE id = $1`

func scanClient(sc scanner) (store.Client, error) {
	var c store.Client
	var grants string
	var leeway, created, updated int64
	err := sc.Scan(&c.ID, &c.Name, &c.TokenEndpointAuthMethod, &grants, &c.Status,
		&c.JWKS, &c.JWKSURI, &c.RefreshRotation, &leeway, &created, &updated)
	if err != nil {
		return store.Client{}, err
	}
	if c.GrantTypes, err = fromListJSON(grants); err != nil {
		return store.Client{}, fmt.Errorf("client %q: grant_types: %w", c.ID, err)
	}
	c.JWKS = nilIfEmpty(c.JWKS)
	c.RefreshLeeway = fromMillisDuration(leeway)
	c.CreatedAt, c.UpdatedAt = fromMillis(created), fromMillis(updated)
	return c, nil
}

// clientArgs are the values of clientCols, in order.
func clientArgs(c store.Client) ([]any, error) {
	grants, err := listJSON(c.GrantTypes)
	if err != nil {
		return nil, err
	}
	return []any{c.ID, c.Name, c.TokenEndpointAuthMethod, grants, c.Status,
		blob(c.JWKS), c.JWKSURI, c.RefreshRotation, durationMillis(c.RefreshLeeway),
		millis(c.CreatedAt), millis(c.UpdatedAt)}, nil
}

// CreateClient implements store.Store.
func (s *Store) CreateClient(ctx context.Context, c store.Client) error {
	op := "create client " + quote(c.ID)
	if err := s.checkID(op, c.ID); err != nil {
		return err
	}
	args, err := clientArgs(c)
	if err != nil {
		return s.errf("%s: %w", op, err)
	}
	_, err = s.write.ExecContext(ctx,
		`INSERT INTO clients (`+clientCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		args...)
	if err != nil {
		return s.execErr(op, err)
	}
	return nil
}

// GetClient implements store.Store.
func (s *Store) GetClient(ctx context.Context, id string) (store.Client, error) {
	c, err := readRow(ctx, s, scanClient, clientByIDSQL, id)
	if err != nil {
		return store.Client{}, s.queryErr("get client "+quote(id), err)
	}
	return c, nil
}

// ListClients implements store.Store.
func (s *Store) ListClients(ctx context.Context, p store.Page) ([]store.Client, error) {
	out, err := readAll(ctx, s, scanClient,
		`SELECT `+clientCols+` FROM clients WHERE id > $1 ORDER BY id LIMIT $2`, p.After, limitOf(p))
	if err != nil {
		return nil, s.errf("list clients: %w", err)
	}
	return out, nil
}

// UpdateClient implements store.Store.
func (s *Store) UpdateClient(ctx context.Context, id string, fn func(store.Client) (store.Client, error)) (store.Client, error) {
	op := "update client " + quote(id)
	var updated store.Client
	err := s.inTx(ctx, op, func(tx *sql.Tx) error {
		old, err := scanClient(tx.QueryRowContext(ctx,
			`SELECT `+clientCols+` FROM clients WHERE id = $1`+s.d.ForUpdate, id))
		if err != nil {
			return s.queryErr(op, err)
		}
		c, err := fn(old)
		if err != nil {
			return err
		}
		c.ID = id
		args, err := clientArgs(c)
		if err != nil {
			return s.errf("%s: %w", op, err)
		}
		// RETURNING hands back what a later Get will read (times in UTC,
		// truncated to milliseconds).
		updated, err = scanClient(tx.QueryRowContext(ctx,
			`UPDATE clients SET name = $2, token_endpoint_auth_method = $3,
				grant_types = $4, status = $5, jwks = $6, jwks_uri = $7,
				refresh_rotation = $8, refresh_leeway = $9, created_at = $10, updated_at = $11
			WHERE id = $1 RETURNING `+clientCols,
			args...))
		if err != nil {
			return s.execErr(op, err)
		}
		return nil
	})
	if err != nil {
		return store.Client{}, err
	}
	return updated, nil
}
