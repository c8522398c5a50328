package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/store"
)

var clientSecretTests = []test{
	{"UpdateCreatesListsOldestFirst", testSecretsRoundTrip},
	{"UpdateChangesAndDeletes", testSecretsUpdate},
	{"MissingClient", testSecretsMissingClient},
	{"ClosureErrorAborts", testSecretsAbort},
	{"DuplicateIDRefused", testSecretsDuplicate},
	{"DeleteClientTakesEverything", testDeleteClient},
	{"RaceKeepsTheRule", testRaceSecrets},
}

func secret(id, clientID string, at time.Time) store.ClientSecret {
	return store.ClientSecret{ID: id, ClientID: clientID, Status: store.StatusActive, Hash: "hmac-sha256$" + id,
		CreatedAt: at, UpdatedAt: at.Add(time.Millisecond)}
}

func setSecrets(t *testing.T, s store.Store, clientID string, next ...store.ClientSecret) []store.ClientSecret {
	t.Helper()
	got, err := s.UpdateClientSecrets(ctx(t), clientID, func([]store.ClientSecret) ([]store.ClientSecret, error) { return next, nil })
	must(t, "UpdateClientSecrets", err)
	return got
}

func testSecretsRoundTrip(t *testing.T, s store.Store) {
	must(t, "CreateClient", s.CreateClient(ctx(t), fullClient("0oa1")))
	must(t, "CreateClient", s.CreateClient(ctx(t), fullClient("0oa2")))
	got, err := s.ListClientSecrets(ctx(t), "0oa1")
	must(t, "ListClientSecrets", err)
	sameList(t, "a new client's secrets", got, nil)

	// The younger secret has the smaller id: the order is by creation.
	older := secret("ocs9older", "0oa1", t0)
	older.Sealed = []byte{0x00, 0xff, 's', 0x80}
	younger := secret("ocs1younger", "0oa1", t0.Add(time.Second))
	younger.Status = store.StatusInactive
	want := []store.ClientSecret{older, younger}
	sameList(t, "UpdateClientSecrets' result", setSecrets(t, s, "0oa1", younger, older), want)
	got, err = s.ListClientSecrets(ctx(t), "0oa1")
	must(t, "ListClientSecrets", err)
	sameList(t, "ListClientSecrets", got, want)
	got, err = s.ListClientSecrets(ctx(t), "0oa2")
	must(t, "ListClientSecrets of another client", err)
	sameList(t, "another client's secrets", got, nil)
	got, err = s.ListClientSecrets(ctx(t), "0oa404")
	must(t, "ListClientSecrets of a missing client", err)
	sameList(t, "a missing client's secrets", got, nil)
}

func testSecretsUpdate(t *testing.T, s store.Store) {
	must(t, "CreateClient", s.CreateClient(ctx(t), fullClient("0oa1")))
	a, b := secret("ocsA", "0oa1", t0), secret("ocsB", "0oa1", t0.Add(time.Second))
	setSecrets(t, s, "0oa1", a, b)
	got, err := s.UpdateClientSecrets(ctx(t), "0oa1", func(old []store.ClientSecret) ([]store.ClientSecret, error) {
		sameList(t, "closure's argument", old, []store.ClientSecret{a, b})
		old[0].Status, old[0].UpdatedAt = store.StatusInactive, t0.Add(time.Hour)
		return old[:1], nil // b is deleted
	})
	must(t, "UpdateClientSecrets", err)
	a.Status, a.UpdatedAt = store.StatusInactive, t0.Add(time.Hour)
	sameList(t, "after the update", got, []store.ClientSecret{a})
	got, err = s.ListClientSecrets(ctx(t), "0oa1")
	must(t, "ListClientSecrets", err)
	sameList(t, "ListClientSecrets after the update", got, []store.ClientSecret{a})
	sameList(t, "after deleting them all", setSecrets(t, s, "0oa1"), nil)
}

func testSecretsMissingClient(t *testing.T, s store.Store) {
	called := false
	_, err := s.UpdateClientSecrets(ctx(t), "0oa404", func(old []store.ClientSecret) ([]store.ClientSecret, error) {
		called = true
		return []store.ClientSecret{secret("ocs1", "0oa404", t0)}, nil
	})
	wantErr(t, "UpdateClientSecrets of a missing client", err, store.ErrNotFound)
	if called {
		t.Error("UpdateClientSecrets ran the closure for a missing client")
	}
}

func testSecretsAbort(t *testing.T, s store.Store) {
	must(t, "CreateClient", s.CreateClient(ctx(t), fullClient("0oa1")))
	a := secret("ocsA", "0oa1", t0)
	setSecrets(t, s, "0oa1", a)
	_, err := s.UpdateClientSecrets(ctx(t), "0oa1", func(old []store.ClientSecret) ([]store.ClientSecret, error) {
		return append(old, secret("ocsB", "0oa1", t0)), errBoom
	})
	if err != errBoom {
		t.Fatalf("UpdateClientSecrets: got error %v, want the closure's error as is", err)
	}
	got, err := s.ListClientSecrets(ctx(t), "0oa1")
	must(t, "ListClientSecrets", err)
	sameList(t, "after the aborted update", got, []store.ClientSecret{a})
}

func testSecretsDuplicate(t *testing.T, s store.Store) {
	must(t, "CreateClient", s.CreateClient(ctx(t), fullClient("0oa1")))
	must(t, "CreateClient", s.CreateClient(ctx(t), fullClient("0oa2")))
	a := secret("ocsA", "0oa1", t0)
	setSecrets(t, s, "0oa1", a)
	// The same id twice in one update, or an id another client holds.
	_, err := s.UpdateClientSecrets(ctx(t), "0oa1", func(old []store.ClientSecret) ([]store.ClientSecret, error) {
		return append(old, a), nil
	})
	wantErr(t, "the same secret twice", err, store.ErrConflict)
	_, err = s.UpdateClientSecrets(ctx(t), "0oa2", func([]store.ClientSecret) ([]store.ClientSecret, error) {
		return []store.ClientSecret{secret("ocsA", "0oa2", t0)}, nil
	})
	wantErr(t, "another client's secret id", err, store.ErrConflict)
	got, err := s.ListClientSecrets(ctx(t), "0oa1")
	must(t, "ListClientSecrets", err)
	sameList(t, "after the refused updates", got, []store.ClientSecret{a})
}

func testDeleteClient(t *testing.T, s store.Store) {
	must(t, "CreateClient", s.CreateClient(ctx(t), fullClient("0oa1")))
	must(t, "CreateClient", s.CreateClient(ctx(t), fullClient("0oa2")))
	createUsers(t, s, "00u1")
	createGroups(t, s, fullGroup("00g1", "One"))
	for _, c := range []string{"0oa1", "0oa2"} {
		setSecrets(t, s, c, secret("ocs"+c, c, t0))
		must(t, "AssignClient", s.AssignClient(ctx(t), c, "00u1"))
		must(t, "AssignClient", s.AssignClient(ctx(t), c, "00g1"))
		must(t, "CreateClientGrant", s.CreateClientGrant(ctx(t), store.ClientGrant{ID: "oag" + c, ClientID: c, ScopeID: "okta.users.read",
			Issuer: "https://id.example.com", Source: "ADMIN", CreatedAt: t0, UpdatedAt: t0}))
	}
	must(t, "DeleteClient", s.DeleteClient(ctx(t), "0oa1"))
	_, err := s.GetClient(ctx(t), "0oa1")
	wantErr(t, "GetClient after DeleteClient", err, store.ErrNotFound)
	secrets, err := s.ListClientSecrets(ctx(t), "0oa1")
	must(t, "ListClientSecrets", err)
	sameList(t, "a deleted client's secrets", secrets, nil)
	assigned, err := s.ListClientAssignments(ctx(t), "0oa1")
	sameIDs(t, "a deleted client's assignments", assigned, err)
	grants, err := s.ListClientGrants(ctx(t), "0oa1")
	must(t, "ListClientGrants", err)
	sameList(t, "a deleted client's grants", grants, nil)
	wantErr(t, "DeleteClient again", s.DeleteClient(ctx(t), "0oa1"), store.ErrNotFound)

	// The other client keeps everything.
	if _, err := s.GetClient(ctx(t), "0oa2"); err != nil {
		t.Fatalf("the other client: %v", err)
	}
	secrets, err = s.ListClientSecrets(ctx(t), "0oa2")
	must(t, "ListClientSecrets", err)
	sameList(t, "the other client's secrets", secrets, []store.ClientSecret{secret("ocs0oa2", "0oa2", t0)})
	assigned, err = s.ListClientAssignments(ctx(t), "0oa2")
	sameIDs(t, "the other client's assignments", assigned, err, "00g1", "00u1")
	grants, err = s.ListClientGrants(ctx(t), "0oa2")
	must(t, "ListClientGrants", err)
	if len(grants) != 1 {
		t.Fatalf("the other client's grants: %d, want 1", len(grants))
	}
	// The user and group are untouched.
	if _, err := s.GetUser(ctx(t), "00u1"); err != nil {
		t.Fatalf("the assigned user: %v", err)
	}
}

// testRaceSecrets: concurrent updates that each add a secret while fewer
// than two exist leave exactly two: the closures never see a stale list.
func testRaceSecrets(t *testing.T, s store.Store) {
	must(t, "CreateClient", s.CreateClient(ctx(t), fullClient("0oa1")))
	errTwo := errors.New("two already")
	errs := race(8, []store.Store{s}, func(i int, s store.Store) error {
		_, err := s.UpdateClientSecrets(ctx(t), "0oa1", func(old []store.ClientSecret) ([]store.ClientSecret, error) {
			if len(old) >= 2 {
				return nil, errTwo
			}
			return append(old, secret(fmt.Sprintf("ocs%d", i), "0oa1", t0.Add(time.Duration(i)*time.Second))), nil
		})
		return err
	})
	added := 0
	for _, err := range errs {
		switch {
		case err == nil:
			added++
		case errors.Is(err, errTwo):
		default:
			t.Fatalf("UpdateClientSecrets: %v", err)
		}
	}
	got, err := s.ListClientSecrets(ctx(t), "0oa1")
	must(t, "ListClientSecrets", err)
	if added != 2 || len(got) != 2 {
		t.Fatalf("%d updates added a secret, %d stored; want 2 and 2", added, len(got))
	}
}
