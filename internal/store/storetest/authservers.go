package storetest

import (
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/store"
)

var authServerTests = []test{
	{"CreateGetRoundTrip", testAuthServerRoundTrip},
	{"CreateDuplicateID", testAuthServerDuplicate},
	{"GetMissing", testAuthServerMissing},
	{"ListOrderedByID", testAuthServerList},
	{"UpdateChangesEveryField", testAuthServerUpdate},
	{"UpdateMissing", testAuthServerUpdateMissing},
	{"UpdateClosureErrorAborts", testAuthServerUpdateAbort},
	{"UpdateCannotChangeID", testAuthServerUpdateID},
	{"DeleteRemovesWhatIsItsOwn", testAuthServerDelete},
}

func fullAuthServer(id string) store.AuthServer {
	return store.AuthServer{
		ID:          id,
		Name:        "Default",
		Description: "Default Authorization Server",
		Audience:    "api://default",
		Status:      store.StatusActive,
		// Not a whole number of seconds: durations keep milliseconds.
		KeyRotationMode:     store.RotationAuto,
		KeyRotationInterval: 90*24*time.Hour + 1500*time.Millisecond,
		SigningAlg:          store.AlgES256,
		CreatedAt:           t0,
		UpdatedAt:           t0.Add(90 * time.Minute),
	}
}

func testAuthServerRoundTrip(t *testing.T, s store.Store) {
	recs := []store.AuthServer{
		fullAuthServer("default"),
		{ID: "aus1émoji🔑", Name: "Zoë’s server — 認可", Audience: "api://ünïcode", Status: store.StatusInactive},
		{ID: store.OrgServerID, Name: "org", KeyRotationMode: store.RotationManual, SigningAlg: store.AlgEdDSA},
		{ID: "ausRS", Name: "rs", SigningAlg: store.AlgRS256},
	}
	for _, a := range recs {
		must(t, "CreateAuthServer", s.CreateAuthServer(ctx(t), a))
	}
	for _, want := range recs {
		got, err := s.GetAuthServer(ctx(t), want.ID)
		must(t, "GetAuthServer", err)
		same(t, "GetAuthServer "+want.ID, got, want)
	}
}

func testAuthServerDuplicate(t *testing.T, s store.Store) {
	orig := fullAuthServer("default")
	must(t, "CreateAuthServer", s.CreateAuthServer(ctx(t), orig))
	dup := orig
	dup.Name = "Impostor"
	wantErr(t, "CreateAuthServer duplicate", s.CreateAuthServer(ctx(t), dup), store.ErrConflict)
	got, err := s.GetAuthServer(ctx(t), orig.ID)
	must(t, "GetAuthServer", err)
	same(t, "after the refused duplicate", got, orig)
}

func testAuthServerMissing(t *testing.T, s store.Store) {
	must(t, "CreateAuthServer", s.CreateAuthServer(ctx(t), fullAuthServer("default")))
	for _, id := range []string{"missing", "DEFAULT", ""} {
		_, err := s.GetAuthServer(ctx(t), id)
		wantErr(t, "GetAuthServer "+id, err, store.ErrNotFound)
	}
}

func testAuthServerList(t *testing.T, s store.Store) {
	got, err := s.ListAuthServers(ctx(t))
	must(t, "ListAuthServers on an empty store", err)
	if len(got) != 0 {
		t.Fatalf("ListAuthServers on an empty store: got %s", ids(got))
	}
	var want []store.AuthServer
	for _, id := range pageIDs {
		want = append(want, fullAuthServer(id))
	}
	for _, id := range creationOrder {
		must(t, "CreateAuthServer", s.CreateAuthServer(ctx(t), fullAuthServer(id)))
	}
	got, err = s.ListAuthServers(ctx(t))
	must(t, "ListAuthServers", err)
	sameList(t, "ListAuthServers", got, want)
}

func testAuthServerUpdate(t *testing.T, s store.Store) {
	orig := fullAuthServer("default")
	must(t, "CreateAuthServer", s.CreateAuthServer(ctx(t), orig))
	other := fullAuthServer("aus2")
	must(t, "CreateAuthServer", s.CreateAuthServer(ctx(t), other))
	want := store.AuthServer{
		ID:                  orig.ID,
		Name:                "Renamed ✓",
		Description:         "",
		Audience:            "api://other",
		Status:              store.StatusInactive,
		KeyRotationMode:     store.RotationManual,
		KeyRotationInterval: 0,
		SigningAlg:          store.AlgEdDSA,
		CreatedAt:           time.Time{},
		UpdatedAt:           t0.Add(time.Hour),
	}
	got, err := s.UpdateAuthServer(ctx(t), orig.ID, func(old store.AuthServer) (store.AuthServer, error) {
		same(t, "closure's argument", old, orig)
		return want, nil
	})
	must(t, "UpdateAuthServer", err)
	same(t, "UpdateAuthServer's result", got, want)
	stored, err := s.GetAuthServer(ctx(t), orig.ID)
	must(t, "GetAuthServer", err)
	same(t, "GetAuthServer after UpdateAuthServer", stored, want)
	stored, err = s.GetAuthServer(ctx(t), other.ID)
	must(t, "GetAuthServer of another server", err)
	same(t, "another server after UpdateAuthServer", stored, other)
}

func testAuthServerUpdateMissing(t *testing.T, s store.Store) {
	called := false
	_, err := s.UpdateAuthServer(ctx(t), "aus404", func(a store.AuthServer) (store.AuthServer, error) {
		called = true
		return a, nil
	})
	wantErr(t, "UpdateAuthServer of a missing server", err, store.ErrNotFound)
	if called {
		t.Error("UpdateAuthServer ran the closure for a missing server")
	}
	_, err = s.GetAuthServer(ctx(t), "aus404")
	wantErr(t, "GetAuthServer after UpdateAuthServer of a missing server", err, store.ErrNotFound)
}

func testAuthServerUpdateAbort(t *testing.T, s store.Store) {
	orig := fullAuthServer("default")
	must(t, "CreateAuthServer", s.CreateAuthServer(ctx(t), orig))
	_, err := s.UpdateAuthServer(ctx(t), orig.ID, func(a store.AuthServer) (store.AuthServer, error) {
		a.KeyRotationMode = store.RotationManual
		return a, errBoom
	})
	if err != errBoom {
		t.Fatalf("UpdateAuthServer: got error %v, want the closure's error as is", err)
	}
	got, err := s.GetAuthServer(ctx(t), orig.ID)
	must(t, "GetAuthServer", err)
	same(t, "after the aborted update", got, orig)
}

func testAuthServerUpdateID(t *testing.T, s store.Store) {
	orig := fullAuthServer("default")
	must(t, "CreateAuthServer", s.CreateAuthServer(ctx(t), orig))
	got, err := s.UpdateAuthServer(ctx(t), orig.ID, func(a store.AuthServer) (store.AuthServer, error) {
		a.ID = "aus2"
		a.Name = "moved?"
		return a, nil
	})
	must(t, "UpdateAuthServer", err)
	if got.ID != orig.ID || got.Name != "moved?" {
		t.Errorf("UpdateAuthServer returned id %q name %q, want id %q name %q", got.ID, got.Name, orig.ID, "moved?")
	}
	list, err := s.ListAuthServers(ctx(t))
	must(t, "ListAuthServers", err)
	if len(list) != 1 || list[0].ID != orig.ID || list[0].Name != "moved?" {
		t.Errorf("ListAuthServers after the update: %s, want only %q renamed", ids(list), orig.ID)
	}
}

// testAuthServerDelete: deleting a server removes it with its scopes,
// claims, policies, rules and keys, and nothing of another server.
func testAuthServerDelete(t *testing.T, s store.Store) {
	for _, id := range []string{"aus1", "aus2"} {
		must(t, "CreateAuthServer", s.CreateAuthServer(ctx(t), fullAuthServer(id)))
		must(t, "PutScope", s.PutScope(ctx(t), store.Scope{AuthServerID: id, Name: "read", MetadataPublish: "NO_CLIENTS", CreatedAt: t0}))
		must(t, "PutClaim", s.PutClaim(ctx(t), store.Claim{ID: "ocl" + id, AuthServerID: id, Name: "c", Status: store.StatusActive, CreatedAt: t0, UpdatedAt: t0}))
		must(t, "PutPolicy", s.PutPolicy(ctx(t), store.Policy{ID: "00p" + id, AuthServerID: id, Name: "p", Priority: 1, Status: store.StatusActive,
			ClientIDs: []string{store.AllClients}, CreatedAt: t0, UpdatedAt: t0}))
		must(t, "PutRule", s.PutRule(ctx(t), store.PolicyRule{ID: "0pr" + id, PolicyID: "00p" + id, AuthServerID: id, Name: "r", Priority: 1,
			Status: store.StatusActive, GrantTypes: []string{"client_credentials"}, CreatedAt: t0, UpdatedAt: t0}))
		must(t, "CreateKey", s.CreateKey(ctx(t), newKey("kid-"+id, id, store.KeyActive, t0)))
	}
	must(t, "DeleteAuthServer", s.DeleteAuthServer(ctx(t), "aus1"))
	_, err := s.GetAuthServer(ctx(t), "aus1")
	wantErr(t, "GetAuthServer after DeleteAuthServer", err, store.ErrNotFound)
	wantErr(t, "DeleteAuthServer again", s.DeleteAuthServer(ctx(t), "aus1"), store.ErrNotFound)
	for _, c := range []struct {
		id   string
		want int
	}{{"aus1", 0}, {"aus2", 1}} {
		scopes, err := s.ListScopes(ctx(t), c.id)
		must(t, "ListScopes", err)
		claims, err := s.ListClaims(ctx(t), c.id)
		must(t, "ListClaims", err)
		policies, err := s.ListPolicies(ctx(t), c.id)
		must(t, "ListPolicies", err)
		rules, err := s.ListRules(ctx(t), "00p"+c.id)
		must(t, "ListRules", err)
		keys, err := s.ListKeys(ctx(t), c.id)
		must(t, "ListKeys", err)
		for what, n := range map[string]int{"scopes": len(scopes), "claims": len(claims), "policies": len(policies), "rules": len(rules), "keys": len(keys)} {
			if n != c.want {
				t.Errorf("%s of %s after deleting aus1: %d, want %d", what, c.id, n, c.want)
			}
		}
	}
	if _, err := s.GetAuthServer(ctx(t), "aus2"); err != nil {
		t.Fatalf("the other server: %v", err)
	}
	// A new server may take the deleted one's id: nothing of the old one
	// comes back with it.
	must(t, "CreateAuthServer again", s.CreateAuthServer(ctx(t), fullAuthServer("aus1")))
	keys, err := s.ListKeys(ctx(t), "aus1")
	must(t, "ListKeys", err)
	if len(keys) != 0 {
		t.Fatalf("the recreated server has %d keys", len(keys))
	}
}
