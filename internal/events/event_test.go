package events

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/reqlog"
)

var t0 = time.Date(2024, time.March, 9, 14, 30, 15, 123_456_789, time.UTC)

func fixed() time.Time { return t0 }

// keys returns the sorted keys of a JSON object.
func keys(t *testing.T, v any) []string {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("%v is not a JSON object", v)
	}
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func sorted(s ...string) []string { slices.Sort(s); return s }

// TestJSONShape: an event marshals with exactly the field names of Okta's
// LogEvent, published in Okta's format.
func TestJSONShape(t *testing.T) {
	t.Parallel()
	ctx := reqlog.WithRequestID(context.Background(), "req-42")
	ctx = reqlog.With(ctx, &reqlog.Info{Source: "203.0.113.9"})
	p := Party{ServerID: "default", App: App("0oa1", "Billing"), User: User("00u1", "ada@example.com", "Ada Lovelace")}
	e := TokenGrant(p, AccessToken, "AT.abc", "password", []string{"openid", "offline_access"})
	e.Client = Client{IPAddress: "10.0.0.1", UserAgent: UserAgent{RawUserAgent: "curl/8"}}
	e = Stamp(ctx, e, fixed)
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		what string
		v    any
		want []string
	}{
		{"event", m, sorted("uuid", "published", "eventType", "version", "severity", "displayMessage", "actor", "client",
			"outcome", "target", "transaction", "debugContext")},
		{"actor", m["actor"], sorted("id", "type", "alternateId", "displayName")},
		{"client", m["client"], sorted("ipAddress", "userAgent")},
		{"client.userAgent", m["client"].(map[string]any)["userAgent"], []string{"rawUserAgent"}},
		{"outcome", m["outcome"], sorted("result", "reason")},
		{"target[0]", m["target"].([]any)[0], sorted("id", "type", "alternateId", "displayName")},
		{"transaction", m["transaction"], sorted("type", "id")},
		{"debugContext", m["debugContext"], []string{"debugData"}},
	}
	for _, c := range checks {
		if got := keys(t, c.v); !slices.Equal(got, c.want) {
			t.Errorf("%s keys: got %v, want %v", c.what, got, c.want)
		}
	}
	want := map[string]any{
		"published": "2024-03-09T14:30:15.123Z", "eventType": "app.oauth2.as.token.grant.access_token", "version": "0",
		"severity": "INFO",
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s: got %v, want %v", k, m[k], v)
		}
	}
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(m["uuid"].(string)) {
		t.Errorf("uuid %v is not a version 7 UUID", m["uuid"])
	}
	// Its first 48 bits are the published time in Unix milliseconds.
	if u := m["uuid"].(string); u[:8]+u[9:13] != fmt.Sprintf("%012x", time.Date(2024, 3, 9, 14, 30, 15, 123e6, time.UTC).UnixMilli()) {
		t.Errorf("uuid %s does not start with the published time", u)
	}
	client := m["client"].(map[string]any)
	if client["ipAddress"] != "203.0.113.9" {
		t.Errorf("ipAddress %v: the resolved source must win over the fallback", client["ipAddress"])
	}
	if tr := m["transaction"].(map[string]any); tr["id"] != "req-42" || tr["type"] != "WEB" {
		t.Errorf("transaction %v", tr)
	}
	actor := m["actor"].(map[string]any)
	if actor["id"] != "0oa1" || actor["type"] != "PublicClientApp" {
		t.Errorf("actor %v", actor)
	}
	targets := m["target"].([]any)
	if len(targets) != 2 || targets[0].(map[string]any)["id"] != "00u1" || targets[1].(map[string]any)["id"] != "AT.abc" ||
		targets[1].(map[string]any)["type"] != "access_token" {
		t.Errorf("targets %v", targets)
	}
	dd := m["debugContext"].(map[string]any)["debugData"].(map[string]any)
	if dd["grantType"] != "password" || dd["grantedScopes"] != "openid offline_access" {
		t.Errorf("debugData %v", dd)
	}

	// It reads back as it was written, published to the millisecond.
	var back Event
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !back.Published.Equal(t0.Truncate(time.Millisecond)) || back.UUID != e.UUID || back.Target[1].ID != "AT.abc" {
		t.Errorf("read back %+v", back)
	}
}

// TestEmptyEventShape: an event without targets or debug data still has
// every field, target as an array.
func TestEmptyEventShape(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal(Event{EventType: "x"})
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{`"target":[]`, `"debugData":{}`, `"outcome":{"result":"","reason":""}`} {
		if !strings.Contains(s, want) {
			t.Errorf("%s lacks %s", s, want)
		}
	}
}

func TestStampFallsBack(t *testing.T) {
	t.Parallel()
	r := httptest.NewRequest("POST", "/oauth2/default/v1/token", nil)
	r.RemoteAddr = "198.51.100.7:51234"
	r.Header.Set("User-Agent", "okta-auth-js/7")
	e := SessionStart(UnknownUser("nobody@example.com"), App("0oa1", "x"), ReasonUnknownUser)
	e.Client = FromRequest(r)
	e = Stamp(reqlog.With(context.Background(), &reqlog.Info{}), e, fixed)
	if e.Client.IPAddress != "198.51.100.7" || e.Client.UserAgent.RawUserAgent != "okta-auth-js/7" {
		t.Errorf("client %+v", e.Client)
	}
	if e.Transaction != (Transaction{}) {
		t.Errorf("transaction %+v without a request id", e.Transaction)
	}
	if !e.Published.Equal(t0.Truncate(time.Millisecond)) || e.Published.Location() != time.UTC {
		t.Errorf("published %v", e.Published)
	}
	if again := Stamp(context.Background(), e, time.Now); again.UUID != e.UUID || !again.Published.Equal(e.Published) {
		t.Error("stamping twice changed the uuid or the time")
	}
}

func TestUUIDsDiffer(t *testing.T) {
	t.Parallel()
	// Of one millisecond: only the random bits tell them apart. And later
	// events sort after earlier ones.
	now := time.Now()
	seen := map[string]bool{}
	for range 1000 {
		u := newUUID(now)
		if seen[u] {
			t.Fatalf("uuid %s twice", u)
		}
		seen[u] = true
	}
	if a, b := newUUID(now), newUUID(now.Add(time.Millisecond)); a >= b {
		t.Errorf("uuid %s of a later millisecond does not sort after %s", b, a)
	}
}

// TestConstructors: each outcome has Okta's type, severity and outcome.
func TestConstructors(t *testing.T) {
	t.Parallel()
	ada := User("00u1", "ada@example.com", "Ada Lovelace")
	app := App("0oa1", "Billing")
	custom := Party{ServerID: "aus1", App: app, User: ada}
	org := Party{ServerID: OrgServerID, App: app, User: ada}
	machine := Party{ServerID: "default", App: app}
	limit := RateLimit{Bucket: "token:username", Limit: 4, Window: "1s"}
	cases := []struct {
		e                  Event
		typ                string
		sev                Severity
		result, reason     string
		actorID            string
		targetIDs          []string
		debugKey, debugVal string
	}{
		{SessionStart(ada, app, ""), "user.session.start", "INFO", "SUCCESS", "", "00u1", []string{"0oa1"}, "", ""},
		{SessionStart(ada, app, ReasonInvalidCredentials), "user.session.start", "INFO", "FAILURE", "INVALID_CREDENTIALS", "00u1", []string{"0oa1"}, "", ""},
		{SessionStart(ada, app, ReasonLockedOut), "user.session.start", "INFO", "FAILURE", "LOCKED_OUT", "00u1", []string{"0oa1"}, "", ""},
		{SessionStart(UnknownUser("eve"), app, ReasonUnknownUser), "user.session.start", "INFO", "FAILURE", "VERIFICATION_ERROR", "unknown", []string{"0oa1"}, "", ""},
		{AuthViaMFA(ada, app, "otp", ""), "user.authentication.auth_via_mfa", "INFO", "SUCCESS", "", "00u1", []string{"0oa1"}, "factor", "otp"},
		{AccountLocked(ada, 10), "user.account.lock", "WARN", "SUCCESS", "LOCKED_OUT", "00u1", []string{"00u1"}, "failedAttempts", "10"},
		{AccountUnlocked(ada), "user.account.unlock", "INFO", "SUCCESS", "", "latchkey", []string{"00u1"}, "", ""},
		{AccountUnlockedByAdmin(System(), ada), "user.account.unlock_by_admin", "INFO", "SUCCESS", "", "latchkey", []string{"00u1"}, "", ""},
		{OrgRateLimitViolation(app, limit), "system.org.rate_limit.violation", "WARN", "DENY", "RATE_LIMIT", "0oa1", []string{"token:username"}, "rateLimit", "4"},
		{UserRateLimitViolation(ada, app, limit), "system.operation.rate_limit.violation", "WARN", "DENY", "RATE_LIMIT", "00u1", []string{"0oa1", "token:username"}, "rateLimitWindow", "1s"},
		{Overloaded(app, "password hashing"), "core.concurrency.org.limit.violation", "WARN", "DENY", "CONCURRENCY_LIMIT", "0oa1", nil, "resource", "password hashing"},
		{TokenGrant(custom, AccessToken, "AT.1", "password", nil), "app.oauth2.as.token.grant.access_token", "INFO", "SUCCESS", "", "0oa1", []string{"00u1", "AT.1"}, "authorizationServerId", "aus1"},
		{TokenGrant(custom, IDToken, "ID.1", "password", nil), "app.oauth2.as.token.grant.id_token", "INFO", "SUCCESS", "", "0oa1", []string{"00u1", "ID.1"}, "grantType", "password"},
		{TokenGrant(custom, RefreshToken, "rt-hash", "refresh_token", nil), "app.oauth2.as.token.grant.refresh_token", "INFO", "SUCCESS", "", "0oa1", []string{"00u1", "rt-hash"}, "grantType", "refresh_token"},
		{TokenGrant(org, AccessToken, "AT.2", "password", nil), "app.oauth2.token.grant.access_token", "INFO", "SUCCESS", "", "0oa1", []string{"00u1", "AT.2"}, "authorizationServerId", "org"},
		{TokenGrant(machine, AccessToken, "AT.3", "client_credentials", []string{"api:read"}), "app.oauth2.as.token.grant.access_token", "INFO", "SUCCESS", "", "0oa1", []string{"AT.3"}, "grantedScopes", "api:read"},
		{ReuseDetected(custom, "rt-hash", "fam"), "app.oauth2.as.token.detect_reuse", "WARN", "FAILURE", "REUSE_DETECTED", "0oa1", []string{"00u1", "rt-hash"}, "familyId", "fam"},
		{ReuseDetected(org, "rt-hash", "fam"), "app.oauth2.token.detect_reuse", "WARN", "FAILURE", "REUSE_DETECTED", "0oa1", []string{"00u1", "rt-hash"}, "familyId", "fam"},
		{FamilyRevoked(custom, "fam", ReasonReuseDetected), "app.oauth2.as.token.revoke.implicit.family", "WARN", "SUCCESS", "REUSE_DETECTED", "0oa1", []string{"00u1", "fam"}, "familyId", "fam"},
		{FamilyRevoked(custom, "fam", ReasonRevoked), "app.oauth2.as.token.revoke.implicit.family", "INFO", "SUCCESS", "REVOKED_BY_CLIENT", "0oa1", []string{"00u1", "fam"}, "", ""},
		{TokenRevoked(custom, RefreshToken, "rt-hash"), "app.oauth2.as.token.revoke", "INFO", "SUCCESS", "", "0oa1", []string{"00u1", "rt-hash"}, "", ""},
		{TokenRevoked(org, AccessToken, "AT.4"), "app.oauth2.token.revoke", "INFO", "SUCCESS", "", "0oa1", []string{"00u1", "AT.4"}, "", ""},
	}
	for _, c := range cases {
		e := c.e
		if e.EventType != c.typ || e.Severity != c.sev || e.Outcome.Result != c.result || e.Outcome.Reason != c.reason ||
			e.Actor.ID != c.actorID || e.Version != "0" || e.DisplayMessage == "" {
			t.Errorf("%s: got type %s, severity %s, outcome %+v, actor %s, message %q", c.typ, e.EventType, e.Severity, e.Outcome, e.Actor.ID, e.DisplayMessage)
		}
		var ids []string
		for _, tg := range e.Target {
			ids = append(ids, tg.ID)
		}
		if !slices.Equal(ids, c.targetIDs) {
			t.Errorf("%s: targets %v, want %v", c.typ, ids, c.targetIDs)
		}
		if c.debugKey != "" && e.DebugContext.DebugData[c.debugKey] != c.debugVal {
			t.Errorf("%s: debugData %v, want %s=%s", c.typ, e.DebugContext.DebugData, c.debugKey, c.debugVal)
		}
	}
}

func TestStoredRoundTrip(t *testing.T) {
	t.Parallel()
	p := Party{ServerID: "default", App: App("0oa1", "x"), User: User("00u1", "ada", "Ada")}
	e := Stamp(context.Background(), TokenGrant(p, RefreshToken, "00u1", "password", nil), fixed)
	s, err := ToStored(e)
	if err != nil {
		t.Fatal(err)
	}
	if s.ID != e.UUID || s.EventType != e.EventType || s.ActorID != "0oa1" || !slices.Equal(s.TargetIDs, []string{"00u1"}) ||
		!s.Published.Equal(e.Published) {
		t.Errorf("stored %+v (target ids once each)", s)
	}
	back, err := FromStored(s)
	if err != nil || back.UUID != e.UUID || back.DebugContext.DebugData["grantType"] != "password" {
		t.Errorf("back %+v, %v", back, err)
	}
}
