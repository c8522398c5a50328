package oauth

import (
	"context"
	"errors"

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

	attempt := LoginAttempt{AuthServerID: req.server.ID, ClientID: req.client.ID, Username: username, RemoteAddr: req.r.RemoteAddr}
	if s.Guard != nil {
		if err := s.Guard.Check(ctx, attempt); err != nil {
			return nil, err
		}
	}
	user, err := s.checkPassword(ctx, username, pw)
	if s.Guard != nil && !errors.Is(err, password.ErrBusy) {
		s.Guard.Record(ctx, attempt, user.ID, err == nil)
	}
	if err != nil {
		return nil, err
	}

	d, err := s.Policy.Decide(ctx, policy.Request{Server: req.server, Client: req.client, User: &user, Grant: req.grant, Scopes: scopes})
	if err != nil {
		return nil, err
	}
	authTime := s.now()
	in := issuance{user: &user, decision: d, authTime: authTime}
	if wantsRefresh(req.client, d.Scopes) {
		if in.refresh, in.familyID, err = s.newFamily(ctx, req, user, d, authTime); err != nil {
			return nil, err
		}
	}
	return s.issue(ctx, req, in)
}

// checkPassword returns the user whose login and password match and who may
// get tokens. Every failure that could tell whether the user exists is the
// same invalid_grant, after the same hashing cost: an unknown user is
// checked against a dummy hash; a user who is not ACTIVE is checked like
// anyone else and refused after.
func (s *Server) checkPassword(ctx context.Context, username, pw string) (store.User, error) {
	invalid := oautherr.ErrInvalidGrant.WithDescription("The credentials provided were invalid.")
	user, err := s.Store.GetUserByLogin(ctx, username)
	if errors.Is(err, store.ErrNotFound) {
		if err := s.Hasher.VerifyDummy(ctx, pw); err != nil {
			return store.User{}, hashErr(err)
		}
		return store.User{}, invalid.WithDebug("unknown user")
	}
	if err != nil {
		return store.User{}, errorf("oauth: find user: %w", err)
	}
	if user.PasswordHash == "" {
		// A user without a password (created STAGED, say) costs the same.
		if err := s.Hasher.VerifyDummy(ctx, pw); err != nil {
			return store.User{}, hashErr(err)
		}
		return store.User{ID: user.ID}, invalid.WithDebug("user has no password")
	}
	res, err := s.Hasher.Verify(ctx, user.PasswordHash, pw)
	if err != nil {
		if errors.Is(err, password.ErrUnknownFormat) || errors.Is(err, password.ErrMalformed) {
			// Answer no faster than a real check, so that a broken record
			// does not tell an attacker anything.
			if err := s.Hasher.VerifyDummy(ctx, pw); err != nil {
				return store.User{}, hashErr(err)
			}
			s.Logger.WarnContext(ctx, "stored password hash is unreadable", "user_id", user.ID, "err", err)
			return store.User{ID: user.ID}, invalid.WithDebug("unreadable hash")
		}
		return store.User{}, hashErr(err)
	}
	if !res.OK {
		return store.User{ID: user.ID}, invalid.WithDebug("wrong password")
	}
	switch user.Status {
	case store.UserActive:
	case store.UserPasswordExpired:
		// Only someone who knows the password learns that it expired.
		return store.User{ID: user.ID}, oautherr.ErrInvalidGrant.WithDescription("Password has expired.")
	default:
		return store.User{ID: user.ID}, invalid.WithDebug("user status %s", user.Status)
	}
	if res.NeedsRehash {
		s.rehash(ctx, user.ID, user.PasswordHash, pw)
	}
	return user, nil
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
