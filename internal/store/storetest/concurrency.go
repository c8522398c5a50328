package storetest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/store"
)

// RunShared runs the multi-instance suite: open returns two stores over one
// database, as two server instances (or processes) sharing it would have,
// both closed through t.Cleanup. Each operation that must be atomic is raced
// across the two. Like Run, every call must start from an empty database.
func RunShared(t *testing.T, open func(t *testing.T) (store.Store, store.Store)) {
	tests := []struct {
		name string
		fn   func(t *testing.T, stores []store.Store)
	}{
		{"SeeEachOthersWrites", testSharedVisibility},
		{"UpdateUserNoLostUpdates", testRaceUpdateUser},
		{"UpdateKeysOnePromotion", testRaceUpdateKeys},
		{"UpdateKeysOnePromotionFromNone", testRaceUpdateKeysFromNone},
		{"CreateUserSameLogin", testRaceCreateUser},
		{"UseRefreshTokenOneRotation", testRaceUseRefresh},
		{"UseRefreshTokenRetriesOneCurrent", testRaceRetryRefresh},
		{"UseRefreshTokenWhileRevokingFamily", testRaceRevokeFamily},
		{"UseRefreshTokenChainWhileRevokingFamily", testRaceRevokeFamilyChain},
		{"UseOnceOneWinner", testRaceUseOnce},
		{"CreateGroupSameName", testRaceCreateGroup},
		{"AddMembersWhileDeletingGroup", testRaceDeleteGroup},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a, b := open(t)
			tc.fn(t, []store.Store{a, b})
		})
	}
}

// concurrencyTests race goroutines on one store.
var concurrencyTests = []test{
	{"UpdateUserNoLostUpdates", func(t *testing.T, s store.Store) { testRaceUpdateUser(t, []store.Store{s}) }},
	{"UpdateKeysOnePromotion", func(t *testing.T, s store.Store) { testRaceUpdateKeys(t, []store.Store{s}) }},
	{"UpdateKeysOnePromotionFromNone", func(t *testing.T, s store.Store) { testRaceUpdateKeysFromNone(t, []store.Store{s}) }},
	{"CreateUserSameLogin", func(t *testing.T, s store.Store) { testRaceCreateUser(t, []store.Store{s}) }},
	{"UseRefreshTokenOneRotation", func(t *testing.T, s store.Store) { testRaceUseRefresh(t, []store.Store{s}) }},
	{"UseRefreshTokenRetriesOneCurrent", func(t *testing.T, s store.Store) { testRaceRetryRefresh(t, []store.Store{s}) }},
	{"UseRefreshTokenWhileRevokingFamily", func(t *testing.T, s store.Store) { testRaceRevokeFamily(t, []store.Store{s}) }},
	{"UseRefreshTokenChainWhileRevokingFamily", func(t *testing.T, s store.Store) { testRaceRevokeFamilyChain(t, []store.Store{s}) }},
	{"UseOnceOneWinner", func(t *testing.T, s store.Store) { testRaceUseOnce(t, []store.Store{s}) }},
	{"CreateGroupSameName", func(t *testing.T, s store.Store) { testRaceCreateGroup(t, []store.Store{s}) }},
	{"AddMembersWhileDeletingGroup", func(t *testing.T, s store.Store) { testRaceDeleteGroup(t, []store.Store{s}) }},
}

// race runs fn(i, store) in n goroutines released at once, goroutine i using
// stores[i%len(stores)], and returns their errors.
func race(n int, stores []store.Store, fn func(i int, s store.Store) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = fn(i, stores[i%len(stores)])
		})
	}
	close(start)
	wg.Wait()
	return errs
}

// checkOneWinner fails t unless exactly one of errs is nil and the others
// are ErrConflict.
func checkOneWinner(t *testing.T, what string, errs []error) {
	t.Helper()
	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, store.ErrConflict):
			t.Errorf("%s, call %d: got %v, want nil or ErrConflict", what, i, err)
		}
	}
	if won != 1 {
		t.Errorf("%s: %d of %d calls succeeded, want exactly 1", what, won, len(errs))
	}
}

func testSharedVisibility(t *testing.T, stores []store.Store) {
	a, b := stores[0], stores[1]
	must(t, "CreateUser through a", a.CreateUser(ctx(t), fullUser("00u1", "ada@example.com")))
	got, err := b.GetUserByLogin(ctx(t), "ADA@example.com")
	must(t, "GetUserByLogin through b", err)
	same(t, "user read through b", got, fullUser("00u1", "ada@example.com"))

	_, err = b.UpdateUser(ctx(t), "00u1", func(u store.User) (store.User, error) {
		u.Status = store.UserLockedOut
		return u, nil
	})
	must(t, "UpdateUser through b", err)
	if got, err := a.GetUser(ctx(t), "00u1"); err != nil || got.Status != store.UserLockedOut {
		t.Errorf("GetUser through a after b's update: status %q, %v; want %s", got.Status, err, store.UserLockedOut)
	}

	must(t, "CreateClient through b", b.CreateClient(ctx(t), fullClient("0oa1")))
	if _, err := a.GetClient(ctx(t), "0oa1"); err != nil {
		t.Errorf("GetClient through a: %v", err)
	}
	wantErr(t, "CreateClient of the same id through a", a.CreateClient(ctx(t), fullClient("0oa1")), store.ErrConflict)

	k := newKey("kid1", "default", store.KeyActive, t0)
	must(t, "CreateKey through a", a.CreateKey(ctx(t), k))
	sameList(t, "ListKeys through b", listKeys(t, b, "default"), []store.SigningKey{k})
}

// testRaceUpdateUser has goroutines each append a letter of their own to a
// user's first name: with any lost update, letters go missing.
func testRaceUpdateUser(t *testing.T, stores []store.Store) {
	const n = 8
	u := fullUser("00u1", "ada@example.com")
	u.FirstName = ""
	must(t, "CreateUser", stores[0].CreateUser(ctx(t), u))
	errs := race(n, stores, func(i int, s store.Store) error {
		_, err := s.UpdateUser(ctx(t), u.ID, func(u store.User) (store.User, error) {
			u.FirstName += string(rune('a' + i))
			return u, nil
		})
		return err
	})
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("UpdateUser: %v", err)
	}
	for _, s := range stores {
		got, err := s.GetUser(ctx(t), u.ID)
		must(t, "GetUser", err)
		letters := strings.Split(got.FirstName, "")
		slices.Sort(letters)
		if strings.Join(letters, "") != "abcdefgh"[:n] {
			t.Errorf("after %d concurrent updates the first name is %q: updates were lost", n, got.FirstName)
		}
	}
}

// testRaceUpdateKeys races rotations that each add a NEXT key unless one
// exists: exactly one may be added.
func testRaceUpdateKeys(t *testing.T, stores []store.Store) {
	createKeys(t, stores[0], newKey("kid-active", "default", store.KeyActive, t0))
	raceAddNext(t, stores, 2)
}

// testRaceUpdateKeysFromNone is testRaceUpdateKeys for a server without any
// key yet, where there is no key row a backend could lock.
func testRaceUpdateKeysFromNone(t *testing.T, stores []store.Store) {
	raceAddNext(t, stores, 1)
}

// raceAddNext races closures that each add a NEXT key to server "default"
// unless it has one, then checks that it has wantKeys keys, one NEXT.
func raceAddNext(t *testing.T, stores []store.Store, wantKeys int) {
	const n = 4
	errs := race(n, stores, func(i int, s store.Store) error {
		_, err := s.UpdateKeys(ctx(t), "default", func(keys []store.SigningKey) ([]store.SigningKey, error) {
			for _, k := range keys {
				if k.Status == store.KeyNext {
					return nil, nil
				}
			}
			return []store.SigningKey{newKey(fmt.Sprintf("kid-next-%d", i), "default", store.KeyNext, t0.Add(1000))}, nil
		})
		return err
	})
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("UpdateKeys: %v", err)
	}
	keys := listKeys(t, stores[len(stores)-1], "default")
	next := 0
	for _, k := range keys {
		if k.Status == store.KeyNext {
			next++
		}
	}
	if len(keys) != wantKeys || next != 1 {
		t.Errorf("after %d racing rotations: keys %s with %d NEXT, want %d keys, exactly one NEXT", n, ids(keys), next, wantKeys)
	}
}

// testRaceCreateUser races creations of one login in different cases:
// exactly one may win, the others get ErrConflict.
func testRaceCreateUser(t *testing.T, stores []store.Store) {
	const n = 8
	errs := race(n, stores, func(i int, s store.Store) error {
		login := "ada@example.com"
		if i%2 == 1 {
			login = "ADA@example.com"
		}
		return s.CreateUser(ctx(t), fullUser(fmt.Sprintf("00u%d", i), login))
	})
	checkOneWinner(t, "CreateUser of one login", errs)
	users, err := stores[0].ListUsers(ctx(t), store.Page{})
	must(t, "ListUsers", err)
	if len(users) != 1 {
		t.Errorf("ListUsers: got %s, want one user", ids(users))
	}
}

// testRaceUseRefresh races uses of one refresh token whose closures
// rotate it only if nobody has: exactly one successor may be made.
func testRaceUseRefresh(t *testing.T, stores []store.Store) {
	const n = 8
	orig := newRefresh("rt1", "rt1")
	createRefresh(t, stores[0], orig)
	rotated := make([]bool, n)
	errs := race(n, stores, func(i int, s store.Store) error {
		_, err := s.UseRefreshToken(ctx(t), orig.ID, func(old store.RefreshToken, next *store.RefreshToken) (store.RefreshUse, error) {
			rotated[i] = false // the closure may run again if a backend retries
			if !old.RotatedAt.IsZero() {
				return store.RefreshUse{Token: old}, nil
			}
			rotated[i] = true
			return rotate(newRefresh(fmt.Sprintf("rt-succ-%d", i), orig.FamilyID), t0.Add(time.Hour))(old, next)
		})
		return err
	})
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("UseRefreshToken: %v", err)
	}
	var winners, successors []string
	for i := range n {
		id := fmt.Sprintf("rt-succ-%d", i)
		if rotated[i] {
			winners = append(winners, id)
		}
		if _, err := stores[0].GetRefreshToken(ctx(t), id); err == nil {
			successors = append(successors, id)
		} else if !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("GetRefreshToken %s: %v", id, err)
		}
	}
	if len(winners) != 1 || !slices.Equal(successors, winners) {
		t.Fatalf("after %d racing uses: closures that rotated %v, successors stored %v; want exactly one, the same", n, winners, successors)
	}
	for _, s := range stores {
		got, err := s.GetRefreshToken(ctx(t), orig.ID)
		must(t, "GetRefreshToken", err)
		if got.ReplacedBy != successors[0] {
			t.Errorf("the token is replaced by %q, want %q", got.ReplacedBy, successors[0])
		}
	}
}

// retryOrRotate is the closure of a refresh grant with a reuse leeway, as
// the suite sees it: an unrotated token is rotated to succ; a rotated one
// is retried (succ replaces its successor) while that successor is
// current; a revoked one is refused. Either way the access token jti goes
// out with succ.
func retryOrRotate(succ store.RefreshToken, jti string) useFunc {
	return func(old store.RefreshToken, next *store.RefreshToken) (store.RefreshUse, error) {
		if !old.RevokedAt.IsZero() || (!old.RotatedAt.IsZero() && (next == nil || !next.RotatedAt.IsZero() || !next.RevokedAt.IsZero())) {
			return store.RefreshUse{}, errBoom
		}
		old.LastUsedAt = succ.IssuedAt
		rec := accessRecord(jti, old.FamilyID)
		return store.RefreshUse{Token: old, Successor: &succ, Access: &rec}, nil
	}
}

// raceSuccessors races n uses of token orig with retryOrRotate, use i
// making successor rt-succ-i and access token AT.i, and returns the errors.
func raceSuccessors(t *testing.T, stores []store.Store, orig store.RefreshToken, n int) []error {
	return race(n, stores, func(i int, s store.Store) error {
		succ := newRefresh(fmt.Sprintf("rt-succ-%d", i), orig.FamilyID)
		succ.IssuedAt = t0.Add(time.Duration(i+1) * time.Second)
		_, err := s.UseRefreshToken(ctx(t), orig.ID, retryOrRotate(succ, fmt.Sprintf("AT.%d", i)))
		return err
	})
}

// testRaceRetryRefresh races uses of one token that each rotate it or,
// once it is rotated, replace its successor: all succeed, and the family
// is left with one current token, the token's last successor, and one
// live access token, the one that went out with it.
func testRaceRetryRefresh(t *testing.T, stores []store.Store) {
	const n = 8
	orig := newRefresh("rt1", "rt1")
	createRefresh(t, stores[0], orig)
	if err := errors.Join(raceSuccessors(t, stores, orig, n)...); err != nil {
		t.Fatalf("UseRefreshToken: %v", err)
	}
	for _, s := range stores {
		used, err := s.GetRefreshToken(ctx(t), orig.ID)
		must(t, "GetRefreshToken", err)
		var current, live []string
		for i := range n {
			id := fmt.Sprintf("rt-succ-%d", i)
			succ, err := s.GetRefreshToken(ctx(t), id)
			must(t, "GetRefreshToken "+id, err)
			if succ.RevokedAt.IsZero() && succ.RotatedAt.IsZero() {
				current = append(current, id)
			}
			rec, err := s.GetTokenRecord(ctx(t), fmt.Sprintf("AT.%d", i))
			must(t, "GetTokenRecord", err)
			if rec.RefreshID != id {
				t.Errorf("access token AT.%d went out with %q, want %q", i, rec.RefreshID, id)
			}
			if rec.RevokedAt.IsZero() {
				live = append(live, id)
			}
		}
		if len(current) != 1 || used.ReplacedBy != current[0] || !slices.Equal(live, current) {
			t.Fatalf("after %d racing uses: current successors %v, access tokens live with %v, the token replaced by %q; want one, the same",
				n, current, live, used.ReplacedBy)
		}
	}
}

// testRaceRevokeFamily races uses of one token (as in testRaceRetryRefresh)
// with the revocation of its family: whatever the order, nothing of the
// family is left live, neither a successor nor an access token that a use
// recorded while the family was being revoked.
func testRaceRevokeFamily(t *testing.T, stores []store.Store) {
	const n = 8
	orig := newRefresh("rt1", "rt1")
	createRefresh(t, stores[0], orig)
	at := t0.Add(time.Minute)
	errs := race(n+1, stores, func(i int, s store.Store) error {
		if i == n/2 {
			return s.RevokeFamily(ctx(t), orig.FamilyID, at)
		}
		succ := newRefresh(fmt.Sprintf("rt-succ-%d", i), orig.FamilyID)
		succ.IssuedAt = t0.Add(time.Duration(i+1) * time.Second)
		_, err := s.UseRefreshToken(ctx(t), orig.ID, retryOrRotate(succ, fmt.Sprintf("AT.%d", i)))
		return err
	})
	for i, err := range errs {
		if err != nil && !errors.Is(err, errBoom) {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	for _, s := range stores {
		for i := range n + 1 {
			succ, err := s.GetRefreshToken(ctx(t), fmt.Sprintf("rt-succ-%d", i))
			if err == nil && succ.RevokedAt.IsZero() {
				t.Errorf("successor %s is live after its family was revoked", succ.ID)
			}
			rec, err := s.GetTokenRecord(ctx(t), fmt.Sprintf("AT.%d", i))
			if err == nil && rec.RevokedAt.IsZero() {
				t.Errorf("access token %s is live after its family was revoked", rec.JTI)
			}
		}
	}
}

// testRaceRevokeFamilyChain races uses that walk a family's chain (each
// use rotates the token the last successful use issued, or retries it) with
// the revocation of the family, over several families: whatever the
// interleaving, nothing of a family is left live. Unlike
// testRaceRevokeFamily, the uses lock different tokens, among them
// successors committed while the revocation was already running.
func testRaceRevokeFamilyChain(t *testing.T, stores []store.Store) {
	const rounds, walkers, uses = 6, 4, 10
	for r := range rounds {
		fam := fmt.Sprintf("chain%d", r)
		orig := newRefresh(fam+"-0", fam)
		createRefresh(t, stores[0], orig)
		var (
			mu      sync.Mutex
			current = orig.ID
			seq     int
			issued  []string
		)
		errs := race(walkers+1, stores, func(i int, s store.Store) error {
			if i == walkers {
				time.Sleep(time.Duration(r%4) * time.Millisecond) // at various points of the walk
				return s.RevokeFamily(ctx(t), fam, t0.Add(time.Hour))
			}
			for range uses {
				mu.Lock()
				seq++
				id, tok := fmt.Sprintf("%s-%d", fam, seq), current
				succ := newRefresh(id, fam)
				succ.IssuedAt = t0.Add(time.Duration(seq) * time.Second)
				issued = append(issued, id)
				mu.Unlock()
				_, err := s.UseRefreshToken(ctx(t), tok, retryOrRotate(succ, "AT."+id))
				switch {
				case err == nil:
					mu.Lock()
					current = id
					mu.Unlock()
				case !errors.Is(err, errBoom):
					return err
				}
			}
			return nil
		})
		for i, err := range errs {
			if err != nil {
				t.Fatalf("family %s, call %d: %v", fam, i, err)
			}
		}
		for _, id := range append(issued, orig.ID) {
			if tok, err := stores[0].GetRefreshToken(ctx(t), id); err == nil && tok.RevokedAt.IsZero() {
				t.Errorf("refresh token %s is live after its family was revoked", id)
			}
			if rec, err := stores[0].GetTokenRecord(ctx(t), "AT."+id); err == nil && rec.RevokedAt.IsZero() {
				t.Errorf("access token %s is live after its family was revoked", rec.JTI)
			}
		}
	}
}

// testRaceUseOnce races uses of one key: exactly one may succeed.
func testRaceUseOnce(t *testing.T, stores []store.Store) {
	const n = 8
	exp := time.Now().Add(time.Hour)
	errs := race(n, stores, func(i int, s store.Store) error {
		return s.UseOnce(ctx(t), "jti-raced", exp)
	})
	checkOneWinner(t, "UseOnce of one key", errs)
}
