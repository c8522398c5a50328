package pwpolicy

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/latchkey/latchkey/internal/password"
)

// The profile attributes ExcludeAttributes may name (Okta supports only these).
const (
	AttrFirstName = "firstName"
	AttrLastName  = "lastName"
)

// Okta's messages (errorCauses[].errorSummary of E0000001 "Api validation
// failed: password"), as its management API and sign-in widget show them.
const (
	// CommonCause answers a password found in the common-password list.
	CommonCause = "password: This password was found in a list of commonly used passwords. Please try another password."
	// HistoryCause answers a password that is one of the user's last
	// HistoryCount passwords.
	HistoryCause = "password: Password has been used too recently"
	// notMet starts the answer to a password that fails a complexity rule;
	// the policy's requirements follow.
	notMet = "password: Password requirements were not met. "
)

// MinPartLength is the shortest part of a login or name that a password may
// not contain: shorter ones ("al", "Li") would refuse too much.
const MinPartLength = 3

// Policy is a password policy. The zero value has no rules; Default is
// Latchkey's default. Policies are values: copy and change them freely.
type Policy struct {
	// MinLength is the fewest characters (Unicode code points) a password has.
	MinLength int `yaml:"min_length"`
	// MinLowerCase, MinUpperCase, MinNumber and MinSymbol are the fewest
	// lower-case letters, upper-case letters, digits and symbols
	// (punctuation or symbol characters, such as !@#$%^&*) it has. Okta
	// allows 0 or 1; more is accepted here.
	MinLowerCase int `yaml:"min_lower_case"`
	MinUpperCase int `yaml:"min_upper_case"`
	MinNumber    int `yaml:"min_number"`
	MinSymbol    int `yaml:"min_symbol"`
	// ExcludeUsername refuses a password that contains the login or its
	// part before "@" (ignoring case; parts of MinPartLength or more).
	ExcludeUsername bool `yaml:"exclude_username"`
	// ExcludeAttributes names profile attributes (AttrFirstName,
	// AttrLastName) whose parts — words of MinPartLength characters or more
	// — a password may not contain, ignoring case.
	ExcludeAttributes []string `yaml:"exclude_attributes"`
	// CommonPasswordCheck refuses the 10,000 most common passwords, ignoring
	// case (Okta's dictionary.common.exclude).
	CommonPasswordCheck bool `yaml:"common_password_check"`
	// HistoryCount is how many of the user's last passwords, the current one
	// included, a new password must differ from (Okta's age.historyCount);
	// 0 checks none.
	HistoryCount int `yaml:"history_count"`
}

// Default is Latchkey's default policy: at least 8 characters, none of the
// login or the names, not a common password, none of the last 4 passwords.
// It sets no character-class minimums, following NIST SP 800-63B (length and
// a blocklist rather than composition rules); Okta's API defaults them to 1.
func Default() Policy {
	return Policy{
		MinLength:           8,
		ExcludeUsername:     true,
		ExcludeAttributes:   []string{AttrFirstName, AttrLastName},
		CommonPasswordCheck: true,
		HistoryCount:        4,
	}
}

// Limits of the policy's numbers.
const (
	MaxMinLength    = 256
	MaxClassMinimum = 64
	MaxHistoryCount = 30
)

// Validate reports what is wrong with the policy itself.
func (p Policy) Validate() error {
	var errs []error
	if p.MinLength < 1 || p.MinLength > MaxMinLength {
		errs = append(errs, fmt.Errorf("min_length %d: must be 1 to %d", p.MinLength, MaxMinLength))
	}
	for name, n := range map[string]int{"min_lower_case": p.MinLowerCase, "min_upper_case": p.MinUpperCase,
		"min_number": p.MinNumber, "min_symbol": p.MinSymbol} {
		if n < 0 || n > MaxClassMinimum {
			errs = append(errs, fmt.Errorf("%s %d: must be 0 to %d", name, n, MaxClassMinimum))
		}
	}
	for i, a := range p.ExcludeAttributes {
		if a != AttrFirstName && a != AttrLastName {
			errs = append(errs, fmt.Errorf("exclude_attributes: %q: want %s or %s", a, AttrFirstName, AttrLastName))
		} else if slices.Contains(p.ExcludeAttributes[:i], a) {
			errs = append(errs, fmt.Errorf("exclude_attributes: %q is listed twice", a))
		}
	}
	if p.HistoryCount < 0 || p.HistoryCount > MaxHistoryCount {
		errs = append(errs, fmt.Errorf("history_count %d: must be 0 to %d", p.HistoryCount, MaxHistoryCount))
	}
	if len(errs) > 0 {
		slices.SortFunc(errs, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
		return errors.Join(errs...)
	}
	return nil
}

// Subject is the profile a password is judged against.
type Subject struct {
	Login     string
	FirstName string
	LastName  string
}

// Check returns why pw fails the policy for the subject, as Okta's
// errorCauses summaries, or nothing when it passes. The history is not
// checked here (see HistoryCause).
func (p Policy) Check(pw string, sub Subject) []string {
	if len(pw) > password.MaxLength {
		return []string{fmt.Sprintf("password: Passwords must be at most %d bytes in length", password.MaxLength)}
	}
	var causes []string
	if !p.complexEnough(pw, sub) {
		causes = append(causes, notMet+p.Requirements())
	}
	if p.CommonPasswordCheck && IsCommon(pw) {
		causes = append(causes, CommonCause)
	}
	return causes
}

// complexEnough applies the complexity rules.
func (p Policy) complexEnough(pw string, sub Subject) bool {
	if !utf8.ValidString(pw) || utf8.RuneCountInString(pw) < p.MinLength {
		return false
	}
	var lower, upper, number, symbol int
	for _, r := range pw {
		switch {
		case unicode.IsLower(r):
			lower++
		case unicode.IsUpper(r):
			upper++
		case unicode.IsDigit(r):
			number++
		case unicode.IsPunct(r) || unicode.IsSymbol(r):
			symbol++
		}
	}
	if lower < p.MinLowerCase || upper < p.MinUpperCase || number < p.MinNumber || symbol < p.MinSymbol {
		return false
	}
	folded := strings.ToLower(pw)
	if p.ExcludeUsername {
		local, _, _ := strings.Cut(sub.Login, "@")
		if containsPart(folded, sub.Login) || containsPart(folded, local) {
			return false
		}
	}
	for _, a := range p.ExcludeAttributes {
		v := sub.FirstName
		if a == AttrLastName {
			v = sub.LastName
		}
		for _, part := range strings.FieldsFunc(v, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
			if containsPart(folded, part) {
				return false
			}
		}
	}
	return true
}

// containsPart reports whether the lower-cased password holds part, when
// part is long enough to count.
func containsPart(folded, part string) bool {
	return utf8.RuneCountInString(part) >= MinPartLength && strings.Contains(folded, strings.ToLower(part))
}

// Requirements describes the policy the way Okta does: "Password
// requirements: at least 8 characters, a lowercase letter, …, no parts of
// your username. Your password cannot be any of your last 4 passwords."
func (p Policy) Requirements() string {
	parts := []string{"at least " + strconv.Itoa(p.MinLength) + " characters"}
	for _, c := range []struct {
		n           int
		one, plural string
	}{
		{p.MinLowerCase, "a lowercase letter", "lowercase letters"},
		{p.MinUpperCase, "an uppercase letter", "uppercase letters"},
		{p.MinNumber, "a number", "numbers"},
		{p.MinSymbol, "a symbol", "symbols"},
	} {
		switch {
		case c.n == 1:
			parts = append(parts, c.one)
		case c.n > 1:
			parts = append(parts, "at least "+strconv.Itoa(c.n)+" "+c.plural)
		}
	}
	if p.ExcludeUsername {
		parts = append(parts, "no parts of your username")
	}
	for _, a := range p.ExcludeAttributes {
		if a == AttrFirstName {
			parts = append(parts, "does not include your first name")
		} else {
			parts = append(parts, "does not include your last name")
		}
	}
	s := "Password requirements: " + strings.Join(parts, ", ") + "."
	switch {
	case p.HistoryCount == 1:
		s += " Your password cannot be your current password."
	case p.HistoryCount > 1:
		s += " Your password cannot be any of your last " + strconv.Itoa(p.HistoryCount) + " passwords."
	}
	return s
}
