package mgmtapi

import (
	"errors"
	"net/http"
	"strings"

	"github.com/latchkey/latchkey/internal/oktaapi"
	"github.com/latchkey/latchkey/internal/provision"
	"github.com/latchkey/latchkey/internal/store"
)

// userJSON is Okta's user object (package oktaapi, shared with the CLI's
// --json) with its _links.
type userJSON = oktaapi.User

func (a *API) userJSON(u store.User) userJSON {
	out := oktaapi.FromUser(u)
	out.Links = oktaapi.UserLinks(a.href("users"), u)
	return out
}

// profileFields are the profile attributes Latchkey stores, by Okta's
// names.
var profileFields = []string{"login", "email", "firstName", "lastName", "locale", "zoneInfo"}

// profileIn is a request's profile: the attributes it names, with null
// as "" (clear). Attributes Latchkey does not store are refused unless
// null, so that no value is silently dropped.
type profileIn map[string]*string

// parseProfile reads a profile object.
func parseProfile(raw map[string]any) (profileIn, error) {
	out := profileIn{}
	var unknown []string
	for k, v := range raw {
		known := false
		for _, f := range profileFields {
			if k == f {
				known = true
			}
		}
		switch s := v.(type) {
		case nil:
			if known {
				empty := ""
				out[k] = &empty
			}
		case string:
			if !known {
				unknown = append(unknown, "profile."+clip(k, 64)+": Latchkey does not store this profile attribute")
				continue
			}
			out[k] = &s
		default:
			if !known {
				unknown = append(unknown, "profile."+clip(k, 64)+": Latchkey does not store this profile attribute")
				continue
			}
			return nil, Validation(k, k+": must be a string")
		}
	}
	if len(unknown) > 0 {
		return nil, Validation("profile", unknown...)
	}
	return out, nil
}

// apply sets the attributes in names onto p; with full, the attributes
// not named are cleared (Okta's PUT replaces the profile).
func (in profileIn) apply(p provision.Profile, full bool) provision.Profile {
	fields := map[string]*string{"login": &p.Login, "email": &p.Email, "firstName": &p.FirstName, "lastName": &p.LastName,
		"locale": &p.Locale, "zoneInfo": &p.ZoneInfo}
	for name, dst := range fields {
		if v, ok := in[name]; ok {
			*dst = *v
		} else if full {
			*dst = ""
		}
	}
	return p
}

func (in profileIn) get(name string) string {
	if v := in[name]; v != nil {
		return *v
	}
	return ""
}

// userError turns what the service layer answers into Okta's errors.
func userError(err error, id string) error {
	var le *provision.LifecycleError
	var pe *provision.PasswordError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &le):
		return &Error{Status: le.HTTPStatus, Code: le.Code, Summary: le.Summary, Causes: []string{le.Cause}}
	case errors.As(err, &pe):
		return &Error{Status: http.StatusBadRequest, Code: provision.PasswordErrorCode, Summary: provision.PasswordErrorSummary, Causes: pe.Causes}
	case errors.Is(err, store.ErrNotFound):
		return NotFound(id, "User")
	case errors.Is(err, store.ErrConflict) && strings.Contains(err.Error(), "login"):
		return Validation("login", "login: An object with this field already exists in the current organization")
	case errors.Is(err, store.ErrConflict):
		// A concurrent change (a password set while this one was checked).
		return Conflict("Api validation failed: user", "user: the user changed while this request ran; try again")
	case errors.Is(err, provision.ErrInvalid):
		msg := strings.TrimPrefix(err.Error(), provision.ErrInvalid.Error()+": ")
		field := "user"
		for _, f := range append(profileFields, "password") {
			if strings.HasPrefix(msg, f+" ") || strings.HasPrefix(msg, "the "+f) {
				field = f
			}
		}
		return Validation(field, field+": "+msg)
	}
	return err
}
