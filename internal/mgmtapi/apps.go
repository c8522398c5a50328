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

// Apps are Okta's OIDC applications: Latchkey's OAuth clients. Only
// signOnMode OPENID_CONNECT exists here.
func (a *API) routesApps() {
	a.handle("POST /api/v1/apps", "okta.apps.manage", a.createApp)
	a.handle("GET /api/v1/apps", "okta.apps.read", a.listApps)
	a.handle("GET /api/v1/apps/{appId}", "okta.apps.read", a.getApp)
	a.handle("PUT /api/v1/apps/{appId}", "okta.apps.manage", a.updateApp)
	a.handle("DELETE /api/v1/apps/{appId}", "okta.apps.manage", a.deleteApp)
	a.handle("POST /api/v1/apps/{appId}/lifecycle/activate", "okta.apps.manage", a.appLifecycle(a.cfg.Provision.ActivateClient))
	a.handle("POST /api/v1/apps/{appId}/lifecycle/deactivate", "okta.apps.manage", a.appLifecycle(a.cfg.Provision.DeactivateClient))
	a.routesAppSecrets()
	a.routesAppAssignments()
}

// appKind is the kind Okta names in an app's E0000007.
const appKind = "Application"

// findApp returns the client of an id, or Okta's E0000007.
func (a *API) findApp(r *http.Request, id string) (store.Client, error) {
	c, err := a.cfg.Store.GetClient(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return store.Client{}, NotFound(id, appKind)
	}
	return c, err
}

// appJSON renders a client in Okta's app shape with its _links; secret is
// shown only when set (on create, or when an update generated one).
func (a *API) appJSON(c store.Client, secret string) oktaapi.App {
	out := oktaapi.FromClient(c, secret)
	links := Links{
		"self":       {Href: a.href("apps", c.ID)},
		"users":      {Href: a.href("apps", c.ID, "users")},
		"groups":     {Href: a.href("apps", c.ID, "groups")},
		"deactivate": {Href: a.href("apps", c.ID, "lifecycle", "deactivate"), Method: http.MethodPost},
	}
	if c.Status != store.StatusActive {
		delete(links, "deactivate")
		links["activate"] = Link{Href: a.href("apps", c.ID, "lifecycle", "activate"), Method: http.MethodPost}
	}
	out.Links = links
	return out
}

func (a *API) createApp(w http.ResponseWriter, r *http.Request) error {
	var in appInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if err := in.check(""); err != nil {
		return err
	}
	if r.URL.Query().Get("activate") == "false" {
		return Validation("activate", "activate: Latchkey creates apps ACTIVE; deactivate it after creating it")
	}
	ci, err := in.clientInput()
	if err != nil {
		return err
	}
	c, secret, err := a.cfg.Provision.CreateClient(r.Context(), ci)
	if err != nil {
		return provisionErr(err)
	}
	writeJSON(w, http.StatusOK, a.appJSON(c, secret))
	return nil
}

func (a *API) getApp(w http.ResponseWriter, r *http.Request) error {
	c, err := a.findApp(r, r.PathValue("appId"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a.appJSON(c, ""))
	return nil
}

func (a *API) updateApp(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("appId")
	if _, err := a.findApp(r, id); err != nil {
		return err
	}
	var in appInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if err := in.check(id); err != nil {
		return err
	}
	u, err := in.clientUpdate()
	if err != nil {
		return err
	}
	c, secret, err := a.cfg.Provision.UpdateClient(r.Context(), id, u)
	if errors.Is(err, store.ErrNotFound) {
		return NotFound(id, appKind)
	}
	if err != nil {
		return provisionErr(err)
	}
	writeJSON(w, http.StatusOK, a.appJSON(c, secret))
	return nil
}

func (a *API) deleteApp(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("appId")
	err := a.cfg.Provision.DeleteClient(r.Context(), id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return NotFound(id, appKind)
	case errors.Is(err, provision.ErrClientState):
		// Okta refuses to delete an ACTIVE app.
		return &Error{Status: http.StatusForbidden, Code: CodeDeleteAppForbidden, Summary: "Delete application forbidden.",
			Causes: []string{"The application is ACTIVE: deactivate it (POST /api/v1/apps/" + clip(id, 64) + "/lifecycle/deactivate) before deleting it."}}
	case err != nil:
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// CodeDeleteAppForbidden is Okta's answer to deleting an ACTIVE app.
const CodeDeleteAppForbidden = "E0000056"

// appLifecycle is POST …/lifecycle/activate or deactivate: 200 with an
// empty object, as Okta answers.
func (a *API) appLifecycle(op func(ctx context.Context, id string) (store.Client, error)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id := r.PathValue("appId")
		_, err := op(r.Context(), id)
		if errors.Is(err, store.ErrNotFound) {
			return NotFound(id, appKind)
		}
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, struct{}{})
		return nil
	}
}

// provisionErr turns a validation failure of package provision into
// Okta's E0000001, its message as the cause.
func provisionErr(err error) error {
	if errors.Is(err, provision.ErrInvalid) {
		msg := strings.TrimPrefix(err.Error(), provision.ErrInvalid.Error()+": ")
		return Validation("settings", msg)
	}
	return err
}
