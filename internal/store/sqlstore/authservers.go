package sqlstore

import (
	"context"

	"github.com/latchkey/latchkey/internal/store"
)

const authServerCols = `id, name, description, audience, status, created_at, updated_at`

func scanAuthServer(sc scanner) (store.AuthServer, error) {
	var a store.AuthServer
	var created, updated int64
	err := sc.Scan(&a.ID, &a.Name, &a.Description, &a.Audience, &a.Status, &created, &updated)
	a.CreatedAt, a.UpdatedAt = fromMillis(created), fromMillis(updated)
	return a, err
}

// CreateAuthServer implements store.Store.
func (s *Store) CreateAuthServer(ctx context.Context, a store.AuthServer) error {
	op := "create auth server " + quote(a.ID)
	if err := s.checkID(op, a.ID); err != nil {
		return err
	}
	_, err := s.write.ExecContext(ctx,
		`INSERT INTO auth_servers (`+authServerCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		a.ID, a.Name, a.Description, a.Audience, a.Status, millis(a.CreatedAt), millis(a.UpdatedAt))
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
