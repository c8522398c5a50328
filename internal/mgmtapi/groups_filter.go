package mgmtapi

import (
	"errors"
	"strings"
)

// Okta's filter and search expressions (SCIM 2.0 filtering, RFC 7644
// section 3.4.2.2, as Okta takes it): comparisons joined by and, or and
// parentheses, with string values in double quotes:
//
//	type eq "OKTA_GROUP" and (lastUpdated gt "2024-01-01T00:00:00.000Z" or id eq "00g1")
//	eventType eq "user.session.start" and outcome.result eq "FAILURE"
//
// parseFilter reads one into a tree; each resource decides which
// attributes and operators it accepts and what they mean. The parser
// bounds what it reads (length, terms, nesting), so that no input makes it
// work hard.

// Bounds of a filter expression.
const (
	maxFilterLength = 2048
	maxFilterTerms  = 32
	maxFilterDepth  = 6
)

// filterNode is a parsed expression: a connective (op "and" or "or" over
// args) or a comparison (attr op value; op "pr" has no value).
type filterNode struct {
	op    string
	attr  string
	value string
	// quoted says the value was a string in quotes (else a bare true,
	// false, null or number).
	quoted bool
	args   []*filterNode
}

// comparisonOps are SCIM's comparison operators.
var comparisonOps = map[string]bool{"eq": true, "ne": true, "co": true, "sw": true, "ew": true,
	"gt": true, "ge": true, "lt": true, "le": true, "pr": true}

// errFilter is a filter that cannot be parsed; its text is the cause shown.
type errFilter string

func (e errFilter) Error() string { return string(e) }

// parseFilter parses s. Operators and the connectives are
// case-insensitive; attribute names are not.
func parseFilter(s string) (*filterNode, error) {
	if len(s) > maxFilterLength {
		return nil, errFilter("The expression is longer than 2048 characters.")
	}
	toks, err := lexFilter(s)
	if err != nil {
		return nil, err
	}
	p := &filterParser{toks: toks}
	n, err := p.or(0)
	if err != nil {
		return nil, err
	}
	if p.pos != len(p.toks) {
		return nil, errFilter("Invalid search syntax: unexpected " + clip(p.toks[p.pos].text, 64) + ".")
	}
	return n, nil
}

type tokKind int

const (
	tokWord tokKind = iota
	tokString
	tokOpen
	tokClose
)

type filterTok struct {
	kind tokKind
	text string
}

func lexFilter(s string) ([]filterTok, error) {
	var toks []filterTok
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '+':
			// Okta's examples write "+" for a space; a client that does not
			// encode it sends it as is.
			i++
		case c == '(':
			toks = append(toks, filterTok{kind: tokOpen, text: "("})
			i++
		case c == ')':
			toks = append(toks, filterTok{kind: tokClose, text: ")"})
			i++
		case c == '"':
			var b strings.Builder
			i++
			closed := false
			for i < len(s) {
				if s[i] == '\\' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\') {
					b.WriteByte(s[i+1])
					i += 2
					continue
				}
				if s[i] == '"' {
					closed = true
					i++
					break
				}
				b.WriteByte(s[i])
				i++
			}
			if !closed {
				return nil, errFilter("Invalid search syntax: a string is not closed.")
			}
			toks = append(toks, filterTok{kind: tokString, text: b.String()})
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\n\r+()\"", rune(s[j])) {
				j++
			}
			toks = append(toks, filterTok{kind: tokWord, text: s[i:j]})
			i = j
		}
		if len(toks) > 4*maxFilterTerms {
			return nil, errFilter("The expression has too many terms.")
		}
	}
	return toks, nil
}

type filterParser struct {
	toks  []filterTok
	pos   int
	terms int
}

func (p *filterParser) peekWord(w string) bool {
	return p.pos < len(p.toks) && p.toks[p.pos].kind == tokWord && strings.EqualFold(p.toks[p.pos].text, w)
}

// or := and ("or" and)*
func (p *filterParser) or(depth int) (*filterNode, error) {
	return p.connective(depth, "or", p.and)
}

// and := factor ("and" factor)*
func (p *filterParser) and(depth int) (*filterNode, error) {
	return p.connective(depth, "and", p.factor)
}

func (p *filterParser) connective(depth int, op string, next func(int) (*filterNode, error)) (*filterNode, error) {
	n, err := next(depth)
	if err != nil {
		return nil, err
	}
	if !p.peekWord(op) {
		return n, nil
	}
	out := &filterNode{op: op, args: []*filterNode{n}}
	for p.peekWord(op) {
		p.pos++
		n, err := next(depth)
		if err != nil {
			return nil, err
		}
		out.args = append(out.args, n)
	}
	return out, nil
}

// factor := "(" or ")" | attr op value | attr "pr"
func (p *filterParser) factor(depth int) (*filterNode, error) {
	if p.pos >= len(p.toks) {
		return nil, errFilter("Invalid search syntax: the expression ends early.")
	}
	t := p.toks[p.pos]
	if t.kind == tokOpen {
		if depth >= maxFilterDepth {
			return nil, errFilter("Invalid search syntax: parentheses nested too deep.")
		}
		p.pos++
		n, err := p.or(depth + 1)
		if err != nil {
			return nil, err
		}
		if p.pos >= len(p.toks) || p.toks[p.pos].kind != tokClose {
			return nil, errFilter("Invalid search syntax: a parenthesis is not closed.")
		}
		p.pos++
		return n, nil
	}
	if t.kind != tokWord || comparisonOps[strings.ToLower(t.text)] || strings.EqualFold(t.text, "and") || strings.EqualFold(t.text, "or") {
		return nil, errFilter("Invalid search syntax: expected an attribute, found " + clip(t.text, 64) + ".")
	}
	if p.terms++; p.terms > maxFilterTerms {
		return nil, errFilter("The expression has too many terms.")
	}
	p.pos++
	if p.pos >= len(p.toks) || p.toks[p.pos].kind != tokWord || !comparisonOps[strings.ToLower(p.toks[p.pos].text)] {
		return nil, errFilter("Invalid search syntax: expected an operator after " + clip(t.text, 64) + ".")
	}
	n := &filterNode{attr: t.text, op: strings.ToLower(p.toks[p.pos].text)}
	p.pos++
	if n.op == "pr" {
		return n, nil
	}
	if p.pos >= len(p.toks) {
		return nil, errFilter("Invalid search syntax: expected a value after " + n.op + ".")
	}
	v := p.toks[p.pos]
	switch {
	case v.kind == tokString:
		n.value, n.quoted = v.text, true
	case v.kind == tokWord && isBareValue(v.text):
		n.value = v.text
	default:
		return nil, errFilter("Invalid search syntax: a value must be a string in double quotes.")
	}
	p.pos++
	return n, nil
}

// isBareValue reports whether w is a SCIM value written without quotes.
func isBareValue(w string) bool {
	switch strings.ToLower(w) {
	case "true", "false", "null":
		return true
	}
	if w == "" {
		return false
	}
	for i, c := range w {
		if !(c >= '0' && c <= '9' || c == '.' || (i == 0 && c == '-')) {
			return false
		}
	}
	return true
}

// asFilterError maps a parse error to Okta's answer, 400 E0000031
// (invalidSearch, users.go).
func asFilterError(err error) error {
	var fe errFilter
	if errors.As(err, &fe) {
		return invalidSearch(string(fe))
	}
	return err
}
