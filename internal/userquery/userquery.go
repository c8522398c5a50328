// Package userquery parses the expressions of Okta's user lists — the
// filter and search parameters of GET /api/v1/users — into a
// store.UserExpr that the store runs as SQL with bound parameters. The
// input comes from outside: every failure is a *SyntaxError, every result
// passes store.UserExpr.Validate, and nothing in the input can make the
// parser loop, recurse without bound or panic.
package userquery

import (
	"fmt"
	"strings"
	"time"

	"github.com/latchkey/latchkey/internal/store"
)

// Mode is the parameter an expression came in, which decides the fields
// and operators it may use.
type Mode int

const (
	// Filter is Okta's filter: status, id, lastUpdated and the profile's
	// login, email, firstName and lastName, compared with eq (and
	// lastUpdated with gt, ge, lt, le too).
	Filter Mode = iota
	// Search is Okta's search: every field of store.UserExpr, with eq,
	// ne, sw and pr on text and eq, ne, gt, ge, lt, le and pr on times.
	Search
)

// MaxLength bounds an expression, in bytes.
const MaxLength = 4096

// SyntaxError is an expression that cannot be parsed or uses what its
// mode does not allow; its message is safe to show to the caller.
type SyntaxError struct {
	Msg string
}

func (e *SyntaxError) Error() string { return e.Msg }

func fail(format string, args ...any) error {
	return &SyntaxError{Msg: fmt.Sprintf(format, args...)}
}

// Parse parses an expression of mode.
func Parse(expr string, mode Mode) (store.UserExpr, error) {
	if len(expr) > MaxLength {
		return store.UserExpr{}, fail("the expression is longer than %d bytes", MaxLength)
	}
	toks, err := lex(expr)
	if err != nil {
		return store.UserExpr{}, err
	}
	p := &parser{toks: toks, mode: mode}
	e, err := p.or(0)
	if err != nil {
		return store.UserExpr{}, err
	}
	if p.pos < len(p.toks) {
		return store.UserExpr{}, fail("unexpected %s at offset %d", p.toks[p.pos].describe(), p.toks[p.pos].off)
	}
	if err := e.Validate(); err != nil {
		return store.UserExpr{}, fail("%s", strings.TrimPrefix(err.Error(), store.ErrInvalidQuery.Error()+": "))
	}
	return e, nil
}

type tokKind int

const (
	tokWord tokKind = iota // an attribute, operator or keyword
	tokString
	tokOpen
	tokClose
)

type token struct {
	kind tokKind
	text string
	off  int
}

func (t token) describe() string {
	switch t.kind {
	case tokString:
		return "a string"
	case tokOpen:
		return `"("`
	case tokClose:
		return `")"`
	}
	return fmt.Sprintf("%q", clip(t.text))
}

func clip(s string) string {
	if len(s) > 32 {
		return s[:32] + "…"
	}
	return s
}

// lex splits an expression into words, quoted strings and parentheses.
func lex(s string) ([]token, error) {
	var out []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(':
			out = append(out, token{kind: tokOpen, off: i})
			i++
		case c == ')':
			out = append(out, token{kind: tokClose, off: i})
			i++
		case c == '"':
			var b strings.Builder
			start := i
			i++
			for {
				if i >= len(s) {
					return nil, fail("the string at offset %d is not closed", start)
				}
				if s[i] == '\\' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\') {
					b.WriteByte(s[i+1])
					i += 2
					continue
				}
				if s[i] == '"' {
					i++
					break
				}
				b.WriteByte(s[i])
				i++
			}
			out = append(out, token{kind: tokString, text: b.String(), off: start})
		default:
			start := i
			for i < len(s) && isWordByte(s[i]) {
				i++
			}
			if i == start {
				return nil, fail("unexpected character %q at offset %d", rune(s[i]), i)
			}
			out = append(out, token{kind: tokWord, text: s[start:i], off: start})
		}
	}
	return out, nil
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-' || c == ':'
}

type parser struct {
	toks []token
	pos  int
	mode Mode
}

func (p *parser) peekWord(w string) bool {
	return p.pos < len(p.toks) && p.toks[p.pos].kind == tokWord && strings.EqualFold(p.toks[p.pos].text, w)
}

// or := and ("or" and)*
func (p *parser) or(depth int) (store.UserExpr, error) {
	return p.binary(depth, store.OpOr, p.and)
}

// and := primary ("and" primary)*
func (p *parser) and(depth int) (store.UserExpr, error) {
	return p.binary(depth, store.OpAnd, p.primary)
}

func (p *parser) binary(depth int, op string, next func(int) (store.UserExpr, error)) (store.UserExpr, error) {
	first, err := next(depth)
	if err != nil {
		return store.UserExpr{}, err
	}
	var args []store.UserExpr
	add := func(e store.UserExpr) {
		// (a and b) and c is one and of three.
		if e.Op == op {
			args = append(args, e.Args...)
		} else {
			args = append(args, e)
		}
	}
	add(first)
	for p.peekWord(op) {
		p.pos++
		e, err := next(depth)
		if err != nil {
			return store.UserExpr{}, err
		}
		add(e)
		if len(args) > store.MaxQueryTerms {
			return store.UserExpr{}, fail("more than %d comparisons", store.MaxQueryTerms)
		}
	}
	if len(args) == 1 || first.Op == op && len(args) == len(first.Args) {
		return first, nil
	}
	return store.UserExpr{Op: op, Args: args}, nil
}

// primary := "(" or ")" | attribute operator [value]
func (p *parser) primary(depth int) (store.UserExpr, error) {
	if p.pos >= len(p.toks) {
		return store.UserExpr{}, fail("the expression ends where a comparison was expected")
	}
	t := p.toks[p.pos]
	if t.kind == tokOpen {
		if depth >= store.MaxQueryDepth {
			return store.UserExpr{}, fail("parentheses nested deeper than %d", store.MaxQueryDepth)
		}
		p.pos++
		e, err := p.or(depth + 1)
		if err != nil {
			return store.UserExpr{}, err
		}
		if p.pos >= len(p.toks) || p.toks[p.pos].kind != tokClose {
			return store.UserExpr{}, fail(`a "(" at offset %d is not closed`, t.off)
		}
		p.pos++
		return e, nil
	}
	if t.kind != tokWord {
		return store.UserExpr{}, fail("unexpected %s at offset %d where an attribute was expected", t.describe(), t.off)
	}
	field := t.text
	if !store.IsStringField(field) && !store.IsTimeField(field) {
		return store.UserExpr{}, fail("unknown attribute %q", clip(field))
	}
	p.pos++
	if p.pos >= len(p.toks) || p.toks[p.pos].kind != tokWord {
		return store.UserExpr{}, fail("an operator is missing after %q", field)
	}
	op := strings.ToLower(p.toks[p.pos].text)
	p.pos++
	if err := p.allowed(field, op); err != nil {
		return store.UserExpr{}, err
	}
	e := store.UserExpr{Op: op, Field: field}
	if op == store.OpPr {
		return e, nil
	}
	if p.pos >= len(p.toks) || p.toks[p.pos].kind != tokString {
		return store.UserExpr{}, fail(`a quoted value is missing after %q %s`, field, op)
	}
	v := p.toks[p.pos].text
	p.pos++
	if store.IsTimeField(field) {
		at, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return store.UserExpr{}, fail(`%s takes a time such as "2024-01-01T00:00:00.000Z", not %q`, field, clip(v))
		}
		e.Time = at.UTC()
		return e, nil
	}
	if len(v) > store.MaxQueryValue {
		return store.UserExpr{}, fail("a value is longer than %d bytes", store.MaxQueryValue)
	}
	e.Value = v
	return e, nil
}

// filterFields are the attributes Okta's filter takes (eq only, and the
// time comparisons on lastUpdated).
var filterFields = map[string]bool{store.FieldStatus: true, store.FieldID: true, store.FieldLastUpdated: true,
	store.FieldLogin: true, store.FieldEmail: true, store.FieldFirstName: true, store.FieldLastName: true}

func (p *parser) allowed(field, op string) error {
	var ok bool
	switch {
	case p.mode == Filter && !filterFields[field]:
		return fail("filter does not support the attribute %q; use search", field)
	case p.mode == Filter && field == store.FieldLastUpdated:
		ok = op == store.OpEq || op == store.OpGt || op == store.OpGe || op == store.OpLt || op == store.OpLe
	case p.mode == Filter:
		ok = op == store.OpEq
	case store.IsTimeField(field):
		ok = op == store.OpEq || op == store.OpNe || op == store.OpGt || op == store.OpGe || op == store.OpLt || op == store.OpLe || op == store.OpPr
	default:
		ok = op == store.OpEq || op == store.OpNe || op == store.OpSw || op == store.OpPr
	}
	if !ok {
		return fail("the operator %q does not apply to %s", clip(op), field)
	}
	return nil
}

// Format writes e back as an expression Parse reads (in Search mode, and
// in Filter mode when e uses only what filters allow).
func Format(e store.UserExpr) string {
	switch e.Op {
	case store.OpAnd, store.OpOr:
		parts := make([]string, len(e.Args))
		for i, a := range e.Args {
			parts[i] = "(" + Format(a) + ")"
		}
		return strings.Join(parts, " "+e.Op+" ")
	case store.OpPr:
		return e.Field + " pr"
	}
	v := e.Value
	if store.IsTimeField(e.Field) {
		v = e.Time.UTC().Format(time.RFC3339Nano)
	}
	return e.Field + " " + e.Op + ` "` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(v) + `"`
}
