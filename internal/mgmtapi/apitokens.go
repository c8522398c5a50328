package mgmtapi

import (
	"errors"
	"net/http"
	"time"

	"github.com/latchkey/latchkey/internal/store"
)

// apiTokenJSON is Okta's API token object. The value is never shown here:
// only `latchkey apitokens create` shows it, once.
type apiTokenJSON struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	ClientName  string    `json:"clientName"`
	TokenWindow string    `json:"tokenWindow"`
	Created     time.Time `json:"created"`
	LastUpdated time.Time `json:"lastUpdated"`
	ExpiresAt   time.Time `json:"expiresAt"`
	Network     struct {
		Connection string `json:"connection"`
	} `json:"network"`
	// Okta names this member _link on API tokens (not _links).
	Link Links `json:"_link"`
}

func (a *API) apiTokenJSON(t store.APIToken) apiTokenJSON {
	out := apiTokenJSON{ID: t.ID, Name: t.Name, ClientName: t.ClientName, TokenWindow: "P30D", Created: t.CreatedAt.UTC(),
		LastUpdated: t.UpdatedAt.UTC(), ExpiresAt: t.ExpiresAt.UTC(), Link: a.self("api-tokens", t.ID)}
	out.Network.Connection = "ANYWHERE"
	return out
}

func (a *API) routesAPITokens() {
	a.handle("GET /api/v1/api-tokens", "okta.apiTokens.read", a.listAPITokens)
	a.handle("GET /api/v1/api-tokens/{id}", "okta.apiTokens.read", a.getAPIToken)
	a.handle("DELETE /api/v1/api-tokens/current", "", a.revokeCurrentAPIToken)
	a.handle("DELETE /api/v1/api-tokens/{id}", "okta.apiTokens.manage", a.revokeAPIToken)
}

func (a *API) listAPITokens(w http.ResponseWriter, r *http.Request) error {
	p, err := pageRequest(r, DefaultLimit, MaxLimit)
	if err != nil {
		return err
	}
	limit := p.Limit
	p.Limit++
	toks, err := a.cfg.Store.ListAPITokens(r.Context(), p)
	if err != nil {
		return err
	}
	toks, next := page(toks, limit, func(t store.APIToken) string { return t.ID })
	out := make([]apiTokenJSON, len(toks))
	for i, t := range toks {
		out[i] = a.apiTokenJSON(t)
	}
	a.setPageLinks(w, r, next)
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) getAPIToken(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	t, err := a.cfg.Store.GetAPIToken(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return NotFound(id, "ApiToken")
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a.apiTokenJSON(t))
	return nil
}

func (a *API) revokeAPIToken(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	err := a.cfg.Provision.RevokeAPIToken(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return NotFound(id, "ApiToken")
	}
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// revokeCurrentAPIToken revokes the API token the request was made with.
func (a *API) revokeCurrentAPIToken(w http.ResponseWriter, r *http.Request) error {
	p := principalOf(r.Context())
	if p.APITokenID == "" {
		return Forbidden()
	}
	if err := a.cfg.Provision.RevokeAPIToken(r.Context(), p.APITokenID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
