package e2e

import (
	"context"
	"encoding/base32"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/latchkey/latchkey/internal/events"
	"github.com/latchkey/latchkey/internal/guard"
	"github.com/latchkey/latchkey/internal/mfa"
	"github.com/latchkey/latchkey/internal/policy"
	"github.com/latchkey/latchkey/internal/provision"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/totp"
)

// mfaEnv is a guardEnv whose default server's rules require MFA, whose
// client may use the MFA grants, and whose user has an active TOTP factor
// (secret and recovery codes kept for the test).
type mfaEnv struct {
	*guardEnv
	secret   []byte
	recovery []string
}

func newMFAEnv(t *testing.T, cfg guard.Config) *mfaEnv {
	t.Helper()
	e := &mfaEnv{guardEnv: newGuardEnv(t, cfg)}
	ctx := context.Background()
	st := e.app.Store
	pols, err := st.ListPolicies(ctx, "default")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pols {
		rules, err := st.ListRules(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rules {
			r.RequireMFA = true
			if err := st.PutRule(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, id := range []string{e.clientID, e.postClientID} {
		if _, err := st.UpdateClient(ctx, id, func(c store.Client) (store.Client, error) {
			c.GrantTypes = []string{policy.GrantPassword, policy.GrantRefreshToken, policy.GrantMFAOTP, policy.GrantMFAOTPAuth0, policy.GrantMFARecoveryCode}
			return c, nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	en, err := e.app.Provision.EnrollTOTP(ctx, e.userID, "")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(en.URI)
	if e.secret, err = base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(u.Query().Get("secret")); err != nil {
		t.Fatal(err)
	}
	// Activation takes the current step: the tests start a step later.
	if _, e.recovery, err = e.app.Provision.ActivateTOTP(ctx, e.userID, totp.Code(e.secret, e.clock.Now())); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(totp.Period)
	return e
}

// mfaToken makes the password call with golang.org/x/oauth2 and returns the
// mfa_token of its mfa_required answer.
func (e *mfaEnv) mfaToken(scopes ...string) string {
	e.t.Helper()
	conf := &oauth2.Config{ClientID: e.clientID, ClientSecret: e.clientSecret, Scopes: scopes,
		Endpoint: oauth2.Endpoint{TokenURL: e.tokenURL, AuthStyle: oauth2.AuthStyleInHeader}}
	_, err := conf.PasswordCredentialsToken(context.Background(), e.username, e.password)
	re, ok := err.(*oauth2.RetrieveError)
	if !ok || re.Response.StatusCode != 403 || re.ErrorCode != "mfa_required" {
		e.t.Fatalf("password call: %v, want 403 mfa_required", err)
	}
	var body struct {
		MFAToken string `json:"mfa_token"`
	}
	if err := json.Unmarshal(re.Body, &body); err != nil || body.MFAToken == "" {
		e.t.Fatalf("no mfa_token in %s", re.Body)
	}
	return body.MFAToken
}

func (e *mfaEnv) redeem(clientID, secret, grant, mfaToken, param, code string, extra url.Values) response {
	e.t.Helper()
	f := url.Values{"grant_type": {grant}, "mfa_token": {mfaToken}, param: {code}}
	for k, v := range extra {
		f[k] = v
	}
	auth := ""
	if secret != "" {
		auth = basic(clientID, secret)
	}
	return e.post(e.tokenURL, f.Encode(), map[string]string{"Authorization": auth})
}

func (e *mfaEnv) otp(mfaToken, code string) response {
	e.t.Helper()
	return e.redeem(e.clientID, e.clientSecret, policy.GrantMFAOTP, mfaToken, "otp", code, nil)
}

func wantBadMFA(t *testing.T, what string, r response, desc string) {
	t.Helper()
	if r.status != 400 || r.body["error"] != "invalid_grant" || !strings.Contains(r.raw, desc) {
		t.Fatalf("%s: %d %s, want 400 invalid_grant %q", what, r.status, r.raw, desc)
	}
}

func TestMFAFlowEndToEnd(t *testing.T) {
	e := newMFAEnv(t, guard.Defaults())
	ctx := context.Background()

	// A wrong password answers exactly as without MFA.
	wantInvalidCredentials(t, "wrong password", e.login(e.username, "wrong password", nil))

	tok := e.mfaToken("openid", "profile")
	// A wrong code is refused and leaves the token usable.
	wrong := totp.Code(e.secret, e.clock.Now().Add(-10*totp.Period))
	wantBadMFA(t, "wrong code", e.otp(tok, wrong), "one-time passcode is invalid")
	// Another client cannot redeem it.
	pc := e.redeem(e.postClientID, "", policy.GrantMFAOTP, tok, "otp", totp.Code(e.secret, e.clock.Now()),
		url.Values{"client_id": {e.postClientID}, "client_secret": {e.postSecret}})
	wantBadMFA(t, "another client", pc, "mfa_token")
	// Other scopes than the password login's are refused.
	wantBadMFA(t, "other scopes", e.redeem(e.clientID, e.clientSecret, policy.GrantMFAOTP, tok, "otp", totp.Code(e.secret, e.clock.Now()),
		url.Values{"scope": {"openid email"}}), "mfa_token")

	code := totp.Code(e.secret, e.clock.Now())
	r := e.otp(tok, code)
	if r.status != 200 || r.body["access_token"] == nil || r.body["scope"] != "openid profile" {
		t.Fatalf("right code: %d %s", r.status, r.raw)
	}
	provider, err := oidc.NewProvider(ctx, e.issuer)
	if err != nil {
		t.Fatal(err)
	}
	idt, err := provider.Verifier(&oidc.Config{ClientID: e.clientID, Now: e.clock.Now}).Verify(ctx, r.body["id_token"].(string))
	if err != nil {
		t.Fatal(err)
	}
	var claims struct {
		AMR []string `json:"amr"`
	}
	if err := idt.Claims(&claims); err != nil || !slices.Equal(claims.AMR, []string{"pwd", "otp", "mfa"}) {
		t.Fatalf("amr = %v, %v", claims.AMR, err)
	}

	// The token is spent; the code is spent.
	e.clock.Advance(totp.Period)
	wantBadMFA(t, "reused mfa_token", e.otp(tok, totp.Code(e.secret, e.clock.Now())), "mfa_token")
	tok2 := e.mfaToken("openid")
	wantBadMFA(t, "replayed code", e.otp(tok2, code), "one-time passcode is invalid")
	// Auth0's alias works too (a step later: the refused reuse above
	// took the step's code, as any right code is taken).
	e.clock.Advance(totp.Period)
	if r := e.redeem(e.clientID, e.clientSecret, policy.GrantMFAOTPAuth0, tok2, "otp", totp.Code(e.secret, e.clock.Now()), nil); r.status != 200 {
		t.Fatalf("Auth0 alias: %d %s", r.status, r.raw)
	}

	// An expired token is refused.
	tok3 := e.mfaToken("openid")
	e.clock.Advance(mfa.TokenTTL + time.Second)
	wantBadMFA(t, "expired mfa_token", e.otp(tok3, totp.Code(e.secret, e.clock.Now())), "mfa_token")

	// A recovery code works once.
	tok4 := e.mfaToken("openid")
	if r := e.redeem(e.clientID, e.clientSecret, policy.GrantMFARecoveryCode, tok4, "recovery_code", e.recovery[0], nil); r.status != 200 {
		t.Fatalf("recovery code: %d %s", r.status, r.raw)
	}
	tok5 := e.mfaToken("openid")
	wantBadMFA(t, "recovery code twice", e.redeem(e.clientID, e.clientSecret, policy.GrantMFARecoveryCode, tok5, "recovery_code", e.recovery[0], nil),
		"one-time passcode is invalid")

	// Every outcome is in the audit trail.
	if err := e.app.Events.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	stored, err := e.app.Store.ListEvents(ctx, store.EventFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var ok, failed int
	for _, s := range stored {
		ev, err := events.FromStored(s)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(s.JSON), tok) || strings.Contains(string(s.JSON), code) {
			t.Errorf("event %s holds the mfa_token or a code", ev.EventType)
		}
		if ev.EventType == events.TypeAuthViaMFA {
			if ev.Outcome.Result == events.ResultSuccess {
				ok++
			} else {
				failed++
			}
		}
	}
	if ok != 3 || failed < 3 {
		t.Fatalf("auth_via_mfa events: %d successes, %d failures", ok, failed)
	}
}

// TestMFAWrongCodesLockOut: wrong codes count toward the lockout like
// wrong passwords.
func TestMFAWrongCodesLockOut(t *testing.T) {
	cfg := lockoutOnly()
	cfg.MaxAttempts = 3
	e := newMFAEnv(t, cfg)
	tok := e.mfaToken("openid")
	wrong := totp.Code(e.secret, e.clock.Now().Add(-10*totp.Period))
	for i := range 3 {
		wantBadMFA(t, "wrong code", e.otp(tok, wrong), "one-time passcode is invalid")
		_ = i
	}
	// Locked: even the right code is refused now.
	if r := e.otp(tok, totp.Code(e.secret, e.clock.Now())); r.status == 200 {
		t.Fatalf("right code after the lockout: %d %s", r.status, r.raw)
	}
}

// TestMFANoFactorAndNoRule: a user without an active factor gets a clear
// error rather than tokens; without the rule nothing changes.
func TestMFANoFactorAndNoRule(t *testing.T) {
	e := newMFAEnv(t, guard.Defaults())
	if _, err := e.app.Provision.ResetFactors(context.Background(), e.userID, ""); err != nil {
		t.Fatal(err)
	}
	r := e.login(e.username, e.password, nil)
	if r.status != 403 || r.body["error"] != "access_denied" || r.body["mfa_token"] != nil || !strings.Contains(r.raw, "no active factor") {
		t.Fatalf("no factor: %d %s", r.status, r.raw)
	}

	plain := newEnv(t)
	if _, err := plain.app.Provision.EnrollTOTP(context.Background(), plain.userID, ""); err != nil {
		t.Fatal(err)
	}
	if r := plain.login(plain.username, plain.password, nil); r.status != 200 {
		t.Fatalf("without the rule: %d %s", r.status, r.raw)
	}
	_ = provision.RecoveryCodeCount
}
