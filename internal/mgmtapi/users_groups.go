package mgmtapi

import (
	"errors"
	"net/http"

	"github.com/latchkey/latchkey/internal/store"
)

// listUserGroups is Okta's List User's Groups: the built-in Everyone
// group first (every user is in it), then the groups the user is a
// member of, by id.
func (a *API) listUserGroups(w http.ResponseWriter, r *http.Request) error {
	u, err := a.findUser(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	out := []groupJSON{}
	every, err := a.cfg.Store.GetGroupByName(ctx, store.EveryoneGroupName)
	switch {
	case err == nil && every.Type == store.GroupBuiltIn:
		out = append(out, a.groupJSON(every))
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return err
	}
	gs, err := a.cfg.Store.ListUserGroups(ctx, u.ID)
	if err != nil {
		return err
	}
	for _, g := range gs {
		if g.Type != store.GroupBuiltIn {
			out = append(out, a.groupJSON(g))
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
