package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/store"
)

var importTests = []test{
	{"PutUsersCreatesSkipsAndUpdates", testPutUsers},
	{"PutUsersDuplicateInBatch", testPutUsersDuplicateInBatch},
	{"PutUsersIDConflictRollsBack", testPutUsersRollback},
	{"PutUsersLargeBatch", testPutUsersLarge},
}

func testPutUsers(t *testing.T, s store.Store) {
	old := fullUser("00u1", "ada@example.com")
	must(t, "CreateUser", s.CreateUser(ctx(t), old))
	fresh := fullUser("00u2", "grace@example.com")
	again := fullUser("00u3", "ADA@example.com")
	again.FirstName, again.PasswordHash, again.UpdatedAt = "Augusta", "$okta-sha256$o=prefix$$"+"x", t0.Add(time.Hour)
	again.Status, again.CreatedAt = store.UserStaged, t0.Add(time.Hour)

	out, err := s.PutUsers(ctx(t), []store.User{fresh, again}, false)
	must(t, "PutUsers", err)
	sameOutcomes(t, out, []store.PutOutcome{{ID: "00u2", Result: store.PutCreated}, {ID: "00u1", Result: store.PutSkipped}})
	got, err := s.GetUser(ctx(t), "00u2")
	must(t, "GetUser", err)
	same(t, "created", got, fresh)
	got, err = s.GetUser(ctx(t), "00u1")
	must(t, "GetUser", err)
	same(t, "skipped", got, old)

	out, err = s.PutUsers(ctx(t), []store.User{again}, true)
	must(t, "PutUsers update", err)
	sameOutcomes(t, out, []store.PutOutcome{{ID: "00u1", Result: store.PutUpdated}})
	want := old
	want.Login, want.Email, want.FirstName, want.PasswordHash, want.UpdatedAt = again.Login, again.Email, again.FirstName, again.PasswordHash, again.UpdatedAt
	got, err = s.GetUser(ctx(t), "00u1")
	must(t, "GetUser", err)
	same(t, "updated (id, status, created, last login kept)", got, want)
	if _, err := s.GetUser(ctx(t), "00u3"); err == nil {
		t.Fatal("the update created a user under the batch's id")
	}
}

func testPutUsersDuplicateInBatch(t *testing.T, s store.Store) {
	a, b := fullUser("00u1", "ada@example.com"), fullUser("00u2", "Ada@Example.com")
	out, err := s.PutUsers(ctx(t), []store.User{a, b}, false)
	must(t, "PutUsers", err)
	sameOutcomes(t, out, []store.PutOutcome{{ID: "00u1", Result: store.PutCreated}, {ID: "00u1", Result: store.PutSkipped}})
}

func testPutUsersRollback(t *testing.T, s store.Store) {
	must(t, "CreateUser", s.CreateUser(ctx(t), fullUser("00u1", "ada@example.com")))
	_, err := s.PutUsers(ctx(t), []store.User{fullUser("00u2", "grace@example.com"), fullUser("00u1", "alan@example.com")}, false)
	wantErr(t, "PutUsers with a taken id", err, store.ErrConflict)
	if _, err := s.GetUser(ctx(t), "00u2"); err == nil {
		t.Fatal("a failed batch left its first user behind")
	}
}

func testPutUsersLarge(t *testing.T, s store.Store) {
	var batch []store.User
	for i := range 1000 {
		batch = append(batch, fullUser(fmt.Sprintf("00u%04d", i), fmt.Sprintf("user%d@example.com", i)))
	}
	out, err := s.PutUsers(ctx(t), batch, false)
	must(t, "PutUsers", err)
	if len(out) != len(batch) || out[999].Result != store.PutCreated {
		t.Fatalf("%d outcomes, last %+v", len(out), out[len(out)-1])
	}
	out, err = s.PutUsers(ctx(t), batch, false)
	must(t, "PutUsers again", err)
	for i, o := range out {
		if o.Result != store.PutSkipped || o.ID != batch[i].ID {
			t.Fatalf("re-run: outcome %d = %+v", i, o)
		}
	}
}

func sameOutcomes(t *testing.T, got, want []store.PutOutcome) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("PutUsers outcomes = %+v, want %+v", got, want)
	}
}
