package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestImportUsersCLI: the example file imports, a second run skips every
// line, a malformed file reports each bad line with its number and exits
// non-zero, and stdin needs --format.
func TestImportUsersCLI(t *testing.T) {
	db := keysDB(t)
	out := mustCLI(t, "", "import", "users", "--db", db, "../../internal/userimport/testdata/users.jsonl")
	if !strings.Contains(out, "imported 11, updated 0, skipped 0, failed 0") {
		t.Fatalf("first run:\n%s", out)
	}
	out = mustCLI(t, "", "import", "users", "--db", db, "../../internal/userimport/testdata/users.jsonl")
	if !strings.Contains(out, "imported 0, updated 0, skipped 11, failed 0") {
		t.Fatalf("second run:\n%s", out)
	}
	out, err := runCLI(t, "", "import", "users", "--db", db, "../../internal/userimport/testdata/malformed.jsonl")
	if err == nil {
		t.Fatalf("a malformed file exited 0:\n%s", out)
	}
	for _, want := range []string{"line 2: not a JSON object", "line 3 (scrypt@example.com): credentials.password.hash.algorithm: \"SCRYPT\" is not supported",
		"line 8 (GOOD1@example.com): duplicate login", "imported 3, updated 0, skipped 0, failed 7"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "h0Vy56WuaklGamrFeLmK26eMaqY") {
		t.Errorf("a hash reached the output:\n%s", out)
	}
	csvIn, err := os.ReadFile("../../internal/userimport/testdata/users.csv")
	if err != nil {
		t.Fatal(err)
	}
	if out, err := runCLI(t, string(csvIn), "import", "users", "--db", db, "-"); err == nil || !strings.Contains(err.Error(), "--format") {
		t.Fatalf("stdin without --format: %v\n%s", err, out)
	}
	out = mustCLI(t, string(csvIn), "import", "users", "--db", db, "--format", "csv", "-")
	if !strings.Contains(out, "imported 4, updated 0, skipped 0, failed 0") {
		t.Fatalf("csv from stdin:\n%s", out)
	}
	out = mustCLI(t, string(csvIn), "import", "users", "--db", db, "--format", "csv", "--update", "-")
	if !strings.Contains(out, "imported 0, updated 4, skipped 0, failed 0") {
		t.Fatalf("--update:\n%s", out)
	}
}

// TestExportCLI: export writes the four files, users in the shape import
// reads back; a users file imports into a new database.
func TestExportCLI(t *testing.T) {
	db := keysDB(t)
	mustCLI(t, "", "import", "users", "--db", db, "../../internal/userimport/testdata/users.jsonl")
	dir := filepath.Join(t.TempDir(), "out")
	out := mustCLI(t, "", "export", "--db", db, "--out", dir)
	if !strings.Contains(out, "exported 11 users, 1 groups, 0 clients, 2 authorization servers") {
		t.Fatalf("export:\n%s", out)
	}
	for _, f := range []string{"users.jsonl", "groups.jsonl", "clients.jsonl", "authservers.jsonl"} {
		st, err := os.Stat(filepath.Join(dir, f))
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v %v", f, st, err)
		}
	}
	users, _ := os.ReadFile(filepath.Join(dir, "users.jsonl"))
	var first map[string]any
	if err := json.Unmarshal(bytes.SplitN(users, []byte("\n"), 2)[0], &first); err != nil || first["credentials"] == nil {
		t.Fatalf("users.jsonl: %v %v", first, err)
	}
	other := keysDB(t)
	out = mustCLI(t, "", "import", "users", "--db", other, filepath.Join(dir, "users.jsonl"))
	if !strings.Contains(out, "imported 11, updated 0, skipped 0, failed 0") {
		t.Fatalf("import of the export:\n%s", out)
	}
	file := filepath.Join(t.TempDir(), "users.jsonl")
	mustCLI(t, "", "export", "--db", other, "--out", file)
	again, _ := os.ReadFile(file)
	if bytes.Count(again, []byte("\n")) != 11 {
		t.Fatalf("users file:\n%s", again)
	}
}

func TestProgressBar(t *testing.T) {
	t.Parallel()
	got := bar(500, 250, 1000, 100, 5)
	if !strings.HasPrefix(got, "[#######-----------------------]  25% 500 users 100/s ETA 15s") {
		t.Fatalf("bar = %q", got)
	}
	var quiet bytes.Buffer
	p := newProgress(&quiet, 1000)
	p.start = time.Now().Add(-time.Second)
	for i := 0; i <= 2500; i += 500 {
		p.update(i, 0)
	}
	if lines := strings.Count(quiet.String(), "\n"); lines != 2 {
		t.Fatalf("quiet progress, a line per thousand:\n%s", quiet.String())
	}
}
