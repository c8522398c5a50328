package store

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// TestNormalizeLoginLookAlikes: variants of a login that RFC 8265 calls the
// same map to its key; other scripts and refused strings never do.
func TestNormalizeLoginLookAlikes(t *testing.T) {
	t.Parallel()
	same := []struct{ name, a, b string }{
		{"case", "ADMIN", "admin"},
		{"full-width", "ａｄｍｉｎ", "admin"},
		{"full-width mixed", "ａdmin@Example.COM", "admin@example.com"},
		{"NFD and NFC", "jose\u0301", "jos\u00e9"},
		{"NFD upper", "JOSE\u0301", "jos\u00e9"},
		{"Greek case", "ΣΟΦΙΑ", "σοφια"},
	}
	for _, c := range same {
		if NormalizeLogin(c.a) != NormalizeLogin(c.b) {
			t.Errorf("%s: %q → %q, %q → %q: want one key", c.name, c.a, NormalizeLogin(c.a), c.b, NormalizeLogin(c.b))
		}
	}
	different := []struct{ name, a, b string }{
		{"Cyrillic a", "\u0430dmin", "admin"},
		{"Greek omicron", "r\u03bfot", "root"},
		{"zero-width space", "ad\u200bmin", "admin"},
		{"zero-width joiner", "ad\u200dmin", "admin"},
		{"right-to-left override", "\u202eadmin", "admin"},
		{"left-to-right mark", "admin\u200e", "admin"},
		{"NUL", "admin\x00", "admin"},
		{"trailing space", "admin ", "admin"},
		{"soft hyphen", "ad\u00admin", "admin"},
		{"invalid UTF-8", "admin\xff", "admin"},
	}
	for _, c := range different {
		if NormalizeLogin(c.a) == NormalizeLogin(c.b) {
			t.Errorf("%s: %q and %q share the key %q", c.name, c.a, c.b, NormalizeLogin(c.a))
		}
	}
	refused := []string{"", "ad\u200bmin", "\u202eadmin", "admin\u202c", "a\tb", "a b", "admin\x00", "admin\xff", "\u2028"}
	for _, s := range refused {
		if k, err := LoginKey(s); err == nil {
			t.Errorf("LoginKey(%q) = %q, want it refused", s, k)
		}
		if k := NormalizeLogin(s); !strings.HasPrefix(k, " ") || NormalizeLogin(s) != k {
			t.Errorf("NormalizeLogin(%q) = %q, want a stable key that starts with a space", s, k)
		}
	}
}

// FuzzNormalizeLogin: the key of any string is stable, is its own key when
// the login is valid, never looks like a valid key when it is not, and
// never panics.
func FuzzNormalizeLogin(f *testing.F) {
	for _, s := range []string{"admin", "ＡＤＭＩＮ", "jose\u0301", "ad\u200bmin", "\u202eadmin", "", "\xff", "ß", "İ", "ﬀ", "\u0130\u0307"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k := NormalizeLogin(s)
		if k != NormalizeLogin(s) {
			t.Fatalf("NormalizeLogin(%q) is not stable", s)
		}
		if !utf8.ValidString(k) {
			t.Fatalf("NormalizeLogin(%q) = %q is not UTF-8", s, k)
		}
		valid, err := LoginKey(s)
		switch {
		case err != nil && !strings.HasPrefix(k, " "):
			t.Fatalf("refused %q got the key %q", s, k)
		case err == nil && k != valid:
			t.Fatalf("NormalizeLogin(%q) = %q, LoginKey %q", s, k, valid)
		case err == nil && strings.HasPrefix(k, " "):
			t.Fatalf("valid %q got a refused-looking key %q", s, k)
		case err == nil && NormalizeLogin(k) != k:
			t.Fatalf("the key %q of %q is not its own key (%q)", k, s, NormalizeLogin(k))
		}
	})
}
