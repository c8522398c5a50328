package mgmtapi

import (
	"errors"
	"net/http"
	"time"

	"github.com/latchkey/latchkey/internal/provision"
	"github.com/latchkey/latchkey/internal/store"
)

// grantJSON is Okta's OAuth 2.0 scope consent grant: an okta.* scope
// granted to an app for the org authorization server.
type grantJSON struct {
	ID          string    `json:"id"`
	Status      string    `json:"status"`
	Created     time.Time `json:"created"`
	LastUpdated time.Time `json:"lastUpdated"`
	Issuer      string    `json:"issuer"`
	ClientID    string    `json:"clientId"`
	ScopeID     string    `json:"scopeId"`
	Source      string    `json:"source"`
	Embedded    struct {
		Scope struct {
			ID string `json:"id"`
		} `json:"scope"`
	} `json:"_embedded"`
	Links Links `json:"_links"`
}

func (a *API) grantJSON(g store.ClientGrant) grantJSON {
	out := grantJSON{ID: g.ID, Status: store.StatusActive, Created: g.CreatedAt.UTC(), LastUpdated: g.UpdatedAt.UTC(), Issuer: g.Issuer,
		ClientID: g.ClientID, ScopeID: g.ScopeID, Source: g.Source,
		Links: Links{"self": {Href: a.href("apps", g.ClientID, "grants", g.ID)}, "app": {Href: a.href("apps", g.ClientID)}}}
	out.Embedded.Scope.ID = g.ScopeID
	return out
}

func (a *API) routesGrants() {
	a.handle("GET /api/v1/apps/{appId}/grants", "okta.apps.read", a.listGrants)
	a.handle("POST /api/v1/apps/{appId}/grants", "okta.apps.manage", a.createGrant)
	a.handle("GET /api/v1/apps/{appId}/grants/{grantId}", "okta.apps.read", a.getGrant)
	a.handle("DELETE /api/v1/apps/{appId}/grants/{grantId}", "okta.apps.manage", a.deleteGrant)
}

func (a *API) appExists(r *http.Request, id string) error {
	_, err := a.cfg.Store.GetClient(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return NotFound(id, "Application")
	}
	return err
}

func (a *API) listGrants(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("appId")
	if err := a.appExists(r, id); err != nil {
		return err
	}
	gs, err := a.cfg.Store.ListClientGrants(r.Context(), id)
	if err != nil {
		return err
	}
	out := make([]grantJSON, len(gs))
	for i, g := range gs {
		out[i] = a.grantJSON(g)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) createGrant(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("appId")
	if err := a.appExists(r, id); err != nil {
		return err
	}
	var in struct {
		Issuer  string `json:"issuer"`
		ScopeID string `json:"scopeId"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	switch {
	case in.ScopeID == "":
		return Validation("scopeId", "scopeId: The field cannot be left blank")
	case in.Issuer != a.cfg.BaseURL:
		return Validation("issuer", "issuer: The issuer must be the org authorization server's, "+a.cfg.BaseURL)
	}
	before, err := a.cfg.Store.ListClientGrants(r.Context(), id)
	if err != nil {
		return err
	}
	gs, err := a.cfg.Provision.GrantClientScopes(r.Context(), provision.GrantInput{ClientID: id, Scopes: []string{in.ScopeID}, Issuer: a.cfg.BaseURL})
	if errors.Is(err, provision.ErrInvalid) {
		return Validation("scopeId", "scopeId: "+err.Error())
	}
	if err != nil {
		return err
	}
	status := http.StatusCreated
	for _, g := range before {
		if g.ScopeID == in.ScopeID {
			status = http.StatusOK // already granted: the grant as it is
		}
	}
	for _, g := range gs {
		if g.ScopeID == in.ScopeID {
			writeJSON(w, status, a.grantJSON(g))
			return nil
		}
	}
	return errors.New("mgmtapi: the new grant is not among the client's grants")
}

func (a *API) getGrant(w http.ResponseWriter, r *http.Request) error {
	appID, id := r.PathValue("appId"), r.PathValue("grantId")
	g, err := a.cfg.Store.GetClientGrant(r.Context(), appID, id)
	if errors.Is(err, store.ErrNotFound) {
		return NotFound(id, "OAuth2ScopeConsentGrant")
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a.grantJSON(g))
	return nil
}

func (a *API) deleteGrant(w http.ResponseWriter, r *http.Request) error {
	appID, id := r.PathValue("appId"), r.PathValue("grantId")
	err := a.cfg.Store.DeleteClientGrant(r.Context(), appID, id)
	if errors.Is(err, store.ErrNotFound) {
		return NotFound(id, "OAuth2ScopeConsentGrant")
	}
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
