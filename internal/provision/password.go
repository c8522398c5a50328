package provision

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/latchkey/latchkey/internal/password"
	"github.com/latchkey/latchkey/internal/pwpolicy"
	"github.com/latchkey/latchkey/internal/store"
)

// Okta's answer to a password that fails the policy: HTTP 400 with this
// code and summary, and one errorCauses entry per failure.
const (
	PasswordErrorCode    = "E0000001"
	PasswordErrorSummary = "Api validation failed: password"
)

// PasswordError is a password refused by the password policy or the
// history. Causes are Okta's errorCauses summaries ("password: Password
// requirements were not met. …"), ready for apierr.Write. It matches
// ErrInvalid under errors.Is.
type PasswordError struct {
	Causes []string
}

func (e *PasswordError) Error() string {
	return "invalid: " + PasswordErrorSummary + ": " + strings.Join(e.Causes, "; ")
}

// Is makes errors.Is(err, ErrInvalid) hold.
func (e *PasswordError) Is(target error) bool { return target == ErrInvalid }

// passwordPolicy is the policy in force: the configured one, else the default.
func (s *Service) passwordPolicy() pwpolicy.Policy {
	if s.PasswordPolicy != nil {
		return *s.PasswordPolicy
	}
	return pwpolicy.Default()
}

// checkNewPassword is the one check every password set for a user goes
// through: the policy's rules against the user's profile, then the history
// (the current password and the previous HistoryCount-1). The history is
// compared through the Hasher, one full verification per stored hash and
// all of them every time, so neither the plaintext nor the position of a
// match is ever exposed.
func (s *Service) checkNewPassword(ctx context.Context, u store.User, pw string) error {
	pol := s.passwordPolicy()
	if causes := pol.Check(pw, pwpolicy.Subject{Login: u.Login, FirstName: u.FirstName, LastName: u.LastName}); len(causes) > 0 {
		return &PasswordError{Causes: causes}
	}
	if pol.HistoryCount == 0 || u.PasswordHash == "" {
		return nil
	}
	hashes := []string{u.PasswordHash}
	prev, err := s.Store.ListPasswordHistory(ctx, u.ID, pol.HistoryCount-1)
	if err != nil {
		return fmt.Errorf("provision: password history: %w", err)
	}
	hashes = append(hashes, prev...)
	reused := false
	for _, h := range hashes {
		res, err := s.Hasher.Verify(ctx, h, pw)
		switch {
		case errors.Is(err, password.ErrUnknownFormat), errors.Is(err, password.ErrMalformed):
			// An unreadable old hash matches nothing.
		case err != nil:
			return fmt.Errorf("provision: check password history: %w", err)
		case res.OK:
			reused = true
		}
	}
	if reused {
		return &PasswordError{Causes: []string{pwpolicy.HistoryCause}}
	}
	return nil
}

// SetPassword gives a user a new password: it must satisfy the password
// policy and differ from the user's last history_count passwords. The new
// hash is stored with PasswordChangedAt, and the replaced hash joins the
// history, in one store transaction. A *PasswordError says why a password
// was refused; store.ErrNotFound that the user does not exist;
// store.ErrConflict that the password changed while this one was checked.
//
// A new password ends everything the old one started: in the same
// transaction the user's token watermark moves to now, and then every
// refresh family of the user and the access tokens recorded for them are
// revoked (store.RevokeUserTokens). A PASSWORD_EXPIRED, RECOVERY or
// PROVISIONED user becomes ACTIVE; other statuses are left as they are.
func (s *Service) SetPassword(ctx context.Context, userID, newPassword string) (store.User, error) {
	u, err := s.Store.GetUser(ctx, userID)
	if err != nil {
		return store.User{}, fmt.Errorf("provision: set password: %w", err)
	}
	if err := s.checkNewPassword(ctx, u, newPassword); err != nil {
		return store.User{}, err
	}
	hash, err := s.Hasher.Hash(ctx, newPassword)
	if err != nil {
		return store.User{}, fmt.Errorf("provision: hash password: %w", err)
	}
	now := s.now()
	keep := max(s.passwordPolicy().HistoryCount-1, 0)
	updated, err := s.Store.ChangePassword(ctx, userID, keep, func(cur store.User) (store.User, error) {
		if cur.PasswordHash != u.PasswordHash {
			// Checked against a history that is no longer current.
			return store.User{}, fmt.Errorf("%w: the password of user %s changed while the new one was checked; try again", store.ErrConflict, userID)
		}
		cur.PasswordHash, cur.PasswordChangedAt, cur.UpdatedAt = hash, now, now
		cur.TokensValidAfter = now
		switch cur.Status {
		case store.UserPasswordExpired, store.UserRecovery, store.UserProvisioned:
			// The password the user was waiting for (Okta: an expired
			// password, a reset, an activation).
			cur.Status = store.UserActive
		}
		return cur, nil
	})
	if err != nil {
		return store.User{}, fmt.Errorf("provision: set password: %w", err)
	}
	if err := s.Store.RevokeUserTokens(ctx, userID, now); err != nil {
		return store.User{}, fmt.Errorf("provision: set password: revoke tokens: %w", err)
	}
	return updated, nil
}
