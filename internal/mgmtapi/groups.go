package mgmtapi

import (
	"errors"
	"net/http"
	"strings"

	"github.com/latchkey/latchkey/internal/provision"
	"github.com/latchkey/latchkey/internal/store"
)

// Page sizes of the group lists, as Okta's: a search with q and no limit
// returns at most 10 groups; members come 1000 to a page; apps 20.
const (
	groupQueryLimit   = 10
	memberLimit       = 1000
	groupAppsLimit    = 20
	groupAppsMaxLimit = 200
)

func (a *API) routesGroups() {
	a.handle("GET /api/v1/groups", "okta.groups.read", a.listGroups)
	a.handle("POST /api/v1/groups", "okta.groups.manage", a.createGroup)
	a.handle("GET /api/v1/groups/{groupId}", "okta.groups.read", a.getGroup)
	a.handle("PUT /api/v1/groups/{groupId}", "okta.groups.manage", a.updateGroup)
	a.handle("DELETE /api/v1/groups/{groupId}", "okta.groups.manage", a.deleteGroup)
	a.handle("GET /api/v1/groups/{groupId}/users", "okta.groups.read", a.listGroupUsers)
	a.handle("PUT /api/v1/groups/{groupId}/users/{userId}", "okta.groups.manage", a.addGroupUser)
	a.handle("DELETE /api/v1/groups/{groupId}/users/{userId}", "okta.groups.manage", a.removeGroupUser)
	a.handle("GET /api/v1/groups/{groupId}/apps", "okta.groups.read", a.listGroupApps)
}

// groupBody is what POST and PUT /groups take: the profile.
type groupBody struct {
	Profile *struct {
		Name        string `json:"name"`
		Description string `json:"description"`
	} `json:"profile"`
}

func (b groupBody) check() error {
	if b.Profile == nil {
		return Validation("profile", "profile: The field cannot be left blank")
	}
	if strings.TrimSpace(b.Profile.Name) == "" {
		return Validation("name", "name: The field cannot be left blank")
	}
	return nil
}

// groupWriteErr maps the service layer's refusals of a group write to
// Okta's answers.
func groupWriteErr(err error, groupID string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, provision.ErrBuiltIn):
		// Okta refuses changes to a BUILT_IN group (Everyone) as an action
		// the caller may not perform.
		return Forbidden()
	case errors.Is(err, provision.ErrInvalid):
		cause := strings.TrimPrefix(err.Error(), provision.ErrInvalid.Error()+": ")
		field, _, _ := strings.Cut(cause, " ")
		return Validation(field, field+": "+cause)
	case errors.Is(err, store.ErrConflict):
		return Validation("name", "name: An object with this field already exists in the current organization")
	case errors.Is(err, store.ErrNotFound):
		return NotFound(groupID, "UserGroup")
	}
	return err
}

// group reads the group of the path, 404 if missing.
func (a *API) group(r *http.Request) (store.Group, error) {
	id := r.PathValue("groupId")
	g, err := a.cfg.Store.GetGroup(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return g, NotFound(id, "UserGroup")
	}
	return g, err
}

func (a *API) listGroups(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	def := DefaultLimit
	if q.Get("q") != "" {
		def = groupQueryLimit
	}
	p, err := pageRequest(r, def, MaxLimit)
	if err != nil {
		return err
	}
	where, err := groupQuery(q)
	if err != nil {
		return err
	}
	limit := p.Limit
	p.Limit++
	gs, err := a.cfg.Store.SearchGroups(r.Context(), where, p)
	if err != nil {
		return err
	}
	gs, next := page(gs, limit, func(g store.Group) string { return g.ID })
	out := make([]groupJSON, len(gs))
	for i, g := range gs {
		out[i] = a.groupJSON(g)
	}
	a.setPageLinks(w, r, next)
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) createGroup(w http.ResponseWriter, r *http.Request) error {
	var in groupBody
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if err := in.check(); err != nil {
		return err
	}
	g, err := a.cfg.Provision.CreateGroup(r.Context(), in.Profile.Name, in.Profile.Description)
	if err != nil {
		return groupWriteErr(err, "")
	}
	writeJSON(w, http.StatusOK, a.groupJSON(g))
	return nil
}

func (a *API) getGroup(w http.ResponseWriter, r *http.Request) error {
	g, err := a.group(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a.groupJSON(g))
	return nil
}

func (a *API) updateGroup(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("groupId")
	if _, err := a.group(r); err != nil {
		return err
	}
	var in groupBody
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if err := in.check(); err != nil {
		return err
	}
	g, err := a.cfg.Provision.UpdateGroup(r.Context(), id, in.Profile.Name, in.Profile.Description)
	if err != nil {
		return groupWriteErr(err, id)
	}
	writeJSON(w, http.StatusOK, a.groupJSON(g))
	return nil
}

func (a *API) deleteGroup(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("groupId")
	if err := groupWriteErr(a.cfg.Provision.DeleteGroup(r.Context(), id), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// listGroupUsers lists a group's members in Okta's user shape (users.go),
// paged by user id; the members of Everyone are every user.
func (a *API) listGroupUsers(w http.ResponseWriter, r *http.Request) error {
	g, err := a.group(r)
	if err != nil {
		return err
	}
	p, err := pageRequest(r, memberLimit, memberLimit)
	if err != nil {
		return err
	}
	limit := p.Limit
	p.Limit++
	ctx := r.Context()
	var users []store.User
	if g.Type == store.GroupBuiltIn {
		if users, err = a.cfg.Store.ListUsers(ctx, p); err != nil {
			return err
		}
	} else {
		ids, err := a.cfg.Store.ListGroupMembers(ctx, g.ID, p)
		if err != nil {
			return err
		}
		for _, id := range ids {
			u, err := a.cfg.Store.GetUser(ctx, id)
			if errors.Is(err, store.ErrNotFound) {
				continue // deleted since the list was read
			}
			if err != nil {
				return err
			}
			users = append(users, u)
		}
	}
	users, next := page(users, limit, func(u store.User) string { return u.ID })
	out := make([]userJSON, len(users))
	for i, u := range users {
		out[i] = a.userJSON(u) // as GET /users lists them
	}
	a.setPageLinks(w, r, next)
	writeJSON(w, http.StatusOK, out)
	return nil
}

// membership adds or removes the path's user, 204 when done (also when
// nothing changed, as Okta).
func (a *API) membership(w http.ResponseWriter, r *http.Request, add bool) error {
	groupID, userID := r.PathValue("groupId"), r.PathValue("userId")
	if _, err := a.group(r); err != nil {
		return err
	}
	ctx := r.Context()
	if _, err := a.cfg.Store.GetUser(ctx, userID); errors.Is(err, store.ErrNotFound) {
		return NotFound(userID, "User")
	} else if err != nil {
		return err
	}
	var err error
	if add {
		err = a.cfg.Provision.AddGroupMember(ctx, groupID, userID)
	} else {
		err = a.cfg.Provision.RemoveGroupMember(ctx, groupID, userID)
	}
	if err := groupWriteErr(err, groupID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) addGroupUser(w http.ResponseWriter, r *http.Request) error {
	return a.membership(w, r, true)
}

func (a *API) removeGroupUser(w http.ResponseWriter, r *http.Request) error {
	return a.membership(w, r, false)
}

// listGroupApps lists the OIDC apps the group is assigned to, paged by
// app id.
func (a *API) listGroupApps(w http.ResponseWriter, r *http.Request) error {
	g, err := a.group(r)
	if err != nil {
		return err
	}
	p, err := pageRequest(r, groupAppsLimit, groupAppsMaxLimit)
	if err != nil {
		return err
	}
	ctx := r.Context()
	ids, err := a.cfg.Store.ListPrincipalClients(ctx, g.ID)
	if err != nil {
		return err
	}
	var apps []store.Client
	for _, id := range ids {
		if id <= p.After {
			continue
		}
		c, err := a.cfg.Store.GetClient(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			continue // deleted since the list was read
		}
		if err != nil {
			return err
		}
		if apps = append(apps, c); len(apps) > p.Limit {
			break
		}
	}
	apps, next := page(apps, p.Limit, func(c store.Client) string { return c.ID })
	out := make([]groupAppJSON, len(apps))
	for i, c := range apps {
		out[i] = a.groupAppJSON(c)
	}
	a.setPageLinks(w, r, next)
	writeJSON(w, http.StatusOK, out)
	return nil
}
