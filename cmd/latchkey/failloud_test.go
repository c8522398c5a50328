package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// runMain runs this test binary as the latchkey command (TestMain), in
// dir, with only the given LATCHKEY_* environment, and returns its exit
// code and stderr.
func runMain(t *testing.T, dir string, env []string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"-test.run=^$", "--"}, args...)...)
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "LATCHKEY_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(append(cmd.Env, "LATCHKEY_TEST_RUN_MAIN=1"), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), stderr.String()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, stderr.String()
}

// TestCLIFailsLoudly: each mistake an operator makes at the command line
// ends with a non-zero exit and a message that names it.
func TestCLIFailsLoudly(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := keysDB(t) // an existing database with {db}.key beside it
	keyless := filepath.Join(dir, "keyless.db")
	if err := copyFile(db, keyless); err != nil { // a database whose key is elsewhere
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.db")
	badConfig := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(badConfig, []byte("addr: 127.0.0.1:8080\nlogin_protection:\n  lockout: {}\n  foo: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	badSetup := filepath.Join(dir, "setup.yaml")
	if err := os.WriteFile(badSetup, []byte("authorizationServers:\n  - name: billing\n    scope: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	mustCLI(t, "", "authservers", "create", "--db", db, "--name", "billing", "--audience", "api://billing")
	mustCLI(t, "", "scopes", "create", "--db", db, "--authserver", "billing", "--name", "invoices:read")
	policyID := strings.Fields(mustCLI(t, "", "policies", "create", "--db", db, "--authserver", "billing", "--name", "apps"))[1]
	keyEnv := []string{"LATCHKEY_MASTER_KEY_FILE=" + db + ".key"}

	for _, tc := range []struct {
		name string
		env  []string
		args []string
		want string // in stderr
	}{
		{"unknown command", nil, []string{"usres"}, "unknown command \"usres\" for \"latchkey\"\n\nDid you mean this?\n\tusers"},
		{"unknown subcommand", nil, []string{"users", "lsit"}, "unknown command \"lsit\" for \"latchkey users\"\n\nDid you mean this?\n\tlist"},
		{"unknown subcommand without a suggestion", nil, []string{"keys", "zzz"}, `unknown command "zzz" for "latchkey keys"`},
		{"a stray argument", nil, []string{"users", "list", "extra", "--db", db}, `unknown command "extra" for "latchkey users list"`},
		{"missing database before missing key", nil, []string{"users", "list", "--db", missing}, "database not found: " + missing},
		{"missing database with a key", keyEnv, []string{"groups", "list", "--db", missing}, "database not found: " + missing},
		{"missing database in the environment", []string{"LATCHKEY_DB=" + missing}, []string{"apply"}, "database not found: " + missing},
		{"migrate a missing database", nil, []string{"migrate", "--db", missing}, "database not found: " + missing},
		{"serve a missing database without a key", nil, []string{"serve", "--db", missing}, "database not found: " + missing},
		{"backup a missing database", nil, []string{"backup", "--db", missing, "--to", filepath.Join(dir, "b.db")}, "database not found: " + missing},
		{"backup PostgreSQL", nil, []string{"backup", "--db", "postgres://localhost/latchkey", "--to", filepath.Join(dir, "b.db")}, "pg_dump"},
		{"serve --dev on a database without its key", nil, []string{"serve", "--dev", "--db", keyless},
			"database " + keyless + " exists but its master key " + keyless + ".key does not: serve --dev generates a master key only for a new database"},
		{"serve without a key", nil, []string{"serve", "--db", keyless}, "no master key"},
		{"listening off loopback without base_url", nil, []string{"serve", "--db", db, "--addr", "0.0.0.0:8080"},
			"base_url must be set when listening on 0.0.0.0:8080: tokens carry the issuer"},
		{"listening on every interface without base_url", nil, []string{"serve", "--db", db, "--addr", ":8080"}, "base_url must be set when listening on :8080"},
		{"an unknown config key", nil, []string{"--config", badConfig, "users", "list", "--db", db},
			`config ` + badConfig + ` line 4: unknown key "foo" in login_protection; valid keys: lockout, rate_limits, trusted_proxies, trusted_clients`},
		{"an unknown setup key", nil, []string{"apply", "--db", db, "--file", badSetup},
			`line 3: unknown key "scope" in authorizationServers[0]; valid keys: name, description, audience`},
		{"a rule with an unknown scope", nil, []string{"rules", "create", "--db", db, "--authserver", "billing", "--policy", policyID,
			"--name", "r", "--grant-types", "client_credentials", "--scopes", "invoices:reed"},
			`scope "invoices:reed" is not a scope of authorization server "billing"; its scopes are: *, openid, profile, email, offline_access, invoices:read`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, stderr := runMain(t, dir, tc.env, tc.args...)
			if code == 0 || !strings.Contains(stderr, tc.want) {
				t.Errorf("latchkey %s: exit %d, stderr:\n%s\nwant a non-zero exit and:\n%s", strings.Join(tc.args, " "), code, stderr, tc.want)
			}
		})
	}
	for _, f := range []string{missing, keyless + ".key"} {
		if _, err := os.Stat(f); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s was created (%v)", f, err)
		}
	}
}

func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, b, 0o600)
}
