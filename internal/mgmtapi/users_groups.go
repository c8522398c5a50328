package mgmtapi

import (
	"errors"
	"net/http"
	"time"

	"github.com/latchkey/latchkey/internal/store"
)

// userGroupJSON is Okta's group object, as GET /users/{id}/groups lists
// it.
type userGroupJSON struct {
	ID                    string    `json:"id"`
	Created               time.Time `json:"created"`
	LastUpdated           time.Time `json:"lastUpdated"`
	LastMembershipUpdated time.Time `json:"lastMembershipUpdated"`
	ObjectClass           []string  `json:"objectClass"`
	Type                  string    `json:"type"`
	Profile               struct {
		Name        string `json:"name"`
		Description string `json:"description"`
	} `json:"profile"`
	Links Links `json:"_links"`
}

func (a *API) userGroupJSON(g store.Group) userGroupJSON {
	out := userGroupJSON{ID: g.ID, Created: g.CreatedAt.UTC(), LastUpdated: g.UpdatedAt.UTC(), LastMembershipUpdated: g.UpdatedAt.UTC(),
		ObjectClass: []string{"okta:user_group"}, Type: g.Type,
		Links: Links{"self": {Href: a.href("groups", g.ID)}, "users": {Href: a.href("groups", g.ID, "users")},
			"apps": {Href: a.href("groups", g.ID, "apps")}}}
	out.Profile.Name, out.Profile.Description = g.Name, g.Description
	return out
}

// listUserGroups is Okta's List User's Groups: the built-in Everyone
// group first (every user is in it), then the groups the user is a
// member of, by id.
func (a *API) listUserGroups(w http.ResponseWriter, r *http.Request) error {
	u, err := a.findUser(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	out := []userGroupJSON{}
	every, err := a.cfg.Store.GetGroupByName(ctx, store.EveryoneGroupName)
	switch {
	case err == nil && every.Type == store.GroupBuiltIn:
		out = append(out, a.userGroupJSON(every))
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return err
	}
	gs, err := a.cfg.Store.ListUserGroups(ctx, u.ID)
	if err != nil {
		return err
	}
	for _, g := range gs {
		if g.Type != store.GroupBuiltIn {
			out = append(out, a.userGroupJSON(g))
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
