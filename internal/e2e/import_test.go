package e2e

import (
	"bytes"
	"context"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/export"
	"github.com/latchkey/latchkey/internal/provision"
	"github.com/latchkey/latchkey/internal/userimport"
)

// importedPasswords are the passwords of the users in package userimport's
// example files (docs/import.md), by login; the hashes are the test vectors
// of package password (imported_test.go says where each came from).
var importedPasswords = map[string]string{
	"sha512@example.com":          "Tr0ub4dor&3",
	"sha256@example.com":          "Tr0ub4dor&3",
	"sha1@example.com":            "Tr0ub4dor&3",
	"md5@example.com":             "Tr0ub4dor&3",
	"pbkdf2@example.com":          "Tr0ub4dor&3",
	"pbkdf2-512@example.com":      "Tr0ub4dor&3",
	"bcrypt@example.com":          "abc",
	"argon2id@example.com":        "password",
	"plain@example.com":           "Correct-Horse-9",
	"keycloak-sha256@example.com": "Tr0ub4dor&3",
	"keycloak-sha512@example.com": "Tr0ub4dor&3",
	"csv-sha256@example.com":      "Tr0ub4dor&3",
	"csv-bcrypt@example.com":      "abc",
	"csv-pbkdf2@example.com":      "Tr0ub4dor&3",
	"csv-plain@example.com":       "Correct-Horse-9",
}

func importFile(t *testing.T, e *env, name string) provision.ImportSummary {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := userimport.Open(f, userimport.DetectFormat(name))
	if err != nil {
		t.Fatal(err)
	}
	return importFrom(t, e, r)
}

func importFrom(t *testing.T, e *env, r userimport.Reader) provision.ImportSummary {
	t.Helper()
	sum, err := e.app.Provision.ImportUsers(context.Background(), r, provision.ImportOptions{
		Problem: func(le *userimport.LineError) { t.Errorf("import: %v", le) },
	})
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

// loginAs runs the password grant for login and reports the HTTP status.
func (e *env) loginAs(login, password string) response {
	e.t.Helper()
	form := url.Values{"grant_type": {"password"}, "username": {login}, "password": {password}, "scope": {"openid"}}
	return e.post(e.tokenURL, form.Encode(), map[string]string{"Authorization": basic(e.clientID, e.clientSecret)})
}

// TestImportedUsersLogIn: every hash format, imported from the example
// files, logs in through the token endpoint with the old password, refuses
// a wrong one, and is stored as the configured argon2id after that login.
// Then the deployment is exported, and the export imported into a new
// database logs the users in again.
func TestImportedUsersLogIn(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	sum := importFile(t, e, "../userimport/testdata/users.jsonl")
	sum2 := importFile(t, e, "../userimport/testdata/users.csv")
	if sum.Imported != 11 || sum2.Imported != 4 || sum.Failed+sum2.Failed != 0 {
		t.Fatalf("imported %+v and %+v", sum, sum2)
	}

	// Export before any login: the imported formats themselves go across.
	var exported bytes.Buffer
	if n, err := export.Users(ctx, e.app.Store, &exported); err != nil || n != 16 { // the env's own user too
		t.Fatalf("export: %d, %v", n, err)
	}

	const upgraded = "$argon2id$v=19$m=64,t=1,p=1$"
	for login, pw := range importedPasswords {
		before, err := e.app.Store.GetUserByLogin(ctx, login)
		if err != nil {
			t.Fatal(err)
		}
		if r := e.loginAs(login, pw+"!"); r.status != 400 {
			t.Errorf("%s with a wrong password: %d %s", login, r.status, r.raw)
		}
		if r := e.loginAs(login, pw); r.status != 200 {
			t.Errorf("%s (%.14s…): %d %s", login, before.PasswordHash, r.status, r.raw)
			continue
		}
		after, err := e.app.Store.GetUserByLogin(ctx, login)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(after.PasswordHash, upgraded) {
			t.Errorf("%s: stored hash %.30s… after login, want %s…", login, after.PasswordHash, upgraded)
		}
	}

	// Import the export into a new database: the same passwords work.
	e2 := newEnv(t)
	sum = importFrom(t, e2, userimport.NewJSONL(&exported))
	if sum.Imported != 15 || sum.Skipped != 1 { // ada@example.com exists in every env
		t.Fatalf("import of the export: %+v", sum)
	}
	var again bytes.Buffer
	if _, err := export.Users(ctx, e2.app.Store, &again); err != nil {
		t.Fatal(err)
	}
	for login, pw := range importedPasswords {
		if r := e2.loginAs(login, pw); r.status != 200 {
			t.Errorf("%s after export and import: %d %s", login, r.status, r.raw)
		}
	}

	// And once more from the upgraded (argon2id) hashes.
	var upgradedExport bytes.Buffer
	if _, err := export.Users(ctx, e2.app.Store, &upgradedExport); err != nil {
		t.Fatal(err)
	}
	e3 := newEnv(t)
	if sum := importFrom(t, e3, userimport.NewJSONL(&upgradedExport)); sum.Imported != 15 {
		t.Fatalf("import of the upgraded export: %+v", sum)
	}
	for _, login := range []string{"md5@example.com", "bcrypt@example.com", "keycloak-sha512@example.com"} {
		if r := e3.loginAs(login, importedPasswords[login]); r.status != 200 {
			t.Errorf("%s from an argon2id export: %d %s", login, r.status, r.raw)
		}
	}
}

// TestImportIsIdempotent: a second run skips every user; --update
// overwrites; a malformed file loses no valid line and reports the others.
func TestImportIsIdempotent(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	importFile(t, e, "../userimport/testdata/users.jsonl")
	if sum := importFile(t, e, "../userimport/testdata/users.jsonl"); sum.Skipped != 11 || sum.Imported != 0 {
		t.Fatalf("second run: %+v", sum)
	}
	line := `{"profile":{"login":"md5@example.com","firstName":"Renamed"},"credentials":{"password":{"value":"Brand-New-Pass-7"}}}`
	sum, err := e.app.Provision.ImportUsers(ctx, userimport.NewJSONL(strings.NewReader(line)), provision.ImportOptions{Update: true})
	if err != nil || sum.Updated != 1 {
		t.Fatalf("update: %+v, %v", sum, err)
	}
	if u, _ := e.app.Store.GetUserByLogin(ctx, "md5@example.com"); u.FirstName != "Renamed" {
		t.Fatalf("first name %q", u.FirstName)
	}
	if r := e.loginAs("md5@example.com", "Brand-New-Pass-7"); r.status != 200 {
		t.Fatalf("login after update: %d %s", r.status, r.raw)
	}

	var problems []string
	f, err := os.Open("../userimport/testdata/malformed.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sum, err = e.app.Provision.ImportUsers(ctx, userimport.NewJSONL(f), provision.ImportOptions{
		Problem: func(le *userimport.LineError) { problems = append(problems, le.Error()) },
	})
	if err != nil {
		t.Fatal(err)
	}
	// good1, good2, good4 are imported; GOOD1 on line 8 repeats line 1.
	if sum.Imported != 3 || sum.Failed != 7 || len(problems) != 7 {
		t.Fatalf("summary %+v, problems:\n%s", sum, strings.Join(problems, "\n"))
	}
	if !strings.Contains(strings.Join(problems, "\n"), "line 8 (GOOD1@example.com): duplicate login: line 1 has it already") {
		t.Fatalf("problems:\n%s", strings.Join(problems, "\n"))
	}
	for _, l := range []string{"good1@example.com", "good2@example.com", "good4@example.com"} {
		if _, err := e.app.Store.GetUserByLogin(ctx, l); err != nil {
			t.Errorf("%s: %v", l, err)
		}
	}
}
