package mgmtapi

import (
	"errors"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/userquery"
)

// routesUsers registers Okta's Users API (docs/management-api.md).
func (a *API) routesUsers() {
	const read, manage = "okta.users.read", "okta.users.manage"
	a.handle("GET /api/v1/users", read, a.listUsers)
	a.handle("POST /api/v1/users", manage, a.createUser)
	a.handle("GET /api/v1/users/{id}", read, a.getUser)
	a.handle("POST /api/v1/users/{id}", manage, a.partialUpdateUser)
	a.handle("PUT /api/v1/users/{id}", manage, a.fullUpdateUser)
	a.handle("DELETE /api/v1/users/{id}", manage, a.deleteUser)
	a.handle("GET /api/v1/users/{id}/groups", read, a.listUserGroups)
	a.handle("POST /api/v1/users/{id}/credentials/change_password", manage, a.changePassword)
	lifecycle := a.lifecycleHandlers()
	for _, op := range slices.Sorted(maps.Keys(lifecycle)) {
		a.handle("POST /api/v1/users/{id}/lifecycle/"+op, manage, lifecycle[op])
	}
}

// findUser resolves the {id} of a route: a user id or a login, as Okta
// takes both. "me" names the user of a session, which the management API
// never has (its callers are API tokens and service clients).
func (a *API) findUser(r *http.Request) (store.User, error) {
	id := r.PathValue("id")
	if id == "me" {
		return store.User{}, &Error{Status: http.StatusNotFound, Code: CodeNotFound,
			Summary: "Not found: Resource not found: me (User)",
			Causes:  []string{"me: there is no signed-in user: the caller is an API token or a service client"}}
	}
	u, err := a.cfg.Provision.FindUser(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, NotFound(id, "User")
	}
	return u, err
}

func (a *API) getUser(w http.ResponseWriter, r *http.Request) error {
	u, err := a.findUser(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a.userJSON(u))
	return nil
}

// listUsers is Okta's List Users: q (a prefix of login, email, first or
// last name), filter and search (expressions, package userquery), limit
// and after. With neither filter nor search, DEPROVISIONED users are left
// out, as in Okta.
func (a *API) listUsers(w http.ResponseWriter, r *http.Request) error {
	p, err := pageRequest(r, DefaultLimit, MaxLimit)
	if err != nil {
		return err
	}
	q, err := userQueryOf(r)
	if err != nil {
		return err
	}
	limit := p.Limit
	p.Limit++
	users, err := a.cfg.Store.SearchUsers(r.Context(), q, p)
	if errors.Is(err, store.ErrInvalidQuery) {
		return invalidSearch(strings.TrimPrefix(err.Error(), "search users: "))
	}
	if err != nil {
		return err
	}
	users, next := page(users, limit, func(u store.User) string { return u.ID })
	out := make([]userJSON, len(users))
	for i, u := range users {
		out[i] = a.userJSON(u)
	}
	a.setPageLinks(w, r, next)
	writeJSON(w, http.StatusOK, out)
	return nil
}

// CodeInvalidSearch is Okta's E0000031, Invalid search criteria.
const CodeInvalidSearch = "E0000031"

func invalidSearch(cause string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: CodeInvalidSearch, Summary: "Invalid search criteria.", Causes: []string{cause}}
}

// userQueryOf reads q, filter and search; all that are given must hold.
func userQueryOf(r *http.Request) (store.UserQuery, error) {
	v := r.URL.Query()
	q := store.UserQuery{Prefix: v.Get("q")}
	if len(q.Prefix) > store.MaxQueryValue {
		return q, invalidSearch("q: longer than 256 bytes")
	}
	var parts []store.UserExpr
	for _, in := range []struct {
		param string
		mode  userquery.Mode
	}{{"filter", userquery.Filter}, {"search", userquery.Search}} {
		s := v.Get(in.param)
		if s == "" {
			continue
		}
		e, err := userquery.Parse(s, in.mode)
		if err != nil {
			return q, invalidSearch(in.param + ": " + err.Error())
		}
		parts = append(parts, e)
	}
	switch len(parts) {
	case 0:
		q.Where = &store.UserExpr{Op: store.OpNe, Field: store.FieldStatus, Value: store.UserDeprovisioned}
	case 1:
		q.Where = &parts[0]
	default:
		q.Where = &store.UserExpr{Op: store.OpAnd, Args: parts}
	}
	return q, nil
}
