package provision

import (
	"context"

	"github.com/latchkey/latchkey/internal/events"
)

type actorKey struct{}

// WithActor returns ctx naming who asks for the operations done with it:
// the audit events they record name actor as theirs. The management API
// names its caller; without it (the CLI, the setup file) the actor is
// events.System().
func WithActor(ctx context.Context, actor events.Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, actor)
}

// ActorOf returns the actor WithActor put in ctx, or events.System().
func ActorOf(ctx context.Context) events.Actor {
	if a, ok := ctx.Value(actorKey{}).(events.Actor); ok {
		return a
	}
	return events.System()
}
