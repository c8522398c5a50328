package mgmtapi

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/latchkey/latchkey/internal/oktaapi"
	"github.com/latchkey/latchkey/internal/provision"
	"github.com/latchkey/latchkey/internal/store"
)

// Client secrets (/api/v1/apps/{appId}/credentials/secrets): a client
// holds up to two, each ACTIVE or INACTIVE; every ACTIVE one authenticates,
// so a leaked secret is replaced without downtime (create a second one,
// move the apps to it, deactivate and delete the first).
func (a *API) routesAppSecrets() {
	const base = "/api/v1/apps/{appId}/credentials/secrets"
	a.handle("GET "+base, "okta.apps.read", a.listSecrets)
	a.handle("POST "+base, "okta.apps.manage", a.createSecret)
	a.handle("GET "+base+"/{secretId}", "okta.apps.read", a.getSecret)
	a.handle("DELETE "+base+"/{secretId}", "okta.apps.manage", a.deleteSecret)
	a.handle("POST "+base+"/{secretId}/lifecycle/activate", "okta.apps.manage", a.secretLifecycle(a.cfg.Provision.ActivateClientSecret))
	a.handle("POST "+base+"/{secretId}/lifecycle/deactivate", "okta.apps.manage", a.secretLifecycle(a.cfg.Provision.DeactivateClientSecret))
}

// secretKind is the kind Okta names in a secret's E0000007.
const secretKind = "ClientSecret"

func (a *API) secretJSON(cs store.ClientSecret, value string) oktaapi.ClientSecret {
	base := []string{"apps", cs.ClientID, "credentials", "secrets", cs.ID}
	links := Links{"self": {Href: a.href(base...)}}
	if cs.Status == store.StatusActive {
		links["deactivate"] = Link{Href: a.href(append(base, "lifecycle", "deactivate")...), Method: http.MethodPost}
	} else {
		links["activate"] = Link{Href: a.href(append(base, "lifecycle", "activate")...), Method: http.MethodPost}
		links["delete"] = Link{Href: a.href(base...), Method: http.MethodDelete}
	}
	out := oktaapi.FromClientSecret(cs, value)
	out.Links = links
	return out
}

func (a *API) listSecrets(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("appId")
	if _, err := a.findApp(r, id); err != nil {
		return err
	}
	all, err := a.cfg.Store.ListClientSecrets(r.Context(), id)
	if err != nil {
		return err
	}
	out := make([]oktaapi.ClientSecret, len(all))
	for i, cs := range all {
		out[i] = a.secretJSON(cs, "")
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) getSecret(w http.ResponseWriter, r *http.Request) error {
	id, sid := r.PathValue("appId"), r.PathValue("secretId")
	if _, err := a.findApp(r, id); err != nil {
		return err
	}
	all, err := a.cfg.Store.ListClientSecrets(r.Context(), id)
	if err != nil {
		return err
	}
	for _, cs := range all {
		if cs.ID == sid {
			writeJSON(w, http.StatusOK, a.secretJSON(cs, ""))
			return nil
		}
	}
	return NotFound(sid, secretKind)
}

// createSecret adds an ACTIVE secret: generated, or the body's
// client_secret when one is given (the body may be empty).
func (a *API) createSecret(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("appId")
	if _, err := a.findApp(r, id); err != nil {
		return err
	}
	var in struct {
		ClientSecret string `json:"client_secret"`
	}
	if r.ContentLength != 0 {
		if err := decodeJSON(r, &in); err != nil && !isEmptyBody(err) {
			return err
		}
	}
	cs, value, err := a.cfg.Provision.CreateClientSecret(r.Context(), id, in.ClientSecret)
	if err != nil {
		return a.secretErr(id, "", err)
	}
	writeJSON(w, http.StatusOK, a.secretJSON(cs, value))
	return nil
}

// isEmptyBody reports decodeJSON's answer to an empty body, which the
// secret routes accept (Okta's SDK sends {} or nothing).
func isEmptyBody(err error) bool {
	var e *Error
	return errors.As(err, &e) && len(e.Causes) == 1 && e.Causes[0] == "The request body is empty."
}

func (a *API) secretLifecycle(op func(ctx context.Context, clientID, secretID string) (store.ClientSecret, error)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, sid := r.PathValue("appId"), r.PathValue("secretId")
		if _, err := a.findApp(r, id); err != nil {
			return err
		}
		cs, err := op(r.Context(), id, sid)
		if err != nil {
			return a.secretErr(id, sid, err)
		}
		writeJSON(w, http.StatusOK, a.secretJSON(cs, ""))
		return nil
	}
}

func (a *API) deleteSecret(w http.ResponseWriter, r *http.Request) error {
	id, sid := r.PathValue("appId"), r.PathValue("secretId")
	if _, err := a.findApp(r, id); err != nil {
		return err
	}
	if err := a.cfg.Provision.DeleteClientSecret(r.Context(), id, sid); err != nil {
		return a.secretErr(id, sid, err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// secretErr maps the service layer's refusals to Okta's errors.
func (a *API) secretErr(appID, secretID string, err error) error {
	switch {
	case errors.Is(err, store.ErrNotFound) && secretID != "":
		return NotFound(secretID, secretKind)
	case errors.Is(err, store.ErrNotFound):
		return NotFound(appID, appKind)
	case errors.Is(err, provision.ErrInvalid):
		msg := err.Error()
		if i := strings.LastIndex(msg, ": "); i >= 0 {
			msg = msg[i+2:]
		}
		return Validation("client_secret", "client_secret: "+msg)
	}
	return err
}
