package provision

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/latchkey/latchkey/internal/store"
)

// LifecycleError is a lifecycle operation the user's status does not
// allow, in the shape of Okta's answer: HTTP status, errorCode,
// errorSummary and one errorCauses summary. It matches ErrInvalid under
// errors.Is.
type LifecycleError struct {
	UserID     string
	Op         string // suspend, unsuspend, deactivate, activate, delete, expirePassword
	Status     string // the user's status when refused
	HTTPStatus int
	Code       string
	Summary    string
	Cause      string
}

func (e *LifecycleError) Error() string {
	return fmt.Sprintf("invalid: %s %s: %s (user %s is %s)", e.Code, e.Summary, e.Cause, e.UserID, e.Status)
}

// Is makes errors.Is(err, ErrInvalid) hold.
func (e *LifecycleError) Is(target error) bool { return target == ErrInvalid }

// refuse is Okta's E0000001 answer to an operation the status forbids.
func refuse(u store.User, op, cause string) *LifecycleError {
	return &LifecycleError{UserID: u.ID, Op: op, Status: u.Status, HTTPStatus: http.StatusBadRequest,
		Code: "E0000001", Summary: "Api validation failed: " + op, Cause: cause}
}

// transition is one lifecycle operation: which statuses it starts from,
// the status it leads to, and whether it ends the user's tokens.
type transition struct {
	op     string
	from   []string
	to     func(store.User) string
	revoke bool
	// refused is the error for a status outside from.
	refused func(store.User) *LifecycleError
}

func to(status string) func(store.User) string { return func(store.User) string { return status } }

// The operations, as Okta's lifecycle API defines them (docs/users.md).
var (
	suspendOp = transition{op: "suspend", from: []string{store.UserActive}, to: to(store.UserSuspended), revoke: true,
		refused: func(u store.User) *LifecycleError {
			return refuse(u, "suspend", "Cannot suspend a user that is not active")
		}}
	unsuspendOp = transition{op: "unsuspend", from: []string{store.UserSuspended}, to: to(store.UserActive),
		refused: func(u store.User) *LifecycleError {
			return refuse(u, "unsuspend", "Cannot unsuspend a user that is not suspended")
		}}
	deactivateOp = transition{op: "deactivate",
		from: []string{store.UserStaged, store.UserProvisioned, store.UserActive, store.UserRecovery, store.UserLockedOut,
			store.UserPasswordExpired, store.UserSuspended},
		to: to(store.UserDeprovisioned), revoke: true,
		refused: func(u store.User) *LifecycleError {
			return refuse(u, "deactivate", "Cannot deactivate a user that is already deactivated")
		}}
	// Okta's activate: a user with a password is ACTIVE, one without is
	// PROVISIONED until it gets one.
	reactivateOp = transition{op: "activate", from: []string{store.UserDeprovisioned, store.UserStaged},
		to: func(u store.User) string {
			if u.PasswordHash == "" {
				return store.UserProvisioned
			}
			return store.UserActive
		},
		refused: func(u store.User) *LifecycleError {
			if u.Status == store.UserActive {
				return &LifecycleError{UserID: u.ID, Op: "activate", Status: u.Status, HTTPStatus: http.StatusForbidden,
					Code: "E0000016", Summary: "Activation failed because the user is already active",
					Cause: "Activation failed because the user is already active"}
			}
			return refuse(u, "activate", "Only a deactivated or staged user can be activated")
		}}
	// Okta's reset_password: the user must set a new password before
	// logging in again (RECOVERY), and what the old one started ends.
	resetPasswordOp = transition{op: "resetPassword",
		from: []string{store.UserActive, store.UserRecovery, store.UserPasswordExpired, store.UserLockedOut},
		to:   to(store.UserRecovery), revoke: true,
		refused: func(u store.User) *LifecycleError {
			return notInStatus(u, "resetPassword")
		}}
	expirePasswordOp = transition{op: "expirePassword", from: []string{store.UserActive}, to: to(store.UserPasswordExpired),
		refused: func(u store.User) *LifecycleError {
			return refuse(u, "expirePassword", "Cannot expire the password of a user that is not active")
		}}
)

// apply runs t on the user named by idOrLogin. The status is checked
// again inside the store's transaction; when t revokes, the user's token
// watermark moves to now in that same transaction (so that no token
// issued before the change outlives it, even after a later unsuspend),
// and then the user's refresh families and recorded access tokens are
// revoked (store.RevokeUserTokens).
func (s *Service) apply(ctx context.Context, idOrLogin string, t transition) (store.User, error) {
	u, err := s.FindUser(ctx, idOrLogin)
	if err != nil {
		return store.User{}, err
	}
	now := s.now()
	u, err = s.Store.UpdateUser(ctx, u.ID, func(cur store.User) (store.User, error) {
		if !slices.Contains(t.from, cur.Status) {
			return cur, t.refused(cur)
		}
		cur.Status, cur.UpdatedAt = t.to(cur), now
		if t.op == reactivateOp.op {
			cur.ActivatedAt = now
		}
		if t.revoke {
			cur.TokensValidAfter = now
		}
		return cur, nil
	})
	var le *LifecycleError
	if errors.As(err, &le) {
		return store.User{}, err
	}
	if err != nil {
		return store.User{}, fmt.Errorf("provision: %s %s: %w", t.op, u.ID, err)
	}
	if t.revoke {
		if err := s.Store.RevokeUserTokens(ctx, u.ID, now); err != nil {
			return store.User{}, fmt.Errorf("provision: %s %s: revoke tokens: %w", t.op, u.ID, err)
		}
	}
	return u, nil
}

// SuspendUser suspends an ACTIVE user (Okta's suspend): SUSPENDED, no
// logins, and every token issued to the user until now is revoked for
// good.
func (s *Service) SuspendUser(ctx context.Context, idOrLogin string) (store.User, error) {
	return s.apply(ctx, idOrLogin, suspendOp)
}

// UnsuspendUser makes a SUSPENDED user ACTIVE again (Okta's unsuspend).
// Tokens issued before the suspension stay dead; new logins work.
func (s *Service) UnsuspendUser(ctx context.Context, idOrLogin string) (store.User, error) {
	return s.apply(ctx, idOrLogin, unsuspendOp)
}

// DeactivateUser deprovisions a user in any other status (Okta's
// deactivate): DEPROVISIONED, no logins, every token revoked.
func (s *Service) DeactivateUser(ctx context.Context, idOrLogin string) (store.User, error) {
	return s.apply(ctx, idOrLogin, deactivateOp)
}

// ReactivateUser activates a DEPROVISIONED (or STAGED) user, as Okta's
// activate does: ACTIVE when the user has a password, PROVISIONED when it
// has none. Tokens revoked by the deactivation stay dead; the password the
// user had still works.
func (s *Service) ReactivateUser(ctx context.Context, idOrLogin string) (store.User, error) {
	return s.apply(ctx, idOrLogin, reactivateOp)
}

// ExpirePassword makes an ACTIVE user's password expired (Okta's
// expire_password): PASSWORD_EXPIRED, whose logins answer "Password has
// expired." and whose tokens are not active, until an operator sets a new
// password (SetPassword), which makes the user ACTIVE and revokes every
// token issued before.
func (s *Service) ExpirePassword(ctx context.Context, idOrLogin string) (store.User, error) {
	return s.apply(ctx, idOrLogin, expirePasswordOp)
}

// ResetPassword starts a password reset (Okta's reset_password): the user
// is RECOVERY, cannot log in, and every token issued to the user until now
// is revoked, until an operator sets a new password (SetPassword), which
// makes the user ACTIVE. Latchkey sends no email and has no reset page:
// the new password comes from the operator.
func (s *Service) ResetPassword(ctx context.Context, idOrLogin string) (store.User, error) {
	return s.apply(ctx, idOrLogin, resetPasswordOp)
}

// DeleteUser deletes a DEPROVISIONED user for good (Okta's delete of a
// deactivated user); any other status is refused: deactivate first. The
// user's tokens are revoked, then the user, its group memberships, client
// assignments, password history and login counters go. It returns the
// user as it was.
func (s *Service) DeleteUser(ctx context.Context, idOrLogin string) (store.User, error) {
	u, err := s.FindUser(ctx, idOrLogin)
	if err != nil {
		return store.User{}, err
	}
	if u.Status != store.UserDeprovisioned {
		return store.User{}, refuse(u, "delete", "Deactivate the user before deleting it")
	}
	if err := s.Store.RevokeUserTokens(ctx, u.ID, s.now()); err != nil {
		return store.User{}, fmt.Errorf("provision: delete %s: revoke tokens: %w", u.ID, err)
	}
	if err := s.Store.DeleteUser(ctx, u.ID); err != nil {
		return store.User{}, fmt.Errorf("provision: delete %s: %w", u.ID, err)
	}
	return u, nil
}
