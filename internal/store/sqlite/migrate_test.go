package sqlite

import (
	"io/fs"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/latchkey/latchkey/internal/store"
)

// TestMigrateFromVersion1 upgrades a database holding records written under
// the first schema: the columns added later take their documented defaults.
func TestMigrateFromVersion1(t *testing.T) {
	ctx := t.Context()
	d, err := parseDSN(filepath.Join(t.TempDir(), "v1.db"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := d.openWriter()
	if err != nil {
		t.Fatal(err)
	}
	fsys, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 1); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO auth_servers VALUES ('default', 'Default', '', 'api://default', 'ACTIVE', 1, 2)`,
		`INSERT INTO clients VALUES ('0oa1', 'app', 'hash', 'client_secret_basic', '["password"]', 'ACTIVE', 1, 2)`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	s, err := Open(ctx, d.path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	a, err := s.GetAuthServer(ctx, "default")
	if err != nil {
		t.Fatal(err)
	}
	if a.KeyRotationMode != store.RotationAuto || a.KeyRotationInterval != 0 || a.SigningAlg != store.AlgRS256 {
		t.Errorf("auth server after migration: rotation %q every %v, signing alg %q; want %q every 0, %q",
			a.KeyRotationMode, a.KeyRotationInterval, a.SigningAlg, store.RotationAuto, store.AlgRS256)
	}
	c, err := s.GetClient(ctx, "0oa1")
	if err != nil {
		t.Fatal(err)
	}
	if c.JWKS != nil || c.JWKSURI != "" || c.RefreshRotation != store.RotationRotate || c.RefreshLeeway != 30*time.Second {
		t.Errorf("client after migration: jwks %q, jwks_uri %q, rotation %q, leeway %v; want none, none, %q, 30s",
			c.JWKS, c.JWKSURI, c.RefreshRotation, c.RefreshLeeway, store.RotationRotate)
	}
	// The client's secret became its first ACTIVE secret record.
	secrets, err := s.ListClientSecrets(ctx, "0oa1")
	if err != nil {
		t.Fatal(err)
	}
	if len(secrets) != 1 {
		t.Fatalf("secrets after migration: %+v, want one", secrets)
	}
	cs := secrets[0]
	if !regexp.MustCompile(`^ocs[0-9a-f]{17}$`).MatchString(cs.ID) || cs.ClientID != "0oa1" || cs.Status != store.StatusActive ||
		cs.Hash != "hash" || cs.Sealed != nil || cs.CreatedAt.UnixMilli() != 1 || cs.UpdatedAt.UnixMilli() != 2 {
		t.Errorf("secret after migration: %+v", cs)
	}
}
