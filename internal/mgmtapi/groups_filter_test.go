package mgmtapi

import (
	"net/url"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/store"
)

// show prints a parsed expression fully parenthesised.
func show(n *filterNode) string {
	if n.op == "and" || n.op == "or" {
		parts := make([]string, len(n.args))
		for i, a := range n.args {
			parts[i] = show(a)
		}
		return "(" + strings.Join(parts, " "+n.op+" ") + ")"
	}
	if n.op == "pr" {
		return n.attr + " pr"
	}
	if n.quoted {
		return n.attr + " " + n.op + " \"" + n.value + "\""
	}
	return n.attr + " " + n.op + " " + n.value
}

func TestParseFilter(t *testing.T) {
	for in, want := range map[string]string{
		`type eq "OKTA_GROUP"`:                                       `type eq "OKTA_GROUP"`,
		`type EQ "A" AND id eq "B"`:                                  `(type eq "A" and id eq "B")`,
		`a eq "1" or b eq "2" and c eq "3"`:                          `(a eq "1" or (b eq "2" and c eq "3"))`,
		`(a eq "1" or b eq "2") and c eq "3"`:                        `((a eq "1" or b eq "2") and c eq "3")`,
		`a eq "say \"hi\" \\ there"`:                                 `a eq "say "hi" \ there"`,
		`outcome.reason pr`:                                          `outcome.reason pr`,
		`type+eq+"OKTA_GROUP"`:                                       `type eq "OKTA_GROUP"`,
		`n gt 5 and b eq true`:                                       `(n gt 5 and b eq true)`,
		`a eq "(not) a paren" or b eq "and"`:                         `(a eq "(not) a paren" or b eq "and")`,
		`  lastUpdated gt "2024-01-01T00:00:00.000Z"  `:              `lastUpdated gt "2024-01-01T00:00:00.000Z"`,
		`eventType eq "x" and (actor.id eq "y" or target.id eq "z")`: `(eventType eq "x" and (actor.id eq "y" or target.id eq "z"))`,
	} {
		n, err := parseFilter(in)
		if err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		if got := show(n); got != want {
			t.Errorf("%s: got %s, want %s", in, got, want)
		}
	}
	for _, in := range []string{"", `type`, `type eq`, `eq "x"`, `type eq "x`, `type eq x`, `type eq "x" and`, `and type eq "x"`,
		`(type eq "x"`, `type eq "x")`, `type eq "x" type eq "y"`, `type is "x"`, `()`, `type eq "x" or or b eq "y"`,
		strings.Repeat("(", maxFilterDepth+1) + `a eq "x"` + strings.Repeat(")", maxFilterDepth+1),
		strings.Repeat(`a eq "x" or `, maxFilterTerms) + `a eq "x"`, strings.Repeat("a", maxFilterLength+1)} {
		if n, err := parseFilter(in); err == nil {
			t.Errorf("%q parsed as %s", in, show(n))
		}
	}
}

// FuzzParseFilter: no input makes the parser, the group translation or
// the log matcher panic; what parses stays within the bounds and prints
// back to an expression that parses to the same tree.
func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{`type eq "OKTA_GROUP"`, `(a eq "1" or b eq "2") and c eq "3"`, `lastUpdated gt "2024-01-01T00:00:00.000Z"`,
		`outcome.result eq "FAILURE" and actor.id eq "00u1"`, `a pr`, `x eq "\"\\"`, `((((a eq 1))))`, `a eq "1" and (b eq "2" or (c sw "3"))`,
		`profile.name sw "Eng" or type eq "BUILT_IN"`, `target.id co "AT." and debugContext.debugData.x ne "y"`} {
		f.Add(s)
	}
	ev, err := decodeLog([]byte(`{"uuid":"u","eventType":"user.session.start","actor":{"id":"00u1","alternateId":"a@example.com"},
		"outcome":{"result":"FAILURE","reason":"INVALID_CREDENTIALS"},"target":[{"id":"0oa1"},{"id":"AT.1"}],"debugContext":{"debugData":{"x":"1"}}}`))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := parseFilter(s)
		if err != nil {
			return
		}
		if d := depth(n); d > 2*(maxFilterDepth+1) || d > store.MaxCondDepth {
			t.Fatalf("%q: depth %d", s, d)
		}
		again, err := parseFilter(show(n))
		if err == nil && show(again) != show(n) && !strings.ContainsAny(s, `"\`) {
			t.Fatalf("%q: %s reparses as %s", s, show(n), show(again))
		}
		if c, err := groupCond(n, groupSearchAttrs); err == nil && c.Op == "" {
			t.Fatalf("%q: an empty condition", s)
		}
		_, _ = groupQuery(url.Values{"filter": {s}, "search": {s}, "q": {s}})
		if checkLogFilter(n) == nil {
			matchLog(n, ev)
		}
	})
}

func depth(n *filterNode) int {
	d := 0
	for _, a := range n.args {
		d = max(d, depth(a))
	}
	return d + 1
}
