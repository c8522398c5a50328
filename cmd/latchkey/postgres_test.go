package main

import (
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/keys"
)

// TestPostgresCLI: with --db postgres://…, serve --no-migrate refuses a
// database whose schema is behind, migrate applies it (once), and the
// management commands run on PostgreSQL. The DSN's password never shows.
func TestPostgresCLI(t *testing.T) {
	t.Parallel()
	dsn := strings.Replace(pg.NewDatabase(t), "postgres@", "postgres:hunter2@", 1) // trust auth ignores it
	keyFile := t.TempDir() + "/master.key"
	if _, err := keys.CreateMasterKeyFile(keyFile); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"LATCHKEY_MASTER_KEY_FILE": keyFile}

	_, stderr, err := runCLIEnv(env, "", "serve", "--db", dsn, "--no-migrate", "--addr", "127.0.0.1:0")
	if err == nil || !strings.Contains(err.Error(), "latchkey migrate") {
		t.Fatalf("serve --no-migrate on an empty database: %v, want a refusal saying to migrate", err)
	}
	if strings.Contains(err.Error()+stderr, "hunter2") {
		t.Errorf("serve shows the password: %v %s", err, stderr)
	}
	out, _, err := runCLIEnv(env, "", "migrate", "--db", dsn)
	if err != nil || !strings.Contains(out, "schema up to date") || strings.Contains(out, "(0 migrations") {
		t.Fatalf("migrate: %q %v", out, err)
	}
	out, _, err = runCLIEnv(env, "", "migrate", "--db", dsn)
	if err != nil || !strings.Contains(out, "(0 migrations applied)") {
		t.Fatalf("second migrate: %q %v", out, err)
	}
	if _, _, err := runCLIEnv(env, "a long passphrase\n", "users", "create", "--db", dsn,
		"--login", "ada@example.com", "--email", "ada@example.com", "--password-stdin"); err != nil {
		t.Fatalf("users create: %v", err)
	}
	out, _, err = runCLIEnv(env, "", "users", "list", "--db", dsn)
	if err != nil || !strings.Contains(out, "ada@example.com") {
		t.Fatalf("users list: %q %v", out, err)
	}
}
