package mgmtapi

import (
	"github.com/latchkey/latchkey/internal/oktaapi"
	"github.com/latchkey/latchkey/internal/store"
)

// groupJSON is Okta's group object: oktaapi's rendering with _links.
// Okta also links a logo (images on its own CDN); Latchkey serves no
// group logos and links none.
type groupJSON struct {
	oktaapi.Group
	Links Links `json:"_links"`
}

func (a *API) groupJSON(g store.Group) groupJSON {
	return groupJSON{Group: oktaapi.FromGroup(g), Links: Links{
		"self":  {Href: a.href("groups", g.ID)},
		"users": {Href: a.href("groups", g.ID, "users")},
		"apps":  {Href: a.href("groups", g.ID, "apps")},
	}}
}

// groupAppJSON is an app as GET /groups/{id}/apps lists it: Okta's
// application object with its self link; the secret is never shown.
type groupAppJSON struct {
	oktaapi.App
	Links Links `json:"_links"`
}

func (a *API) groupAppJSON(c store.Client) groupAppJSON {
	return groupAppJSON{App: oktaapi.FromClient(c, ""), Links: a.self("apps", c.ID)}
}
