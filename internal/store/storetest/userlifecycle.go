package storetest

import (
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/store"
)

var userLifecycleTests = []test{
	{"RevokeUserTokens", testRevokeUserTokens},
	{"RevokeUserTokensMissing", testRevokeUserTokensMissing},
	{"WatermarkOnlyMovesForward", testWatermarkForward},
	{"DeleteUser", testDeleteUser},
}

// testRevokeUserTokens: every family of the user and the access tokens
// recorded for them are revoked at the given time (earlier revocations kept),
// the watermark is set, and another user's tokens are untouched.
func testRevokeUserTokens(t *testing.T, s store.Store) {
	must(t, "CreateUser", s.CreateUser(ctx(t), fullUser("00u1", "ada@example.com")))
	must(t, "CreateUser", s.CreateUser(ctx(t), fullUser("00u2", "bob@example.com")))
	a, b := newRefresh("rt-a", "rt-a"), newRefresh("rt-b", "rt-b")
	old := newRefresh("rt-old", "rt-old")
	old.RevokedAt = t0.Add(-time.Hour)
	other := newRefresh("rt-other", "rt-other")
	other.UserID = "00u2"
	createRefresh(t, s, a, b, old, other)
	_, err := s.UseRefreshToken(ctx(t), "rt-a", rotate(newRefresh("rt-a2", "rt-a"), t0.Add(time.Second)))
	must(t, "UseRefreshToken", err)
	recs := []store.TokenRecord{
		{JTI: "AT.a", FamilyID: "rt-a", ClientID: "0oa1", ExpiresAt: t0.Add(time.Hour)},
		{JTI: "AT.old", FamilyID: "rt-old", ClientID: "0oa1", ExpiresAt: t0.Add(time.Hour), RevokedAt: t0.Add(-time.Hour)},
		{JTI: "AT.other", FamilyID: "rt-other", ClientID: "0oa1", ExpiresAt: t0.Add(time.Hour)},
		{JTI: "AT.alone", ClientID: "0oa1", ExpiresAt: t0.Add(time.Hour)},
	}
	for _, r := range recs {
		must(t, "RecordToken "+r.JTI, s.RecordToken(ctx(t), r))
	}
	at := t0.Add(time.Minute)
	must(t, "RevokeUserTokens", s.RevokeUserTokens(ctx(t), "00u1", at))
	must(t, "RevokeUserTokens again", s.RevokeUserTokens(ctx(t), "00u1", at.Add(time.Minute)))

	for id, want := range map[string]time.Time{"rt-a": at, "rt-a2": at, "rt-b": at, "rt-old": t0.Add(-time.Hour), "rt-other": {}} {
		got, err := s.GetRefreshToken(ctx(t), id)
		must(t, "GetRefreshToken "+id, err)
		if !got.RevokedAt.Equal(want) {
			t.Errorf("refresh token %s revoked at %v, want %v", id, got.RevokedAt, want)
		}
	}
	for jti, want := range map[string]time.Time{"AT.a": at, "AT.old": t0.Add(-time.Hour), "AT.other": {}, "AT.alone": {}} {
		got, err := s.GetTokenRecord(ctx(t), jti)
		must(t, "GetTokenRecord "+jti, err)
		if !got.RevokedAt.Equal(want) {
			t.Errorf("token record %s revoked at %v, want %v", jti, got.RevokedAt, want)
		}
	}
	u, err := s.GetUser(ctx(t), "00u1")
	must(t, "GetUser", err)
	if want := at.Add(time.Minute); !u.TokensValidAfter.Equal(want) {
		t.Errorf("TokensValidAfter %v, want %v", u.TokensValidAfter, want)
	}
	if u2, _ := s.GetUser(ctx(t), "00u2"); !u2.TokensValidAfter.IsZero() {
		t.Errorf("another user's watermark moved to %v", u2.TokensValidAfter)
	}
	// An access token recorded for a revoked family after the revocation is
	// stored revoked, as after RevokeFamily.
	must(t, "RecordToken late", s.RecordToken(ctx(t), store.TokenRecord{JTI: "AT.late", FamilyID: "rt-b", ClientID: "0oa1", ExpiresAt: t0.Add(time.Hour)}))
	if got, err := s.GetTokenRecord(ctx(t), "AT.late"); err != nil || got.RevokedAt.IsZero() {
		t.Errorf("an access token recorded for a revoked family is active: %+v %v", got, err)
	}
}

func testRevokeUserTokensMissing(t *testing.T, s store.Store) {
	wantErr(t, "RevokeUserTokens of a missing user", s.RevokeUserTokens(ctx(t), "00u404", t0), store.ErrNotFound)
	must(t, "CreateUser", s.CreateUser(ctx(t), fullUser("00u1", "ada@example.com")))
	if err := s.RevokeUserTokens(ctx(t), "00u1", time.Time{}); err == nil {
		t.Error("RevokeUserTokens at the zero time succeeded")
	}
}

// testWatermarkForward: neither UpdateUser, ChangePassword nor an earlier
// revocation moves the watermark back.
func testWatermarkForward(t *testing.T, s store.Store) {
	u := fullUser("00u1", "ada@example.com")
	u.TokensValidAfter = t0
	must(t, "CreateUser", s.CreateUser(ctx(t), u))
	got, err := s.GetUser(ctx(t), "00u1")
	must(t, "GetUser", err)
	same(t, "created with a watermark", got, u)
	must(t, "RevokeUserTokens earlier", s.RevokeUserTokens(ctx(t), "00u1", t0.Add(-time.Hour)))
	got, err = s.UpdateUser(ctx(t), "00u1", func(u store.User) (store.User, error) {
		u.TokensValidAfter = time.Time{}
		u.Status = store.UserSuspended
		return u, nil
	})
	must(t, "UpdateUser", err)
	if !got.TokensValidAfter.Equal(t0) || got.Status != store.UserSuspended {
		t.Errorf("after UpdateUser: watermark %v status %s, want %v SUSPENDED", got.TokensValidAfter, got.Status, t0)
	}
	got, err = s.UpdateUser(ctx(t), "00u1", func(u store.User) (store.User, error) {
		u.TokensValidAfter = t0.Add(time.Hour)
		return u, nil
	})
	must(t, "UpdateUser forward", err)
	if !got.TokensValidAfter.Equal(t0.Add(time.Hour)) {
		t.Errorf("UpdateUser did not move the watermark forward: %v", got.TokensValidAfter)
	}
	got, err = s.ChangePassword(ctx(t), "00u1", 0, func(u store.User) (store.User, error) {
		u.PasswordHash, u.TokensValidAfter = "new", time.Time{}
		return u, nil
	})
	must(t, "ChangePassword", err)
	if !got.TokensValidAfter.Equal(t0.Add(time.Hour)) {
		t.Errorf("ChangePassword moved the watermark to %v", got.TokensValidAfter)
	}
	for _, c := range []struct {
		issued time.Time
		want   bool
	}{{t0, false}, {t0.Add(time.Hour - time.Millisecond), false}, {t0.Add(time.Hour), false}, {t0.Add(2 * time.Hour), false}} {
		// SUSPENDED holds no tokens at all.
		if got.HoldsTokenIssuedAt(c.issued) != c.want {
			t.Errorf("SUSPENDED HoldsTokenIssuedAt(%v) = %v", c.issued, !c.want)
		}
	}
	got.Status = store.UserActive
	for _, c := range []struct {
		issued time.Time
		want   bool
	}{{t0, false}, {t0.Add(time.Hour - time.Millisecond), false}, {t0.Add(time.Hour), true}, {t0.Add(2 * time.Hour), true}} {
		if got.HoldsTokenIssuedAt(c.issued) != c.want {
			t.Errorf("ACTIVE HoldsTokenIssuedAt(%v) = %v, want %v", c.issued, !c.want, c.want)
		}
	}
}

// testDeleteUser: the user and what is its alone go; its login is free
// again; other users keep theirs.
func testDeleteUser(t *testing.T, s store.Store) {
	for _, u := range []store.User{fullUser("00u1", "Ada@Example.com"), fullUser("00u2", "bob@example.com")} {
		must(t, "CreateUser", s.CreateUser(ctx(t), u))
	}
	must(t, "CreateClient", s.CreateClient(ctx(t), store.Client{ID: "0oa1", Name: "app", Status: store.StatusActive}))
	must(t, "CreateGroup", s.CreateGroup(ctx(t), store.Group{ID: "00g1", Name: "admins", Type: store.GroupOkta}))
	for _, id := range []string{"00u1", "00u2"} {
		must(t, "AddGroupMember", s.AddGroupMember(ctx(t), "00g1", id))
		must(t, "AssignClient", s.AssignClient(ctx(t), "0oa1", id))
		_, err := s.ChangePassword(ctx(t), id, 5, func(u store.User) (store.User, error) { u.PasswordHash = "next"; return u, nil })
		must(t, "ChangePassword", err)
		must(t, "UpdateLoginCounters", s.UpdateLoginCounters(ctx(t), store.NormalizeLogin(map[string]string{"00u1": "ada@example.com", "00u2": "bob@example.com"}[id]), "",
			func(sh, p store.LoginCounter) (store.LoginCounter, store.LoginCounter, error) {
				sh.Failures = 3
				return sh, p, nil
			}))
	}
	must(t, "DeleteUser", s.DeleteUser(ctx(t), "00u1"))
	wantErr(t, "GetUser of a deleted user", func() error { _, err := s.GetUser(ctx(t), "00u1"); return err }(), store.ErrNotFound)
	wantErr(t, "DeleteUser again", s.DeleteUser(ctx(t), "00u1"), store.ErrNotFound)
	if groups, err := s.ListUserGroups(ctx(t), "00u1"); err != nil || len(groups) != 0 {
		t.Errorf("deleted user's groups: %v %v", groups, err)
	}
	assigned, err := s.ListClientAssignments(ctx(t), "0oa1")
	must(t, "ListClientAssignments", err)
	if len(assigned) != 1 || assigned[0] != "00u2" {
		t.Errorf("assignments after delete: %v", assigned)
	}
	if h, err := s.ListPasswordHistory(ctx(t), "00u1", 5); err != nil || len(h) != 0 {
		t.Errorf("deleted user's history: %v %v", h, err)
	}
	if c, err := s.ListLoginCounters(ctx(t), store.NormalizeLogin("ada@example.com")); err != nil || len(c) != 0 {
		t.Errorf("deleted user's login counters: %v %v", c, err)
	}
	if c, err := s.ListLoginCounters(ctx(t), store.NormalizeLogin("bob@example.com")); err != nil || len(c) != 1 {
		t.Errorf("another user's login counters: %v %v", c, err)
	}
	must(t, "CreateUser with the deleted login", s.CreateUser(ctx(t), fullUser("00u3", "ada@example.com")))
}
