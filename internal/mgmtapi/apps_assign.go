package mgmtapi

import (
	"errors"
	"net/http"
	"strings"

	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/store"
)

// App assignments: the users and groups assigned to a client directly (a
// user may get tokens for a client only when assigned, directly or through
// a group).
func (a *API) routesAppAssignments() {
	a.handle("GET /api/v1/apps/{appId}/users", "okta.apps.read", a.listAppUsers)
	a.handle("POST /api/v1/apps/{appId}/users", "okta.apps.manage", a.assignAppUser)
	a.handle("GET /api/v1/apps/{appId}/users/{userId}", "okta.apps.read", a.getAppUser)
	a.handle("POST /api/v1/apps/{appId}/users/{userId}", "okta.apps.manage", a.assignAppUser)
	a.handle("PUT /api/v1/apps/{appId}/users/{userId}", "okta.apps.manage", a.assignAppUser)
	a.handle("DELETE /api/v1/apps/{appId}/users/{userId}", "okta.apps.manage", a.unassign("userId", "AppUser"))
	a.handle("GET /api/v1/apps/{appId}/groups", "okta.apps.read", a.listAppGroups)
	a.handle("GET /api/v1/apps/{appId}/groups/{groupId}", "okta.apps.read", a.getAppGroup)
	a.handle("PUT /api/v1/apps/{appId}/groups/{groupId}", "okta.apps.manage", a.assignAppGroup)
	a.handle("DELETE /api/v1/apps/{appId}/groups/{groupId}", "okta.apps.manage", a.unassign("groupId", "ApplicationGroupAssignment"))
}

// appUserJSON is Okta's app user: a user assigned to the app directly
// (scope USER), with no app-specific profile.
type appUserJSON struct {
	ID          string         `json:"id"`
	ExternalID  *string        `json:"externalId"`
	Scope       string         `json:"scope"`
	Status      string         `json:"status"`
	SyncState   string         `json:"syncState"`
	Credentials map[string]any `json:"credentials"`
	Profile     map[string]any `json:"profile"`
	Links       Links          `json:"_links"`
}

func (a *API) appUserJSON(appID string, u store.User) appUserJSON {
	return appUserJSON{ID: u.ID, Scope: "USER", Status: "ACTIVE", SyncState: "DISABLED",
		Credentials: map[string]any{"userName": u.Login}, Profile: map[string]any{},
		Links: Links{"app": {Href: a.href("apps", appID)}, "user": {Href: a.href("users", u.ID)}}}
}

// appGroupJSON is Okta's application group assignment.
type appGroupJSON struct {
	ID       string         `json:"id"`
	Priority int            `json:"priority"`
	Profile  map[string]any `json:"profile"`
	Links    Links          `json:"_links"`
}

func (a *API) appGroupJSON(appID string, g store.Group, priority int) appGroupJSON {
	return appGroupJSON{ID: g.ID, Priority: priority, Profile: map[string]any{},
		Links: Links{"app": {Href: a.href("apps", appID)}, "group": {Href: a.href("groups", g.ID)}}}
}

// assigned returns the app's assigned users and groups, ordered by id.
func (a *API) assigned(r *http.Request, appID string) ([]store.User, []store.Group, error) {
	if _, err := a.findApp(r, appID); err != nil {
		return nil, nil, err
	}
	principals, err := a.cfg.Store.ListClientAssignments(r.Context(), appID)
	if err != nil {
		return nil, nil, err
	}
	var users []store.User
	var groups []store.Group
	for _, id := range principals {
		if strings.HasPrefix(id, ids.Group) {
			g, err := a.cfg.Store.GetGroup(r.Context(), id)
			if err == nil {
				groups = append(groups, g)
				continue
			}
			if !errors.Is(err, store.ErrNotFound) {
				return nil, nil, err
			}
		}
		u, err := a.cfg.Store.GetUser(r.Context(), id)
		if errors.Is(err, store.ErrNotFound) {
			continue // removed since: not shown
		}
		if err != nil {
			return nil, nil, err
		}
		users = append(users, u)
	}
	return users, groups, nil
}

func (a *API) listAppUsers(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("appId")
	users, _, err := a.assigned(r, id)
	if err != nil {
		return err
	}
	out := make([]appUserJSON, len(users))
	for i, u := range users {
		out[i] = a.appUserJSON(id, u)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) getAppUser(w http.ResponseWriter, r *http.Request) error {
	id, uid := r.PathValue("appId"), r.PathValue("userId")
	users, _, err := a.assigned(r, id)
	if err != nil {
		return err
	}
	for _, u := range users {
		if u.ID == uid {
			writeJSON(w, http.StatusOK, a.appUserJSON(id, u))
			return nil
		}
	}
	return NotFound(uid, "AppUser")
}

// assignAppUser is POST /apps/{id}/users {id} (and the SDK's update,
// POST or PUT /apps/{id}/users/{userId}): the assignment, idempotent.
func (a *API) assignAppUser(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("appId")
	if _, err := a.findApp(r, id); err != nil {
		return err
	}
	uid := r.PathValue("userId")
	if uid == "" {
		var in struct {
			ID string `json:"id"`
		}
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
		if in.ID == "" {
			return Validation("id", "id: The field cannot be left blank")
		}
		uid = in.ID
	}
	u, err := a.cfg.Store.GetUser(r.Context(), uid)
	if errors.Is(err, store.ErrNotFound) {
		return NotFound(uid, "User")
	}
	if err != nil {
		return err
	}
	if err := a.cfg.Provision.AssignClient(r.Context(), id, u.ID); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a.appUserJSON(id, u))
	return nil
}

func (a *API) listAppGroups(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("appId")
	_, groups, err := a.assigned(r, id)
	if err != nil {
		return err
	}
	out := make([]appGroupJSON, len(groups))
	for i, g := range groups {
		out[i] = a.appGroupJSON(id, g, i)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) getAppGroup(w http.ResponseWriter, r *http.Request) error {
	id, gid := r.PathValue("appId"), r.PathValue("groupId")
	_, groups, err := a.assigned(r, id)
	if err != nil {
		return err
	}
	for i, g := range groups {
		if g.ID == gid {
			writeJSON(w, http.StatusOK, a.appGroupJSON(id, g, i))
			return nil
		}
	}
	return NotFound(gid, "ApplicationGroupAssignment")
}

// assignAppGroup is PUT /apps/{id}/groups/{groupId}: idempotent; the body
// (priority, profile) may be empty and is not kept.
func (a *API) assignAppGroup(w http.ResponseWriter, r *http.Request) error {
	id, gid := r.PathValue("appId"), r.PathValue("groupId")
	if _, err := a.findApp(r, id); err != nil {
		return err
	}
	g, err := a.cfg.Store.GetGroup(r.Context(), gid)
	if errors.Is(err, store.ErrNotFound) {
		return NotFound(gid, "UserGroup")
	}
	if err != nil {
		return err
	}
	if err := a.cfg.Provision.AssignClient(r.Context(), id, g.ID); err != nil {
		return err
	}
	_, groups, err := a.assigned(r, id)
	if err != nil {
		return err
	}
	for i, ag := range groups {
		if ag.ID == g.ID {
			writeJSON(w, http.StatusOK, a.appGroupJSON(id, g, i))
			return nil
		}
	}
	return errors.New("mgmtapi: the assigned group is not among the app's groups")
}

// unassign is DELETE of a user's or group's assignment: 204, or E0000007
// when the app has no such assignment.
func (a *API) unassign(param, kind string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, pid := r.PathValue("appId"), r.PathValue(param)
		if _, err := a.findApp(r, id); err != nil {
			return err
		}
		principals, err := a.cfg.Store.ListClientAssignments(r.Context(), id)
		if err != nil {
			return err
		}
		found := false
		for _, p := range principals {
			found = found || p == pid
		}
		if !found {
			return NotFound(pid, kind)
		}
		if err := a.cfg.Provision.UnassignClient(r.Context(), id, pid); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}
