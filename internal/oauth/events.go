package oauth

import (
	"context"
	"net/http"
	"strings"

	"github.com/latchkey/latchkey/internal/events"
	"github.com/latchkey/latchkey/internal/policy"
	"github.com/latchkey/latchkey/internal/store"
)

// record hands an audit event to s.Events, when set, with what the
// request says about its client (the fallback address and the user agent).
func (s *Server) record(ctx context.Context, r *http.Request, e events.Event) {
	if s.Events == nil {
		return
	}
	e.Client = events.FromRequest(r)
	s.Events.Record(ctx, e)
}

// party names who took part in a token event; user is nil for client
// credentials.
func party(srv policy.Server, c store.Client, user *store.User) events.Party {
	p := events.Party{ServerID: srv.ID, App: events.App(c.ID, c.Name)}
	if user != nil {
		p.User = eventUser(*user)
	}
	return p
}

// eventUser is the actor or target a user record is.
func eventUser(u store.User) events.Actor {
	return events.User(u.ID, u.Login, strings.TrimSpace(u.FirstName+" "+u.LastName))
}

// userOf returns the user with the id for an event, best effort: an event
// about a user who is gone still names the id.
func (s *Server) userOf(ctx context.Context, id string) *store.User {
	u, err := s.Store.GetUser(ctx, id)
	if err != nil {
		u = store.User{ID: id}
	}
	return &u
}
