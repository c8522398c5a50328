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
}

func fullAuthServer(id string) store.AuthServer {
	return store.AuthServer{
		ID:          id,
		Name:        "Default",
		Description: "Default Authorization Server",
		Audience:    "api://default",
		Status:      store.StatusActive,
		CreatedAt:   t0,
		UpdatedAt:   t0.Add(90 * time.Minute),
	}
}

func testAuthServerRoundTrip(t *testing.T, s store.Store) {
	recs := []store.AuthServer{
		fullAuthServer("default"),
		{ID: "aus1émoji🔑", Name: "Zoë’s server — 認可", Audience: "api://ünïcode", Status: store.StatusInactive},
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
