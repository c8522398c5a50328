package oauth

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/latchkey/latchkey/internal/events"
	"github.com/latchkey/latchkey/internal/oautherr"
	"github.com/latchkey/latchkey/internal/policy"
	"github.com/latchkey/latchkey/internal/ratelimit"
	"github.com/latchkey/latchkey/internal/store"
)

// challengeResponse is the answer of /v1/challenge for an OTP factor:
// Okta's direct authentication names the grant that completes the login.
// Nothing is sent to the user (the code comes from their app), so there is
// no oob_code, binding or polling interval.
type challengeResponse struct {
	ChallengeType string `json:"challenge_type"`
}

// otpChallengeTypes are the challenge types an OTP factor answers to, in
// the order preferred when the app lists several: Okta's direct
// authentication answers Auth0's URI, so it comes first.
var otpChallengeTypes = []string{policy.GrantMFAOTPAuth0, policy.GrantMFAOTP}

// maxChallengeTypes bounds the types read from challenge_types_supported.
const maxChallengeTypes = 16

// errUnsupportedChallengeType is Auth0's answer (Okta documents no name of
// its own) when none of the app's challenge types is one the user's factor
// can complete.
var errUnsupportedChallengeType = &oautherr.Error{Code: "unsupported_challenge_type", Status: http.StatusBadRequest,
	Description: "None of the challenge types in 'challenge_types_supported' can be used: the user's factor answers to " +
		policy.GrantMFAOTPAuth0 + " (or " + policy.GrantMFAOTP + ")."}

// Challenge serves POST {issuer}/v1/challenge, the second step of Okta's
// direct authentication: an app holding the mfa_token of an mfa_required
// answer asks which challenge completes the login. It authenticates the
// client as the token endpoint does and checks the mfa_token without
// spending it.
func (s *Server) Challenge(w http.ResponseWriter, r *http.Request) {
	srv, ok := ResolveServer(w, r, s.Policy, s.Logger)
	if !ok {
		return
	}
	ctx, limits := ratelimit.WithHeaders(r.Context())
	r = r.WithContext(ctx)
	resp, err := s.challenge(r, srv)
	if !limits.Set() && s.Guard != nil {
		s.Guard.PeekRequest(ctx, r)
	}
	limits.Write(w.Header())
	if err != nil {
		s.logError(ctx, err)
		oautherr.Write(w, s.basicChallenge(r, err))
		return
	}
	writeNoStore(w, resp)
}

func (s *Server) challenge(r *http.Request, srv policy.Server) (*challengeResponse, error) {
	ctx := r.Context()
	form, err := ParseForm(r)
	if err != nil {
		return nil, err
	}
	// Like the token endpoint: no browser completes a password login.
	client, source, err := s.admitClient(r, form)
	if err != nil {
		return nil, err
	}
	req := &tokenRequest{r: r, form: form, server: srv, client: client, source: source}
	if err := requireParams(form, "mfa_token", "challenge_types_supported"); err != nil {
		return nil, err
	}
	p, err := s.openMFAToken(ctx, req, stepChallenge)
	if err != nil {
		return nil, err
	}
	user, err := s.pendingUser(ctx, req, p, stepChallenge)
	if err != nil {
		return nil, err
	}
	app := events.App(client.ID, client.Name)
	// channel_hint names an out-of-band channel (push, sms, voice, email):
	// an OTP factor has none, so it is read and has no effect.
	chosen, err := chooseChallengeType(form.Get("challenge_types_supported"), client)
	if err != nil {
		if reason := challengeReason(err); reason != "" {
			s.record(ctx, r, mfaEvent(eventUser(user), app, stepChallenge, "", reason))
		}
		return nil, err
	}
	ok, err := s.MFA.HasActiveFactor(ctx, user.ID)
	if err != nil {
		return nil, errorf("oauth: factors of %s: %w", user.ID, err)
	}
	if !ok {
		s.record(ctx, r, mfaEvent(eventUser(user), app, stepChallenge, "otp", reasonNoActiveFactor))
		return nil, errNoFactor
	}
	s.record(ctx, r, mfaEvent(eventUser(user), app, stepChallenge, "otp", ""))
	return &challengeResponse{ChallengeType: chosen}, nil
}

// chooseChallengeType answers challenge_types_supported (challenge types
// separated by spaces, as Okta's SDKs join them): the first OTP type the
// app listed that the client may use, Okta's URI before the urn, since the
// token endpoint will require the client to be allowed it.
func chooseChallengeType(raw string, client store.Client) (string, error) {
	asked := strings.Fields(raw)
	if len(asked) > maxChallengeTypes {
		return "", oautherr.ErrInvalidRequest.WithDescription("The parameter 'challenge_types_supported' lists more than %d challenge types.", maxChallengeTypes)
	}
	listed := false
	for _, t := range otpChallengeTypes {
		if !slices.Contains(asked, t) {
			continue
		}
		listed = true
		if slices.Contains(client.GrantTypes, t) {
			return t, nil
		}
	}
	if !listed {
		return "", errUnsupportedChallengeType.WithDebug("asked %q", truncate(raw, 256))
	}
	return "", oautherr.ErrUnauthorizedClient.WithDescription("The client is not authorized to use the provided grant type. Configured grant types: [%s].", strings.Join(client.GrantTypes, ", "))
}

// challengeReason is the audit reason of a refused challenge type.
func challengeReason(err error) string {
	switch {
	case errors.Is(err, errUnsupportedChallengeType):
		return "UNSUPPORTED_CHALLENGE_TYPE"
	case errors.Is(err, oautherr.ErrUnauthorizedClient):
		return "UNAUTHORIZED_CLIENT"
	}
	return "" // a malformed request: refused before it named a challenge
}

// Steps of the MFA flow, as the audit trail names them.
const (
	stepChallenge = "challenge"
	stepVerify    = "verify"
)

// mfaEvent is the audit event of one step of the MFA flow: a
// user.authentication.auth_via_mfa with the step in its debug data. An
// answered challenge is outcome CHALLENGE (Okta's result for a challenge
// issued), a verified code SUCCESS; reason "" is either of those, any
// other a FAILURE. factor is "otp", "recovery_code" or "" when unknown.
func mfaEvent(user events.Actor, app events.Actor, step, factor, reason string) events.Event {
	e := events.AuthViaMFA(user, app, factor, reason)
	e.DebugContext.DebugData["step"] = step
	if reason == "" && step == stepChallenge {
		e.Outcome.Result = events.ResultChallenge
	}
	return e
}
