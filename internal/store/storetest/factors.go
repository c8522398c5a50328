package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/store"
)

var factorTests = []test{
	{"UpdateCreatesListsOldestFirst", testFactorsRoundTrip},
	{"UpdateChangesAndDeletes", testFactorsUpdate},
	{"MissingUser", testFactorsMissingUser},
	{"ClosureErrorAborts", testFactorsAbort},
	{"DuplicateIDRefused", testFactorsDuplicate},
	{"DeleteUserTakesThem", testFactorsDeleteUser},
	{"RaceTakesAStepOnce", testRaceFactorStep},
}

func factor(id, userID string, at time.Time) store.Factor {
	return store.Factor{ID: id, UserID: userID, Type: store.FactorTOTP, Provider: store.ProviderOkta,
		Status: store.FactorActive, Sealed: []byte{0x00, 0xff, 'k', 0x80}, LastStep: 57_000_000,
		RecoveryCodes: []string{"hmac-sha256$a", "hmac-sha256$b"}, CreatedAt: at, UpdatedAt: at.Add(time.Millisecond)}
}

func setFactors(t *testing.T, s store.Store, userID string, next ...store.Factor) []store.Factor {
	t.Helper()
	got, err := s.UpdateFactors(ctx(t), userID, func([]store.Factor) ([]store.Factor, error) { return next, nil })
	must(t, "UpdateFactors", err)
	return got
}

func listFactors(t *testing.T, s store.Store, userID string) []store.Factor {
	t.Helper()
	got, err := s.ListFactors(ctx(t), userID)
	must(t, "ListFactors", err)
	return got
}

func testFactorsRoundTrip(t *testing.T, s store.Store) {
	createUsers(t, s, "00u1", "00u2")
	sameList(t, "a new user's factors", listFactors(t, s, "00u1"), nil)
	older := factor("uft9older", "00u1", t0)
	younger := factor("uft1younger", "00u1", t0.Add(time.Second))
	younger.Status, younger.Provider, younger.LastStep, younger.RecoveryCodes = store.FactorPendingActivation, store.ProviderGoogle, 0, nil
	want := []store.Factor{older, younger}
	sameList(t, "UpdateFactors' result", setFactors(t, s, "00u1", younger, older), want)
	sameList(t, "ListFactors", listFactors(t, s, "00u1"), want)
	sameList(t, "another user's factors", listFactors(t, s, "00u2"), nil)
	sameList(t, "a missing user's factors", listFactors(t, s, "00u404"), nil)
}

func testFactorsUpdate(t *testing.T, s store.Store) {
	createUsers(t, s, "00u1")
	a, b := factor("uftA", "00u1", t0), factor("uftB", "00u1", t0.Add(time.Second))
	setFactors(t, s, "00u1", a, b)
	got, err := s.UpdateFactors(ctx(t), "00u1", func(old []store.Factor) ([]store.Factor, error) {
		sameList(t, "closure's argument", old, []store.Factor{a, b})
		old[0].LastStep, old[0].RecoveryCodes, old[0].UpdatedAt = 57_000_001, old[0].RecoveryCodes[1:], t0.Add(time.Hour)
		return old[:1], nil // b is deleted
	})
	must(t, "UpdateFactors", err)
	a.LastStep, a.RecoveryCodes, a.UpdatedAt = 57_000_001, a.RecoveryCodes[1:], t0.Add(time.Hour)
	sameList(t, "after the update", got, []store.Factor{a})
	sameList(t, "ListFactors after the update", listFactors(t, s, "00u1"), []store.Factor{a})
	sameList(t, "after deleting them all", setFactors(t, s, "00u1"), nil)
}

func testFactorsMissingUser(t *testing.T, s store.Store) {
	called := false
	_, err := s.UpdateFactors(ctx(t), "00u404", func([]store.Factor) ([]store.Factor, error) {
		called = true
		return []store.Factor{factor("uft1", "00u404", t0)}, nil
	})
	wantErr(t, "UpdateFactors of a missing user", err, store.ErrNotFound)
	if called {
		t.Error("UpdateFactors ran the closure for a missing user")
	}
}

func testFactorsAbort(t *testing.T, s store.Store) {
	createUsers(t, s, "00u1")
	a := factor("uftA", "00u1", t0)
	setFactors(t, s, "00u1", a)
	_, err := s.UpdateFactors(ctx(t), "00u1", func(old []store.Factor) ([]store.Factor, error) {
		old[0].LastStep++
		return old, errBoom
	})
	if err != errBoom {
		t.Fatalf("UpdateFactors: got error %v, want the closure's error as is", err)
	}
	sameList(t, "after the aborted update", listFactors(t, s, "00u1"), []store.Factor{a})
}

func testFactorsDuplicate(t *testing.T, s store.Store) {
	createUsers(t, s, "00u1", "00u2")
	a := factor("uftA", "00u1", t0)
	setFactors(t, s, "00u1", a)
	_, err := s.UpdateFactors(ctx(t), "00u1", func(old []store.Factor) ([]store.Factor, error) { return append(old, a), nil })
	wantErr(t, "the same factor twice", err, store.ErrConflict)
	_, err = s.UpdateFactors(ctx(t), "00u2", func([]store.Factor) ([]store.Factor, error) {
		return []store.Factor{factor("uftA", "00u2", t0)}, nil
	})
	wantErr(t, "another user's factor id", err, store.ErrConflict)
	sameList(t, "after the refused updates", listFactors(t, s, "00u1"), []store.Factor{a})
}

func testFactorsDeleteUser(t *testing.T, s store.Store) {
	createUsers(t, s, "00u1", "00u2")
	setFactors(t, s, "00u1", factor("uft1", "00u1", t0))
	setFactors(t, s, "00u2", factor("uft2", "00u2", t0))
	must(t, "DeleteUser", s.DeleteUser(ctx(t), "00u1"))
	sameList(t, "a deleted user's factors", listFactors(t, s, "00u1"), nil)
	sameList(t, "the other user's factors", listFactors(t, s, "00u2"), []store.Factor{factor("uft2", "00u2", t0)})
}

// testRaceFactorStep: concurrent logins that each take the same TOTP step
// succeed once: the closures never see a stale LastStep.
func testRaceFactorStep(t *testing.T, s store.Store) {
	createUsers(t, s, "00u1")
	setFactors(t, s, "00u1", factor("uft1", "00u1", t0))
	errReplay := errors.New("step used")
	errs := race(8, []store.Store{s}, func(i int, s store.Store) error {
		_, err := s.UpdateFactors(ctx(t), "00u1", func(old []store.Factor) ([]store.Factor, error) {
			if old[0].LastStep >= 57_000_001 {
				return nil, errReplay
			}
			old[0].LastStep = 57_000_001
			return old, nil
		})
		return err
	})
	took := 0
	for _, err := range errs {
		switch {
		case err == nil:
			took++
		case errors.Is(err, errReplay):
		default:
			t.Fatalf("UpdateFactors: %v", err)
		}
	}
	if took != 1 {
		t.Fatalf("%d updates took the step, want 1", took)
	}
}
