package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/app"
	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/keys"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/store/sqlite/sqlitetest"
)

// keysDB returns a store on which a server has run once: the default
// authorization server with its ACTIVE and NEXT keys, and {db}.key.
func keysDB(t *testing.T) string {
	t.Helper()
	db := sqlitetest.Path(t) // migrated already
	if _, err := keys.CreateMasterKeyFile(db + ".key"); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.DB = db
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	a, err := app.Open(context.Background(), cfg, app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := a.Bootstrap(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}

// runKeysCLI executes the root command with an empty environment.
func runKeysCLI(t *testing.T, args ...string) (stdout string, err error) {
	t.Helper()
	root := newRootCmd(func(string) string { return "" })
	var out, errOut bytes.Buffer
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(&errOut)
	err = root.ExecuteContext(context.Background())
	return out.String(), err
}

// listKeysJSON runs `keys list --json` and decodes it.
func listKeysJSON(t *testing.T, db string) []map[string]any {
	t.Helper()
	out, err := runKeysCLI(t, "keys", "list", "--db", db, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var ks []map[string]any
	if err := json.Unmarshal([]byte(out), &ks); err != nil {
		t.Fatalf("not a JSON array: %v\n%s", err, out)
	}
	return ks
}

// kidsByStatus maps each status to the kids in it.
func kidsByStatus(ks []map[string]any) map[string][]string {
	out := map[string][]string{}
	for _, k := range ks {
		s, _ := k["status"].(string)
		kid, _ := k["kid"].(string)
		out[s] = append(out[s], kid)
	}
	return out
}

func TestKeysList(t *testing.T) {
	db := keysDB(t)
	ks := listKeysJSON(t, db)
	st := kidsByStatus(ks)
	if len(ks) != 2 || len(st[store.KeyActive]) != 1 || len(st[store.KeyNext]) != 1 {
		t.Fatalf("keys: %v", st)
	}
	for _, k := range ks {
		for _, f := range []string{"kid", "kty", "alg", "use", "status", "created", "lastUpdated", "n", "e"} {
			if _, ok := k[f]; !ok {
				t.Errorf("key %v lacks %q", k["kid"], f)
			}
		}
		for _, f := range []string{"d", "p", "q", "dp", "dq", "qi"} {
			if _, ok := k[f]; ok {
				t.Errorf("key %v shows private parameter %q", k["kid"], f)
			}
		}
		if k["alg"] != "RS256" || k["use"] != "sig" || k["kty"] != "RSA" {
			t.Errorf("key %v", k)
		}
		if _, ok := k["activated"]; ok != (k["status"] == store.KeyActive) {
			t.Errorf("%v key: activated present %v", k["status"], ok)
		}
		if _, ok := k["expired"]; ok {
			t.Errorf("%v key has an expired time", k["status"])
		}
	}

	out, err := runKeysCLI(t, "keys", "list", "--db", db)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !regexp.MustCompile(`^KID\s+ALG\s+STATUS\s+CREATED\s+ACTIVATED\s+EXPIRED$`).MatchString(lines[0]) {
		t.Fatalf("table:\n%s", out)
	}
	for _, re := range []string{
		`(?m)^` + regexp.QuoteMeta(st[store.KeyActive][0]) + `\s+RS256\s+ACTIVE\s+\d{4}-\S+Z\s+\d{4}-\S+Z\s+-$`,
		`(?m)^` + regexp.QuoteMeta(st[store.KeyNext][0]) + `\s+RS256\s+NEXT\s+\d{4}-\S+Z\s+-\s+-$`,
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("table does not match %s:\n%s", re, out)
		}
	}
}

func TestKeysRotate(t *testing.T) {
	db := keysDB(t)
	before := kidsByStatus(listKeysJSON(t, db))
	active, next := before[store.KeyActive][0], before[store.KeyNext][0]

	out, err := runKeysCLI(t, "keys", "rotate", "--db", db)
	if err != nil {
		t.Fatal(err)
	}
	after := kidsByStatus(listKeysJSON(t, db))
	if len(after[store.KeyActive]) != 1 || len(after[store.KeyNext]) != 1 ||
		after[store.KeyActive][0] != next || after[store.KeyNext][0] == next ||
		len(after[store.KeyExpired]) != 1 || after[store.KeyExpired][0] != active {
		t.Fatalf("after rotate: %v; before: %v", after, before)
	}
	for _, re := range []string{
		`^rotated the signing keys of authorization server default\n`,
		`(?m)^ACTIVE\s+` + regexp.QuoteMeta(next) + `\s+RS256\s`,
		`(?m)^NEXT\s+` + regexp.QuoteMeta(after[store.KeyNext][0]) + `\s+RS256\s`,
		`(?m)^EXPIRED\s+` + regexp.QuoteMeta(active) + `\s+RS256\s+published until \d{4}-\S+, then deleted$`,
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("output does not match %s:\n%s", re, out)
		}
	}
	for _, k := range listKeysJSON(t, db) {
		if k["kid"] == active {
			if _, ok := k["expired"]; !ok || k["lastUpdated"] != k["expired"] {
				t.Errorf("EXPIRED key: expired %v, lastUpdated %v", k["expired"], k["lastUpdated"])
			}
		}
	}
}

func TestKeysUnknownServer(t *testing.T) {
	db := keysDB(t)
	for _, args := range [][]string{
		{"keys", "rotate", "--db", db, "--authserver", "ausNope"},
		{"keys", "list", "--db", db, "--authserver", "ausNope"},
	} {
		if _, err := runKeysCLI(t, args...); err == nil || err.Error() != `authorization server "ausNope" not found` {
			t.Errorf("%v: err %v", args[1], err)
		}
	}
	if n := len(listKeysJSON(t, db)); n != 2 {
		t.Errorf("%d keys on default after failed commands, want 2", n)
	}
}

func TestKeysInitMaster(t *testing.T) {
	file := filepath.Join(t.TempDir(), "master.key")
	out, err := runKeysCLI(t, "keys", "init-master", "--file", file)
	if err != nil || out != "master key written to "+file+"\n" {
		t.Fatalf("out %q, err %v", out, err)
	}
	fi, err := os.Stat(file)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, %v", fi, err)
	}
	if _, err := keys.LoadMasterKeyFile(file); err != nil {
		t.Fatal(err)
	}
	if _, err := runKeysCLI(t, "keys", "init-master", "--file", file); err == nil {
		t.Error("init-master overwrote an existing file")
	}
}
