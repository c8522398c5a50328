package provision_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/provision"
	"github.com/latchkey/latchkey/internal/store"
)

// TestLookAlikeLogins: beside the real "admin" and "josé", each look-alike
// is refused at creation or is the same login as its canonical form (and
// so taken), and a lookup of it finds the real user or no one.
func TestLookAlikeLogins(t *testing.T) {
	t.Parallel()
	s := newPasswordService(t, nil)
	ctx := t.Context()
	admin, err := s.CreateUser(ctx, provision.UserInput{Login: "admin", Password: "a fine passphrase"})
	if err != nil {
		t.Fatal(err)
	}
	jose, err := s.CreateUser(ctx, provision.UserInput{Login: "jos\u00e9@example.com", Password: "a fine passphrase"})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, login string
		same        *store.User // the user it is; nil: refused as invalid and finds no one
		why         string      // part of the refusal
	}{
		{"upper case", "ADMIN", &admin, ""},
		{"full-width", "ａｄｍｉｎ", &admin, ""},
		{"full-width first letter", "ａdmin", &admin, ""},
		{"NFD", "jose\u0301@example.com", &jose, ""},
		{"NFD upper case", "JOSE\u0301@EXAMPLE.COM", &jose, ""},
		{"Cyrillic a", "\u0430dmin", nil, "mixes the scripts"},
		{"Greek omicron", "r\u03bfot@example.com", nil, "mixes the scripts"},
		{"zero-width space", "ad\u200bmin", nil, "invisible character U+200B"},
		{"zero-width joiner", "ad\u200dmin", nil, "U+200D"},
		{"right-to-left override", "\u202enimda", nil, "bidirectional control U+202E"},
		{"left-to-right mark", "admin\u200e", nil, "U+200E"},
		{"control character", "admin\x07", nil, "control character U+0007"},
		{"inner space", "ad min", nil, "space"},
		{"soft hyphen", "ad\u00admin", nil, "U+00AD"},
	}
	for _, c := range cases {
		_, err := s.CreateUser(ctx, provision.UserInput{Login: c.login, Password: "a fine passphrase"})
		found, ferr := s.FindUser(ctx, c.login)
		if c.same != nil {
			if !errors.Is(err, store.ErrConflict) {
				t.Errorf("%s %q: created beside %q: %v", c.name, c.login, c.same.Login, err)
			}
			if ferr != nil || found.ID != c.same.ID {
				t.Errorf("%s %q: finds %q %v, want %s", c.name, c.login, found.ID, ferr, c.same.ID)
			}
			continue
		}
		if !errors.Is(err, provision.ErrInvalid) || !strings.Contains(err.Error(), c.why) {
			t.Errorf("%s %q: %v, want refused saying %q", c.name, c.login, err, c.why)
		}
		if !errors.Is(ferr, store.ErrNotFound) {
			t.Errorf("%s %q: finds %s", c.name, c.login, found.ID)
		}
	}
	// Scripts of their own are welcome, one a part.
	for _, ok := range []string{"иван@example.com", "σοφια@example.gr", "山田たろう@example.jp", "user+tag_1@example.com"} {
		if _, err := s.CreateUser(ctx, provision.UserInput{Login: ok, Password: "a fine passphrase"}); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
}
