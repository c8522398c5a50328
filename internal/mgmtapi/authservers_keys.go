package mgmtapi

import (
	"net/http"
	"slices"

	"github.com/latchkey/latchkey/internal/oktaapi"
	"github.com/latchkey/latchkey/internal/store"
)

// routesAuthServerKeys registers a server's signing keys: the list (public
// parts only) and a forced rotation, as `latchkey keys rotate` does.
func (a *API) routesAuthServerKeys(one string) {
	a.handle("GET "+one+"/credentials/keys", scopeAuthzRead, a.listKeys)
	a.handle("GET "+one+"/credentials/keys/{keyId}", scopeAuthzRead, a.getKey)
	a.handle("POST "+one+"/credentials/lifecycle/keyRotate", scopeAuthzManage, a.rotateKeys)
}

func (a *API) keyJSON(serverID string, k store.SigningKey) (map[string]any, error) {
	// No expiresAt: when an EXPIRED key leaves the JWKS depends on the
	// serving instance's configuration, which this API does not hold.
	obj, err := oktaapi.FromKey(k, 0)
	if err != nil {
		return nil, err
	}
	obj["_links"] = linkMap{"self": Link{Href: a.href("authorizationServers", serverID, "credentials", "keys", k.ID)}}
	return obj, nil
}

func (a *API) getKey(w http.ResponseWriter, r *http.Request) error {
	s, err := a.authServer(r)
	if err != nil {
		return err
	}
	ks, err := a.cfg.Store.ListKeys(r.Context(), s.ID)
	if err != nil {
		return err
	}
	kid := r.PathValue("keyId")
	for _, k := range ks {
		if k.ID == kid {
			obj, err := a.keyJSON(s.ID, k)
			if err != nil {
				return err
			}
			writeJSON(w, http.StatusOK, obj)
			return nil
		}
	}
	return NotFound(kid, "JsonWebKey")
}

// writeKeys answers with the server's keys in Okta's
// JsonWebKey shape with their status (ACTIVE, NEXT, EXPIRED).
func (a *API) writeKeys(w http.ResponseWriter, r *http.Request, serverID string) error {
	ks, err := a.cfg.Store.ListKeys(r.Context(), serverID)
	if err != nil {
		return err
	}
	// Okta lists ACTIVE, then NEXT, then EXPIRED (here newest first).
	rank := map[string]int{store.KeyActive: 0, store.KeyNext: 1, store.KeyExpired: 2}
	slices.SortStableFunc(ks, func(x, y store.SigningKey) int { return rank[x.Status] - rank[y.Status] })
	out := make([]map[string]any, 0, len(ks))
	for _, k := range ks {
		obj, err := a.keyJSON(serverID, k)
		if err != nil {
			return err
		}
		out = append(out, obj)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) listKeys(w http.ResponseWriter, r *http.Request) error {
	s, err := a.authServer(r)
	if err != nil {
		return err
	}
	return a.writeKeys(w, r, s.ID)
}

// rotateKeys forces a rotation ({"use":"sig"}): NEXT signs from now on,
// ACTIVE becomes EXPIRED (still published), and a new NEXT is made. Two
// rotations at once, on one instance or several, rotate once (the key
// manager's rotation is one store transaction conditioned on the ACTIVE
// key it read). The answer is the keys afterwards.
func (a *API) rotateKeys(w http.ResponseWriter, r *http.Request) error {
	s, err := a.authServer(r)
	if err != nil {
		return err
	}
	var body struct {
		Use string `json:"use"`
	}
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	if body.Use != "sig" {
		return Validation("use", `use: The only supported value is "sig"`)
	}
	if _, err := a.cfg.Keys.Rotate(r.Context(), s.ID); err != nil {
		return err
	}
	return a.writeKeys(w, r, s.ID)
}
