package storetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/store"
)

var apiTokenTests = []test{
	{"CreateGetRoundTrip", testAPITokenRoundTrip},
	{"DuplicateIDOrHash", testAPITokenDuplicate},
	{"TouchAndDelete", testAPITokenTouchDelete},
	{"ListPaging", testAPITokenPaging},
}

var clientGrantTests = []test{
	{"CreateGetListDelete", testClientGrantRoundTrip},
	{"OneGrantPerScope", testClientGrantDuplicate},
	{"UnknownClient", testClientGrantUnknownClient},
}

func fullAPIToken(id, hash string) store.APIToken {
	return store.APIToken{ID: id, Name: "terraform", TokenHash: hash, ClientName: "Latchkey CLI",
		CreatedAt: t0, UpdatedAt: t0.Add(time.Millisecond), ExpiresAt: t0.Add(30 * 24 * time.Hour)}
}

func testAPITokenRoundTrip(t *testing.T, s store.Store) {
	want := fullAPIToken("00Tone", "hmac-sha256$v1$one")
	must(t, "CreateAPIToken", s.CreateAPIToken(ctx(t), want))
	got, err := s.GetAPIToken(ctx(t), want.ID)
	must(t, "GetAPIToken", err)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("GetAPIToken = %+v, want %+v", got, want)
	}
	got, err = s.GetAPITokenByHash(ctx(t), want.TokenHash)
	must(t, "GetAPITokenByHash", err)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("GetAPITokenByHash = %+v, want %+v", got, want)
	}
	_, err = s.GetAPITokenByHash(ctx(t), "hmac-sha256$v1$other")
	wantErr(t, "GetAPITokenByHash of another hash", err, store.ErrNotFound)
	_, err = s.GetAPIToken(ctx(t), "00Tmissing")
	wantErr(t, "GetAPIToken of a missing id", err, store.ErrNotFound)
}

func testAPITokenDuplicate(t *testing.T, s store.Store) {
	must(t, "CreateAPIToken", s.CreateAPIToken(ctx(t), fullAPIToken("00Tone", "h1")))
	wantErr(t, "CreateAPIToken with the same id", s.CreateAPIToken(ctx(t), fullAPIToken("00Tone", "h2")), store.ErrConflict)
	wantErr(t, "CreateAPIToken with the same hash", s.CreateAPIToken(ctx(t), fullAPIToken("00Ttwo", "h1")), store.ErrConflict)
}

func testAPITokenTouchDelete(t *testing.T, s store.Store) {
	tok := fullAPIToken("00Tone", "h1")
	must(t, "CreateAPIToken", s.CreateAPIToken(ctx(t), tok))
	used, expires := t0.Add(time.Hour), t0.Add(31*24*time.Hour)
	must(t, "TouchAPIToken", s.TouchAPIToken(ctx(t), tok.ID, used, expires))
	got, err := s.GetAPIToken(ctx(t), tok.ID)
	must(t, "GetAPIToken", err)
	if !got.LastUsedAt.Equal(used) || !got.ExpiresAt.Equal(expires) {
		t.Fatalf("after touch: last used %v expires %v, want %v %v", got.LastUsedAt, got.ExpiresAt, used, expires)
	}
	wantErr(t, "TouchAPIToken of a missing token", s.TouchAPIToken(ctx(t), "00Tmissing", used, expires), store.ErrNotFound)
	must(t, "DeleteAPIToken", s.DeleteAPIToken(ctx(t), tok.ID))
	_, err = s.GetAPITokenByHash(ctx(t), tok.TokenHash)
	wantErr(t, "GetAPITokenByHash after delete", err, store.ErrNotFound)
	wantErr(t, "DeleteAPIToken twice", s.DeleteAPIToken(ctx(t), tok.ID), store.ErrNotFound)
}

func testAPITokenPaging(t *testing.T, s store.Store) {
	for _, id := range []string{"00Tc", "00Ta", "00Tb"} {
		must(t, "CreateAPIToken", s.CreateAPIToken(ctx(t), fullAPIToken(id, "hash-"+id)))
	}
	page, err := s.ListAPITokens(ctx(t), store.Page{Limit: 2})
	must(t, "ListAPITokens", err)
	if len(page) != 2 || page[0].ID != "00Ta" || page[1].ID != "00Tb" {
		t.Fatalf("first page = %v", page)
	}
	page, err = s.ListAPITokens(ctx(t), store.Page{After: "00Tb", Limit: 2})
	must(t, "ListAPITokens", err)
	if len(page) != 1 || page[0].ID != "00Tc" {
		t.Fatalf("second page = %v", page)
	}
}

func fullGrant(id, clientID, scope string) store.ClientGrant {
	return store.ClientGrant{ID: id, ClientID: clientID, ScopeID: scope, Issuer: "https://id.example.com", Source: "ADMIN",
		CreatedAt: t0, UpdatedAt: t0.Add(time.Millisecond)}
}

func testClientGrantRoundTrip(t *testing.T, s store.Store) {
	must(t, "CreateClient", s.CreateClient(ctx(t), fullClient("0oa1")))
	must(t, "CreateClient", s.CreateClient(ctx(t), fullClient("0oa2")))
	b := fullGrant("oagb", "0oa1", "okta.users.read")
	a := fullGrant("oaga", "0oa1", "okta.groups.manage")
	must(t, "CreateClientGrant", s.CreateClientGrant(ctx(t), b))
	must(t, "CreateClientGrant", s.CreateClientGrant(ctx(t), a))
	must(t, "CreateClientGrant", s.CreateClientGrant(ctx(t), fullGrant("oagc", "0oa2", "okta.users.read")))
	got, err := s.GetClientGrant(ctx(t), "0oa1", "oagb")
	must(t, "GetClientGrant", err)
	if !reflect.DeepEqual(got, b) {
		t.Fatalf("GetClientGrant = %+v, want %+v", got, b)
	}
	_, err = s.GetClientGrant(ctx(t), "0oa2", "oagb")
	wantErr(t, "GetClientGrant through another client", err, store.ErrNotFound)
	list, err := s.ListClientGrants(ctx(t), "0oa1")
	must(t, "ListClientGrants", err)
	if !reflect.DeepEqual(list, []store.ClientGrant{a, b}) {
		t.Fatalf("ListClientGrants = %+v", list)
	}
	wantErr(t, "DeleteClientGrant through another client", s.DeleteClientGrant(ctx(t), "0oa2", "oaga"), store.ErrNotFound)
	must(t, "DeleteClientGrant", s.DeleteClientGrant(ctx(t), "0oa1", "oaga"))
	list, err = s.ListClientGrants(ctx(t), "0oa1")
	must(t, "ListClientGrants", err)
	if len(list) != 1 || list[0].ID != "oagb" {
		t.Fatalf("after delete: %+v", list)
	}
}

func testClientGrantDuplicate(t *testing.T, s store.Store) {
	must(t, "CreateClient", s.CreateClient(ctx(t), fullClient("0oa1")))
	must(t, "CreateClientGrant", s.CreateClientGrant(ctx(t), fullGrant("oaga", "0oa1", "okta.users.read")))
	wantErr(t, "a second grant of one scope", s.CreateClientGrant(ctx(t), fullGrant("oagb", "0oa1", "okta.users.read")), store.ErrConflict)
}

func testClientGrantUnknownClient(t *testing.T, s store.Store) {
	wantErr(t, "a grant to a missing client", s.CreateClientGrant(ctx(t), fullGrant("oaga", "0oamissing", "okta.users.read")), store.ErrNotFound)
}
