package mgmtapi

import (
	"net/http"
	"regexp"
	"strings"

	"github.com/latchkey/latchkey/internal/oktaapi"
	"github.com/latchkey/latchkey/internal/store"
)

// Okta's page size for apps: 20 by default, at most 200.
const (
	appsDefaultLimit = 20
	appsMaxLimit     = 200
)

// appFilterPattern is the one filter expression Latchkey evaluates on
// apps: status eq "ACTIVE" or "INACTIVE".
var appFilterPattern = regexp.MustCompile(`^\s*status\s+eq\s+"(ACTIVE|INACTIVE)"\s*$`)

// listApps is GET /api/v1/apps: q matches a label prefix, case-blind;
// filter takes status eq "…". Clients are read from the store by id, a
// store page at a time, until a page of matches is full.
func (a *API) listApps(w http.ResponseWriter, r *http.Request) error {
	p, err := pageRequest(r, appsDefaultLimit, appsMaxLimit)
	if err != nil {
		return err
	}
	query := r.URL.Query()
	prefix := strings.ToLower(query.Get("q"))
	status := ""
	if f := query.Get("filter"); f != "" {
		m := appFilterPattern.FindStringSubmatch(f)
		if m == nil {
			return Validation("filter", `filter: Latchkey filters apps by status only: status eq "ACTIVE" or status eq "INACTIVE"`)
		}
		status = m[1]
	}
	match := func(c store.Client) bool {
		return (status == "" || c.Status == status) && strings.HasPrefix(strings.ToLower(c.Name), prefix)
	}
	var found []store.Client
	after := p.After
	for len(found) <= p.Limit {
		batch, err := a.cfg.Store.ListClients(r.Context(), store.Page{After: after, Limit: appsMaxLimit})
		if err != nil {
			return err
		}
		for _, c := range batch {
			if match(c) {
				found = append(found, c)
			}
		}
		if len(batch) < appsMaxLimit {
			break
		}
		after = batch[len(batch)-1].ID
	}
	items, next := page(found, p.Limit, func(c store.Client) string { return c.ID })
	out := make([]oktaapi.App, len(items))
	for i, c := range items {
		out[i] = a.appJSON(c, "")
	}
	a.setPageLinks(w, r, next)
	writeJSON(w, http.StatusOK, out)
	return nil
}
