package e2e

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/app"
	"github.com/latchkey/latchkey/internal/events"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/token"
)

// TestEventsOfTheTokenLifecycle: a password grant with offline_access, a
// refresh, a replay of the rotated refresh token after the leeway, a new
// login and the revocation of its refresh token leave exactly the
// expected audit events, in order, and none of them holds a secret.
func TestEventsOfTheTokenLifecycle(t *testing.T) {
	e := newRefreshEnv(t, nil) // ROTATE, 30 s leeway
	ctx := context.Background()
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	go e.app.RunEvents(runCtx) // as serve does

	withID := func(id string) map[string]string {
		h := e.auth()
		h["X-Request-Id"] = id
		h["User-Agent"] = "events-e2e/1"
		return h
	}
	login := e.post(e.tokenURL, e.passwordForm("openid offline_access profile").Encode(), withID("req-login"))
	if login.status != 200 {
		t.Fatalf("login: %d %s", login.status, login.raw)
	}
	first := login.body["refresh_token"].(string)
	refreshed := e.post(e.tokenURL, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {first}}.Encode(), withID("req-refresh"))
	if refreshed.status != 200 {
		t.Fatalf("refresh: %d %s", refreshed.status, refreshed.raw)
	}
	e.clock.Advance(35 * time.Second) // past the 30 s leeway
	reuse := e.post(e.tokenURL, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {first}}.Encode(), withID("req-reuse"))
	if reuse.status != 400 {
		t.Fatalf("reuse: %d %s", reuse.status, reuse.raw)
	}
	e.clock.Advance(time.Second)
	again := e.login("openid offline_access")
	second := again.body["refresh_token"].(string)
	e.revoke(caller{id: e.clientID, secret: e.clientSecret}, second, "refresh_token")
	// Revoking it again changes nothing and records nothing.
	e.revoke(caller{id: e.clientID, secret: e.clientSecret}, second, "refresh_token")

	if err := e.app.Events.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	stored, err := e.app.Store.ListEvents(ctx, store.EventFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	// The password logins' own events (user.session.start) are the login
	// guard's, checked in TestEventsOfPasswordLogins; here the token
	// lifecycle's, in order.
	var got []events.Event
	logins := 0
	for _, s := range stored {
		ev, err := events.FromStored(s)
		if err != nil {
			t.Fatal(err)
		}
		if ev.EventType == events.TypeSessionStart {
			logins++
			continue
		}
		got = append(got, ev)
	}
	if logins != 2 {
		t.Errorf("%d user.session.start events for 2 logins", logins)
	}

	jti := func(tok string) string { return verifyJWT(t, e.env, tok)["jti"].(string) }
	family := token.RefreshID(first)
	grants := []string{events.TypeAccessTokenGrant, events.TypeIDTokenGrant, events.TypeRefreshTokenGrant}
	want := []struct {
		typ, txn, grantType, tokenID string
	}{
		{grants[0], "req-login", "password", jti(login.body["access_token"].(string))},
		{grants[1], "req-login", "password", jti(login.body["id_token"].(string))},
		{grants[2], "req-login", "password", family},
		{grants[0], "req-refresh", "refresh_token", jti(refreshed.body["access_token"].(string))},
		{grants[1], "req-refresh", "refresh_token", jti(refreshed.body["id_token"].(string))},
		{grants[2], "req-refresh", "refresh_token", token.RefreshID(refreshed.body["refresh_token"].(string))},
		{events.TypeTokenDetectReuse, "req-reuse", "", family},
		{events.TypeFamilyRevoke, "req-reuse", "", family},
		{grants[0], "", "password", jti(again.body["access_token"].(string))},
		{grants[1], "", "password", jti(again.body["id_token"].(string))},
		{grants[2], "", "password", token.RefreshID(second)},
		{events.TypeTokenRevoke, "", "", token.RefreshID(second)},
		{events.TypeFamilyRevoke, "", "", token.RefreshID(second)},
	}
	if len(got) != len(want) {
		var types []string
		for _, ev := range got {
			types = append(types, ev.EventType)
		}
		t.Fatalf("%d events, want %d:\n%s", len(got), len(want), strings.Join(types, "\n"))
	}
	for i, w := range want {
		ev := got[i]
		if ev.EventType != w.typ {
			t.Errorf("event %d: type %s, want %s", i, ev.EventType, w.typ)
			continue
		}
		if ev.Actor.ID != e.clientID || ev.Actor.Type != events.TypeApp {
			t.Errorf("event %d (%s): actor %+v, want the client", i, w.typ, ev.Actor)
		}
		if len(ev.Target) < 2 || ev.Target[0].ID != e.userID || ev.Target[0].AlternateID != e.username || ev.Target[len(ev.Target)-1].ID != w.tokenID {
			t.Errorf("event %d (%s): targets %+v, want the user then %s", i, w.typ, ev.Target, w.tokenID)
		}
		if w.txn != "" && (ev.Transaction.ID != w.txn || ev.Transaction.Type != "WEB") {
			t.Errorf("event %d (%s): transaction %+v, want %s", i, w.typ, ev.Transaction, w.txn)
		}
		if ev.Transaction.ID == "" {
			t.Errorf("event %d (%s): no request id", i, w.typ)
		}
		if w.grantType != "" && ev.DebugContext.DebugData["grantType"] != w.grantType {
			t.Errorf("event %d (%s): grant type %q, want %q", i, w.typ, ev.DebugContext.DebugData["grantType"], w.grantType)
		}
		if ev.Client.IPAddress != "127.0.0.1" {
			t.Errorf("event %d (%s): ipAddress %q", i, w.typ, ev.Client.IPAddress)
		}
		if w.txn != "" && ev.Client.UserAgent.RawUserAgent != "events-e2e/1" {
			t.Errorf("event %d (%s): user agent %q", i, w.typ, ev.Client.UserAgent.RawUserAgent)
		}
		if !ev.Published.Equal(got[0].Published) && ev.Published.Before(got[max(i-1, 0)].Published) {
			t.Errorf("event %d (%s): published %v before its predecessor", i, w.typ, ev.Published)
		}
	}
	if got[6].Severity != events.SeverityWarn || got[6].Outcome.Result != events.ResultFailure || got[7].Outcome.Reason != events.ReasonReuseDetected {
		t.Errorf("reuse events: %+v / %+v", got[6], got[7])
	}
	if got[12].Outcome.Reason != events.ReasonRevoked {
		t.Errorf("revocation's family event: %+v", got[12].Outcome)
	}
	if p := got[0].Published; !p.Equal(e.clock.Now().Add(-36 * time.Second).Truncate(time.Millisecond)) {
		t.Errorf("published %v: not from the injected clock (%v)", p, e.clock.Now())
	}

	// No secret in any stored event: not the password, the client secret
	// or any token value.
	secrets := map[string]string{"password": e.password, "client secret": e.clientSecret}
	for name, r := range map[string]response{"login": login, "refresh": refreshed, "second login": again} {
		for _, k := range []string{"access_token", "id_token", "refresh_token"} {
			if v, _ := r.body[k].(string); v != "" {
				secrets[name+" "+k] = v
				// A JWT's signature part alone is a secret too.
				if parts := strings.Split(v, "."); len(parts) == 3 {
					secrets[name+" "+k+" signature"] = parts[2]
				}
			}
		}
	}
	for _, s := range stored {
		for name, secret := range secrets {
			if strings.Contains(string(s.JSON), secret) {
				t.Errorf("event %s (%s) holds the %s:\n%s", s.ID, s.EventType, name, s.JSON)
			}
		}
	}

	// The user's events, the store's filters at work.
	mine, err := e.app.Store.ListEvents(ctx, store.EventFilter{UserID: e.userID, EventType: events.TypeFamilyRevoke})
	if err != nil || len(mine) != 2 || !slices.Contains(mine[0].TargetIDs, e.userID) {
		t.Fatalf("the user's family revocations: %d, %v", len(mine), err)
	}
}

// TestEventsRetention: housekeeping deletes the events older than
// events.retention and keeps the others.
func TestEventsRetention(t *testing.T) {
	c := newTestClock()
	e := newEnvWith(t, app.Options{Now: c.Now}, nil)
	ctx := context.Background()
	retention := e.app.Config.Events.Retention.Duration
	var batch []store.StoredEvent
	for _, age := range []time.Duration{retention + time.Hour, retention - time.Hour} {
		ev := events.AccountUnlocked(events.User(e.userID, e.username, ""))
		ev.Published = c.Now().Add(-age)
		s, err := events.ToStored(events.Stamp(ctx, ev, c.Now))
		if err != nil {
			t.Fatal(err)
		}
		batch = append(batch, s)
	}
	if err := e.app.Store.AppendEvents(ctx, batch); err != nil {
		t.Fatal(err)
	}
	e.app.Housekeep(ctx)
	left, err := e.app.Store.ListEvents(ctx, store.EventFilter{})
	if err != nil || len(left) != 1 || left[0].ID != batch[1].ID {
		t.Fatalf("after housekeeping: %d events, %v; want the one within the retention", len(left), err)
	}
}
