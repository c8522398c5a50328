package mgmtapi

import (
	"context"
	"net/http"

	"github.com/latchkey/latchkey/internal/store"
)

// lifecycleHandlers are Okta's user lifecycle operations, by the last
// segment of POST /api/v1/users/{id}/lifecycle/{op}. Each goes through
// package provision, the CLI's service layer, so that it does to the
// user's tokens what the CLI does: suspend, deactivate and reset_password
// revoke every token issued until now.
func (a *API) lifecycleHandlers() map[string]handlerFunc {
	p := a.cfg.Provision
	return map[string]handlerFunc{
		// Okta answers an activation token and URL (sendEmail=false) or
		// sends an email; Latchkey has neither: the state change only.
		"activate":   a.transition(p.ReactivateUser, emptyAnswer),
		"deactivate": a.transition(p.DeactivateUser, emptyAnswer),
		"suspend":    a.transition(p.SuspendUser, emptyAnswer),
		"unsuspend":  a.transition(p.UnsuspendUser, emptyAnswer),
		"reactivate": a.reactivateUser,
		"unlock":     a.unlockUser,
		"expire_password": func(w http.ResponseWriter, r *http.Request) error {
			if temp, err := boolParam(r, "tempPassword", false); err != nil || temp {
				return Validation("tempPassword", "tempPassword: Latchkey does not make temporary passwords: expire the password, then set one (POST /api/v1/users/{id} with credentials.password.value)")
			}
			return a.transition(p.ExpirePassword, a.userAnswer)(w, r)
		},
		"reset_password": func(w http.ResponseWriter, r *http.Request) error {
			if send, err := boolParam(r, "sendEmail", true); err != nil || send {
				return Validation("sendEmail", "sendEmail: Latchkey sends no email and has no password reset page: call with sendEmail=false, then set the new password (POST /api/v1/users/{id} with credentials.password.value)")
			}
			return a.transition(p.ResetPassword, emptyAnswer)(w, r)
		},
	}
}

// transition runs op on the route's user and answers with answer.
func (a *API) transition(op func(context.Context, string) (store.User, error), answer func(http.ResponseWriter, store.User)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		u, err := a.findUser(r)
		if err != nil {
			return err
		}
		done, err := op(r.Context(), u.ID)
		if err != nil {
			return userError(err, u.ID)
		}
		answer(w, done)
		return nil
	}
}

// emptyAnswer is Okta's answer to most lifecycle operations: 200 and {}.
func emptyAnswer(w http.ResponseWriter, _ store.User) {
	writeJSON(w, http.StatusOK, struct{}{})
}

func (a *API) userAnswer(w http.ResponseWriter, u store.User) {
	writeJSON(w, http.StatusOK, a.userJSON(u))
}

// notAllowed is Okta's 403 E0000038.
func notAllowed() *Error {
	return &Error{Status: http.StatusForbidden, Code: "E0000038", Summary: "This operation is not allowed in the user's current status.",
		Causes: []string{"This operation is not allowed in the user's current status."}}
}

// reactivateUser is Okta's reactivate of a PROVISIONED user: Okta sends
// the activation email again (or answers a new activation URL). Latchkey
// has neither, and nothing about the user changes: it answers {} for a
// PROVISIONED user, and E0000038 for any other status, as Okta does.
func (a *API) reactivateUser(w http.ResponseWriter, r *http.Request) error {
	u, err := a.findUser(r)
	if err != nil {
		return err
	}
	if u.Status != store.UserProvisioned {
		return notAllowed()
	}
	emptyAnswer(w, u)
	return nil
}

// unlockUser is Okta's unlock: a LOCKED_OUT user becomes ACTIVE and the
// login guard forgets its failures. Okta refuses any other status with
// 403 E0000032.
func (a *API) unlockUser(w http.ResponseWriter, r *http.Request) error {
	u, err := a.findUser(r)
	if err != nil {
		return err
	}
	if u.Status != store.UserLockedOut {
		return &Error{Status: http.StatusForbidden, Code: "E0000032", Summary: "Unlock is not allowed for this user.",
			Causes: []string{"Unlock is not allowed for this user."}}
	}
	if _, err := a.cfg.Provision.UnlockUser(r.Context(), u.ID); err != nil {
		return userError(err, u.ID)
	}
	emptyAnswer(w, u)
	return nil
}
