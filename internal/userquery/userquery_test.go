package userquery

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/store"
)

func TestParse(t *testing.T) {
	at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	active := store.UserExpr{Op: store.OpEq, Field: store.FieldStatus, Value: "ACTIVE"}
	login := store.UserExpr{Op: store.OpEq, Field: store.FieldLogin, Value: `a"b\c@example.com`}
	updated := store.UserExpr{Op: store.OpGt, Field: store.FieldLastUpdated, Time: at}
	cases := []struct {
		in   string
		mode Mode
		want store.UserExpr
	}{
		{`status eq "ACTIVE"`, Filter, active},
		{`  status   EQ "ACTIVE" `, Filter, active},
		{`profile.login eq "a\"b\\c@example.com"`, Filter, login},
		{`lastUpdated gt "2024-01-01T00:00:00.000Z"`, Filter, updated},
		{`status eq "ACTIVE" and lastUpdated gt "2024-01-01T00:00:00.000Z"`, Filter,
			store.UserExpr{Op: store.OpAnd, Args: []store.UserExpr{active, updated}}},
		{`status eq "ACTIVE" or status eq "ACTIVE" and lastUpdated gt "2024-01-01T00:00:00Z"`, Filter,
			store.UserExpr{Op: store.OpOr, Args: []store.UserExpr{active, {Op: store.OpAnd, Args: []store.UserExpr{active, updated}}}}},
		{`(status eq "ACTIVE" and status eq "ACTIVE") and (status eq "ACTIVE")`, Filter,
			store.UserExpr{Op: store.OpAnd, Args: []store.UserExpr{active, active, active}}},
		{`profile.lastName sw "Smi"`, Search, store.UserExpr{Op: store.OpSw, Field: store.FieldLastName, Value: "Smi"}},
		{`lastLogin pr`, Search, store.UserExpr{Op: store.OpPr, Field: store.FieldLastLogin}},
	}
	for _, c := range cases {
		got, err := Parse(c.in, c.mode)
		if err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", c.in, got, c.want)
		}
	}
}

func TestParseRefuses(t *testing.T) {
	for _, c := range []struct {
		in   string
		mode Mode
	}{
		{``, Filter},
		{`status`, Filter},
		{`status eq`, Filter},
		{`status eq ACTIVE`, Filter},
		{`status eq "ACTIVE`, Filter},
		{`status eq "ACTIVE" and`, Filter},
		{`status eq "ACTIVE" status eq "ACTIVE"`, Filter},
		{`(status eq "ACTIVE"`, Filter},
		{`status eq "ACTIVE")`, Filter},
		{`profile.lastName sw "Smi"`, Filter},       // search only
		{`profile.locale eq "en"`, Filter},          // search only
		{`profile.login gt "a"`, Search},            // no order on text
		{`lastUpdated sw "2024"`, Search},           // no prefix of a time
		{`lastUpdated gt "yesterday"`, Filter},      // not a time
		{`passwordHash eq "x"`, Search},             // no such field
		{`status eq "A"; DROP TABLE users`, Search}, // not the grammar
		{strings.Repeat("(", 11) + `id eq "x"` + strings.Repeat(")", 11), Search},
		{strings.Repeat(`id eq "x" or `, 50) + `id eq "x"`, Search},
		{`id eq "` + strings.Repeat("x", 300) + `"`, Search},
		{strings.Repeat(" ", MaxLength+1), Search},
	} {
		_, err := Parse(c.in, c.mode)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("%q: err %v, want a SyntaxError", c.in, err)
		}
	}
}

// FuzzUserFilter: any input is a SyntaxError or a valid expression that
// Format writes back into the same expression.
func FuzzUserFilter(f *testing.F) {
	for _, s := range []string{
		`status eq "ACTIVE"`,
		`profile.login eq "ada@example.com"`,
		`lastUpdated gt "2024-01-01T00:00:00.000Z"`,
		`status eq "ACTIVE" and (lastUpdated lt "2024-01-01T00:00:00.000Z" or profile.email eq "a\"b")`,
		`profile.lastName sw "Smi" or lastLogin pr`,
		`((((id eq "00u1"))))`, `status eq "A" and`, `"`, `(`, `status EQ "x\\"`, `created ge "2024-01-01T00:00:00+02:00"`,
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, in string, search bool) {
		mode := Filter
		if search {
			mode = Search
		}
		e, err := Parse(in, mode)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error is not a SyntaxError: %v", err)
			}
			return
		}
		if err := e.Validate(); err != nil {
			t.Fatalf("accepted an invalid expression %+v: %v", e, err)
		}
		again, err := Parse(Format(e), mode)
		if err != nil {
			t.Fatalf("Format(%q) = %q does not parse: %v", in, Format(e), err)
		}
		if !reflect.DeepEqual(again, e) {
			t.Fatalf("round trip of %q:\n got %+v\nwant %+v", in, again, e)
		}
	})
}
