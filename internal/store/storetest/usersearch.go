package storetest

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/store"
)

var userSearchTests = []test{
	{"Expressions", testSearchExpressions},
	{"Prefix", testSearchPrefix},
	{"Paging", testSearchPaging},
	{"ValuesAreNotSQL", testSearchValuesNotSQL},
	{"InvalidRefused", testSearchInvalid},
}

// searchFixture stores five users with distinct fields.
func searchFixture(t *testing.T, s store.Store) {
	t.Helper()
	mk := func(id, status, login, first, last string, updated time.Time, lastLogin time.Time) {
		u := store.User{ID: id, Status: status, Login: login, Email: strings.ToLower(login), FirstName: first, LastName: last,
			CreatedAt: t0.Add(-time.Hour), UpdatedAt: updated, LastLoginAt: lastLogin}
		must(t, "CreateUser", s.CreateUser(ctx(t), u))
	}
	mk("00u1", store.UserActive, "Ada@Example.com", "Ada", "Lovelace", t0, t0)
	mk("00u2", store.UserActive, "grace@example.com", "Grace", "Hopper", t0.Add(time.Hour), time.Time{})
	mk("00u3", store.UserStaged, "alan@example.org", "Alan", "Turing", t0.Add(2*time.Hour), time.Time{})
	mk("00u4", store.UserSuspended, "edsger@example.org", "Edsger", "Dijkstra", t0.Add(-time.Hour), t0)
	mk("00u5", store.UserDeprovisioned, "a_b%c@example.net", "Percent", "Under_score", t0, time.Time{})
}

func searchIDs(t *testing.T, s store.Store, q store.UserQuery) []string {
	t.Helper()
	us, err := s.SearchUsers(ctx(t), q, store.Page{})
	must(t, "SearchUsers", err)
	out := []string{}
	for _, u := range us {
		out = append(out, u.ID)
	}
	return out
}

func cmp(field, op, value string) store.UserExpr {
	return store.UserExpr{Op: op, Field: field, Value: value}
}

func cmpTime(field, op string, at time.Time) store.UserExpr {
	return store.UserExpr{Op: op, Field: field, Time: at}
}

func testSearchExpressions(t *testing.T, s store.Store) {
	searchFixture(t, s)
	and := func(a ...store.UserExpr) store.UserExpr { return store.UserExpr{Op: store.OpAnd, Args: a} }
	or := func(a ...store.UserExpr) store.UserExpr { return store.UserExpr{Op: store.OpOr, Args: a} }
	cases := []struct {
		name string
		e    store.UserExpr
		want []string
	}{
		{"status eq", cmp(store.FieldStatus, store.OpEq, store.UserActive), []string{"00u1", "00u2"}},
		{"status is exact", cmp(store.FieldStatus, store.OpEq, "active"), []string{}},
		{"status ne", cmp(store.FieldStatus, store.OpNe, store.UserActive), []string{"00u3", "00u4", "00u5"}},
		{"login eq any case", cmp(store.FieldLogin, store.OpEq, "ADA@example.COM"), []string{"00u1"}},
		{"id eq", cmp(store.FieldID, store.OpEq, "00u3"), []string{"00u3"}},
		{"email eq ignores case", cmp(store.FieldEmail, store.OpEq, "GRACE@EXAMPLE.COM"), []string{"00u2"}},
		{"lastName sw", cmp(store.FieldLastName, store.OpSw, "tu"), []string{"00u3"}},
		{"firstName eq", cmp(store.FieldFirstName, store.OpEq, "edsger"), []string{"00u4"}},
		{"locale pr", cmp(store.FieldLocale, store.OpPr, ""), []string{}},
		{"lastUpdated gt", cmpTime(store.FieldLastUpdated, store.OpGt, t0), []string{"00u2", "00u3"}},
		{"lastUpdated ge", cmpTime(store.FieldLastUpdated, store.OpGe, t0), []string{"00u1", "00u2", "00u3", "00u5"}},
		{"lastUpdated lt", cmpTime(store.FieldLastUpdated, store.OpLt, t0), []string{"00u4"}},
		{"lastUpdated eq to the millisecond", cmpTime(store.FieldLastUpdated, store.OpEq, t0), []string{"00u1", "00u5"}},
		{"lastUpdated ne", cmpTime(store.FieldLastUpdated, store.OpNe, t0), []string{"00u2", "00u3", "00u4"}},
		// A bound half a millisecond after t0 (stored times are whole
		// milliseconds) compares exactly: t0 is before it.
		{"lastUpdated lt t0+0.5ms", cmpTime(store.FieldLastUpdated, store.OpLt, t0.Add(500*time.Microsecond)), []string{"00u1", "00u4", "00u5"}},
		{"lastUpdated le t0+0.5ms", cmpTime(store.FieldLastUpdated, store.OpLe, t0.Add(500*time.Microsecond)), []string{"00u1", "00u4", "00u5"}},
		{"lastUpdated gt t0+0.5ms", cmpTime(store.FieldLastUpdated, store.OpGt, t0.Add(500*time.Microsecond)), []string{"00u2", "00u3"}},
		{"lastUpdated ge t0+0.5ms", cmpTime(store.FieldLastUpdated, store.OpGe, t0.Add(500*time.Microsecond)), []string{"00u2", "00u3"}},
		{"lastUpdated eq t0+0.5ms", cmpTime(store.FieldLastUpdated, store.OpEq, t0.Add(500*time.Microsecond)), []string{}},
		{"lastUpdated ne t0+0.5ms", cmpTime(store.FieldLastUpdated, store.OpNe, t0.Add(500*time.Microsecond)), []string{"00u1", "00u2", "00u3", "00u4", "00u5"}},
		{"lastLogin pr", cmpTime(store.FieldLastLogin, store.OpPr, time.Time{}), []string{"00u1", "00u4"}},
		{"never is not before", cmpTime(store.FieldLastLogin, store.OpLt, t0.Add(time.Hour)), []string{"00u1", "00u4"}},
		{"and", and(cmp(store.FieldStatus, store.OpEq, store.UserActive), cmpTime(store.FieldLastUpdated, store.OpGt, t0)), []string{"00u2"}},
		{"or", or(cmp(store.FieldStatus, store.OpEq, store.UserStaged), cmp(store.FieldStatus, store.OpEq, store.UserSuspended)), []string{"00u3", "00u4"}},
		{"nested", and(or(cmp(store.FieldStatus, store.OpEq, store.UserStaged), cmp(store.FieldStatus, store.OpEq, store.UserActive)),
			cmp(store.FieldEmail, store.OpSw, "a")), []string{"00u1", "00u3"}},
	}
	for _, c := range cases {
		got := searchIDs(t, s, store.UserQuery{Where: &c.e})
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
}

func testSearchPrefix(t *testing.T, s store.Store) {
	searchFixture(t, s)
	for prefix, want := range map[string][]string{
		"a":       {"00u1", "00u3", "00u5"}, // logins and first names
		"ADA":     {"00u1"},
		"hop":     {"00u2"}, // last name
		"edsger@": {"00u4"},
		"a_":      {"00u5"}, // _ is no wildcard
		"%":       {},       // nor is %
		"zzz":     {},
	} {
		if got := searchIDs(t, s, store.UserQuery{Prefix: prefix}); !slices.Equal(got, want) {
			t.Errorf("prefix %q: got %v, want %v", prefix, got, want)
		}
	}
	e := cmp(store.FieldStatus, store.OpEq, store.UserActive)
	if got := searchIDs(t, s, store.UserQuery{Prefix: "a", Where: &e}); !slices.Equal(got, []string{"00u1"}) {
		t.Errorf("prefix and expression: got %v", got)
	}
}

func testSearchPaging(t *testing.T, s store.Store) {
	searchFixture(t, s)
	e := cmp(store.FieldEmail, store.OpPr, "")
	var got []string
	after := ""
	for range 10 {
		us, err := s.SearchUsers(ctx(t), store.UserQuery{Where: &e}, store.Page{After: after, Limit: 2})
		must(t, "SearchUsers", err)
		if len(us) > 2 {
			t.Fatalf("page of %d, limit 2", len(us))
		}
		for _, u := range us {
			got = append(got, u.ID)
		}
		if len(us) < 2 {
			break
		}
		after = us[len(us)-1].ID
	}
	if !slices.Equal(got, []string{"00u1", "00u2", "00u3", "00u4", "00u5"}) {
		t.Errorf("pages: %v", got)
	}
}

// testSearchValuesNotSQL: values that would break a concatenated query
// are compared as the text they are.
func testSearchValuesNotSQL(t *testing.T, s store.Store) {
	searchFixture(t, s)
	for _, v := range []string{`' OR 1=1 --`, `"; DROP TABLE users; --`, `\`, `%' OR '%'='`} {
		for _, op := range []string{store.OpEq, store.OpSw, store.OpNe} {
			e := cmp(store.FieldFirstName, op, v)
			got := searchIDs(t, s, store.UserQuery{Where: &e, Prefix: v})
			if len(got) != 0 {
				t.Errorf("%s %q matched %v", op, v, got)
			}
		}
	}
	if got := searchIDs(t, s, store.UserQuery{}); len(got) != 5 {
		t.Fatalf("users after the attempts: %v", got)
	}
}

func testSearchInvalid(t *testing.T, s store.Store) {
	deep := cmp(store.FieldID, store.OpEq, "x")
	for range store.MaxQueryDepth + 1 {
		deep = store.UserExpr{Op: store.OpAnd, Args: []store.UserExpr{deep, deep}}
	}
	for name, e := range map[string]store.UserExpr{
		"unknown field":       cmp("password_hash", store.OpEq, "x"),
		"time op on a string": cmp(store.FieldLogin, store.OpGt, "x"),
		"sw on a time":        cmpTime(store.FieldCreated, store.OpSw, t0),
		"and of one":          {Op: store.OpAnd, Args: []store.UserExpr{cmp(store.FieldID, store.OpEq, "x")}},
		"too deep":            deep,
		"unknown op":          cmp(store.FieldID, "co", "x"),
	} {
		_, err := s.SearchUsers(ctx(t), store.UserQuery{Where: &e}, store.Page{})
		if !errors.Is(err, store.ErrInvalidQuery) {
			t.Errorf("%s: err %v, want ErrInvalidQuery", name, err)
		}
	}
}
