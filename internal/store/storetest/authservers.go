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
		CreatedAt:           t0,
		UpdatedAt:           t0.Add(90 * time.Minute),
	}
}

func testAuthServerRoundTrip(t *testing.T, s store.Store) {
	recs := []store.AuthServer{
		fullAuthServer("default"),
		{ID: "aus1émoji🔑", Name: "Zoë’s server — 認可", Audience: "api://ünïcode", Status: store.StatusInactive},
		{ID: store.OrgServerID, Name: "org", KeyRotationMode: store.RotationManual},
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
