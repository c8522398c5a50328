package mgmtapi_test

import (
	"context"
	"encoding/base32"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/okta/okta-sdk-golang/v2/okta"
	"github.com/okta/okta-sdk-golang/v2/okta/query"

	"github.com/latchkey/latchkey/internal/provision"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/totp"
)

// TestUserFactorsSDK drives the factor routes with Okta's Go management
// SDK, used unchanged: enrol a TOTP factor (Okta's and Google's), read
// the activation the SDK decodes, activate it, verify a code (SUCCESS, then
// E0000068 for the replay and for a wrong code), list, get, delete and
// reset all; then read the factor events through the SDK's System Log
// client.
func TestUserFactorsSDK(t *testing.T) {
	e := newAPIEnv(t)
	ctx := context.Background()
	c := e.sdk()
	since := time.Now().Add(-time.Minute)
	u, err := e.app.Provision.CreateUser(ctx, provision.UserInput{Login: "ada@example.com", Email: "ada@example.com", Password: goodPassword})
	if err != nil {
		t.Fatal(err)
	}

	enrolled, _, err := c.UserFactor.EnrollFactor(ctx, u.ID, okta.NewTotpUserFactor(), nil)
	if err != nil {
		t.Fatalf("EnrollFactor: %v", err)
	}
	f := enrolled.(*okta.TotpUserFactor)
	if f.FactorType != "token:software:totp" || f.Provider != "OKTA" || f.Status != "PENDING_ACTIVATION" || !strings.HasPrefix(f.Id, "ost") ||
		f.Created == nil || f.LastUpdated == nil || f.Profile == nil || f.Profile.CredentialId != "ada@example.com" {
		t.Fatalf("enrolled: %+v", f)
	}
	act := field(t, f.Embedded, "activation")
	if act["timeStep"] != float64(30) || act["encoding"] != "base32" || act["keyLength"] != float64(6) {
		t.Fatalf("activation: %v", act)
	}
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(act["sharedSecret"].(string))
	if err != nil || len(secret) < 20 {
		t.Fatalf("sharedSecret: %v (%d bytes)", err, len(secret))
	}
	qr := field(t, field(t, act, "_links"), "qrcode")
	if qr["type"] != "image/png" || !strings.HasPrefix(qr["href"].(string), e.base+"/api/v1/users/"+u.ID+"/factors/"+f.Id+"/qr") {
		t.Fatalf("qrcode link: %v", qr)
	}
	if href := field(t, field(t, f.Links, "activate"), "")["href"]; href != e.base+"/api/v1/users/"+u.ID+"/factors/"+f.Id+"/lifecycle/activate" {
		t.Fatalf("activate link: %v", href)
	}

	now := time.Now()
	if _, _, err := c.UserFactor.ActivateFactor(ctx, u.ID, f.Id, okta.ActivateFactorRequest{PassCode: wrongCode(secret, now)}, okta.NewTotpUserFactor()); sdkCode(err) != "E0000068" {
		t.Fatalf("activate with a wrong code: %v", err)
	}
	activated, _, err := c.UserFactor.ActivateFactor(ctx, u.ID, f.Id, okta.ActivateFactorRequest{PassCode: totp.Code(secret, now)}, okta.NewTotpUserFactor())
	if err != nil {
		t.Fatalf("ActivateFactor: %v", err)
	}
	if a := activated.(*okta.TotpUserFactor); a.Status != "ACTIVE" || a.Id != f.Id || a.Embedded != nil {
		t.Fatalf("activated: %+v", a)
	}

	// The activation took now's step: the next step's code verifies, once.
	next := totp.Code(secret, now.Add(totp.Period))
	v, _, err := c.UserFactor.VerifyFactor(ctx, u.ID, f.Id, okta.VerifyFactorRequest{PassCode: next}, okta.NewTotpUserFactor(), nil)
	if err != nil || v.FactorResult != "SUCCESS" {
		t.Fatalf("VerifyFactor: %+v %v", v, err)
	}
	for name, code := range map[string]string{"replayed": next, "wrong": wrongCode(secret, now)} {
		_, resp, err := c.UserFactor.VerifyFactor(ctx, u.ID, f.Id, okta.VerifyFactorRequest{PassCode: code}, okta.NewTotpUserFactor(), nil)
		var oe *okta.Error
		if !errors.As(err, &oe) || oe.ErrorCode != "E0000068" || oe.ErrorSummary != "Invalid Passcode/Answer" || resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Fatalf("%s code: %v", name, err)
		}
	}

	list, _, err := c.UserFactor.ListFactors(ctx, u.ID)
	if err != nil || len(list) != 1 {
		t.Fatalf("ListFactors: %v %v", list, err)
	}
	if l := list[0].(*okta.UserFactor); l.Id != f.Id || l.Status != "ACTIVE" || l.FactorType != "token:software:totp" || l.Embedded != nil {
		t.Fatalf("listed: %+v", l)
	}
	got, _, err := c.UserFactor.GetFactor(ctx, u.ID, f.Id, okta.NewTotpUserFactor())
	if err != nil || got.(*okta.TotpUserFactor).Status != "ACTIVE" {
		t.Fatalf("GetFactor: %+v %v", got, err)
	}
	if _, _, err := c.UserFactor.GetFactor(ctx, u.ID, "ostnosuchfactor00000", okta.NewTotpUserFactor()); sdkCode(err) != "E0000007" {
		t.Fatalf("GetFactor unknown: %v", err)
	}
	// A second TOTP factor while one is ACTIVE is refused.
	if _, _, err := c.UserFactor.EnrollFactor(ctx, u.ID, okta.NewTotpUserFactor(), nil); sdkCode(err) != "E0000001" {
		t.Fatalf("a second factor: %v", err)
	}
	if _, err := c.UserFactor.DeleteFactor(ctx, u.ID, f.Id); err != nil {
		t.Fatalf("DeleteFactor: %v", err)
	}
	if list, _, _ := c.UserFactor.ListFactors(ctx, u.ID); len(list) != 0 {
		t.Fatalf("after delete: %d factors", len(list))
	}

	// Google's provider, then Okta's Reset Factors lifecycle operation.
	google, _, err := c.UserFactor.EnrollFactor(ctx, u.ID, &okta.TotpUserFactor{FactorType: "token:software:totp", Provider: "GOOGLE"}, nil)
	if err != nil || google.(*okta.TotpUserFactor).Provider != "GOOGLE" {
		t.Fatalf("enrol GOOGLE: %+v %v", google, err)
	}
	// Reset by a service app in the SDK's PrivateKey (OAuth) mode.
	appID, key := e.serviceClient("okta.users.manage")
	if _, err := e.sdkOAuth(appID, key, "okta.users.manage").User.ResetFactors(ctx, u.ID); err != nil {
		t.Fatalf("ResetFactors: %v", err)
	}
	if fs, _ := e.app.Store.ListFactors(ctx, u.ID); len(fs) != 0 {
		t.Fatalf("after reset: %+v", fs)
	}

	// The System Log, read with the SDK: who did what to which factor.
	if err := e.app.Events.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	// (With an until: a polling request, without one, stays a second
	// behind the recorder.)
	logs, _, err := c.LogEvent.GetLogs(ctx, &query.Params{Since: since.UTC().Format(time.RFC3339), Until: time.Now().Add(time.Minute).UTC().Format(time.RFC3339),
		Filter: `target.id eq "` + u.ID + `"`})
	if err != nil {
		t.Fatalf("GetLogs: %v", err)
	}
	var seen []string
	for _, l := range logs {
		if !strings.HasPrefix(l.EventType, "user.mfa.factor.") {
			continue
		}
		seen = append(seen, l.EventType+" "+l.Outcome.Reason)
		byToken := l.Actor.Type == "ApiToken" && strings.HasPrefix(l.Actor.Id, "00T")
		byApp := l.Actor.Type == "PublicClientApp" && l.Actor.Id == appID && l.Actor.DisplayName == "provisioner"
		if byApp != (l.EventType == "user.mfa.factor.reset_all") || (!byToken && !byApp) ||
			len(l.Target) != 2 || l.Target[0].Id != u.ID || l.Target[1].Type != "Factor" {
			t.Errorf("%s: actor %+v targets %d", l.EventType, l.Actor, len(l.Target))
		}
	}
	want := []string{"user.mfa.factor.activate User set up OKTA_SOFT_TOKEN factor", "user.mfa.factor.deactivate User reset OKTA_SOFT_TOKEN factor",
		"user.mfa.factor.reset_all User reset GOOGLE_OTP factor"}
	if !slices.Equal(seen, want) {
		t.Fatalf("factor events:\n%s\nwant:\n%s", strings.Join(seen, "\n"), strings.Join(want, "\n"))
	}
	stored, err := e.app.Store.ListEvents(ctx, store.EventFilter{UserID: u.ID})
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range stored {
		if strings.Contains(string(ev.JSON), act["sharedSecret"].(string)) || strings.Contains(string(ev.JSON), next) {
			t.Fatalf("a secret or a code in event %s: %s", ev.EventType, ev.JSON)
		}
	}
}

// field is the JSON object at key of v (v itself when key is empty).
func field(t *testing.T, v any, key string) map[string]any {
	t.Helper()
	m, ok := v.(map[string]any)
	if ok && key != "" {
		m, ok = m[key].(map[string]any)
	}
	if !ok {
		t.Fatalf("no object %q in %v", key, v)
	}
	return m
}

// wrongCode is a six-digit code that no step around now accepts.
func wrongCode(secret []byte, now time.Time) string {
	for d := range 10 {
		c := strings.Repeat(strconv.Itoa(d), 6)
		ok := true
		for d := -2; d <= 2; d++ {
			if totp.Code(secret, now.Add(time.Duration(d)*totp.Period)) == c {
				ok = false
			}
		}
		if ok {
			return c
		}
	}
	return "" // unreachable: five steps cannot match ten codes
}
