package oauth

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/latchkey/latchkey/internal/events"
	"github.com/latchkey/latchkey/internal/mfa"
	"github.com/latchkey/latchkey/internal/oautherr"
	"github.com/latchkey/latchkey/internal/policy"
	"github.com/latchkey/latchkey/internal/ratelimit"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/totp"
)

// amrMFA is the amr of tokens issued after a password and a one-time code
// (RFC 8176: pwd, otp, mfa).
var amrMFA = []string{"pwd", "otp", "mfa"}

var (
	errNoFactor = oautherr.ErrAccessDenied.WithStatus(403).
			WithDescription("Multi-factor authentication is required, and the user has no active factor to complete it with.")
	errMFAToken = oautherr.ErrInvalidGrant.WithDescription("The 'mfa_token' is invalid, expired or already used.")
	errBadOTP   = oautherr.ErrInvalidGrant.WithDescription("The one-time passcode is invalid.")
)

// requireMFA answers a right password that policy asks a second factor
// of: mfa_required with an mfa_token bound to the server, the client, the
// user and the scopes decided; or, for a user with no active factor, an
// error that says so. Either way no tokens go out.
func (s *Server) requireMFA(ctx context.Context, req *tokenRequest, user store.User, d policy.Decision, authTime time.Time) error {
	if s.MFA == nil {
		return errorf("oauth: a rule requires MFA and the server has no MFA verifier")
	}
	ok, err := s.MFA.HasActiveFactor(ctx, user.ID)
	if err != nil {
		return errorf("oauth: factors of %s: %w", user.ID, err)
	}
	app := events.App(req.client.ID, req.client.Name)
	if !ok {
		s.record(ctx, req.r, events.AuthViaMFA(eventUser(user), app, "otp", reasonNoActiveFactor))
		return errNoFactor
	}
	p := mfa.NewPending(req.server.ID, req.client.ID, user.ID, d.Scopes, authTime, s.now())
	tok, err := mfa.Seal(s.Sealer, p)
	if err != nil {
		return errorf("oauth: seal mfa_token: %w", err)
	}
	return oautherr.ErrMFARequired.WithMFAToken(tok)
}

// Outcome reasons of the MFA flow's audit events, beside
// events.ReasonInvalidCredentials (a wrong code).
const (
	reasonBadMFAToken    = "INVALID_MFA_TOKEN"
	reasonMFATokenReused = "MFA_TOKEN_REUSED"
	reasonReplayedCode   = "REPLAYED_PASSCODE"
	reasonMFARateLimited = "RATE_LIMITED"
	reasonNoActiveFactor = "NO_FACTOR"
)

// mfaTokenSingleUsePfx prefixes an mfa_token's id in the store's
// single-use table; mfaRateLimitBucket names the MFA limit in the audit
// trail.
const (
	mfaTokenSingleUsePfx = "mfa_token:"
	mfaRateLimitBucket   = "token:mfa"
)

// mfaGrant implements Okta's mfa-otp grant (and Auth0's alias, and Auth0's
// recovery-code grant): it redeems an mfa_token from a password login
// with a one-time passcode and issues the tokens the password grant would
// have, with amr pwd, otp, mfa.
//
// The order is what keeps it safe. The token is checked first (bound to
// this client and server, not expired, not spent) so that a spent token
// costs no code: the code's TOTP step is not taken. Then the per-user MFA
// rate limit and the login guard (lockout) run, then the code is checked.
// A wrong code is a failure for the lockout and leaves the token usable
// (as Auth0 does) until the lockout or the rate limit stops the guessing
// or the token expires. A right code spends the token once, across
// instances; should two right codes race for one token, the loser's step
// is taken and its answer is the spent token's error.
func (s *Server) mfaGrant(ctx context.Context, req *tokenRequest) (*tokenResponse, error) {
	codeParam, factor := "otp", "otp"
	if req.grant == policy.GrantMFARecoveryCode {
		codeParam, factor = "recovery_code", "recovery_code"
	}
	if err := requireParams(req.form, "mfa_token", codeParam); err != nil {
		return nil, err
	}
	code := req.form.Get(codeParam)
	req.form.Del(codeParam)
	p, err := s.openMFAToken(ctx, req, stepVerify)
	if err != nil {
		return nil, err
	}
	if scope := req.form.Get("scope"); scope != "" {
		requested, err := policy.ParseScope(scope)
		if err != nil {
			return nil, err
		}
		if !sameSet(requested, p.Scopes) {
			return nil, errMFAToken.WithDebug("scopes differ from the password login's")
		}
	}
	user, err := s.pendingUser(ctx, req, p, stepVerify)
	if err != nil {
		return nil, err
	}
	if err := s.redeem(ctx, req, p, user, factor, code); err != nil {
		return nil, err
	}
	if !user.HoldsTokens() {
		return nil, oautherr.ErrInvalidGrant.WithDescription("The credentials provided were invalid.").WithDebug("user status %s", user.Status)
	}

	// The same decision as the password grant's, for the scopes it decided.
	d, err := s.Policy.Decide(ctx, policy.Request{Server: req.server, Client: req.client, User: &user, Grant: policy.GrantPassword, Scopes: p.Scopes})
	if err != nil {
		return nil, err
	}
	in := issuance{user: &user, decision: d, authTime: p.AuthTime, amr: amrMFA}
	if wantsRefresh(req.client, d.Scopes) {
		// The family remembers the second factor: its refreshes keep amr.
		if in.refresh, in.familyID, err = s.newFamilyAMR(ctx, req, user, d, p.AuthTime, amrMFA); err != nil {
			return nil, err
		}
		in.refreshID = in.familyID
	}
	return s.issue(ctx, req, in)
}

// redeem checks a code against the pending login p of user and, when it is
// right, spends the mfa_token: the per-user MFA limit, then the login
// guard, then the code (which takes its TOTP step or recovery code), then
// the token. Every outcome is an audit event.
func (s *Server) redeem(ctx context.Context, req *tokenRequest, p mfa.Pending, user store.User, factor, code string) error {
	app := events.App(req.client.ID, req.client.Name)
	if err := s.takeMFACode(ctx, req, user); err != nil {
		s.record(ctx, req.r, mfaEvent(eventUser(user), app, stepVerify, factor, reasonMFARateLimited))
		return err
	}

	attempt := LoginAttempt{AuthServerID: req.server.ID, ClientID: req.client.ID, Username: user.Login, Source: req.source}
	var adm LoginAdmission
	var err error
	if s.Guard != nil {
		if adm, err = s.Guard.Check(ctx, attempt); err != nil {
			return err
		}
	}
	done := func(o LoginOutcome, reason string) {
		if adm != nil {
			adm.Done(ctx, LoginResult{Outcome: o, UserID: user.ID, UserStatus: user.Status, Reason: reason})
		}
	}
	if factor == "recovery_code" {
		_, err = s.MFA.UseRecoveryCode(ctx, user.ID, code)
	} else {
		_, err = s.MFA.VerifyTOTP(ctx, user.ID, code, store.FactorActive, nil)
	}
	if err != nil {
		if !errors.Is(err, mfa.ErrBadCode) && !errors.Is(err, mfa.ErrNoFactor) {
			done(LoginNotChecked, "")
			return errorf("oauth: verify factor: %w", err)
		}
		reason := events.ReasonInvalidCredentials
		switch {
		case errors.Is(err, totp.ErrReplay):
			reason = reasonReplayedCode
		case errors.Is(err, mfa.ErrNoFactor):
			reason = reasonNoActiveFactor
		}
		done(LoginFailed, reason)
		s.record(ctx, req.r, mfaEvent(eventUser(user), app, stepVerify, factor, reason))
		return errBadOTP.WithDebug("%v", err)
	}
	// The code was right: the token is spent now, once, across instances.
	if err := s.Store.UseOnce(ctx, mfaTokenSingleUsePfx+p.ID, p.Expires); err != nil {
		done(LoginNotChecked, "")
		if errors.Is(err, store.ErrConflict) {
			s.record(ctx, req.r, mfaEvent(eventUser(user), app, stepVerify, factor, reasonMFATokenReused))
			return errMFAToken.WithDebug("mfa_token spent by a concurrent request")
		}
		return errorf("oauth: spend mfa_token: %w", err)
	}
	done(LoginSucceeded, "")
	s.record(ctx, req.r, mfaEvent(eventUser(user), app, stepVerify, factor, ""))
	return nil
}

// openMFAToken reads the request's mfa_token: sealed by this server, not
// expired, bound to the request's client and server, and not yet spent.
// It spends nothing. Each refusal is an audit event of the step.
func (s *Server) openMFAToken(ctx context.Context, req *tokenRequest, step string) (mfa.Pending, error) {
	if s.MFA == nil || s.Sealer == nil {
		return mfa.Pending{}, errorf("oauth: MFA without an MFA verifier")
	}
	app := events.App(req.client.ID, req.client.Name)
	p, err := mfa.Open(s.Sealer, req.form.Get("mfa_token"), s.now())
	if err != nil {
		s.record(ctx, req.r, mfaEvent(events.UnknownUser(""), app, step, "", reasonBadMFAToken))
		return mfa.Pending{}, errMFAToken.WithDebug("%v", err)
	}
	if p.ClientID != req.client.ID || p.ServerID != req.server.ID {
		s.record(ctx, req.r, mfaEvent(eventUser(*s.userOf(ctx, p.UserID)), app, step, "", reasonBadMFAToken))
		return mfa.Pending{}, errMFAToken.WithDebug("mfa_token of client %s at server %s", p.ClientID, p.ServerID)
	}
	used, err := s.Store.UsedOnce(ctx, mfaTokenSingleUsePfx+p.ID)
	if err != nil {
		return mfa.Pending{}, errorf("oauth: check mfa_token: %w", err)
	}
	if used {
		s.record(ctx, req.r, mfaEvent(eventUser(*s.userOf(ctx, p.UserID)), app, step, "", reasonMFATokenReused))
		return mfa.Pending{}, errMFAToken.WithDebug("mfa_token already used")
	}
	return p, nil
}

// pendingUser is the user of a pending login; a user deleted since is the
// token's error.
func (s *Server) pendingUser(ctx context.Context, req *tokenRequest, p mfa.Pending, step string) (store.User, error) {
	user, err := s.Store.GetUser(ctx, p.UserID)
	if errors.Is(err, store.ErrNotFound) {
		s.record(ctx, req.r, mfaEvent(events.User(p.UserID, "", ""), events.App(req.client.ID, req.client.Name), step, "", reasonBadMFAToken))
		return store.User{}, errMFAToken.WithDebug("user gone")
	}
	if err != nil {
		return store.User{}, errorf("oauth: find user: %w", err)
	}
	return user, nil
}

// errMFARateLimited is the token endpoint's rate-limit answer (the login
// guard's, CONTRACT section 2) for the per-user limit of MFA codes.
var errMFARateLimited = oautherr.ErrInvalidGrant.WithStatus(http.StatusTooManyRequests).
	WithDescription("API call exceeded rate limit due to too many requests.")

// takeMFACode charges one code to the user's MFA limit (config
// login_protection.rate_limits.mfa), for the X-Rate-Limit-* headers too;
// the first refusal of a window is an audit event, as the guard's are.
func (s *Server) takeMFACode(ctx context.Context, req *tokenRequest, user store.User) error {
	s.mfaOnce.Do(func() { s.mfaLimiter = ratelimit.New(s.MFALimit, s.now) })
	r, ok := s.mfaLimiter.Take(user.ID)
	if !ok {
		return nil
	}
	ratelimit.Observe(ctx, r)
	if r.Allowed {
		return nil
	}
	if s.RateLimited != nil {
		s.RateLimited("mfa")
	}
	if r.FirstRefusal {
		l := events.RateLimit{Bucket: mfaRateLimitBucket, Limit: s.MFALimit.Requests, Window: s.MFALimit.Window.String()}
		s.record(ctx, req.r, events.UserRateLimitViolation(eventUser(user), events.App(req.client.ID, req.client.Name), l))
	}
	return errMFARateLimited.WithHeader("Retry-After", strconv.Itoa(r.RetryAfter(s.now()))).WithDebug("mfa rate limit")
}

// sameSet reports whether a and b hold the same strings, in any order.
func sameSet(a, b []string) bool {
	seen := make(map[string]bool, len(b))
	for _, s := range b {
		seen[s] = true
	}
	if len(a) != len(seen) {
		return false
	}
	for _, s := range a {
		if !seen[s] {
			return false
		}
	}
	return true
}
