package e2e

import (
	"context"
	"encoding/base32"
	"encoding/json"
	"errors"
	"maps"
	"net/url"
	"slices"
	"strconv"
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
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.Response.StatusCode != 403 || re.ErrorCode != "mfa_required" ||
		re.ErrorDescription != "Verify with an additional authenticator to complete the sign-in process." {
		e.t.Fatalf("password call: %v, want Okta's 403 mfa_required", err)
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
	next := totp.Code(e.secret, e.clock.Now())
	wantBadMFA(t, "reused mfa_token", e.otp(tok, next), "mfa_token")
	tok2 := e.mfaToken("openid")
	wantBadMFA(t, "replayed code", e.otp(tok2, code), "one-time passcode is invalid")
	// Auth0's alias works too, with the code sent with the spent token
	// above: a spent token is refused before its code is looked at, so
	// that code's step was not taken.
	if r := e.redeem(e.clientID, e.clientSecret, policy.GrantMFAOTPAuth0, tok2, "otp", next, nil); r.status != 200 {
		t.Fatalf("Auth0 alias with the code a spent token carried: %d %s", r.status, r.raw)
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

// challenge sends /v1/challenge as Okta's direct-authentication SDKs do:
// client authentication, mfa_token, challenge_types_supported.
func (e *mfaEnv) challenge(endpoint, mfaToken, types string) response {
	e.t.Helper()
	f := url.Values{"mfa_token": {mfaToken}, "challenge_types_supported": {types}}
	return e.post(endpoint, f.Encode(), map[string]string{"Authorization": basic(e.clientID, e.clientSecret)})
}

func TestMFAChallenge(t *testing.T) {
	e := newMFAEnv(t, guard.Defaults())
	ctx := context.Background()
	endpoint := e.issuer + "/v1/challenge"

	// Discovery names the endpoint.
	if d := e.get(e.issuer + "/.well-known/openid-configuration"); d.body["challenge_endpoint"] != endpoint {
		t.Fatalf("discovery challenge_endpoint = %v, want %s", d.body["challenge_endpoint"], endpoint)
	}

	tok := e.mfaToken("openid")
	// Okta's SDK sends the types it can complete, joined with spaces.
	r := e.challenge(endpoint, tok, "http://auth0.com/oauth/grant-type/mfa-oob "+policy.GrantMFAOTPAuth0)
	if r.status != 200 || r.body["challenge_type"] != policy.GrantMFAOTPAuth0 || len(r.body) != 1 ||
		r.header.Get("Cache-Control") != "no-store" || r.header.Get("Content-Type") != "application/json" {
		t.Fatalf("challenge: %d %v %s", r.status, r.header, r.raw)
	}
	// Our urn name alone is answered with itself.
	if r := e.challenge(endpoint, tok, policy.GrantMFAOTP); r.status != 200 || r.body["challenge_type"] != policy.GrantMFAOTP {
		t.Fatalf("challenge with the urn: %d %s", r.status, r.raw)
	}
	// Types the factor cannot complete.
	r = e.challenge(endpoint, tok, "http://auth0.com/oauth/grant-type/mfa-oob urn:okta:params:oauth:grant-type:oob")
	if r.status != 400 || r.body["error"] != "unsupported_challenge_type" || !strings.Contains(r.raw, policy.GrantMFAOTPAuth0) {
		t.Fatalf("unsupported type: %d %s", r.status, r.raw)
	}
	// challenge_types_supported is required.
	r = e.post(endpoint, url.Values{"mfa_token": {tok}}.Encode(), map[string]string{"Authorization": basic(e.clientID, e.clientSecret)})
	if r.status != 400 || r.body["error"] != "invalid_request" || r.body["error_description"] != "The required parameter 'challenge_types_supported' is missing." {
		t.Fatalf("no types: %d %s", r.status, r.raw)
	}
	// The client authenticates as at the token endpoint.
	r = e.post(endpoint, url.Values{"mfa_token": {tok}, "challenge_types_supported": {policy.GrantMFAOTP}}.Encode(), nil)
	if r.status != 401 || r.body["error"] != "invalid_client" {
		t.Fatalf("no client credentials: %d %s", r.status, r.raw)
	}
	r = e.post(endpoint, url.Values{"mfa_token": {tok}, "challenge_types_supported": {policy.GrantMFAOTP},
		"client_id": {e.postClientID}, "client_secret": {e.postSecret}}.Encode(), nil)
	wantBadMFA(t, "another client's challenge", r, "mfa_token")
	wantBadMFA(t, "a forged mfa_token", e.challenge(endpoint, "AAAA"+tok[4:], policy.GrantMFAOTP), "mfa_token")
	// The org server routes /v1/challenge too; the token is not its own.
	wantBadMFA(t, "the org server", e.challenge(e.srv.URL+"/oauth2/v1/challenge", tok, policy.GrantMFAOTP), "mfa_token")

	// None of that spent the token: it still completes the login.
	if r := e.otp(tok, totp.Code(e.secret, e.clock.Now())); r.status != 200 {
		t.Fatalf("MFA grant after the challenges: %d %s", r.status, r.raw)
	}
	// Now it is spent, and the challenge says so.
	wantBadMFA(t, "challenge with a spent token", e.challenge(endpoint, tok, policy.GrantMFAOTPAuth0), "mfa_token")

	// A user whose factor went away after the password is refused.
	tok2 := e.mfaToken("openid")
	if _, err := e.app.Provision.ResetFactors(ctx, e.userID, ""); err != nil {
		t.Fatal(err)
	}
	r = e.challenge(endpoint, tok2, policy.GrantMFAOTPAuth0)
	if r.status != 403 || r.body["error"] != "access_denied" || !strings.Contains(r.raw, "no active factor") {
		t.Fatalf("no factor: %d %s", r.status, r.raw)
	}

	// Every outcome is in the audit trail, as auth_via_mfa with step
	// challenge: CHALLENGE for the answers, FAILURE with a reason else.
	if err := e.app.Events.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	stored, err := e.app.Store.ListEvents(ctx, store.EventFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, s := range stored {
		ev, err := events.FromStored(s)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(s.JSON), tok) {
			t.Errorf("event %s holds the mfa_token", ev.EventType)
		}
		if ev.EventType == events.TypeAuthViaMFA && ev.DebugContext.DebugData["step"] == "challenge" {
			got[ev.Outcome.Result+" "+ev.Outcome.Reason]++
		}
	}
	want := map[string]int{"CHALLENGE ": 2, "FAILURE UNSUPPORTED_CHALLENGE_TYPE": 1, "FAILURE INVALID_MFA_TOKEN": 3,
		"FAILURE MFA_TOKEN_REUSED": 1, "FAILURE NO_FACTOR": 1}
	if !maps.Equal(got, want) {
		t.Fatalf("challenge events %v, want %v", got, want)
	}
}

// TestMFARefreshKeepsAMR: tokens refreshed from an MFA login keep amr
// pwd, otp, mfa, across rotations; a rule that newly requires MFA applies
// at the next password login, not to a running refresh family.
func TestMFARefreshKeepsAMR(t *testing.T) {
	e := newMFAEnv(t, guard.Defaults())
	ctx := context.Background()
	provider, err := oidc.NewProvider(ctx, e.issuer)
	if err != nil {
		t.Fatal(err)
	}
	verifier := provider.Verifier(&oidc.Config{ClientID: e.clientID, Now: e.clock.Now})
	amrOf := func(what string, r response) []string {
		t.Helper()
		if r.status != 200 {
			t.Fatalf("%s: %d %s", what, r.status, r.raw)
		}
		idt, err := verifier.Verify(ctx, r.body["id_token"].(string))
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		var c struct {
			AMR []string `json:"amr"`
		}
		if err := idt.Claims(&c); err != nil {
			t.Fatal(err)
		}
		return c.AMR
	}
	refresh := func(rt string) response {
		t.Helper()
		return e.post(e.tokenURL, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}.Encode(),
			map[string]string{"Authorization": basic(e.clientID, e.clientSecret)})
	}

	first := e.otp(e.mfaToken("openid", "offline_access"), totp.Code(e.secret, e.clock.Now()))
	if got := amrOf("MFA grant", first); !slices.Equal(got, amrMFA) {
		t.Fatalf("MFA grant amr %v", got)
	}
	rt, _ := first.body["refresh_token"].(string)
	if rt == "" {
		t.Fatalf("no refresh token: %s", first.raw)
	}
	for i := range 2 { // the rotated successor keeps it too
		r := refresh(rt)
		if got := amrOf("refresh", r); !slices.Equal(got, amrMFA) {
			t.Fatalf("refresh %d amr %v, want %v", i, got, amrMFA)
		}
		rt = r.body["refresh_token"].(string)
	}

	// Without the rule a password login's family says pwd; requiring MFA
	// then leaves that family refreshing (with pwd), while the next
	// password login must complete a second factor.
	setRequireMFA(t, e.app.Store, false)
	pl := e.post(e.tokenURL, e.passwordForm("openid offline_access").Encode(), map[string]string{"Authorization": basic(e.clientID, e.clientSecret)})
	if got := amrOf("password login without the rule", pl); !slices.Equal(got, []string{"pwd"}) {
		t.Fatalf("password login amr %v", got)
	}
	setRequireMFA(t, e.app.Store, true)
	pr := refresh(pl.body["refresh_token"].(string))
	if got := amrOf("refresh after the rule changed", pr); !slices.Equal(got, []string{"pwd"}) {
		t.Fatalf("refreshed password family amr %v", got)
	}
	_ = e.mfaToken("openid") // 403 mfa_required
}

// setRequireMFA sets or clears RequireMFA on every rule of the default
// server.
func setRequireMFA(t *testing.T, st store.Store, on bool) {
	t.Helper()
	ctx := context.Background()
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
			r.RequireMFA = on
			if err := st.PutRule(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
	}
}

var amrMFA = []string{"pwd", "otp", "mfa"}

// TestMFARateLimit: codes have their own per-user limit
// (login_protection.rate_limits.mfa, default 5 per 30 s), answered as the
// token endpoint's other limits are; even a right code waits for the
// next window, and a new window lets it through.
func TestMFARateLimit(t *testing.T) {
	e := newMFAEnv(t, guard.Config{}) // no lockout, no other limit
	ctx := context.Background()
	// Start at the beginning of a window so that the clock stays in it.
	now := e.clock.Now()
	e.clock.Advance(now.Truncate(30*time.Second).Add(30*time.Second).Sub(now) + time.Second)
	tok := e.mfaToken("openid")
	wrong := totp.Code(e.secret, e.clock.Now().Add(-10*totp.Period))
	for i := range 5 {
		r := e.otp(tok, wrong)
		wantBadMFA(t, "wrong code", r, "one-time passcode is invalid")
		if got := r.header.Get("X-Rate-Limit-Remaining"); got != strconv.Itoa(4-i) || r.header.Get("X-Rate-Limit-Limit") != "5" {
			t.Fatalf("code %d: X-Rate-Limit-Remaining %q, Limit %q", i+1, got, r.header.Get("X-Rate-Limit-Limit"))
		}
	}
	right := totp.Code(e.secret, e.clock.Now())
	r := e.otp(tok, right)
	if r.status != 429 || r.body["error"] != "invalid_grant" || r.body["error_description"] != "API call exceeded rate limit due to too many requests." ||
		r.header.Get("Retry-After") == "" || r.header.Get("X-Rate-Limit-Remaining") != "0" || r.header.Get("X-Rate-Limit-Reset") == "" {
		t.Fatalf("sixth code: %d %v %s", r.status, r.header, r.raw)
	}
	// The refused code was not checked: in the next window it works.
	e.clock.Advance(30 * time.Second)
	if r := e.otp(tok, right); r.status != 200 {
		t.Fatalf("right code in the next window: %d %s", r.status, r.raw)
	}

	if err := e.app.Events.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	stored, err := e.app.Store.ListEvents(ctx, store.EventFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	violations := 0
	for _, s := range stored {
		ev, err := events.FromStored(s)
		if err != nil {
			t.Fatal(err)
		}
		if ev.EventType == events.TypeOperationRateLimitViolation && ev.DebugContext.DebugData["rateLimitBucket"] == "token:mfa" {
			violations++
		}
	}
	if violations != 1 {
		t.Fatalf("%d rate-limit violation events for token:mfa, want 1", violations)
	}
}
