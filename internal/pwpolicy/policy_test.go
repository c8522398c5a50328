package pwpolicy

import (
	"slices"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	t.Parallel()
	ada := Subject{Login: "ada.lovelace@example.com", FirstName: "Ada", LastName: "Lovelace"}
	notMetDefault := notMet + "Password requirements: at least 8 characters, no parts of your username, " +
		"does not include your first name, does not include your last name. Your password cannot be any of your last 4 passwords."
	strict := Default()
	strict.MinLowerCase, strict.MinUpperCase, strict.MinNumber, strict.MinSymbol = 1, 1, 1, 2
	cases := []struct {
		name string
		p    Policy
		sub  Subject
		pw   string
		want []string
	}{
		{"passes", Default(), ada, "correct horse battery", nil},
		{"too short", Default(), ada, "x7#Kq2", []string{notMetDefault}},
		{"length counts characters not bytes", Default(), ada, "ñéüßøåçë", nil},
		{"contains the login", Default(), ada, "my ADA.LOVELACE@EXAMPLE.COM!", []string{notMetDefault}},
		{"contains the part before @", Default(), ada, "xx-ada.lovelace-yy", []string{notMetDefault}},
		{"contains the last name in another case", Default(), ada, "i am LoveLace 1815", []string{notMetDefault}},
		{"first name too short to count", Default(), Subject{Login: "x@example.com", FirstName: "Al"}, "always albatross", nil},
		{"part of a two-word first name", Default(), Subject{Login: "x@example.com", FirstName: "Mary-Jane"}, "jane doe 12345", []string{notMetDefault}},
		{"names not excluded", Policy{MinLength: 8}, ada, "lovelace rules", nil},
		{"common password", Default(), ada, "Password1", []string{CommonCause}},
		{"common and too short", Default(), ada, "dragon", []string{notMetDefault, CommonCause}},
		{"common check off", Policy{MinLength: 8}, ada, "password1", nil},
		{"too long", Default(), ada, strings.Repeat("x", 1025), []string{"password: Passwords must be at most 1024 bytes in length"}},
		{"strict passes", strict, ada, "Tr0ub4dor&3!", nil},
		{"strict misses a symbol", strict, ada, "Tr0ub4dor&3x", []string{notMet + "Password requirements: at least 8 characters, a lowercase letter, " +
			"an uppercase letter, a number, at least 2 symbols, no parts of your username, does not include your first name, " +
			"does not include your last name. Your password cannot be any of your last 4 passwords."}},
		{"strict misses an upper-case letter", strict, ada, "tr0ub4dor&3!", []string{notMet + strict.Requirements()}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if got := c.p.Check(c.pw, c.sub); !slices.Equal(got, c.want) {
				t.Errorf("Check(%q) =\n  %q\nwant\n  %q", c.pw, got, c.want)
			}
		})
	}
}

func TestRequirementsMatchOkta(t *testing.T) {
	t.Parallel()
	// Okta's default org policy, as its error message reads.
	p := Policy{MinLength: 8, MinLowerCase: 1, MinUpperCase: 1, MinNumber: 1, ExcludeUsername: true}
	want := "Password requirements: at least 8 characters, a lowercase letter, an uppercase letter, a number, no parts of your username."
	if got := p.Requirements(); got != want {
		t.Errorf("Requirements() = %q, want %q", got, want)
	}
	p.HistoryCount = 1
	if got := p.Requirements(); !strings.HasSuffix(got, " Your password cannot be your current password.") {
		t.Errorf("with history 1: %q", got)
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	if err := Default().Validate(); err != nil {
		t.Fatalf("Default: %v", err)
	}
	bad := []func(*Policy){
		func(p *Policy) { p.MinLength = 0 },
		func(p *Policy) { p.MinLength = MaxMinLength + 1 },
		func(p *Policy) { p.MinSymbol = -1 },
		func(p *Policy) { p.MinNumber = MaxClassMinimum + 1 },
		func(p *Policy) { p.ExcludeAttributes = []string{"email"} },
		func(p *Policy) { p.ExcludeAttributes = []string{AttrLastName, AttrLastName} },
		func(p *Policy) { p.HistoryCount = -1 },
		func(p *Policy) { p.HistoryCount = MaxHistoryCount + 1 },
	}
	for i, mod := range bad {
		p := Default()
		mod(&p)
		if err := p.Validate(); err == nil {
			t.Errorf("case %d: Validate accepted %+v", i, p)
		}
	}
}

func TestCommonList(t *testing.T) {
	t.Parallel()
	if n := CommonCount(); n != 10_000 {
		t.Errorf("the list holds %d passwords, want 10000", n)
	}
	for _, pw := range []string{"123456", "password", "PASSWORD", "Qwerty", "letmein", "trustno1"} {
		if !IsCommon(pw) {
			t.Errorf("IsCommon(%q) = false", pw)
		}
	}
	for _, pw := range []string{"", "# The 10,000 most common passwords, most common first, one a line; lines", "correct horse battery", "kT9#vB2$qLz"} {
		if IsCommon(pw) {
			t.Errorf("IsCommon(%q) = true", pw)
		}
	}
}

func BenchmarkIsCommon(b *testing.B) {
	IsCommon("warm up")
	for b.Loop() {
		IsCommon("Correct-Horse-Battery")
	}
}
