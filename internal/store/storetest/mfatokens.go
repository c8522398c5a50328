package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/store"
)

// mfaTokenTests are the store's part of the second factor on the password
// grant: a refresh token family keeps the login's amr, and an mfa_token's
// id can be checked without being spent.
var mfaTokenTests = []test{
	{"RefreshKeepsAMR", testRefreshKeepsAMR},
	{"UsedOnceDoesNotSpend", testUsedOnce},
}

func testRefreshKeepsAMR(t *testing.T, s store.Store) {
	mfa := newRefresh("rt-mfa", "rt-mfa")
	mfa.AMR = []string{"pwd", "otp", "mfa"}
	pwd := newRefresh("rt-pwd", "rt-pwd")
	createRefresh(t, s, mfa, pwd)
	checkRefresh(t, s, "a family started with a second factor", mfa)
	checkRefresh(t, s, "a family started with a password alone", pwd)

	// The successor a use creates keeps what it is given; the used token
	// keeps its own amr whatever the closure returns for it.
	at := t0.Add(time.Hour)
	succ := newRefresh("rt-mfa-2", "rt-mfa")
	succ.IssuedAt, succ.AMR = at, mfa.AMR
	_, err := s.UseRefreshToken(ctx(t), mfa.ID, func(old store.RefreshToken, next *store.RefreshToken) (store.RefreshUse, error) {
		use, err := rotate(succ, at)(old, next)
		use.Token.AMR = nil
		return use, err
	})
	must(t, "UseRefreshToken", err)
	checkRefresh(t, s, "the successor", succ)
	got, err := s.GetRefreshToken(ctx(t), mfa.ID)
	must(t, "GetRefreshToken", err)
	if !slices.Equal(got.AMR, mfa.AMR) {
		t.Errorf("the rotated token's amr: %q, want %q", got.AMR, mfa.AMR)
	}

	page, err := s.ListRefreshTokens(ctx(t), store.Page{Limit: 10})
	must(t, "ListRefreshTokens", err)
	for _, r := range page {
		want := mfa.AMR
		if r.ID == pwd.ID {
			want = nil
		}
		if !slices.Equal(r.AMR, want) || (want == nil && r.AMR != nil) {
			t.Errorf("listed amr of %s: %q, want %q", r.ID, r.AMR, want)
		}
	}
}

func testUsedOnce(t *testing.T, s store.Store) {
	now := time.Now()
	used, err := s.UsedOnce(ctx(t), "mfa_token:a")
	must(t, "UsedOnce of an unknown key", err)
	if used {
		t.Fatal("UsedOnce of an unknown key: true")
	}
	// Checking does not spend: the key is still free to use once.
	must(t, "UseOnce after UsedOnce", s.UseOnce(ctx(t), "mfa_token:a", now.Add(time.Hour)))
	if used, err = s.UsedOnce(ctx(t), "mfa_token:a"); err != nil || !used {
		t.Fatalf("UsedOnce of a spent key: %v, %v; want true", used, err)
	}
	if used, err = s.UsedOnce(ctx(t), "mfa_token:b"); err != nil || used {
		t.Fatalf("UsedOnce of another key: %v, %v; want false", used, err)
	}
	// A key whose record expired counts as free, as UseOnce sees it.
	must(t, "UseOnce with an expiry already past", s.UseOnce(ctx(t), "mfa_token:old", now.Add(-time.Hour)))
	if used, err = s.UsedOnce(ctx(t), "mfa_token:old"); err != nil || used {
		t.Fatalf("UsedOnce of an expired key: %v, %v; want false", used, err)
	}
	must(t, "UseOnce of the expired key", s.UseOnce(ctx(t), "mfa_token:old", now.Add(time.Hour)))
}
