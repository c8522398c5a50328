package storetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/store"
)

var passwordHistoryTests = []test{
	{"ChangeRecordsTheOldHash", testPasswordChangeRecords},
	{"HistoryIsCutToKeep", testPasswordHistoryKeep},
	{"KeepZeroEmptiesHistory", testPasswordHistoryKeepZero},
	{"SameHashOrNoneRecordsNothing", testPasswordNoChange},
	{"ClosureErrorAborts", testPasswordChangeAbort},
	{"ChangeMissingUser", testPasswordChangeMissing},
	{"HistoryIsPerUser", testPasswordHistoryPerUser},
	{"ConcurrentChangesLoseNoHash", testPasswordConcurrent},
}

// setHash returns a ChangePassword closure that stores hash, changed at.
func setHash(hash string, at time.Time) func(store.User) (store.User, error) {
	return func(u store.User) (store.User, error) {
		u.PasswordHash, u.PasswordChangedAt, u.UpdatedAt = hash, at, at
		return u, nil
	}
}

func history(t *testing.T, s store.Store, userID string, limit int) []string {
	t.Helper()
	h, err := s.ListPasswordHistory(ctx(t), userID, limit)
	must(t, "ListPasswordHistory", err)
	return h
}

func wantHistory(t *testing.T, s store.Store, userID string, limit int, want ...string) {
	t.Helper()
	if got := history(t, s, userID, limit); !slices.Equal(got, want) && (len(got) != 0 || len(want) != 0) {
		t.Fatalf("history of %s (limit %d) = %q, want %q", userID, limit, got, want)
	}
}

func testPasswordChangeRecords(t *testing.T, s store.Store) {
	u := fullUser("00u1", "ada@example.com")
	must(t, "CreateUser", s.CreateUser(ctx(t), u))
	wantHistory(t, s, u.ID, 10)
	at := t0.Add(time.Hour)
	got, err := s.ChangePassword(ctx(t), u.ID, 4, setHash("h2", at))
	must(t, "ChangePassword", err)
	want := u
	want.PasswordHash, want.PasswordChangedAt, want.UpdatedAt = "h2", at, at
	same(t, "returned user", got, want)
	stored, err := s.GetUser(ctx(t), u.ID)
	must(t, "GetUser", err)
	same(t, "stored user", stored, want)
	wantHistory(t, s, u.ID, 10, u.PasswordHash)
	_, err = s.ChangePassword(ctx(t), u.ID, 4, setHash("h3", at.Add(time.Hour)))
	must(t, "ChangePassword", err)
	wantHistory(t, s, u.ID, 10, "h2", u.PasswordHash)
	wantHistory(t, s, u.ID, 1, "h2")
	wantHistory(t, s, u.ID, 0)
}

func testPasswordHistoryKeep(t *testing.T, s store.Store) {
	createUsers(t, s, "00u1")
	for i := range 6 {
		_, err := s.ChangePassword(ctx(t), "00u1", 3, setHash(fmt.Sprintf("h%d", i), t0.Add(time.Duration(i)*time.Minute)))
		must(t, "ChangePassword", err)
	}
	// The first change replaced fullUser's hash; six changes made six
	// entries, of which the newest three remain.
	wantHistory(t, s, "00u1", 10, "h4", "h3", "h2")
	// A smaller keep cuts at once; a larger one does not bring back what
	// was cut.
	_, err := s.ChangePassword(ctx(t), "00u1", 1, setHash("h6", t0.Add(time.Hour)))
	must(t, "ChangePassword", err)
	wantHistory(t, s, "00u1", 10, "h5")
	_, err = s.ChangePassword(ctx(t), "00u1", 5, setHash("h7", t0.Add(2*time.Hour)))
	must(t, "ChangePassword", err)
	wantHistory(t, s, "00u1", 10, "h6", "h5")
}

func testPasswordHistoryKeepZero(t *testing.T, s store.Store) {
	createUsers(t, s, "00u1")
	for i := range 3 {
		_, err := s.ChangePassword(ctx(t), "00u1", 5, setHash(fmt.Sprintf("h%d", i), t0))
		must(t, "ChangePassword", err)
	}
	_, err := s.ChangePassword(ctx(t), "00u1", 0, setHash("h9", t0))
	must(t, "ChangePassword", err)
	wantHistory(t, s, "00u1", 10)
}

func testPasswordNoChange(t *testing.T, s store.Store) {
	u := fullUser("00u1", "ada@example.com")
	u.PasswordHash = ""
	must(t, "CreateUser", s.CreateUser(ctx(t), u))
	_, err := s.ChangePassword(ctx(t), u.ID, 4, setHash("h1", t0))
	must(t, "ChangePassword from no password", err)
	wantHistory(t, s, u.ID, 10)
	_, err = s.ChangePassword(ctx(t), u.ID, 4, setHash("h1", t0.Add(time.Hour)))
	must(t, "ChangePassword to the same hash", err)
	wantHistory(t, s, u.ID, 10)
}

func testPasswordChangeAbort(t *testing.T, s store.Store) {
	u := fullUser("00u1", "ada@example.com")
	must(t, "CreateUser", s.CreateUser(ctx(t), u))
	_, err := s.ChangePassword(ctx(t), u.ID, 4, func(store.User) (store.User, error) { return store.User{}, errBoom })
	wantErr(t, "ChangePassword with a failing closure", err, errBoom)
	got, err := s.GetUser(ctx(t), u.ID)
	must(t, "GetUser", err)
	same(t, "user after an aborted change", got, u)
	wantHistory(t, s, u.ID, 10)
}

func testPasswordChangeMissing(t *testing.T, s store.Store) {
	_, err := s.ChangePassword(ctx(t), "00u-missing", 4, setHash("h", t0))
	wantErr(t, "ChangePassword of a missing user", err, store.ErrNotFound)
	wantHistory(t, s, "00u-missing", 10)
}

func testPasswordHistoryPerUser(t *testing.T, s store.Store) {
	createUsers(t, s, "00u1", "00u2")
	_, err := s.ChangePassword(ctx(t), "00u1", 4, setHash("one", t0))
	must(t, "ChangePassword", err)
	_, err = s.ChangePassword(ctx(t), "00u2", 0, setHash("two", t0))
	must(t, "ChangePassword", err)
	wantHistory(t, s, "00u1", 10, fullUser("", "").PasswordHash)
	wantHistory(t, s, "00u2", 10)
}

// testPasswordConcurrent: changes at once each see the hash the one before
// stored, so the history holds every replaced hash exactly once.
func testPasswordConcurrent(t *testing.T, s store.Store) {
	createUsers(t, s, "00u1")
	const n = 8
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, err := s.ChangePassword(ctx(t), "00u1", n+1, setHash(fmt.Sprintf("c%d", i), t0))
			if err != nil {
				t.Errorf("ChangePassword %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	u, err := s.GetUser(ctx(t), "00u1")
	must(t, "GetUser", err)
	h := append(history(t, s, "00u1", 100), u.PasswordHash)
	slices.Sort(h)
	want := []string{fullUser("", "").PasswordHash}
	for i := range n {
		want = append(want, fmt.Sprintf("c%d", i))
	}
	slices.Sort(want)
	if !slices.Equal(h, want) {
		t.Fatalf("history plus current = %q, want each hash once: %q", h, want)
	}
}
