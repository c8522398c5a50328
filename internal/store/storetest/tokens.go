package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/store"
)

var tokenTests = []test{
	{"RefreshRoundTrip", testRefreshRoundTrip},
	{"RefreshDuplicateID", testRefreshDuplicate},
	{"UseRotatesAtomically", testUseRotates},
	{"UseWithoutSuccessor", testUseStatic},
	{"UseMissing", testUseMissing},
	{"UseClosureErrorAborts", testUseAbort},
	{"UseSuccessorConflictAborts", testUseSuccessorConflict},
	{"UseCannotChangeIDOrFamily", testUsePinsFamily},
	{"UseRecordsAccessToken", testUseRecordsAccess},
	{"UseReplacesSuccessor", testUseReplacesSuccessor},
	{"UseKeepsRotatedSuccessor", testUseKeepsRotatedSuccessor},
	{"RevokeFamily", testRevokeFamily},
	{"TokenRecordRoundTrip", testTokenRecord},
	{"UseOnce", testUseOnce},
	{"DeleteExpired", testDeleteExpired},
}

// newRefresh returns a refresh token of family fam, issued at t0.
func newRefresh(id, fam string) store.RefreshToken {
	return store.RefreshToken{
		ID:           id,
		FamilyID:     fam,
		AuthServerID: "default",
		ClientID:     "0oa1",
		UserID:       "00u1",
		Scopes:       []string{"openid", "offline_access", "api:read"},
		AuthTime:     t0.Add(-time.Minute),
		IssuedAt:     t0,
		ExpiresAt:    t0.Add(30 * 24 * time.Hour),
		IdleWindow:   7*24*time.Hour + time.Millisecond,
	}
}

func createRefresh(t *testing.T, s store.Store, toks ...store.RefreshToken) {
	t.Helper()
	for _, tok := range toks {
		must(t, "CreateRefreshToken "+tok.ID, s.CreateRefreshToken(ctx(t), tok))
	}
}

// checkRefresh fails t unless the stored token equals want.
func checkRefresh(t *testing.T, s store.Store, what string, want store.RefreshToken) {
	t.Helper()
	got, err := s.GetRefreshToken(ctx(t), want.ID)
	must(t, what, err)
	same(t, what, got, want)
}

// wantNoRefresh fails t unless no token has the id.
func wantNoRefresh(t *testing.T, s store.Store, what, id string) {
	t.Helper()
	_, err := s.GetRefreshToken(ctx(t), id)
	wantErr(t, what, err, store.ErrNotFound)
}

// useFunc is the closure UseRefreshToken takes.
type useFunc = func(store.RefreshToken, *store.RefreshToken) (store.RefreshUse, error)

// rotate is a closure that exchanges a token for succ at time at.
func rotate(succ store.RefreshToken, at time.Time) useFunc {
	return func(old store.RefreshToken, _ *store.RefreshToken) (store.RefreshUse, error) {
		old.LastUsedAt, old.RotatedAt, old.ReplacedBy = at, at, succ.ID
		return store.RefreshUse{Token: old, Successor: &succ}, nil
	}
}

// accessRecord is the record of an access token of family fam expiring
// an hour after t0; RefreshID is left for the store to fill in.
func accessRecord(jti, fam string) store.TokenRecord {
	return store.TokenRecord{JTI: jti, FamilyID: fam, ClientID: "0oa1", ExpiresAt: t0.Add(time.Hour)}
}

// checkRecord fails t unless the stored record of want.JTI equals want.
func checkRecord(t *testing.T, s store.Store, what string, want store.TokenRecord) {
	t.Helper()
	got, err := s.GetTokenRecord(ctx(t), want.JTI)
	must(t, what, err)
	same(t, what, got, want)
}

func testRefreshRoundTrip(t *testing.T, s store.Store) {
	full := newRefresh("rt-full", "rt-full")
	full.LastUsedAt = t0.Add(time.Hour)
	full.RotatedAt = t0.Add(2 * time.Hour)
	full.ReplacedBy = "rt-next"
	full.RevokedAt = t0.Add(3 * time.Hour)
	recs := []store.RefreshToken{
		full,
		// Client credentials have no user; unlimited, no idle window.
		{ID: "rt-min", FamilyID: "rt-min", ClientID: "0oa2", Scopes: []string{}},
		{ID: "kX3_-9aZ", FamilyID: "rt-full", Scopes: nil, IssuedAt: t0},
	}
	createRefresh(t, s, recs...)
	for _, want := range recs {
		checkRefresh(t, s, "GetRefreshToken "+want.ID, want)
	}
	wantNoRefresh(t, s, "GetRefreshToken of a missing id", "rt-none")
	wantNoRefresh(t, s, "GetRefreshToken of an id in another case", "RT-FULL")
}

func testRefreshDuplicate(t *testing.T, s store.Store) {
	orig := newRefresh("rt1", "rt1")
	createRefresh(t, s, orig)
	dup := newRefresh("rt1", "fam2")
	wantErr(t, "CreateRefreshToken duplicate", s.CreateRefreshToken(ctx(t), dup), store.ErrConflict)
	checkRefresh(t, s, "after the refused duplicate", orig)
}

func testUseRotates(t *testing.T, s store.Store) {
	orig := newRefresh("rt1", "rt1")
	other := newRefresh("rt-other", "rt-other")
	createRefresh(t, s, orig, other)
	at := t0.Add(time.Hour)
	succ := newRefresh("rt2", "rt1")
	succ.IssuedAt = at
	succ.Scopes = []string{"openid"}
	got, err := s.UseRefreshToken(ctx(t), orig.ID, func(old store.RefreshToken, next *store.RefreshToken) (store.RefreshUse, error) {
		same(t, "closure's argument", old, orig)
		if next != nil {
			t.Errorf("closure's successor of an unrotated token: %+v, want nil", *next)
		}
		return rotate(succ, at)(old, next)
	})
	must(t, "UseRefreshToken", err)
	want := orig
	want.LastUsedAt, want.RotatedAt, want.ReplacedBy = at, at, succ.ID
	same(t, "UseRefreshToken's result", got, want)
	checkRefresh(t, s, "the rotated token", want)
	checkRefresh(t, s, "the successor", succ)
	checkRefresh(t, s, "another token", other)
}

func testUseStatic(t *testing.T, s store.Store) {
	orig := newRefresh("rt1", "rt1")
	createRefresh(t, s, orig)
	want := orig
	want.LastUsedAt = t0.Add(time.Hour)
	got, err := s.UseRefreshToken(ctx(t), orig.ID, func(old store.RefreshToken, _ *store.RefreshToken) (store.RefreshUse, error) {
		old.LastUsedAt = want.LastUsedAt
		return store.RefreshUse{Token: old}, nil
	})
	must(t, "UseRefreshToken", err)
	same(t, "UseRefreshToken's result", got, want)
	checkRefresh(t, s, "the used token", want)
}

func testUseMissing(t *testing.T, s store.Store) {
	createRefresh(t, s, newRefresh("rt1", "rt1"))
	called := false
	_, err := s.UseRefreshToken(ctx(t), "rt404", func(old store.RefreshToken, _ *store.RefreshToken) (store.RefreshUse, error) {
		called = true
		succ := newRefresh("rt2", "rt1")
		return store.RefreshUse{Token: old, Successor: &succ}, nil
	})
	wantErr(t, "UseRefreshToken of a missing token", err, store.ErrNotFound)
	if called {
		t.Error("UseRefreshToken ran the closure for a missing token")
	}
	wantNoRefresh(t, s, "the successor of a missing token", "rt2")
	wantNoRefresh(t, s, "the missing token", "rt404")
}

func testUseAbort(t *testing.T, s store.Store) {
	orig := newRefresh("rt1", "rt1")
	createRefresh(t, s, orig)
	_, err := s.UseRefreshToken(ctx(t), orig.ID, func(old store.RefreshToken, next *store.RefreshToken) (store.RefreshUse, error) {
		use, _ := rotate(newRefresh("rt2", "rt1"), t0.Add(time.Hour))(old, next)
		rec := accessRecord("AT.aborted", "rt1")
		use.Access = &rec
		return use, errBoom
	})
	if err != errBoom {
		t.Fatalf("UseRefreshToken: got error %v, want the closure's error as is", err)
	}
	checkRefresh(t, s, "after the aborted use", orig)
	wantNoRefresh(t, s, "the successor of an aborted use", "rt2")
	_, err = s.GetTokenRecord(ctx(t), "AT.aborted")
	wantErr(t, "the access token of an aborted use", err, store.ErrNotFound)
}

// testUseSuccessorConflict checks that a successor that cannot be created
// undoes the change to the token.
func testUseSuccessorConflict(t *testing.T, s store.Store) {
	orig := newRefresh("rt1", "rt1")
	taken := newRefresh("rt-taken", "rt-taken")
	createRefresh(t, s, orig, taken)
	_, err := s.UseRefreshToken(ctx(t), orig.ID, rotate(newRefresh("rt-taken", "rt1"), t0.Add(time.Hour)))
	wantErr(t, "UseRefreshToken with a successor id that exists", err, store.ErrConflict)
	checkRefresh(t, s, "the token after the refused rotation", orig)
	checkRefresh(t, s, "the token whose id the successor took", taken)
}

// testUsePinsFamily checks that the closure cannot move the token to
// another id or family, nor start the successor a family of its own, which
// RevokeFamily would miss.
func testUsePinsFamily(t *testing.T, s store.Store) {
	orig := newRefresh("rt1", "fam1")
	createRefresh(t, s, orig)
	succ := newRefresh("rt2", "fam-elsewhere")
	rec := store.TokenRecord{JTI: "AT.1", FamilyID: "fam-elsewhere", RefreshID: "rt-elsewhere", ExpiresAt: t0.Add(time.Hour)}
	got, err := s.UseRefreshToken(ctx(t), orig.ID, func(old store.RefreshToken, _ *store.RefreshToken) (store.RefreshUse, error) {
		// Neither ReplacedBy nor RotatedAt set: a successor implies them.
		old.ID, old.FamilyID = "rt-moved", "fam-moved"
		return store.RefreshUse{Token: old, Successor: &succ, Access: &rec}, nil
	})
	must(t, "UseRefreshToken", err)
	want := orig
	want.ReplacedBy, want.RotatedAt = succ.ID, succ.IssuedAt
	same(t, "UseRefreshToken's result", got, want)
	checkRefresh(t, s, "the used token", want)
	wantNoRefresh(t, s, "the id the closure set", "rt-moved")
	succ.FamilyID = orig.FamilyID
	checkRefresh(t, s, "the successor", succ)
	rec.FamilyID, rec.RefreshID = orig.FamilyID, succ.ID
	checkRecord(t, s, "the access token recorded by the use", rec)
}

// testUseRecordsAccess checks that the access token of a use is recorded
// with the refresh token it went out with: the successor, or the used
// token when there is none.
func testUseRecordsAccess(t *testing.T, s store.Store) {
	rotating, static := newRefresh("rt1", "rt1"), newRefresh("rt-static", "rt-static")
	createRefresh(t, s, rotating, static)
	withAccess := func(jti string, fn useFunc) useFunc {
		return func(old store.RefreshToken, next *store.RefreshToken) (store.RefreshUse, error) {
			use, err := fn(old, next)
			rec := accessRecord(jti, old.FamilyID)
			use.Access = &rec
			return use, err
		}
	}
	_, err := s.UseRefreshToken(ctx(t), rotating.ID, withAccess("AT.rotated", rotate(newRefresh("rt2", "rt1"), t0.Add(time.Hour))))
	must(t, "UseRefreshToken with a successor", err)
	_, err = s.UseRefreshToken(ctx(t), static.ID, withAccess("AT.static", func(old store.RefreshToken, _ *store.RefreshToken) (store.RefreshUse, error) {
		old.LastUsedAt = t0.Add(time.Hour)
		return store.RefreshUse{Token: old}, nil
	}))
	must(t, "UseRefreshToken without a successor", err)
	want := accessRecord("AT.rotated", "rt1")
	want.RefreshID = "rt2"
	checkRecord(t, s, "the access token of a rotation", want)
	want = accessRecord("AT.static", "rt-static")
	want.RefreshID = "rt-static"
	checkRecord(t, s, "the access token of a use without a successor", want)
}

// testUseReplacesSuccessor checks a retry: a rotated token used again with
// a new successor. The earlier successor is revoked with the access tokens
// that went out with it, so that the family keeps one current token.
func testUseReplacesSuccessor(t *testing.T, s store.Store) {
	orig := newRefresh("rt1", "rt1")
	createRefresh(t, s, orig)
	first, retry := t0.Add(time.Hour), t0.Add(time.Hour+10*time.Second)
	b := newRefresh("rt-b", "rt1")
	b.IssuedAt = first
	_, err := s.UseRefreshToken(ctx(t), orig.ID, func(old store.RefreshToken, next *store.RefreshToken) (store.RefreshUse, error) {
		use, err := rotate(b, first)(old, next)
		rec := accessRecord("AT.b", "rt1")
		use.Access = &rec
		return use, err
	})
	must(t, "UseRefreshToken", err)
	// An access token of the family recorded on its own, with b.
	bLater := accessRecord("AT.b-later", "rt1")
	bLater.RefreshID = b.ID
	must(t, "RecordToken", s.RecordToken(ctx(t), bLater))

	c := newRefresh("rt-c", "rt1")
	c.IssuedAt = retry
	got, err := s.UseRefreshToken(ctx(t), orig.ID, func(old store.RefreshToken, next *store.RefreshToken) (store.RefreshUse, error) {
		if next == nil {
			t.Fatal("closure of a rotated token got no successor")
		}
		same(t, "closure's successor", *next, b)
		old.LastUsedAt = retry
		rec := accessRecord("AT.c", "rt1")
		return store.RefreshUse{Token: old, Successor: &c, Access: &rec}, nil
	})
	must(t, "UseRefreshToken again", err)
	want := orig
	want.LastUsedAt, want.RotatedAt, want.ReplacedBy = retry, first, c.ID
	same(t, "UseRefreshToken's result", got, want)
	checkRefresh(t, s, "the token used twice", want)
	checkRefresh(t, s, "the new successor", c)
	b.RevokedAt = retry
	checkRefresh(t, s, "the replaced successor", b)
	for _, rec := range []store.TokenRecord{accessRecord("AT.b", "rt1"), bLater} {
		rec.RefreshID, rec.RevokedAt = b.ID, retry
		checkRecord(t, s, "an access token of the replaced successor", rec)
	}
	rec := accessRecord("AT.c", "rt1")
	rec.RefreshID = c.ID
	checkRecord(t, s, "the access token of the new successor", rec)
	// A record of b made after the replacement is stored revoked.
	late := accessRecord("AT.b-late", "rt1")
	late.RefreshID = b.ID
	must(t, "RecordToken", s.RecordToken(ctx(t), late))
	late.RevokedAt = retry
	checkRecord(t, s, "a record of the replaced successor made after it", late)
}

// testUseKeepsRotatedSuccessor checks that a successor which has been
// rotated itself cannot be replaced: its own successor would stay current
// beside the new one.
func testUseKeepsRotatedSuccessor(t *testing.T, s store.Store) {
	a, b := newRefresh("rt-a", "rt-a"), newRefresh("rt-b", "rt-a")
	a.RotatedAt, a.ReplacedBy = t0.Add(time.Minute), b.ID
	b.RotatedAt, b.ReplacedBy = t0.Add(2*time.Minute), "rt-d"
	d := newRefresh("rt-d", "rt-a")
	createRefresh(t, s, a, b, d)
	c := newRefresh("rt-c", "rt-a")
	c.IssuedAt = t0.Add(3 * time.Minute)
	_, err := s.UseRefreshToken(ctx(t), a.ID, func(old store.RefreshToken, _ *store.RefreshToken) (store.RefreshUse, error) {
		rec := accessRecord("AT.c", "rt-a")
		return store.RefreshUse{Token: old, Successor: &c, Access: &rec}, nil
	})
	wantErr(t, "UseRefreshToken replacing a rotated successor", err, store.ErrConflict)
	for _, want := range []store.RefreshToken{a, b, d} {
		checkRefresh(t, s, "after the refused replacement", want)
	}
	wantNoRefresh(t, s, "the refused successor", c.ID)
	_, err = s.GetTokenRecord(ctx(t), "AT.c")
	wantErr(t, "the access token of the refused use", err, store.ErrNotFound)
}

func testRevokeFamily(t *testing.T, s store.Store) {
	earlier, at := t0.Add(time.Minute), t0.Add(time.Hour)
	first := newRefresh("rt1", "fam1")
	first.RotatedAt, first.ReplacedBy = t0.Add(time.Second), "rt2"
	second := newRefresh("rt2", "fam1")
	revoked := newRefresh("rt3", "fam1") // revoked on its own before
	revoked.RevokedAt = earlier
	other := newRefresh("rt-other", "fam2")
	createRefresh(t, s, first, second, other)
	records := []store.TokenRecord{
		{JTI: "AT.1", FamilyID: "fam1", ClientID: "0oa1", ExpiresAt: t0.Add(time.Hour)},
		{JTI: "AT.2", FamilyID: "fam1", ClientID: "0oa1", ExpiresAt: t0.Add(2 * time.Hour)},
		{JTI: "AT.3", FamilyID: "fam2", ClientID: "0oa1", ExpiresAt: t0.Add(time.Hour)},
		{JTI: "AT.4", ClientID: "0oa1", ExpiresAt: t0.Add(time.Hour)},
	}
	for _, r := range records {
		must(t, "RecordToken", s.RecordToken(ctx(t), r))
	}
	// Created after the records: a record takes its refresh token's
	// revocation when it is recorded (testTokenRecord), which this test is
	// not about.
	createRefresh(t, s, revoked)

	must(t, "RevokeFamily", s.RevokeFamily(ctx(t), "fam1", at))
	must(t, "RevokeFamily again, later", s.RevokeFamily(ctx(t), "fam1", at.Add(time.Hour)))
	must(t, "RevokeFamily of an unknown family", s.RevokeFamily(ctx(t), "fam404", at))

	for _, tok := range []*store.RefreshToken{&first, &second} {
		tok.RevokedAt = at
	}
	for _, want := range []store.RefreshToken{first, second, revoked, other} {
		checkRefresh(t, s, "refresh token "+want.ID+" after RevokeFamily", want)
	}
	records[0].RevokedAt, records[1].RevokedAt = at, at
	for _, want := range records {
		got, err := s.GetTokenRecord(ctx(t), want.JTI)
		must(t, "GetTokenRecord", err)
		same(t, "token record "+want.JTI+" after RevokeFamily", got, want)
	}
}

func testTokenRecord(t *testing.T, s store.Store) {
	recs := []store.TokenRecord{
		{JTI: "AT.fam", FamilyID: "fam1", RefreshID: "rt-fam1", ClientID: "0oa1", ExpiresAt: t0.Add(time.Hour)},
		{JTI: "AT.own", ClientID: "0oa2", ExpiresAt: t0.Add(time.Hour), RevokedAt: t0},
		{JTI: "AT.min"},
	}
	for _, r := range recs {
		must(t, "RecordToken", s.RecordToken(ctx(t), r))
	}
	for _, want := range recs {
		got, err := s.GetTokenRecord(ctx(t), want.JTI)
		must(t, "GetTokenRecord", err)
		same(t, "GetTokenRecord "+want.JTI, got, want)
	}
	// Recording a jti again replaces the record.
	again := store.TokenRecord{JTI: "AT.fam", ClientID: "0oa3", ExpiresAt: t0.Add(2 * time.Hour), RevokedAt: t0.Add(time.Minute)}
	must(t, "RecordToken again", s.RecordToken(ctx(t), again))
	got, err := s.GetTokenRecord(ctx(t), again.JTI)
	must(t, "GetTokenRecord", err)
	same(t, "GetTokenRecord after recording again", got, again)
	_, err = s.GetTokenRecord(ctx(t), "AT.404")
	wantErr(t, "GetTokenRecord of an unknown jti", err, store.ErrNotFound)

	// A record whose refresh token was revoked before it was recorded (the
	// family was revoked between a rotation and the recording of its
	// access token) is stored revoked at the token's time. Without a
	// RefreshID, the family's first token (whose id is the family's)
	// counts. Another token of the family revoked alone (a replaced
	// successor) does not revoke records of the others.
	root := newRefresh("fam-late", "fam-late")
	replaced, live := newRefresh("fam-live", "fam-live"), newRefresh("rt-live", "fam-live")
	replaced.RotatedAt, replaced.ReplacedBy, replaced.RevokedAt = t0.Add(time.Minute), live.ID, t0.Add(2*time.Minute)
	createRefresh(t, s, root, replaced, live)
	revokedAt := t0.Add(5 * time.Minute)
	must(t, "RevokeFamily", s.RevokeFamily(ctx(t), "fam-late", revokedAt))
	late := []store.TokenRecord{
		{JTI: "AT.late", FamilyID: "fam-late", RefreshID: "fam-late", ClientID: "0oa1", ExpiresAt: t0.Add(time.Hour)},
		{JTI: "AT.late-family", FamilyID: "fam-late", ClientID: "0oa1", ExpiresAt: t0.Add(time.Hour)},
	}
	for _, r := range late {
		must(t, "RecordToken after RevokeFamily", s.RecordToken(ctx(t), r))
		r.RevokedAt = revokedAt
		checkRecord(t, s, "a record of an already revoked refresh token", r)
	}
	fresh := store.TokenRecord{JTI: "AT.live", FamilyID: "fam-live", RefreshID: live.ID, ClientID: "0oa1", ExpiresAt: t0.Add(time.Hour)}
	must(t, "RecordToken", s.RecordToken(ctx(t), fresh))
	checkRecord(t, s, "a record of a live token whose family has a revoked one", fresh)
}

// testUseOnce uses expiry times far from the store's clock on either side:
// whether a key is still in use is judged by the store at the time of the
// call.
func testUseOnce(t *testing.T, s store.Store) {
	now := time.Now()
	past, future := now.Add(-time.Hour), now.Add(time.Hour)
	must(t, "UseOnce", s.UseOnce(ctx(t), "jti-1", future))
	wantErr(t, "UseOnce of a key in use", s.UseOnce(ctx(t), "jti-1", future), store.ErrConflict)
	wantErr(t, "UseOnce of a key in use, with an earlier expiry", s.UseOnce(ctx(t), "jti-1", past), store.ErrConflict)
	must(t, "UseOnce of another key", s.UseOnce(ctx(t), "jti-2", future))

	must(t, "UseOnce with an expiry already past", s.UseOnce(ctx(t), "jti-old", past))
	must(t, "UseOnce after the expiry", s.UseOnce(ctx(t), "jti-old", future))
	wantErr(t, "UseOnce of the key recorded anew", s.UseOnce(ctx(t), "jti-old", future), store.ErrConflict)

	if err := s.UseOnce(ctx(t), "jti-zero", time.Time{}); err == nil || errors.Is(err, store.ErrConflict) {
		t.Errorf("UseOnce with a zero expiry: got %v, want an error other than ErrConflict", err)
	}
}

func testDeleteExpired(t *testing.T, s store.Store) {
	// now lies ahead of the store's clock, so that every single-use key
	// below is still in use unless DeleteExpired removes it.
	now := time.Now().UTC().Truncate(time.Millisecond).Add(24 * time.Hour)
	tok := func(id string, issued, lastUsed, expires time.Time, idle time.Duration) store.RefreshToken {
		r := newRefresh(id, "fam-"+id)
		r.IssuedAt, r.LastUsedAt, r.ExpiresAt, r.IdleWindow = issued, lastUsed, expires, idle
		return r
	}
	long := 100 * 24 * time.Hour
	var zero time.Time
	gone := []store.RefreshToken{
		tok("rt-expired", now.Add(-time.Hour), zero, now.Add(-time.Millisecond), 0),
		tok("rt-expires-now", now.Add(-time.Hour), zero, now, 0),
		tok("rt-idle-unused", now.Add(-2*time.Hour), zero, zero, time.Hour),
		tok("rt-idle-used", now.Add(-3*time.Hour), now.Add(-time.Hour-time.Millisecond), zero, time.Hour),
		tok("rt-idle-ends-now", now.Add(-time.Hour), zero, now.Add(long), time.Hour),
	}
	kept := []store.RefreshToken{
		tok("rt-live", now.Add(-time.Hour), zero, now.Add(time.Millisecond), 0),
		tok("rt-never", now.Add(-long), zero, zero, 0),
		tok("rt-used-lately", now.Add(-3*time.Hour), now.Add(-30*time.Minute), zero, time.Hour),
		// The later of issue and last use counts.
		tok("rt-issued-lately", now.Add(-30*time.Minute), now.Add(-5*time.Hour), now.Add(long), time.Hour),
	}
	// A rotated, idle-expired token whose family still has a live current
	// token stays (reuse detection); one whose family has none goes.
	rotatedLive := tok("rt-rotated-live-family", now.Add(-3*time.Hour), zero, zero, time.Hour)
	rotatedLive.FamilyID, rotatedLive.RotatedAt, rotatedLive.ReplacedBy = "fam-rt-used-lately", now.Add(-3*time.Hour), "rt-used-lately"
	rotatedDead := tok("rt-rotated-dead-family", now.Add(-3*time.Hour), zero, zero, time.Hour)
	rotatedDead.FamilyID, rotatedDead.RotatedAt, rotatedDead.ReplacedBy = "fam-rt-expired", now.Add(-3*time.Hour), "rt-expired"
	gone = append(gone, rotatedDead)
	kept = append(kept, rotatedLive)
	createRefresh(t, s, append(gone, kept...)...)
	goneRecs := []store.TokenRecord{
		{JTI: "AT.expired", FamilyID: "fam1", ExpiresAt: now.Add(-time.Hour)},
		{JTI: "AT.expires-now", ExpiresAt: now, RevokedAt: now.Add(-time.Minute)},
	}
	keptRecs := []store.TokenRecord{
		{JTI: "AT.live", FamilyID: "fam1", ExpiresAt: now.Add(time.Millisecond)},
		{JTI: "AT.no-expiry"},
	}
	for _, r := range append(goneRecs, keptRecs...) {
		must(t, "RecordToken", s.RecordToken(ctx(t), r))
	}
	goneKeys := map[string]time.Time{"jti-expired": now.Add(-time.Hour), "jti-expires-now": now}
	keptKeys := map[string]time.Time{"jti-live": now.Add(time.Millisecond)}
	for _, m := range []map[string]time.Time{goneKeys, keptKeys} {
		for k, exp := range m {
			must(t, "UseOnce "+k, s.UseOnce(ctx(t), k, exp))
		}
	}

	n, err := s.DeleteExpired(ctx(t), now)
	must(t, "DeleteExpired", err)
	if want := int64(len(gone) + len(goneRecs) + len(goneKeys)); n != want {
		t.Errorf("DeleteExpired removed %d rows, want %d", n, want)
	}
	for _, r := range gone {
		wantNoRefresh(t, s, "expired refresh token "+r.ID, r.ID)
	}
	for _, r := range kept {
		checkRefresh(t, s, "live refresh token "+r.ID, r)
	}
	for _, r := range goneRecs {
		_, err := s.GetTokenRecord(ctx(t), r.JTI)
		wantErr(t, "expired token record "+r.JTI, err, store.ErrNotFound)
	}
	for _, want := range keptRecs {
		got, err := s.GetTokenRecord(ctx(t), want.JTI)
		must(t, "GetTokenRecord "+want.JTI, err)
		same(t, "live token record", got, want)
	}
	for k := range goneKeys {
		must(t, fmt.Sprintf("UseOnce of the deleted key %s", k), s.UseOnce(ctx(t), k, now.Add(time.Hour)))
	}
	for k := range keptKeys {
		wantErr(t, "UseOnce of the kept key "+k, s.UseOnce(ctx(t), k, now.Add(time.Hour)), store.ErrConflict)
	}

	n, err = s.DeleteExpired(ctx(t), now)
	must(t, "DeleteExpired again", err)
	if n != 0 {
		t.Errorf("DeleteExpired again removed %d rows, want 0", n)
	}
}
