package storetest

import (
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/store"
)

var exportTests = []test{
	{"RefreshTokensPaged", testExportRefreshTokens},
	{"TokenRecordsPaged", testExportTokenRecords},
	{"SingleUsePaged", testExportSingleUse},
	{"LoginKeys", testExportLoginKeys},
	{"MetaNames", testExportMetaNames},
	{"PasswordChanges", testExportPasswordChanges},
}

func testExportRefreshTokens(t *testing.T, s store.Store) {
	a, b, c := newRefresh("rt-a", "rt-a"), newRefresh("rt-b", "rt-a"), newRefresh("rt-c", "rt-c")
	a.RotatedAt, a.ReplacedBy, c.RevokedAt = t0.Add(time.Second), "rt-b", t0.Add(time.Minute)
	for _, r := range []store.RefreshToken{c, a, b} {
		must(t, "CreateRefreshToken", s.CreateRefreshToken(ctx(t), r))
	}
	got, err := s.ListRefreshTokens(ctx(t), store.Page{Limit: 2})
	must(t, "ListRefreshTokens", err)
	sameList(t, "ListRefreshTokens page 1", got, []store.RefreshToken{a, b})
	got, err = s.ListRefreshTokens(ctx(t), store.Page{After: "rt-b"})
	must(t, "ListRefreshTokens", err)
	sameList(t, "ListRefreshTokens page 2", got, []store.RefreshToken{c})
}

func testExportTokenRecords(t *testing.T, s store.Store) {
	recs := []store.TokenRecord{
		{JTI: "AT.1", FamilyID: "fam1", RefreshID: "rt-fam1", ClientID: "0oa1", ExpiresAt: t0.Add(time.Hour)},
		{JTI: "AT.2", ClientID: "0oa2", ExpiresAt: t0.Add(time.Hour), RevokedAt: t0},
		{JTI: "AT.3", ClientID: "0oa2", ExpiresAt: t0.Add(time.Hour)},
	}
	for _, r := range recs {
		must(t, "RecordToken", s.RecordToken(ctx(t), r))
	}
	got, err := s.ListTokenRecords(ctx(t), store.Page{Limit: 2})
	must(t, "ListTokenRecords", err)
	sameList(t, "ListTokenRecords page 1", got, recs[:2])
	got, err = s.ListTokenRecords(ctx(t), store.Page{After: "AT.2"})
	must(t, "ListTokenRecords", err)
	sameList(t, "ListTokenRecords page 2", got, recs[2:])
}

func testExportSingleUse(t *testing.T, s store.Store) {
	want := []store.SingleUse{{ID: "jti-1", ExpiresAt: t0.Add(time.Hour)}, {ID: "jti-2", ExpiresAt: t0.Add(-time.Hour)}}
	for _, u := range want {
		must(t, "UseOnce", s.UseOnce(ctx(t), u.ID, u.ExpiresAt))
	}
	got, err := s.ListSingleUse(ctx(t), store.Page{})
	must(t, "ListSingleUse", err)
	sameList(t, "ListSingleUse", got, want)
	got, err = s.ListSingleUse(ctx(t), store.Page{After: "jti-1", Limit: 1})
	must(t, "ListSingleUse", err)
	sameList(t, "ListSingleUse after", got, want[1:])
}

func testExportLoginKeys(t *testing.T, s store.Store) {
	bump := func(shared, pair store.LoginCounter) (store.LoginCounter, store.LoginCounter, error) {
		shared.Failures++
		pair.Failures++
		return shared, pair, nil
	}
	// Two counters of "bob" (shared and one source) are one key.
	must(t, "UpdateLoginCounters", s.UpdateLoginCounters(ctx(t), "bob", "192.0.2.1", bump))
	must(t, "UpdateLoginCounters", s.UpdateLoginCounters(ctx(t), "alice", "", bump))
	must(t, "UpdateLoginCounters", s.UpdateLoginCounters(ctx(t), "carol", "", bump))
	keys, err := s.ListLoginKeys(ctx(t), store.Page{Limit: 2})
	sameIDs(t, "ListLoginKeys page 1", keys, err, "alice", "bob")
	keys, err = s.ListLoginKeys(ctx(t), store.Page{After: "bob"})
	sameIDs(t, "ListLoginKeys page 2", keys, err, "carol")
}

func testExportMetaNames(t *testing.T, s store.Store) {
	names, err := s.ListMetaNames(ctx(t))
	sameIDs(t, "ListMetaNames of an empty store", names, err)
	for _, n := range []string{"zeta", "alpha"} {
		_, err := s.InitMeta(ctx(t), n, []byte(n))
		must(t, "InitMeta", err)
	}
	names, err = s.ListMetaNames(ctx(t))
	sameIDs(t, "ListMetaNames", names, err, "alpha", "zeta")
}

func testExportPasswordChanges(t *testing.T, s store.Store) {
	createUsers(t, s, "00u1")
	u, err := s.GetUser(ctx(t), "00u1")
	must(t, "GetUser", err)
	for i, h := range []string{"h2", "h3"} {
		_, err := s.ChangePassword(ctx(t), "00u1", 5, setHash(h, t0.Add(time.Duration(i+1)*time.Hour)))
		must(t, "ChangePassword", err)
	}
	got, err := s.ListPasswordChanges(ctx(t), "00u1")
	must(t, "ListPasswordChanges", err)
	sameList(t, "ListPasswordChanges", got, []store.PasswordChange{
		{Hash: u.PasswordHash, ReplacedAt: t0.Add(time.Hour)},
		{Hash: "h2", ReplacedAt: t0.Add(2 * time.Hour)},
	})
	got, err = s.ListPasswordChanges(ctx(t), "00u-unknown")
	must(t, "ListPasswordChanges of an unknown user", err)
	sameList(t, "ListPasswordChanges of an unknown user", got, nil)
}
