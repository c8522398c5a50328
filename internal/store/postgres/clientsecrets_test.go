package postgres_test

import (
	"database/sql"
	"os"
	"regexp"
	"testing"

	"github.com/pressly/goose/v3"

	"github.com/latchkey/latchkey/internal/store"
)

// TestMigrateClientSecrets: migration 00012 moves each client's secret
// (and its sealed copy) into a secret record of its own, ACTIVE; a client
// without a secret gets none.
func TestMigrateClientSecrets(t *testing.T) {
	ctx := t.Context()
	dsn := pg.NewDatabase(t)
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, db, os.DirFS("migrations"), goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 9); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO clients (id, name, secret_hash, token_endpoint_auth_method, grant_types, status, created_at, updated_at, secret_sealed)
			VALUES ('0oa1', 'jwt app', 'hmac1', 'client_secret_jwt', '["password"]', 'ACTIVE', 1, 2, '\x0102'::bytea)`,
		`INSERT INTO clients (id, name, secret_hash, token_endpoint_auth_method, grant_types, status, created_at, updated_at)
			VALUES ('0oa2', 'public', '', 'none', '["password"]', 'ACTIVE', 3, 4)`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	s := open(t, dsn)
	got, err := s.ListClientSecrets(ctx, "0oa1")
	if err != nil || len(got) != 1 {
		t.Fatalf("secrets of 0oa1: %+v, %v", got, err)
	}
	cs := got[0]
	if !regexp.MustCompile(`^ocs[0-9a-f]{17}$`).MatchString(cs.ID) || cs.Status != store.StatusActive || cs.Hash != "hmac1" ||
		string(cs.Sealed) != "\x01\x02" || cs.CreatedAt.UnixMilli() != 1 || cs.UpdatedAt.UnixMilli() != 2 {
		t.Fatalf("migrated secret: %+v", cs)
	}
	if got, err := s.ListClientSecrets(ctx, "0oa2"); err != nil || len(got) != 0 {
		t.Fatalf("a public client's secrets: %+v, %v", got, err)
	}
	if c, err := s.GetClient(ctx, "0oa1"); err != nil || c.Name != "jwt app" {
		t.Fatalf("client after migration: %+v, %v", c, err)
	}
}
