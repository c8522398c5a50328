package mgmtapi

import (
	"net/http"
	"slices"
	"strings"

	"github.com/latchkey/latchkey/internal/keys"
	"github.com/latchkey/latchkey/internal/oktaapi"
	"github.com/latchkey/latchkey/internal/store"
)

// Scopes of the authorization server routes.
const (
	scopeAuthzRead   = "okta.authorizationServers.read"
	scopeAuthzManage = "okta.authorizationServers.manage"
)

// routesAuthServers registers /api/v1/authorizationServers: the custom
// authorization servers (never the org server) with their scopes, claims,
// policies, rules and keys. Every change goes through package provision
// and the store's writes, so the policy engine's cache on this instance
// sees it at once (and other instances through the cache's invalidation).
func (a *API) routesAuthServers() {
	const base = "/api/v1/authorizationServers"
	const one = base + "/{authServerId}"
	a.handle("GET "+base, scopeAuthzRead, a.listAuthServers)
	a.handle("POST "+base, scopeAuthzManage, a.createAuthServer)
	a.handle("GET "+one, scopeAuthzRead, a.getAuthServer)
	a.handle("PUT "+one, scopeAuthzManage, a.replaceAuthServer)
	a.handle("DELETE "+one, scopeAuthzManage, a.deleteAuthServer)
	a.handle("POST "+one+"/lifecycle/activate", scopeAuthzManage, a.authServerStatus(store.StatusActive))
	a.handle("POST "+one+"/lifecycle/deactivate", scopeAuthzManage, a.authServerStatus(store.StatusInactive))
	a.routesAuthServerScopes(one)
	a.routesAuthServerClaims(one)
	a.routesAuthServerPolicies(one)
	a.routesAuthServerKeys(one)
}

// authServer loads the custom server the path names (whatever its
// status); the org server and unknown ids are 404.
func (a *API) authServer(r *http.Request) (store.AuthServer, error) {
	id := r.PathValue("authServerId")
	s, err := a.cfg.Provision.CustomAuthServer(r.Context(), id)
	return s, authzError(err, id, kindAuthServer, "authorizationServer")
}

func (a *API) authServerJSON(r *http.Request, s store.AuthServer) (authServerJSON, error) {
	out := oktaapi.FromAuthServer(s, a.cfg.BaseURL)
	ks, err := a.cfg.Store.ListKeys(r.Context(), s.ID)
	if err != nil {
		return authServerJSON{}, err
	}
	for _, k := range ks { // newest first: the newest ACTIVE key signs
		if k.Status == store.KeyActive {
			out = out.WithSigningKey(k, keys.RotationInterval(s))
			break
		}
	}
	links := a.lifecycleLinks(s.Status, "authorizationServers", s.ID)
	links["metadata"] = []Link{{Href: out.Issuer + "/.well-known/openid-configuration"}, {Href: out.Issuer + "/.well-known/oauth-authorization-server"}}
	links["rotateKey"] = Link{Href: a.href("authorizationServers", s.ID, "credentials", "lifecycle", "keyRotate"), Method: http.MethodPost}
	for _, sub := range []string{"scopes", "claims", "policies"} {
		links[sub] = Link{Href: a.href("authorizationServers", s.ID, sub)}
	}
	links["keys"] = Link{Href: a.href("authorizationServers", s.ID, "credentials", "keys")}
	return authServerJSON{AuthServer: out, Links: links}, nil
}

func (a *API) writeAuthServer(w http.ResponseWriter, r *http.Request, status int, s store.AuthServer) error {
	out, err := a.authServerJSON(r, s)
	if err != nil {
		return err
	}
	writeJSON(w, status, out)
	return nil
}

// listAuthServers lists the custom servers by id, limit at a time; q
// keeps those whose name or audience starts with it (case-insensitive).
func (a *API) listAuthServers(w http.ResponseWriter, r *http.Request) error {
	p, err := pageRequest(r, DefaultLimit, MaxLimit)
	if err != nil {
		return err
	}
	q := strings.ToLower(r.URL.Query().Get("q"))
	all, err := a.cfg.Store.ListAuthServers(r.Context())
	if err != nil {
		return err
	}
	// Page in Go's byte order, whatever the database's collation.
	slices.SortFunc(all, func(x, y store.AuthServer) int { return strings.Compare(x.ID, y.ID) })
	var match []store.AuthServer
	for _, s := range all {
		if s.ID == store.OrgServerID || s.ID <= p.After {
			continue
		}
		if q == "" || strings.HasPrefix(strings.ToLower(s.Name), q) || strings.HasPrefix(strings.ToLower(s.Audience), q) {
			match = append(match, s)
		}
	}
	items, next := page(match, p.Limit, func(s store.AuthServer) string { return s.ID })
	out := make([]authServerJSON, 0, len(items))
	for _, s := range items {
		j, err := a.authServerJSON(r, s)
		if err != nil {
			return err
		}
		out = append(out, j)
	}
	a.setPageLinks(w, r, next)
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) createAuthServer(w http.ResponseWriter, r *http.Request) error {
	var body authServerIn
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	in, err := body.input("")
	if err != nil {
		return err
	}
	s, err := a.cfg.Provision.CreateAuthServer(r.Context(), in)
	if err != nil {
		return authzError(err, "", kindAuthServer, "authorizationServer")
	}
	return a.writeAuthServer(w, r, http.StatusCreated, s)
}

func (a *API) getAuthServer(w http.ResponseWriter, r *http.Request) error {
	s, err := a.authServer(r)
	if err != nil {
		return err
	}
	return a.writeAuthServer(w, r, http.StatusOK, s)
}

func (a *API) replaceAuthServer(w http.ResponseWriter, r *http.Request) error {
	s, err := a.authServer(r)
	if err != nil {
		return err
	}
	var body authServerIn
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	in, err := body.input(s.KeyRotationMode)
	if err != nil {
		return err
	}
	s, err = a.cfg.Provision.UpdateAuthServer(r.Context(), s.ID, in)
	if err != nil {
		return authzError(err, s.ID, kindAuthServer, "authorizationServer")
	}
	return a.writeAuthServer(w, r, http.StatusOK, s)
}

// deleteAuthServer deletes an INACTIVE server (Okta's rule); the default
// server cannot be deleted.
func (a *API) deleteAuthServer(w http.ResponseWriter, r *http.Request) error {
	s, err := a.authServer(r)
	if err != nil {
		return err
	}
	if err := a.cfg.Provision.DeleteAuthServer(r.Context(), s.ID); err != nil {
		return authzError(err, s.ID, kindAuthServer, "authorizationServer")
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) authServerStatus(status string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		s, err := a.authServer(r)
		if err != nil {
			return err
		}
		if _, err := a.cfg.Provision.SetAuthServerStatus(r.Context(), s.ID, status); err != nil {
			return authzError(err, s.ID, kindAuthServer, "authorizationServer")
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}
