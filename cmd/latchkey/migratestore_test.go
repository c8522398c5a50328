package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/app"
	"github.com/latchkey/latchkey/internal/keys"
)

// TestMigrateStore: migrate-store copies a SQLite deployment into
// PostgreSQL and into another SQLite file, prints what it copied, and
// refuses a target that is no longer empty; the management commands see
// the copied records on the target.
func TestMigrateStore(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "master.key")
	if _, err := keys.CreateMasterKeyFile(keyFile); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"LATCHKEY_MASTER_KEY_FILE": keyFile}
	src := filepath.Join(dir, "source.db")
	s, err := app.OpenStore(context.Background(), src, false) // management commands refuse a missing file
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, _, err := runCLIEnv(env, "a long passphrase\n", "users", "create", "--db", src,
		"--login", "ada@example.com", "--email", "ada@example.com", "--password-stdin"); err != nil {
		t.Fatalf("users create: %v", err)
	}
	for _, target := range []string{pg.NewDatabase(t), "sqlite:" + filepath.Join(dir, "target.db")} {
		out, _, err := runCLIEnv(nil, "", "migrate-store", "--from", "sqlite:"+src, "--to", target)
		if err != nil || !strings.Contains(out, "copied and verified") || !strings.Contains(out, "users                  1") {
			t.Fatalf("migrate-store to %s: %q %v", target, out, err)
		}
		out, _, err = runCLIEnv(env, "", "users", "list", "--db", storeDSN(target))
		if err != nil || !strings.Contains(out, "ada@example.com") {
			t.Fatalf("users list on the target: %q %v", out, err)
		}
		_, _, err = runCLIEnv(nil, "", "migrate-store", "--from", src, "--to", target)
		if err == nil || !strings.Contains(err.Error(), "not empty") {
			t.Fatalf("a second migrate-store into %s: %v, want a refusal", target, err)
		}
	}
	if _, _, err := runCLIEnv(nil, "", "migrate-store", "--from", src); err == nil {
		t.Error("migrate-store without --to succeeded")
	}
}
