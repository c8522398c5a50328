package oauth

import (
	"context"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/mfa"
	"github.com/latchkey/latchkey/internal/oautherr"
	"github.com/latchkey/latchkey/internal/policy"
	"github.com/latchkey/latchkey/internal/store"
)

// challengeFixture is an authFixture whose Basic client may use the MFA
// grant, with a user who has an active TOTP factor and an mfa_token of a
// password login of that user through that client at server "default".
type challengeFixture struct {
	*authFixture
	srv      policy.Server
	userID   string
	mfaToken string
}

func newChallengeFixture(t testing.TB) *challengeFixture {
	t.Helper()
	ctx := context.Background()
	fx := &challengeFixture{authFixture: newAuthFixture(t), srv: policy.Server{AuthServer: store.AuthServer{ID: "default"}}}
	fx.s.MFA = &mfa.Verifier{Store: fx.st, Sealer: fx.s.Sealer}
	fx.s.Logger = slog.New(slog.DiscardHandler)
	if _, err := fx.st.UpdateClient(ctx, fx.basic.ID, func(c store.Client) (store.Client, error) {
		c.GrantTypes = []string{policy.GrantPassword, policy.GrantMFAOTP, policy.GrantMFAOTPAuth0}
		return c, nil
	}); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	fx.userID = ids.New(ids.User)
	if err := fx.st.CreateUser(ctx, store.User{ID: fx.userID, Status: store.UserActive, Login: "ada@example.com", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if _, err := fx.st.UpdateFactors(ctx, fx.userID, func([]store.Factor) ([]store.Factor, error) {
		return []store.Factor{{ID: ids.New(ids.Factor), UserID: fx.userID, Type: store.FactorTOTP, Provider: store.ProviderOkta,
			Status: store.FactorActive, Sealed: []byte{1}, CreatedAt: now, UpdatedAt: now}}, nil
	}); err != nil {
		t.Fatal(err)
	}
	var err error
	fx.mfaToken, err = mfa.Seal(fx.s.Sealer, mfa.NewPending("default", fx.basic.ID, fx.userID, []string{"openid"}, now, time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	return fx
}

// challenge sends body to /v1/challenge as the Basic client.
func (fx *challengeFixture) challenge(body string) (*challengeResponse, error) {
	r := httptest.NewRequest(http.MethodPost, "/oauth2/default/v1/challenge", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Authorization", basic(fx.basic.ID, fx.basicPass))
	return fx.s.challenge(r, fx.srv)
}

func basic(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret)))
}

func TestChallenge(t *testing.T) {
	t.Parallel()
	fx := newChallengeFixture(t)
	form := func(types string) string {
		return url.Values{"mfa_token": {fx.mfaToken}, "challenge_types_supported": {types}}.Encode()
	}
	for _, tc := range []struct {
		name, body   string
		want         string // challenge_type, or
		code, detail string // the error's code and a part of its description
		status       int
	}{
		{name: "Okta's URI", body: form(policy.GrantMFAOTPAuth0), want: policy.GrantMFAOTPAuth0},
		{name: "several, oob first", body: form("http://auth0.com/oauth/grant-type/mfa-oob  " + policy.GrantMFAOTPAuth0 + " " + policy.GrantMFAOTP), want: policy.GrantMFAOTPAuth0},
		{name: "the urn alone", body: form(policy.GrantMFAOTP), want: policy.GrantMFAOTP},
		{name: "channel_hint is read and ignored", body: form(policy.GrantMFAOTP) + "&channel_hint=push", want: policy.GrantMFAOTP},
		{name: "oob only", body: form("http://auth0.com/oauth/grant-type/mfa-oob"), code: "unsupported_challenge_type", detail: "challenge_types_supported", status: 400},
		{name: "no types", body: url.Values{"mfa_token": {fx.mfaToken}}.Encode(), code: "invalid_request", detail: "'challenge_types_supported' is missing", status: 400},
		{name: "only spaces", body: form("   "), code: "unsupported_challenge_type", status: 400},
		{name: "too many types", body: form(strings.Repeat("x ", maxChallengeTypes+1)), code: "invalid_request", detail: "more than 16", status: 400},
		{name: "no mfa_token", body: url.Values{"challenge_types_supported": {policy.GrantMFAOTP}}.Encode(), code: "invalid_request", detail: "'mfa_token' is missing", status: 400},
		{name: "forged mfa_token", body: url.Values{"mfa_token": {"x" + fx.mfaToken}, "challenge_types_supported": {policy.GrantMFAOTP}}.Encode(), code: "invalid_grant", detail: "mfa_token", status: 400},
		{name: "mfa_token twice", body: form(policy.GrantMFAOTP) + "&mfa_token=x", code: "invalid_request", detail: "more than once", status: 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := fx.challenge(tc.body)
			if tc.want != "" {
				if err != nil || resp.ChallengeType != tc.want {
					t.Fatalf("got %+v, %v; want challenge_type %s", resp, err, tc.want)
				}
				return
			}
			var oe *oautherr.Error
			if !errors.As(err, &oe) || oe.Code != tc.code || oe.Status != tc.status || !strings.Contains(oe.Description, tc.detail) {
				t.Fatalf("got %+v, %v; want %d %s containing %q", resp, err, tc.status, tc.code, tc.detail)
			}
		})
	}

	// A spent token is refused; checking it did not spend it before.
	if _, err := fx.challenge(form(policy.GrantMFAOTP)); err != nil {
		t.Fatalf("challenge again: %v", err)
	}
	p, err := mfa.Open(fx.s.Sealer, fx.mfaToken, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := fx.st.UseOnce(context.Background(), mfaTokenSingleUsePfx+p.ID, p.Expires); err != nil {
		t.Fatalf("the challenges spent the token: %v", err)
	}
	if _, err := fx.challenge(form(policy.GrantMFAOTP)); !errors.Is(err, oautherr.ErrInvalidGrant) {
		t.Fatalf("spent token: %v", err)
	}
}

// TestChallengeClientAllowedOneName: the answer is a type the app listed
// and the client may use; listing only names the client may not use is
// unauthorized_client, as the token endpoint would answer.
func TestChallengeClientAllowedOneName(t *testing.T) {
	t.Parallel()
	fx := newChallengeFixture(t)
	allow := func(grants ...string) {
		t.Helper()
		if _, err := fx.st.UpdateClient(context.Background(), fx.basic.ID, func(c store.Client) (store.Client, error) {
			c.GrantTypes = grants
			return c, nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	body := func(types ...string) string {
		return url.Values{"mfa_token": {fx.mfaToken}, "challenge_types_supported": {strings.Join(types, " ")}}.Encode()
	}
	allow(policy.GrantPassword, policy.GrantMFAOTP)
	if resp, err := fx.challenge(body(policy.GrantMFAOTPAuth0, policy.GrantMFAOTP)); err != nil || resp.ChallengeType != policy.GrantMFAOTP {
		t.Fatalf("got %+v, %v; want the urn the client may use", resp, err)
	}
	if _, err := fx.challenge(body(policy.GrantMFAOTPAuth0)); !errors.Is(err, oautherr.ErrUnauthorizedClient) {
		t.Fatalf("only a name the client may not use: %v", err)
	}
	allow(policy.GrantPassword)
	if _, err := fx.challenge(body(policy.GrantMFAOTP)); !errors.Is(err, oautherr.ErrUnauthorizedClient) {
		t.Fatalf("client without the grant: %v", err)
	}
}

// FuzzChallenge feeds arbitrary bodies to /v1/challenge from an
// authenticated client holding a valid mfa_token: every answer is one of
// the OTP challenge types or a contract error (never a panic, never a
// server error).
func FuzzChallenge(f *testing.F) {
	fx := newChallengeFixture(f)
	valid := url.Values{"mfa_token": {fx.mfaToken}, "challenge_types_supported": {policy.GrantMFAOTPAuth0}}.Encode()
	for _, s := range []string{
		valid, valid + "&channel_hint=sms", valid + "&scope=openid",
		"mfa_token=" + fx.mfaToken + "&challenge_types_supported=" + url.QueryEscape(strings.Repeat(policy.GrantMFAOTP+" ", 20)),
		"mfa_token=" + fx.mfaToken[:len(fx.mfaToken)/2] + "&challenge_types_supported=x",
		"mfa_token=%zz&challenge_types_supported=", "challenge_types_supported=" + url.QueryEscape("\t\n\v"), "", "&&&", "a=1&a=2",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		resp, err := fx.challenge(body)
		if err == nil {
			if !slices.Contains(otpChallengeTypes, resp.ChallengeType) {
				t.Fatalf("answered challenge_type %q", resp.ChallengeType)
			}
			return
		}
		var oe *oautherr.Error
		if !errors.As(err, &oe) || oe.Status >= 500 {
			t.Fatalf("not a contract error: %v", err)
		}
		switch oe.Code {
		case "invalid_request", "invalid_grant", "unsupported_challenge_type":
		default:
			t.Fatalf("unexpected error %v", err)
		}
	})
}
