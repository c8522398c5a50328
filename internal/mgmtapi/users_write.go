package mgmtapi

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/latchkey/latchkey/internal/oktaapi"
	"github.com/latchkey/latchkey/internal/password"
	"github.com/latchkey/latchkey/internal/provision"
	"github.com/latchkey/latchkey/internal/store"
)

// userBody is the body of create and update: Okta's user object, of which
// the profile and the password credential are read (read-only members the
// SDKs send back, id, status, _links, …, are ignored).
type userBody struct {
	Profile     map[string]any `json:"profile"`
	Credentials *struct {
		Password *struct {
			Value *string     `json:"value"`
			Hash  *passwordIn `json:"hash"`
		} `json:"password"`
		RecoveryQuestion *struct {
			Question string `json:"question"`
			Answer   string `json:"answer"`
		} `json:"recovery_question"`
	} `json:"credentials"`
}

// passwordIn is Okta's imported password hash.
type passwordIn struct {
	Algorithm  string `json:"algorithm"`
	WorkFactor int    `json:"workFactor"`
	Salt       string `json:"salt"`
	SaltOrder  string `json:"saltOrder"`
	Value      string `json:"value"`
}

// encoded is the hash in the modular crypt form package password
// verifies. Only BCRYPT is taken: Okta's other algorithms (SHA-*, MD5,
// PBKDF2) are refused by name.
func (h passwordIn) encoded() (string, error) {
	if !strings.EqualFold(h.Algorithm, "BCRYPT") {
		return "", Validation("password", "password.hash.algorithm: Latchkey cannot import "+clip(fmt.Sprintf("%q", h.Algorithm), 40)+
			" hashes; it imports BCRYPT")
	}
	if h.WorkFactor < 4 || h.WorkFactor > password.MaxBcryptCost {
		return "", Validation("password", fmt.Sprintf("password.hash.workFactor: must be 4 to %d", password.MaxBcryptCost))
	}
	if len(h.Salt) != 22 || !bcryptAlphabet(h.Salt) {
		return "", Validation("password", "password.hash.salt: must be bcrypt's 22-character salt")
	}
	if len(h.Value) != 31 || !bcryptAlphabet(h.Value) {
		return "", Validation("password", "password.hash.value: must be bcrypt's 31-character hash")
	}
	return fmt.Sprintf("$2a$%02d$%s%s", h.WorkFactor, h.Salt, h.Value), nil
}

func bcryptAlphabet(s string) bool {
	for _, c := range s {
		if !password.IsBcryptBase64(c) {
			return false
		}
	}
	return true
}

// boolParam reads a true/false query parameter.
func boolParam(r *http.Request, name string, def bool) (bool, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return def, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return def, Validation(name, name+": must be true or false")
	}
	return b, nil
}

// createUser is Okta's Create User. activate (default true) makes a user
// with a password (or hash) ACTIVE (PASSWORD_EXPIRED with
// nextLogin=changePassword) and one without PROVISIONED; activate=false
// makes it STAGED.
func (a *API) createUser(w http.ResponseWriter, r *http.Request) error {
	activate, err := boolParam(r, "activate", true)
	if err != nil {
		return err
	}
	if provider, err := boolParam(r, "provider", false); err != nil || provider {
		return Validation("provider", "provider: Latchkey has no external authentication providers: every user's provider is OKTA")
	}
	nextLogin := r.URL.Query().Get("nextLogin")
	if nextLogin != "" && nextLogin != "changePassword" {
		return Validation("nextLogin", "nextLogin: must be changePassword")
	}
	var in userBody
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if in.Profile == nil {
		return Validation("profile", "profile: The field cannot be left blank")
	}
	prof, err := parseProfile(in.Profile)
	if err != nil {
		return err
	}
	ui := provision.UserInput{Login: prof.get("login"), Email: prof.get("email"), FirstName: prof.get("firstName"),
		LastName: prof.get("lastName"), Locale: prof.get("locale"), ZoneInfo: prof.get("zoneInfo")}
	if c := in.Credentials; c != nil {
		if c.RecoveryQuestion != nil && (c.RecoveryQuestion.Question != "" || c.RecoveryQuestion.Answer != "") {
			return Validation("recovery_question", "recovery_question: Latchkey has no recovery questions")
		}
		if c.Password != nil {
			switch {
			case c.Password.Value != nil && c.Password.Hash != nil:
				return Validation("password", "password: give a value or a hash, not both")
			case c.Password.Hash != nil:
				if ui.PasswordHash, err = c.Password.Hash.encoded(); err != nil {
					return err
				}
			case c.Password.Value != nil:
				if *c.Password.Value == "" {
					return Validation("password", "password: The field cannot be left blank")
				}
				ui.Password = *c.Password.Value
			}
		}
	}
	hasPassword := ui.Password != "" || ui.PasswordHash != ""
	switch {
	case !activate:
		ui.Status = store.UserStaged
	case !hasPassword:
		ui.Status = store.UserProvisioned
	case nextLogin == "changePassword":
		ui.Status = store.UserPasswordExpired
	default:
		ui.Status = store.UserActive
	}
	u, err := a.cfg.Provision.CreateUser(r.Context(), ui)
	ui.Password = ""
	if err != nil {
		return userError(err, "")
	}
	writeJSON(w, http.StatusOK, a.userJSON(u))
	return nil
}

func (a *API) partialUpdateUser(w http.ResponseWriter, r *http.Request) error {
	return a.updateUser(w, r, false)
}

func (a *API) fullUpdateUser(w http.ResponseWriter, r *http.Request) error {
	return a.updateUser(w, r, true)
}

// updateUser is Okta's Update User: POST merges the profile attributes
// given into the profile, PUT (full) replaces the profile. A
// credentials.password.value sets a new password (provision.SetPassword:
// the policy, the history, and every token issued before is revoked).
func (a *API) updateUser(w http.ResponseWriter, r *http.Request, full bool) error {
	u, err := a.findUser(r)
	if err != nil {
		return err
	}
	var in userBody
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if full && in.Profile == nil {
		return Validation("profile", "profile: The field cannot be left blank")
	}
	var newPassword string
	if c := in.Credentials; c != nil {
		if c.RecoveryQuestion != nil && (c.RecoveryQuestion.Question != "" || c.RecoveryQuestion.Answer != "") {
			return Validation("recovery_question", "recovery_question: Latchkey has no recovery questions")
		}
		if c.Password != nil && c.Password.Hash != nil {
			return Validation("password", "password.hash: a hash is imported when the user is created; set a password value instead")
		}
		if c.Password != nil && c.Password.Value != nil {
			if *c.Password.Value == "" {
				return Validation("password", "password: The field cannot be left blank")
			}
			newPassword = *c.Password.Value
		}
	}
	id := u.ID
	if in.Profile != nil {
		prof, err := parseProfile(in.Profile)
		if err != nil {
			return err
		}
		u, err = a.cfg.Provision.UpdateProfile(r.Context(), id, func(p provision.Profile) provision.Profile { return prof.apply(p, full) })
		if err != nil {
			return userError(err, id)
		}
	}
	if newPassword != "" {
		if u.Status == store.UserDeprovisioned || u.Status == store.UserSuspended {
			return notAllowed()
		}
		u, err = a.cfg.Provision.SetPassword(r.Context(), id, newPassword)
		if err != nil {
			return userError(err, id)
		}
	}
	writeJSON(w, http.StatusOK, a.userJSON(u))
	return nil
}

// deleteUser is Okta's Delete User: the first DELETE of a user who is not
// DEPROVISIONED deactivates it (tokens revoked), a DELETE of a
// DEPROVISIONED user deletes it for good. Both answer 204.
func (a *API) deleteUser(w http.ResponseWriter, r *http.Request) error {
	u, err := a.findUser(r)
	if err != nil {
		return err
	}
	if u.Status == store.UserDeprovisioned {
		_, err = a.cfg.Provision.DeleteUser(r.Context(), u.ID)
	} else {
		_, err = a.cfg.Provision.DeactivateUser(r.Context(), u.ID)
	}
	if err != nil {
		return userError(err, u.ID)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// changePassword is Okta's Change Password: the user's own change, with
// the old password. A wrong old password is 403 E0000014.
func (a *API) changePassword(w http.ResponseWriter, r *http.Request) error {
	u, err := a.findUser(r)
	if err != nil {
		return err
	}
	var in struct {
		OldPassword *struct {
			Value string `json:"value"`
		} `json:"oldPassword"`
		NewPassword *struct {
			Value string `json:"value"`
		} `json:"newPassword"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	switch {
	case in.OldPassword == nil || in.OldPassword.Value == "":
		return Validation("oldPassword", "oldPassword: The field cannot be left blank")
	case in.NewPassword == nil || in.NewPassword.Value == "":
		return Validation("newPassword", "newPassword: The field cannot be left blank")
	}
	id := u.ID
	u, err = a.cfg.Provision.ChangePassword(r.Context(), id, in.OldPassword.Value, in.NewPassword.Value)
	in.OldPassword.Value, in.NewPassword.Value = "", ""
	if errors.Is(err, provision.ErrWrongPassword) {
		return &Error{Status: http.StatusForbidden, Code: "E0000014", Summary: "Update of credentials failed",
			Causes: []string{"oldPassword: The credentials provided were incorrect."}}
	}
	if err != nil {
		return userError(err, id)
	}
	writeJSON(w, http.StatusOK, oktaapi.FromUser(u).Credentials)
	return nil
}
