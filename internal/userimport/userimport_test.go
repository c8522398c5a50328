package userimport

import (
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/password"
)

// readAll reads every record and every line error of a Reader.
func readAll(t *testing.T, r Reader) ([]Record, []*LineError) {
	t.Helper()
	var recs []Record
	var bad []*LineError
	for {
		rec, err := r.Next()
		var le *LineError
		switch {
		case errors.Is(err, io.EOF):
			return recs, bad
		case errors.As(err, &le):
			bad = append(bad, le)
		case err != nil:
			t.Fatal(err)
		default:
			recs = append(recs, rec)
		}
	}
}

func openFile(t *testing.T, name string) Reader {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	r, err := Open(f, DetectFormat(name))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestExamples reads the files docs/import.md shows: every line is read,
// and every hash is one Verify can check.
func TestExamples(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		file  string
		users int
	}{{"testdata/users.jsonl", 11}, {"testdata/users.csv", 4}} {
		recs, bad := readAll(t, openFile(t, c.file))
		if len(bad) > 0 || len(recs) != c.users {
			t.Fatalf("%s: %d records, errors %v; want %d records", c.file, len(recs), bad, c.users)
		}
		for _, r := range recs {
			if r.Hash == "" && r.Password == "" {
				t.Errorf("%s line %d: no credential", c.file, r.Line)
			}
			if r.Hash != "" {
				if err := password.CheckEncoded(r.Hash); err != nil {
					t.Errorf("%s line %d: %v", c.file, r.Line, err)
				}
			}
		}
	}
}

// TestMalformedLinesAreReportedAndSkipped: each bad line is named with its
// number and reason; the good lines around it are all read.
func TestMalformedLinesAreReportedAndSkipped(t *testing.T) {
	t.Parallel()
	recs, bad := readAll(t, openFile(t, "testdata/malformed.jsonl"))
	var logins []string
	for _, r := range recs {
		logins = append(logins, r.Login)
	}
	// Duplicates (GOOD1) are the importer's to find: the reader has no memory.
	if got := strings.Join(logins, " "); got != "good1@example.com good2@example.com GOOD1@example.com good4@example.com" {
		t.Errorf("read %s", got)
	}
	want := map[int]string{
		2:  "invalid JSON at byte 40",
		3:  "SCRYPT",
		6:  "unknown member \"iterations\"",
		7:  "profile.login is required",
		9:  "not a JSON object",
		10: "firstName must be string",
	}
	if len(bad) != len(want) {
		t.Errorf("errors: %v", bad)
	}
	for _, e := range bad {
		if w, ok := want[e.Line]; !ok || !strings.Contains(e.Error(), w) {
			t.Errorf("line %d: %q; want it to say %q", e.Line, e.Error(), w)
		}
	}
}

func TestLongLineIsSkipped(t *testing.T) {
	t.Parallel()
	in := `{"profile":{"login":"a@example.com"}}` + "\n" + `{"profile":{"login":"` + strings.Repeat("x", MaxLineBytes) + `"}}` + "\n" + `{"profile":{"login":"b@example.com"}}`
	recs, bad := readAll(t, NewJSONL(strings.NewReader(in)))
	if len(recs) != 2 || recs[1].Login != "b@example.com" || recs[1].Line != 3 || len(bad) != 1 || bad[0].Line != 2 {
		t.Fatalf("records %+v, errors %v", recs, bad)
	}
}

func TestCSV(t *testing.T) {
	t.Parallel()
	in := "Login,email,groupIds,password_hash_algorithm,password_hash_value\n" +
		"a@example.com,a@example.com,00g1;00g2,SHA-1,h0Vy56WuaklGamrFeLmK26eMaqY=\n" +
		"b@example.com,,,,,extra\n" +
		"c@example.com,,,MD4,AAAA\n" +
		"\"d@example.com,,,,\n"
	r, err := NewCSV(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	recs, bad := readAll(t, r)
	if len(recs) != 1 || recs[0].Login != "a@example.com" || len(recs[0].GroupIDs) != 2 || !strings.HasPrefix(recs[0].Hash, "$okta-sha1$") {
		t.Errorf("records %+v", recs)
	}
	if len(bad) != 3 || bad[0].Line != 3 || bad[1].Line != 4 || !strings.Contains(bad[1].Error(), "MD4") || bad[2].Line != 5 {
		t.Errorf("errors %v", bad)
	}
	for _, h := range []string{"login,pasword\n", "email\n", "login,login\n"} {
		if _, err := NewCSV(strings.NewReader(h)); err == nil {
			t.Errorf("header %q accepted", h)
		}
	}
}

func TestKeycloakUser(t *testing.T) {
	t.Parallel()
	line := `{"username":"kc","enabled":false,"credentials":[{"type":"otp","secretData":"{}","credentialData":"{}"},` +
		`{"type":"password","secretData":"{\"value\":\"eYyg60grqKsURO5s+HGBpoYxdzjk9SUESf38STsPGV0=\",\"salt\":\"TmFDbC1zYWx0LTE2Ynl0ZQ==\"}",` +
		`"credentialData":"{\"hashIterations\":10000,\"algorithm\":\"pbkdf2-sha256\"}"}]}`
	rec, err := ParseLine([]byte(line), 1)
	if err != nil || rec.Status != "SUSPENDED" || !strings.HasPrefix(rec.Hash, "$pbkdf2-sha256$i=10000$") {
		t.Fatalf("%+v, %v", rec, err)
	}
}

// FuzzParseLine: any line is a record or a LineError naming its line, a
// record's hash is one Verify can check, and an error never repeats the
// password.
func FuzzParseLine(f *testing.F) {
	for _, name := range []string{"testdata/users.jsonl", "testdata/malformed.jsonl"} {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		for _, l := range strings.Split(string(data), "\n") {
			f.Add([]byte(l))
		}
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		rec, err := ParseLine(line, 7)
		if err != nil {
			if err.Line != 7 {
				t.Fatalf("error on line %d", err.Line)
			}
			return
		}
		checkRecord(t, rec)
	})
}

func checkRecord(t *testing.T, rec Record) {
	t.Helper()
	if strings.TrimSpace(rec.Login) == "" {
		t.Fatal("a record without a login")
	}
	if rec.Hash != "" {
		if err := password.CheckEncoded(rec.Hash); err != nil {
			t.Fatalf("hash %q: %v", rec.Hash, err)
		}
		if rec.Password != "" {
			t.Fatal("both a password and a hash")
		}
	}
}

// FuzzParseRow: a CSV row under the full header is a record or a LineError.
func FuzzParseRow(f *testing.F) {
	data, err := os.ReadFile("testdata/users.csv")
	if err != nil {
		f.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	cols, err := checkHeader(strings.Split(lines[0], ","))
	if err != nil {
		f.Fatal(err)
	}
	for _, l := range lines[1:] {
		f.Add(l)
	}
	f.Fuzz(func(t *testing.T, row string) {
		fields := strings.Split(row, ",")
		rec, lerr := ParseRow(cols, fields, 3)
		if lerr != nil {
			if lerr.Line != 3 {
				t.Fatalf("error on line %d", lerr.Line)
			}
			return
		}
		checkRecord(t, rec)
	})
}

// TestDocExamples reads the jsonl and csv blocks of docs/import.md as they
// are pasted: every line is a user, none is refused.
func TestDocExamples(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../../docs/import.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := 0
	for _, part := range strings.Split(string(doc), "```")[1:] {
		lang, body, _ := strings.Cut(part, "\n")
		if lang != FormatJSONL && lang != FormatCSV {
			continue
		}
		blocks++
		r, err := Open(strings.NewReader(body), lang)
		if err != nil {
			t.Fatalf("%s block: %v", lang, err)
		}
		recs, bad := readAll(t, r)
		want := strings.Count(strings.TrimSpace(body), "\n") + 1
		if lang == FormatCSV {
			want-- // the header
		}
		if len(bad) > 0 || len(recs) != want {
			t.Errorf("%s block: %d users, errors %v; want %d users", lang, len(recs), bad, want)
		}
	}
	if blocks != 3 {
		t.Fatalf("%d example blocks in docs/import.md, want 3", blocks)
	}
}
