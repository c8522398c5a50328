package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/latchkey/latchkey/internal/store"
)

const apiTokenCols = `id, name, token_hash, client_name, created_at, updated_at, last_used_at, expires_at`

func scanAPIToken(sc scanner) (store.APIToken, error) {
	var t store.APIToken
	var created, updated, used, expires int64
	err := sc.Scan(&t.ID, &t.Name, &t.TokenHash, &t.ClientName, &created, &updated, &used, &expires)
	t.CreatedAt, t.UpdatedAt, t.LastUsedAt, t.ExpiresAt = fromMillis(created), fromMillis(updated), fromMillis(used), fromMillis(expires)
	return t, err
}

// CreateAPIToken implements store.Store.
func (s *Store) CreateAPIToken(ctx context.Context, t store.APIToken) error {
	op := "create API token " + quote(t.ID)
	if err := s.checkID(op, t.ID); err != nil {
		return err
	}
	_, err := s.write.ExecContext(ctx, `INSERT INTO api_tokens (`+apiTokenCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		t.ID, t.Name, t.TokenHash, t.ClientName, millis(t.CreatedAt), millis(t.UpdatedAt), millis(t.LastUsedAt), millis(t.ExpiresAt))
	if err != nil {
		return s.execErr(op, err)
	}
	return nil
}

// GetAPIToken implements store.Store.
func (s *Store) GetAPIToken(ctx context.Context, id string) (store.APIToken, error) {
	t, err := readRow(ctx, s, scanAPIToken, `SELECT `+apiTokenCols+` FROM api_tokens WHERE id = $1`, id)
	if err != nil {
		return store.APIToken{}, s.queryErr("get API token "+quote(id), err)
	}
	return t, nil
}

// GetAPITokenByHash implements store.Store.
func (s *Store) GetAPITokenByHash(ctx context.Context, hash string) (store.APIToken, error) {
	t, err := readRow(ctx, s, scanAPIToken, `SELECT `+apiTokenCols+` FROM api_tokens WHERE token_hash = $1`, hash)
	if err != nil {
		// The hash is never named: it identifies a credential.
		return store.APIToken{}, s.queryErr("get API token by hash", err)
	}
	return t, nil
}

// ListAPITokens implements store.Store.
func (s *Store) ListAPITokens(ctx context.Context, p store.Page) ([]store.APIToken, error) {
	out, err := readAll(ctx, s, scanAPIToken,
		`SELECT `+apiTokenCols+` FROM api_tokens WHERE id > $1 ORDER BY id LIMIT $2`, p.After, limitOf(p))
	if err != nil {
		return nil, s.errf("list API tokens: %w", err)
	}
	return out, nil
}

// TouchAPIToken implements store.Store.
func (s *Store) TouchAPIToken(ctx context.Context, id string, usedAt, expiresAt time.Time) error {
	op := "touch API token " + quote(id)
	res, err := s.write.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = $2, expires_at = $3 WHERE id = $1`,
		id, millis(usedAt), millis(expiresAt))
	return s.affectedOne(op, res, err)
}

// DeleteAPIToken implements store.Store.
func (s *Store) DeleteAPIToken(ctx context.Context, id string) error {
	op := "delete API token " + quote(id)
	res, err := s.write.ExecContext(ctx, `DELETE FROM api_tokens WHERE id = $1`, id)
	return s.affectedOne(op, res, err)
}

// affectedOne maps the result of a write to one keyed row: no row is
// store.ErrNotFound.
func (s *Store) affectedOne(op string, res sql.Result, err error) error {
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

const clientGrantCols = `id, client_id, scope_id, issuer, source, created_at, updated_at`

func scanClientGrant(sc scanner) (store.ClientGrant, error) {
	var g store.ClientGrant
	var created, updated int64
	err := sc.Scan(&g.ID, &g.ClientID, &g.ScopeID, &g.Issuer, &g.Source, &created, &updated)
	g.CreatedAt, g.UpdatedAt = fromMillis(created), fromMillis(updated)
	return g, err
}

// CreateClientGrant implements store.Store.
func (s *Store) CreateClientGrant(ctx context.Context, g store.ClientGrant) error {
	op := "grant " + quote(g.ScopeID) + " to client " + quote(g.ClientID)
	if err := s.checkIDs(op, g.ID, g.ClientID, g.ScopeID); err != nil {
		return err
	}
	return s.inTx(ctx, op, func(tx *sql.Tx) error {
		ok, err := s.exists(ctx, tx, `SELECT 1 FROM clients WHERE id = $1`, g.ClientID)
		if err != nil {
			return s.errf("%s: %w", op, err)
		}
		if !ok {
			return s.errf("%s: client: %w", op, store.ErrNotFound)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO client_grants (`+clientGrantCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			g.ID, g.ClientID, g.ScopeID, g.Issuer, g.Source, millis(g.CreatedAt), millis(g.UpdatedAt))
		if err != nil {
			return s.execErr(op, err)
		}
		return nil
	})
}

// GetClientGrant implements store.Store.
func (s *Store) GetClientGrant(ctx context.Context, clientID, id string) (store.ClientGrant, error) {
	g, err := readRow(ctx, s, scanClientGrant,
		`SELECT `+clientGrantCols+` FROM client_grants WHERE client_id = $1 AND id = $2`, clientID, id)
	if err != nil {
		return store.ClientGrant{}, s.queryErr("get grant "+quote(id)+" of client "+quote(clientID), err)
	}
	return g, nil
}

// ListClientGrants implements store.Store.
func (s *Store) ListClientGrants(ctx context.Context, clientID string) ([]store.ClientGrant, error) {
	out, err := readAll(ctx, s, scanClientGrant,
		`SELECT `+clientGrantCols+` FROM client_grants WHERE client_id = $1 ORDER BY id`, clientID)
	if err != nil {
		return nil, s.errf("list grants of client %s: %w", quote(clientID), err)
	}
	return out, nil
}

// DeleteClientGrant implements store.Store.
func (s *Store) DeleteClientGrant(ctx context.Context, clientID, id string) error {
	op := "delete grant " + quote(id) + " of client " + quote(clientID)
	res, err := s.write.ExecContext(ctx, `DELETE FROM client_grants WHERE client_id = $1 AND id = $2`, clientID, id)
	return s.affectedOne(op, res, err)
}
