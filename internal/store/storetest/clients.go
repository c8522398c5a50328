package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/store"
)

var clientTests = []test{
	{"CreateGetRoundTrip", testClientRoundTrip},
	{"CreateDuplicateID", testClientDuplicate},
	{"GetMissing", testClientMissing},
	{"UpdateChangesEveryField", testClientUpdate},
	{"UpdateMissing", testClientUpdateMissing},
	{"UpdateClosureErrorAborts", testClientUpdateAbort},
	{"UpdateCannotChangeID", testClientUpdateID},
	{"ListPaging", testClientPaging},
	{"ListDefaultLimit", testClientDefaultLimit},
}

func fullClient(id string) store.Client {
	return store.Client{
		ID:                      id,
		Name:                    "CLI app",
		TokenEndpointAuthMethod: "client_secret_basic",
		GrantTypes:              []string{"password", "refresh_token", "client_credentials"},
		Status:                  store.StatusActive,
		JWKS:                    []byte(`{"keys":[{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}`),
		JWKSURI:                 "https://app.example.com/.well-known/jwks.json",
		RefreshRotation:         store.RotationRotate,
		RefreshLeeway:           30*time.Second + 250*time.Millisecond,
		CreatedAt:               t0,
		UpdatedAt:               t0.Add(time.Second + time.Millisecond),
	}
}

func testClientRoundTrip(t *testing.T, s store.Store) {
	recs := []store.Client{
		fullClient("0oa1full"),
		// A public client: no secret, no grants listed, times unset.
		{ID: "0oa2public", Name: "Приложение «τ» 🚀", TokenEndpointAuthMethod: "none", GrantTypes: []string{}, Status: store.StatusInactive},
		{ID: "0oa3nil", Name: "nil grants", GrantTypes: nil, CreatedAt: t0.Add(-30 * 365 * 24 * time.Hour)},
		{ID: "0oa4one", Name: `quote " and \ backslash`, GrantTypes: []string{"urn:ietf:params:oauth:grant-type:device_code"}, UpdatedAt: t0},
		// Empty byte slices read back nil; a static client without leeway.
		{ID: "0oa5static", JWKS: []byte{}, RefreshRotation: store.RotationStatic, RefreshLeeway: 0},
	}
	for _, c := range recs {
		must(t, "CreateClient", s.CreateClient(ctx(t), c))
	}
	for _, want := range recs {
		got, err := s.GetClient(ctx(t), want.ID)
		must(t, "GetClient", err)
		same(t, "GetClient "+want.ID, got, want)
	}
}

func testClientDuplicate(t *testing.T, s store.Store) {
	orig := fullClient("0oa1")
	must(t, "CreateClient", s.CreateClient(ctx(t), orig))
	dup := fullClient("0oa1")
	dup.Name = "other"
	wantErr(t, "CreateClient duplicate", s.CreateClient(ctx(t), dup), store.ErrConflict)
	got, err := s.GetClient(ctx(t), orig.ID)
	must(t, "GetClient", err)
	same(t, "after the refused duplicate", got, orig)
}

func testClientMissing(t *testing.T, s store.Store) {
	must(t, "CreateClient", s.CreateClient(ctx(t), fullClient("0oa1")))
	for _, id := range []string{"0oa2", "0OA1", ""} {
		_, err := s.GetClient(ctx(t), id)
		wantErr(t, "GetClient "+id, err, store.ErrNotFound)
	}
}

func testClientUpdate(t *testing.T, s store.Store) {
	orig := fullClient("0oa1")
	must(t, "CreateClient", s.CreateClient(ctx(t), orig))
	want := store.Client{
		ID:                      orig.ID,
		Name:                    "renamed ✓",
		TokenEndpointAuthMethod: "client_secret_post",
		GrantTypes:              []string{"refresh_token"},
		Status:                  store.StatusInactive,
		JWKS:                    []byte(`{"keys":[]}`),
		JWKSURI:                 "",
		RefreshRotation:         store.RotationStatic,
		RefreshLeeway:           time.Minute,
		CreatedAt:               time.Time{},
		UpdatedAt:               t0.Add(time.Hour),
	}
	got, err := s.UpdateClient(ctx(t), orig.ID, func(old store.Client) (store.Client, error) {
		same(t, "closure's argument", old, orig)
		return want, nil
	})
	must(t, "UpdateClient", err)
	same(t, "UpdateClient's result", got, want)
	stored, err := s.GetClient(ctx(t), orig.ID)
	must(t, "GetClient", err)
	same(t, "GetClient after UpdateClient", stored, want)
}

func testClientUpdateMissing(t *testing.T, s store.Store) {
	called := false
	_, err := s.UpdateClient(ctx(t), "0oa404", func(c store.Client) (store.Client, error) {
		called = true
		return c, nil
	})
	wantErr(t, "UpdateClient of a missing client", err, store.ErrNotFound)
	if called {
		t.Error("UpdateClient ran the closure for a missing client")
	}
	if _, err := s.GetClient(ctx(t), "0oa404"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UpdateClient of a missing client created it (GetClient: %v)", err)
	}
}

func testClientUpdateAbort(t *testing.T, s store.Store) {
	orig := fullClient("0oa1")
	must(t, "CreateClient", s.CreateClient(ctx(t), orig))
	_, err := s.UpdateClient(ctx(t), orig.ID, func(c store.Client) (store.Client, error) {
		c.Name = "half-done"
		return c, errBoom
	})
	if err != errBoom {
		t.Fatalf("UpdateClient: got error %v, want the closure's error as is", err)
	}
	got, err := s.GetClient(ctx(t), orig.ID)
	must(t, "GetClient", err)
	same(t, "after the aborted update", got, orig)
}

func testClientUpdateID(t *testing.T, s store.Store) {
	orig := fullClient("0oa1")
	must(t, "CreateClient", s.CreateClient(ctx(t), orig))
	got, err := s.UpdateClient(ctx(t), orig.ID, func(c store.Client) (store.Client, error) {
		c.ID = "0oa2"
		c.Name = "moved?"
		return c, nil
	})
	must(t, "UpdateClient", err)
	if got.ID != orig.ID || got.Name != "moved?" {
		t.Errorf("UpdateClient returned id %q name %q, want id %q name %q", got.ID, got.Name, orig.ID, "moved?")
	}
	stored, err := s.GetClient(ctx(t), orig.ID)
	must(t, "GetClient of the original id", err)
	if stored.Name != "moved?" {
		t.Errorf("the update did not reach the original id: name %q", stored.Name)
	}
	_, err = s.GetClient(ctx(t), "0oa2")
	wantErr(t, "GetClient of the id the closure set", err, store.ErrNotFound)
}

func testClientPaging(t *testing.T, s store.Store) {
	for _, id := range creationOrder {
		must(t, "CreateClient", s.CreateClient(ctx(t), fullClient(id)))
	}
	checkPaging(t, func(p store.Page) ([]store.Client, error) { return s.ListClients(ctx(t), p) })
}

func testClientDefaultLimit(t *testing.T, s store.Store) {
	const n = 205
	for i := range n {
		must(t, "CreateClient", s.CreateClient(ctx(t), fullClient(fmt.Sprintf("0oa%04d", i))))
	}
	got, err := s.ListClients(ctx(t), store.Page{})
	must(t, "ListClients", err)
	if len(got) != 200 || got[0].ID != "0oa0000" || got[199].ID != "0oa0199" {
		t.Fatalf("ListClients with no limit: got %d records (%s…), want the first 200", len(got), ids(got[:min(len(got), 3)]))
	}
	rest, err := s.ListClients(ctx(t), store.Page{After: got[199].ID})
	must(t, "ListClients", err)
	if len(rest) != n-200 {
		t.Fatalf("ListClients of the second page: got %d records, want %d", len(rest), n-200)
	}
}
