package mgmtapi

import (
	"net/http"
	"strings"

	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/oktaapi"
	"github.com/latchkey/latchkey/internal/store"
)

// routesAuthServerScopes registers a server's scopes. A scope's id is
// derived from its server and name (ids.ScopeID): the system scopes
// (openid, profile, email, offline_access) have ids too, and are listed,
// but cannot be changed or deleted.
func (a *API) routesAuthServerScopes(one string) {
	a.handle("GET "+one+"/scopes", scopeAuthzRead, a.listScopes)
	a.handle("POST "+one+"/scopes", scopeAuthzManage, a.createScope)
	a.handle("GET "+one+"/scopes/{scopeId}", scopeAuthzRead, a.getScope)
	a.handle("PUT "+one+"/scopes/{scopeId}", scopeAuthzManage, a.replaceScope)
	a.handle("DELETE "+one+"/scopes/{scopeId}", scopeAuthzManage, a.deleteScope)
}

// listScopes lists the server's scopes, system scopes first; q keeps those
// whose name starts with it (case-insensitive).
func (a *API) listScopes(w http.ResponseWriter, r *http.Request) error {
	s, err := a.authServer(r)
	if err != nil {
		return err
	}
	all, err := a.cfg.Provision.Scopes(r.Context(), s.ID)
	if err != nil {
		return err
	}
	q := strings.ToLower(r.URL.Query().Get("q"))
	out := []oktaapi.Scope{}
	for _, sc := range all {
		if q == "" || strings.HasPrefix(strings.ToLower(sc.Name), q) {
			out = append(out, oktaapi.FromScope(sc))
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) createScope(w http.ResponseWriter, r *http.Request) error {
	s, err := a.authServer(r)
	if err != nil {
		return err
	}
	var body scopeIn
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	in, err := body.input(s.ID)
	if err != nil {
		return err
	}
	sc, err := a.cfg.Provision.CreateScope(r.Context(), in)
	if err != nil {
		return authzError(err, s.ID, kindAuthServer, "scope")
	}
	writeJSON(w, http.StatusCreated, oktaapi.FromScope(sc))
	return nil
}

func (a *API) scope(r *http.Request) (store.AuthServer, store.Scope, error) {
	s, err := a.authServer(r)
	if err != nil {
		return s, store.Scope{}, err
	}
	id := r.PathValue("scopeId")
	sc, err := a.cfg.Provision.ScopeByID(r.Context(), s.ID, id)
	return s, sc, authzError(err, id, kindScope, "scope")
}

func (a *API) getScope(w http.ResponseWriter, r *http.Request) error {
	_, sc, err := a.scope(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, oktaapi.FromScope(sc))
	return nil
}

func (a *API) replaceScope(w http.ResponseWriter, r *http.Request) error {
	s, _, err := a.scope(r)
	if err != nil {
		return err
	}
	var body scopeIn
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	in, err := body.input(s.ID)
	if err != nil {
		return err
	}
	id := r.PathValue("scopeId")
	sc, err := a.cfg.Provision.UpdateScope(r.Context(), id, in)
	if err != nil {
		return authzError(err, id, kindScope, "scope")
	}
	writeJSON(w, http.StatusOK, oktaapi.FromScope(sc))
	return nil
}

func (a *API) deleteScope(w http.ResponseWriter, r *http.Request) error {
	s, sc, err := a.scope(r)
	if err != nil {
		return err
	}
	if err := a.cfg.Provision.DeleteScope(r.Context(), s.ID, sc.Name); err != nil {
		return authzError(err, r.PathValue("scopeId"), kindScope, "scope")
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// routesAuthServerClaims registers a server's custom claims.
func (a *API) routesAuthServerClaims(one string) {
	a.handle("GET "+one+"/claims", scopeAuthzRead, a.listClaims)
	a.handle("POST "+one+"/claims", scopeAuthzManage, a.createClaim)
	a.handle("GET "+one+"/claims/{claimId}", scopeAuthzRead, a.getClaim)
	a.handle("PUT "+one+"/claims/{claimId}", scopeAuthzManage, a.replaceClaim)
	a.handle("DELETE "+one+"/claims/{claimId}", scopeAuthzManage, a.deleteClaim)
}

func (a *API) claimJSON(c store.Claim) claimJSON {
	return claimJSON{Claim: oktaapi.FromClaim(c), Links: a.self("authorizationServers", c.AuthServerID, "claims", c.ID)}
}

func (a *API) listClaims(w http.ResponseWriter, r *http.Request) error {
	s, err := a.authServer(r)
	if err != nil {
		return err
	}
	all, err := a.cfg.Store.ListClaims(r.Context(), s.ID)
	if err != nil {
		return err
	}
	out := make([]claimJSON, len(all))
	for i, c := range all {
		out[i] = a.claimJSON(c)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) createClaim(w http.ResponseWriter, r *http.Request) error {
	s, err := a.authServer(r)
	if err != nil {
		return err
	}
	var body claimIn
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	c, err := a.cfg.Provision.PutClaim(r.Context(), body.input(s.ID, ids.New(ids.Claim)))
	if err != nil {
		return authzError(err, s.ID, kindAuthServer, "claim")
	}
	writeJSON(w, http.StatusCreated, a.claimJSON(c))
	return nil
}

func (a *API) claim(r *http.Request) (store.AuthServer, store.Claim, error) {
	s, err := a.authServer(r)
	if err != nil {
		return s, store.Claim{}, err
	}
	id := r.PathValue("claimId")
	c, err := a.cfg.Provision.Claim(r.Context(), s.ID, id)
	return s, c, authzError(err, id, kindClaim, "claim")
}

func (a *API) getClaim(w http.ResponseWriter, r *http.Request) error {
	_, c, err := a.claim(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a.claimJSON(c))
	return nil
}

func (a *API) replaceClaim(w http.ResponseWriter, r *http.Request) error {
	s, c, err := a.claim(r)
	if err != nil {
		return err
	}
	var body claimIn
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	c, err = a.cfg.Provision.UpdateClaim(r.Context(), body.input(s.ID, c.ID))
	if err != nil {
		return authzError(err, r.PathValue("claimId"), kindClaim, "claim")
	}
	writeJSON(w, http.StatusOK, a.claimJSON(c))
	return nil
}

func (a *API) deleteClaim(w http.ResponseWriter, r *http.Request) error {
	s, c, err := a.claim(r)
	if err != nil {
		return err
	}
	if err := a.cfg.Provision.DeleteClaim(r.Context(), s.ID, c.ID); err != nil {
		return authzError(err, c.ID, kindClaim, "claim")
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
