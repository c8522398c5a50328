package sqlstore

import (
	"context"
	"errors"
)

func scanMeta(sc scanner) ([]byte, error) {
	var v []byte
	if err := sc.Scan(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// GetMeta implements store.Store.
func (s *Store) GetMeta(ctx context.Context, name string) ([]byte, error) {
	v, err := readRow(ctx, s, scanMeta, `SELECT value FROM meta WHERE name = $1`, name)
	if err != nil {
		return nil, s.queryErr("get meta "+quote(name), err)
	}
	return v, nil
}

// InitMeta implements store.Store. It reads through the writer pool, so
// the value it returns is the one its insert just met.
func (s *Store) InitMeta(ctx context.Context, name string, value []byte) ([]byte, error) {
	op := "init meta " + quote(name)
	if err := s.checkID(op, name); err != nil {
		return nil, err
	}
	if value == nil {
		return nil, s.errf("%s: %w", op, errors.New("nil value"))
	}
	if _, err := s.write.ExecContext(ctx,
		`INSERT INTO meta (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, name, value); err != nil {
		return nil, s.execErr(op, err)
	}
	var v []byte
	if err := s.write.QueryRowContext(ctx, `SELECT value FROM meta WHERE name = $1`, name).Scan(&v); err != nil {
		return nil, s.queryErr(op, err)
	}
	return v, nil
}
