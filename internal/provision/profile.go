package provision

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/mail"
	"strings"
	"unicode/utf8"

	"github.com/latchkey/latchkey/internal/password"
	"github.com/latchkey/latchkey/internal/store"
)

// Profile is what an operator edits of a user: Okta's base profile.
type Profile struct {
	Login     string
	Email     string
	FirstName string
	LastName  string
	Locale    string
	ZoneInfo  string
}

// ProfileOf is a user's profile.
func ProfileOf(u store.User) Profile {
	return Profile{Login: u.Login, Email: u.Email, FirstName: u.FirstName, LastName: u.LastName, Locale: u.Locale, ZoneInfo: u.ZoneInfo}
}

// checkProfile is the validation every profile passes, on create and on
// update.
func checkProfile(p Profile) error {
	if strings.TrimSpace(p.Login) == "" {
		return invalid("login is required")
	}
	for _, f := range []struct{ name, v string }{{"login", p.Login}, {"email", p.Email}, {"firstName", p.FirstName},
		{"lastName", p.LastName}, {"locale", p.Locale}, {"zoneInfo", p.ZoneInfo}} {
		if utf8.RuneCountInString(f.v) > MaxProfileLength || !utf8.ValidString(f.v) || strings.ContainsAny(f.v, "\x00\r\n") {
			return invalid("%s must be valid text of at most %d characters", f.name, MaxProfileLength)
		}
	}
	if err := CheckLogin(p.Login); err != nil {
		return err
	}
	if p.Email != "" {
		if a, err := mail.ParseAddress(p.Email); err != nil || a.Address != p.Email {
			return invalid("email %q is not an email address", p.Email)
		}
	}
	return nil
}

// notInStatus is Okta's 403 E0000038 for an operation the user's status
// does not allow (a profile update of a deactivated user, …).
func notInStatus(u store.User, op string) *LifecycleError {
	return &LifecycleError{UserID: u.ID, Op: op, Status: u.Status, HTTPStatus: http.StatusForbidden, Code: "E0000038",
		Summary: "This operation is not allowed in the user's current status.",
		Cause:   "This operation is not allowed in the user's current status."}
}

// UpdateProfile changes a user's profile to what edit makes of the
// current one, inside the store's transaction (so that a partial update
// merges with the profile as it is, not as it was read). The result is
// validated as on create; a login another user has is store.ErrConflict.
// A DEPROVISIONED user's profile cannot change (Okta's E0000038, a
// *LifecycleError). Tokens are left alone: a profile is no credential.
func (s *Service) UpdateProfile(ctx context.Context, id string, edit func(Profile) Profile) (store.User, error) {
	now := s.now()
	u, err := s.Store.UpdateUser(ctx, id, func(cur store.User) (store.User, error) {
		if cur.Status == store.UserDeprovisioned {
			return cur, notInStatus(cur, "update")
		}
		p := edit(ProfileOf(cur))
		p.Login = strings.TrimSpace(p.Login)
		if err := checkProfile(p); err != nil {
			return cur, err
		}
		if p.Email != cur.Email {
			cur.EmailVerified = false
		}
		cur.Login, cur.Email, cur.FirstName, cur.LastName, cur.Locale, cur.ZoneInfo = p.Login, p.Email, p.FirstName, p.LastName, p.Locale, p.ZoneInfo
		cur.UpdatedAt = now
		return cur, nil
	})
	var le *LifecycleError
	switch {
	case errors.As(err, &le), errors.Is(err, ErrInvalid):
		return store.User{}, err
	case errors.Is(err, store.ErrConflict):
		return store.User{}, fmt.Errorf("%w: another user has that login", store.ErrConflict)
	case err != nil:
		return store.User{}, fmt.Errorf("provision: update user %s: %w", id, err)
	}
	return u, nil
}

// ErrWrongPassword is ChangePassword's answer to an old password that
// does not match.
var ErrWrongPassword = errors.New("the old password is not the user's password")

// ChangePassword is a user's own password change (Okta's
// credentials/change_password): the old password must match the stored
// hash (checked through the Hasher, and counted nowhere else: this is no
// login), then the new one goes through SetPassword (policy, history,
// token watermark). Users in a status that cannot log in are refused with
// a *LifecycleError.
func (s *Service) ChangePassword(ctx context.Context, id, oldPassword, newPassword string) (store.User, error) {
	u, err := s.Store.GetUser(ctx, id)
	if err != nil {
		return store.User{}, fmt.Errorf("provision: change password: %w", err)
	}
	switch u.Status {
	case store.UserActive, store.UserPasswordExpired, store.UserRecovery, store.UserLockedOut:
	default:
		return store.User{}, notInStatus(u, "changePassword")
	}
	if u.PasswordHash == "" || len(oldPassword) > password.MaxLength {
		// Still as slow as a real check: the answer does not tell.
		if err := s.Hasher.VerifyDummy(ctx, oldPassword); err != nil {
			return store.User{}, fmt.Errorf("provision: change password: %w", err)
		}
		return store.User{}, ErrWrongPassword
	}
	res, err := s.Hasher.Verify(ctx, u.PasswordHash, oldPassword)
	switch {
	case errors.Is(err, password.ErrUnknownFormat), errors.Is(err, password.ErrMalformed):
		return store.User{}, ErrWrongPassword
	case err != nil:
		return store.User{}, fmt.Errorf("provision: change password: %w", err)
	case !res.OK:
		return store.User{}, ErrWrongPassword
	}
	return s.SetPassword(ctx, id, newPassword)
}
