package sqlstore

import (
	"context"
	"database/sql"

	"github.com/latchkey/latchkey/internal/store"
)

const clientSecretCols = `id, client_id, status, hash, sealed, created_at, updated_at`

// clientSecretsSQL is a hot-path read: client authentication with a secret.
const clientSecretsSQL = `SELECT ` + clientSecretCols + ` FROM client_secrets WHERE client_id = $1 ORDER BY created_at, id`

func scanClientSecret(sc scanner) (store.ClientSecret, error) {
	var cs store.ClientSecret
	var created, updated int64
	if err := sc.Scan(&cs.ID, &cs.ClientID, &cs.Status, &cs.Hash, &cs.Sealed, &created, &updated); err != nil {
		return store.ClientSecret{}, err
	}
	cs.Sealed = nilIfEmpty(cs.Sealed)
	cs.CreatedAt, cs.UpdatedAt = fromMillis(created), fromMillis(updated)
	return cs, nil
}

// ListClientSecrets implements store.Store.
func (s *Store) ListClientSecrets(ctx context.Context, clientID string) ([]store.ClientSecret, error) {
	out, err := readAll(ctx, s, scanClientSecret, clientSecretsSQL, clientID)
	if err != nil {
		return nil, s.errf("list secrets of client %s: %w", quote(clientID), err)
	}
	return out, nil
}

// UpdateClientSecrets implements store.Store. The client's row is locked
// first, so that updates of one client's secrets are serialized.
func (s *Store) UpdateClientSecrets(ctx context.Context, clientID string, fn func([]store.ClientSecret) ([]store.ClientSecret, error)) ([]store.ClientSecret, error) {
	op := "update secrets of client " + quote(clientID)
	var result []store.ClientSecret
	err := s.inTx(ctx, op, func(tx *sql.Tx) error {
		ok, err := s.exists(ctx, tx, `SELECT 1 FROM clients WHERE id = $1`, clientID)
		if err != nil {
			return s.errf("%s: %w", op, err)
		}
		if !ok {
			return s.errf("%s: client: %w", op, store.ErrNotFound)
		}
		old, err := queryAll(ctx, tx, scanClientSecret, clientSecretsSQL, clientID)
		if err != nil {
			return s.errf("%s: %w", op, err)
		}
		// The ids are taken before fn runs: fn may change its argument.
		known := make(map[string]bool, len(old))
		for _, cs := range old {
			known[cs.ID] = true
		}
		next, err := fn(old)
		if err != nil {
			return err
		}
		kept := make(map[string]bool, len(next))
		for _, cs := range next {
			if err := s.checkID(op, cs.ID); err != nil {
				return err
			}
			if kept[cs.ID] {
				return s.errf("%s: secret %s twice: %w", op, quote(cs.ID), store.ErrConflict)
			}
			kept[cs.ID] = true
		}
		for id := range known {
			if kept[id] {
				continue
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM client_secrets WHERE id = $1`, id); err != nil {
				return s.execErr(op, err)
			}
		}
		for _, cs := range next {
			if known[cs.ID] {
				_, err = tx.ExecContext(ctx,
					`UPDATE client_secrets SET status = $2, hash = $3, sealed = $4, created_at = $5, updated_at = $6
					WHERE id = $1`,
					cs.ID, cs.Status, cs.Hash, blob(cs.Sealed), millis(cs.CreatedAt), millis(cs.UpdatedAt))
			} else {
				_, err = tx.ExecContext(ctx, `INSERT INTO client_secrets (`+clientSecretCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
					cs.ID, clientID, cs.Status, cs.Hash, blob(cs.Sealed), millis(cs.CreatedAt), millis(cs.UpdatedAt))
			}
			if err != nil {
				return s.execErr(op+": secret "+quote(cs.ID), err)
			}
		}
		result, err = queryAll(ctx, tx, scanClientSecret, clientSecretsSQL, clientID)
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

// DeleteClient implements store.Store.
func (s *Store) DeleteClient(ctx context.Context, id string) error {
	op := "delete client " + quote(id)
	return s.inTx(ctx, op, func(tx *sql.Tx) error {
		ok, err := s.exists(ctx, tx, `SELECT 1 FROM clients WHERE id = $1`, id)
		if err != nil {
			return s.errf("%s: %w", op, err)
		}
		if !ok {
			return s.errf("%s: %w", op, store.ErrNotFound)
		}
		for _, q := range []string{
			`DELETE FROM client_secrets WHERE client_id = $1`,
			`DELETE FROM client_assignments WHERE client_id = $1`,
			`DELETE FROM client_grants WHERE client_id = $1`,
			`DELETE FROM clients WHERE id = $1`,
		} {
			if _, err := tx.ExecContext(ctx, q, id); err != nil {
				return s.execErr(op, err)
			}
		}
		return nil
	})
}
