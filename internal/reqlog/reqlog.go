// Package reqlog carries per-request facts that handlers learn (the
// authenticated client id) back to the access-log middleware.
package reqlog

import "context"

type key struct{}

// Info is filled in by handlers and read by the access log.
type Info struct {
	ClientID string
}

// With returns a context carrying info.
func With(ctx context.Context, info *Info) context.Context {
	return context.WithValue(ctx, key{}, info)
}

// SetClientID records the client the request authenticated as, if the
// context carries an Info.
func SetClientID(ctx context.Context, id string) {
	if info, ok := ctx.Value(key{}).(*Info); ok {
		info.ClientID = id
	}
}
