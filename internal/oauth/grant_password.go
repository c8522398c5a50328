package oauth

import (
	"context"
	"errors"
	"time"

	"github.com/latchkey/latchkey/internal/events"
	"github.com/latchkey/latchkey/internal/oautherr"
	"github.com/latchkey/latchkey/internal/password"
	"github.com/latchkey/latchkey/internal/policy"
	"github.com/latchkey/latchkey/internal/store"
)

// passwordGrant implements the Resource Owner Password Credentials grant
// (RFC 6749 section 4.3.2).
func (s *Server) passwordGrant(ctx context.Context, req *tokenRequest) (*tokenResponse, error) {
	if err := requireParams(req.form, "username", "password"); err != nil {
		return nil, err
	}
	// Scopes are checked before the password so that a malformed request
	// costs no hashing.
	requested, err := policy.ParseScope(req.form.Get("scope"))
	if err != nil {
		return nil, err
	}
	scopes, err := s.Policy.ResolveScopes(ctx, req.server, req.grant, requested)
	if err != nil {
		return nil, err
	}
	username, pw := req.form.Get("username"), req.form.Get("password")
	// Drop the password from the request as soon as it is read.
	req.form.Del("password")

	attempt := LoginAttempt{AuthServerID: req.server.ID, ClientID: req.client.ID, Username: username, Source: req.source}
	var adm LoginAdmission
	if s.Guard != nil {
		if adm, err = s.Guard.Check(ctx, attempt); err != nil {
			return nil, err
		}
	}
	// Hashing waits its turn per client and per source, so that one flood
	// cannot take the whole pool.
	ctx = password.WithQueueKey(ctx, password.QueueKey{Client: req.client.ID, Source: req.source})
	user, res, err := s.checkPassword(ctx, username, pw, adm != nil)
	if adm != nil {
		adm.Done(ctx, res)
	}
	s.recordLogin(ctx, req, username, res)
	if err != nil {
		return nil, err
	}

	d, err := s.Policy.Decide(ctx, policy.Request{Server: req.server, Client: req.client, User: &user, Grant: req.grant, Scopes: scopes})
	if err != nil {
		return nil, err
	}
	authTime := s.now()
	if d.RequireMFA {
		return nil, s.requireMFA(ctx, req, user, d, authTime)
	}
	in := issuance{user: &user, decision: d, authTime: authTime}
	if wantsRefresh(req.client, d.Scopes) {
		if in.refresh, in.familyID, err = s.newFamily(ctx, req, user, d, authTime); err != nil {
			return nil, err
		}
		in.refreshID = in.familyID // the first token of a family gives it its id
	}
	return s.issue(ctx, req, in)
}

// checkPassword returns the user whose login and password match and who may
// get tokens, and the outcome for the login guard. Every failure that could
// tell whether the user exists is the same invalid_grant, after the same
// hashing cost: an unknown user is checked against a dummy hash; a user who
// is not ACTIVE is checked like anyone else and refused after. LOCKED_OUT
// is the login guard's status: a LOCKED_OUT user logs in when the guard
// admitted the attempt (guarded), which it does only where no lock holds.
func (s *Server) checkPassword(ctx context.Context, username, pw string, guarded bool) (store.User, LoginResult, error) {
	invalid := oautherr.ErrInvalidGrant.WithDescription("The credentials provided were invalid.")
	failed := func(u store.User, reason string) LoginResult {
		return LoginResult{Outcome: LoginFailed, UserID: u.ID, UserStatus: u.Status, Reason: reason}
	}
	notChecked := LoginResult{Outcome: LoginNotChecked}
	user, err := s.Store.GetUserByLogin(ctx, username)
	if errors.Is(err, store.ErrNotFound) {
		if err := s.Hasher.VerifyDummy(ctx, pw); err != nil {
			return store.User{}, notChecked, hashErr(err)
		}
		return store.User{}, failed(store.User{}, events.ReasonUnknownUser), invalid.WithDebug("unknown user")
	}
	if err != nil {
		return store.User{}, notChecked, errorf("oauth: find user: %w", err)
	}
	notChecked.UserID, notChecked.UserStatus = user.ID, user.Status
	if user.PasswordHash == "" {
		// A user without a password (created STAGED, say) costs the same.
		if err := s.Hasher.VerifyDummy(ctx, pw); err != nil {
			return store.User{}, notChecked, hashErr(err)
		}
		return store.User{ID: user.ID}, failed(user, events.ReasonInvalidCredentials), invalid.WithDebug("user has no password")
	}
	res, err := s.Hasher.Verify(ctx, user.PasswordHash, pw)
	if err != nil {
		if errors.Is(err, password.ErrUnknownFormat) || errors.Is(err, password.ErrMalformed) {
			// Answer no faster than a real check, so that a broken record
			// does not tell an attacker anything.
			if err := s.Hasher.VerifyDummy(ctx, pw); err != nil {
				return store.User{}, notChecked, hashErr(err)
			}
			s.Logger.WarnContext(ctx, "stored password hash is unreadable", "user_id", user.ID, "err", err)
			return store.User{ID: user.ID}, failed(user, events.ReasonInvalidCredentials), invalid.WithDebug("unreadable hash")
		}
		return store.User{}, notChecked, hashErr(err)
	}
	if !res.OK {
		return store.User{ID: user.ID}, failed(user, events.ReasonInvalidCredentials), invalid.WithDebug("wrong password")
	}
	switch {
	case user.Status == store.UserActive:
	case user.Status == store.UserLockedOut && guarded:
	case user.Status == store.UserPasswordExpired:
		// Only someone who knows the password learns that it expired.
		return store.User{ID: user.ID}, failed(user, events.ReasonPasswordExpired), oautherr.ErrInvalidGrant.WithDescription("Password has expired.")
	default:
		return store.User{ID: user.ID}, failed(user, events.ReasonNotActive), invalid.WithDebug("user status %s", user.Status)
	}
	if res.NeedsRehash {
		s.rehash(ctx, user.ID, user.PasswordHash, pw)
	}
	return user, LoginResult{Outcome: LoginSucceeded, UserID: user.ID, UserStatus: user.Status}, nil
}

// recordLogin writes the audit event of a checked login: user.session.start
// with its outcome, or the overload refusal when the password could not be
// checked (at most a few a second, like the log lines).
func (s *Server) recordLogin(ctx context.Context, req *tokenRequest, username string, res LoginResult) {
	if s.Events == nil {
		return
	}
	app := events.App(req.client.ID, req.client.Name)
	if res.Outcome == LoginNotChecked {
		if ok, _ := s.overloadEvents.allow(time.Now()); ok {
			s.record(ctx, req.r, events.Overloaded(app, "password hashing"))
		}
		return
	}
	username = truncate(username, 256)
	actor := events.UnknownUser(username)
	if res.UserID != "" {
		actor = events.User(res.UserID, username, "")
	}
	s.record(ctx, req.r, events.SessionStart(actor, app, res.Reason))
}

// rehash upgrades a user's stored hash to the configured algorithm and
// parameters. A failure is logged and the login still succeeds.
func (s *Server) rehash(ctx context.Context, userID, verified, pw string) {
	fresh, err := s.Hasher.Hash(ctx, pw)
	if err != nil {
		s.Logger.WarnContext(ctx, "password rehash skipped", "user_id", userID, "err", err)
		return
	}
	_, err = s.Store.UpdateUser(ctx, userID, func(u store.User) (store.User, error) {
		if u.PasswordHash != verified {
			// The password changed while this login was checked: keep
			// the new one rather than restore the old.
			return u, errPasswordChanged
		}
		u.PasswordHash = fresh
		return u, nil
	})
	if errors.Is(err, errPasswordChanged) {
		return
	}
	if err != nil {
		s.Logger.WarnContext(ctx, "password rehash not stored", "user_id", userID, "err", err)
	}
}

var errPasswordChanged = errors.New("oauth: password changed during login")

// hashErr maps a hashing-pool failure to its protocol error.
func hashErr(err error) error {
	if errors.Is(err, password.ErrBusy) {
		return oautherr.ErrTemporarilyUnavailable.WithDescription("The server is busy; try again shortly.").WithHeader("Retry-After", "1")
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return oautherr.ErrTemporarilyUnavailable.WithDescription("The request was cancelled.").WithDebug("%v", err)
	}
	return errorf("oauth: hash: %w", err)
}
