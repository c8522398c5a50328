package oauth

import (
	"context"
	"errors"
	"time"

	"github.com/latchkey/latchkey/internal/events"
	"github.com/latchkey/latchkey/internal/mfa"
	"github.com/latchkey/latchkey/internal/oautherr"
	"github.com/latchkey/latchkey/internal/policy"
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
		s.record(ctx, req.r, events.AuthViaMFA(eventUser(user), app, "otp", "NO_FACTOR"))
		return errNoFactor
	}
	p := mfa.NewPending(req.server.ID, req.client.ID, user.ID, d.Scopes, authTime, s.now())
	tok, err := mfa.Seal(s.Sealer, p)
	if err != nil {
		return errorf("oauth: seal mfa_token: %w", err)
	}
	return oautherr.ErrMFARequired.WithMFAToken(tok)
}

// mfaGrant implements Okta's mfa-otp grant (and Auth0's alias, and Auth0's
// recovery-code grant): it redeems an mfa_token from a password login
// with a one-time passcode and issues the tokens the password grant would
// have, with amr pwd, otp, mfa. The token is bound to the client, server
// and scopes it was issued for and works once; a wrong code leaves it
// usable until it expires, and counts toward the user's lockout.
func (s *Server) mfaGrant(ctx context.Context, req *tokenRequest) (*tokenResponse, error) {
	recovery := req.grant == policy.GrantMFARecoveryCode
	codeParam := "otp"
	if recovery {
		codeParam = "recovery_code"
	}
	if err := requireParams(req.form, "mfa_token", codeParam); err != nil {
		return nil, err
	}
	if s.MFA == nil || s.Sealer == nil {
		return nil, errorf("oauth: MFA grant without an MFA verifier")
	}
	p, err := mfa.Open(s.Sealer, req.form.Get("mfa_token"), s.now())
	if err != nil {
		return nil, errMFAToken.WithDebug("%v", err)
	}
	if p.ClientID != req.client.ID || p.ServerID != req.server.ID {
		return nil, errMFAToken.WithDebug("mfa_token of client %s at server %s", p.ClientID, p.ServerID)
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
	user, err := s.Store.GetUser(ctx, p.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errMFAToken.WithDebug("user gone")
	}
	if err != nil {
		return nil, errorf("oauth: find user: %w", err)
	}

	attempt := LoginAttempt{AuthServerID: req.server.ID, ClientID: req.client.ID, Username: user.Login, Source: req.source}
	var adm LoginAdmission
	if s.Guard != nil {
		if adm, err = s.Guard.Check(ctx, attempt); err != nil {
			return nil, err
		}
	}
	factor := "otp"
	if recovery {
		factor = "recovery_code"
		_, err = s.MFA.UseRecoveryCode(ctx, user.ID, req.form.Get(codeParam))
	} else {
		_, err = s.MFA.VerifyTOTP(ctx, user.ID, req.form.Get(codeParam), store.FactorActive, nil)
	}
	req.form.Del(codeParam)
	app := events.App(req.client.ID, req.client.Name)
	if err != nil {
		if !errors.Is(err, mfa.ErrBadCode) && !errors.Is(err, mfa.ErrNoFactor) {
			if adm != nil {
				adm.Done(ctx, LoginResult{Outcome: LoginNotChecked, UserID: user.ID, UserStatus: user.Status})
			}
			return nil, errorf("oauth: verify factor: %w", err)
		}
		reason := events.ReasonInvalidCredentials
		if errors.Is(err, totp.ErrReplay) {
			reason = "REPLAYED_PASSCODE"
		}
		if adm != nil {
			adm.Done(ctx, LoginResult{Outcome: LoginFailed, UserID: user.ID, UserStatus: user.Status, Reason: reason})
		}
		s.record(ctx, req.r, events.AuthViaMFA(eventUser(user), app, factor, reason))
		return nil, errBadOTP.WithDebug("%v", err)
	}
	// The code was right: the token is spent now, once, across instances.
	if err := s.Store.UseOnce(ctx, "mfa_token:"+p.ID, p.Expires); err != nil {
		if adm != nil {
			adm.Done(ctx, LoginResult{Outcome: LoginNotChecked, UserID: user.ID, UserStatus: user.Status})
		}
		if errors.Is(err, store.ErrConflict) {
			s.record(ctx, req.r, events.AuthViaMFA(eventUser(user), app, factor, "MFA_TOKEN_REUSED"))
			return nil, errMFAToken.WithDebug("mfa_token reused")
		}
		return nil, errorf("oauth: spend mfa_token: %w", err)
	}
	if adm != nil {
		adm.Done(ctx, LoginResult{Outcome: LoginSucceeded, UserID: user.ID, UserStatus: user.Status})
	}
	s.record(ctx, req.r, events.AuthViaMFA(eventUser(user), app, factor, ""))
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
		if in.refresh, in.familyID, err = s.newFamily(ctx, req, user, d, p.AuthTime); err != nil {
			return nil, err
		}
		in.refreshID = in.familyID
	}
	return s.issue(ctx, req, in)
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
