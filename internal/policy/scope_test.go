package policy

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/oautherr"
)

func TestParseScope(t *testing.T) {
	t.Parallel()
	many := func(n int) string {
		names := make([]string, n)
		for i := range names {
			names[i] = "s" + strconv.Itoa(i)
		}
		return strings.Join(names, " ")
	}
	for _, tc := range []struct {
		name, raw string
		want      []string
		err       string // the error_description, when refused
	}{
		{name: "empty", raw: ""},
		{name: "spaces only", raw: "   "},
		{name: "order kept, duplicates once", raw: "openid  email openid profile email", want: []string{"openid", "email", "profile"}},
		{name: "longest scope", raw: "openid " + strings.Repeat("a", MaxScopeLength), want: []string{"openid", strings.Repeat("a", MaxScopeLength)}},
		{name: "scope too long", raw: "openid " + strings.Repeat("a", MaxScopeLength+1), err: "A scope may be at most 256 characters long."},
		{name: "most scopes", raw: many(MaxScopes), want: strings.Fields(many(MaxScopes))},
		{name: "most scopes, repeated", raw: many(MaxScopes) + " " + many(MaxScopes), want: strings.Fields(many(MaxScopes))},
		{name: "too many scopes", raw: many(MaxScopes + 1), err: "The request may name at most 100 scopes."},
		{name: "17,000 scopes", raw: strings.Join(manyShortScopes(17000), " "), err: "The request may name at most 100 scopes."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseScope(tc.raw)
			if tc.err != "" {
				var oe *oautherr.Error
				if !errors.As(err, &oe) || !errors.Is(err, oautherr.ErrInvalidScope) || oe.Status != 400 || oe.Description != tc.err {
					t.Fatalf("ParseScope: %v, want invalid_scope %q", err, tc.err)
				}
				return
			}
			if err != nil || !slices.Equal(got, tc.want) {
				t.Fatalf("ParseScope = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

// manyShortScopes returns the n shortest distinct alphanumeric names: 17,000
// of them, space-separated, fill just under 64 KiB, the form's cap.
func manyShortScopes(n int) []string {
	const alnum = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	out := make([]string, n)
	for i := range out {
		var b []byte
		for j := i; ; j-- {
			b = append(b, alnum[j%len(alnum)])
			j /= len(alnum)
			if j == 0 {
				break
			}
		}
		out[i] = string(b)
	}
	return out
}

// BenchmarkParseScope parses the worst a 64 KiB form can carry: 17,000
// distinct scopes (the refusal comes after 100), and a body of one scope
// repeated (every token is parsed: duplicates count once).
func BenchmarkParseScope(b *testing.B) {
	for _, bc := range []struct{ name, raw string }{
		{"distinct17000", strings.Join(manyShortScopes(17000), " ")},
		{"repeated32000", strings.Repeat("a ", 32000)},
		{"typical", "openid profile email offline_access"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = ParseScope(bc.raw)
			}
		})
	}
}
