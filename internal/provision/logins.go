package provision

import (
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/latchkey/latchkey/internal/store"
)

// CheckLogin refuses a login that could pass for another: every login a
// user gets (at creation, and by any future rename) goes through it.
//
// The login must be a valid username under the PRECIS UsernameCaseMapped
// profile of RFC 8265, the form store.NormalizeLogin compares: no control
// characters, bidirectional controls, zero-width or other invisible
// characters, spaces or unassigned code points. Width, case and
// composition variants are allowed and are the same login as their
// canonical form (so "ａdmin" is "admin", and taken when "admin" is).
//
// PRECIS allows mixing scripts; Latchkey does not within one part of a
// login: each part between the separators @ . + - _ must be written in a
// single script (Latin, Cyrillic, Greek, …), Japanese, Chinese and Korean
// mixes of Han with kana, bopomofo or hangul excepted. So "аdmin" with a
// Cyrillic "а" is refused while "иван@example.com" is allowed. A login
// written wholly in another script that looks like a Latin one (all
// Cyrillic "раураl") is not caught: that needs Unicode's confusables data.
func CheckLogin(login string) error {
	if _, err := store.LoginKey(login); err != nil {
		return invalid("login %q is not a valid username (RFC 8265): %s", login, whyRefused(login))
	}
	for _, part := range strings.FieldsFunc(login, isLoginSeparator) {
		if scripts := scriptsOf(part); !singleScript(scripts) {
			return invalid("login %q mixes the scripts %s in %q: write each part of a login in one script", login, strings.Join(scripts, " and "), part)
		}
	}
	return nil
}

func isLoginSeparator(r rune) bool { return strings.ContainsRune("@.+-_", r) }

// whyRefused names the first character of login that PRECIS refuses.
func whyRefused(login string) string {
	if login == "" {
		return "it is empty"
	}
	for _, r := range login {
		switch {
		case r == unicode.ReplacementChar:
			return "it is not valid UTF-8 or holds U+FFFD"
		case unicode.IsControl(r):
			return fmt.Sprintf("it holds the control character U+%04X", r)
		case unicode.Is(unicode.Bidi_Control, r):
			return fmt.Sprintf("it holds the bidirectional control U+%04X", r)
		case unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r):
			return fmt.Sprintf("it holds the invisible character U+%04X", r)
		case unicode.IsSpace(r):
			return fmt.Sprintf("it holds a space (U+%04X)", r)
		}
	}
	return "it holds a character a username may not hold, or mixes right-to-left and left-to-right text"
}

// scriptsOf returns the scripts of the letters of s, Common and Inherited
// (digits, punctuation, combining marks) left out, in order of appearance.
func scriptsOf(s string) []string {
	var out []string
	for _, r := range s {
		if !unicode.IsLetter(r) {
			continue
		}
		name := scriptOf(r)
		if name == "" || name == "Common" || name == "Inherited" {
			continue
		}
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}

func scriptOf(r rune) string {
	for name, table := range unicode.Scripts {
		if unicode.Is(table, r) {
			return name
		}
	}
	return ""
}

// cjkMixes are the script mixes Unicode's "highly restrictive" level
// (UTS 39 section 5.2) allows, Latin left out: a Latin letter beside CJK
// in one part of a login is rare and unneeded.
var cjkMixes = [][]string{
	{"Han", "Hiragana", "Katakana"},
	{"Han", "Bopomofo"},
	{"Han", "Hangul"},
}

// singleScript reports whether scripts are one script or one of cjkMixes.
func singleScript(scripts []string) bool {
	if len(scripts) <= 1 {
		return true
	}
	for _, mix := range cjkMixes {
		all := true
		for _, s := range scripts {
			if !slices.Contains(mix, s) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}
