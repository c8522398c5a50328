// Package reqlog carries per-request facts that handlers learn (the
// authenticated client id, the resolved source address) back to the
// access-log middleware and to whatever records events about the request,
// and the request id that the HTTP layer gives every request.
package reqlog

import "context"

type key struct{}

type requestIDKey struct{}

// WithRequestID returns a context carrying the request's id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the request id of ctx, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// Info is filled in by handlers and read by the access log.
type Info struct {
	ClientID string
	// Source is the address the request is attributed to: the peer, or the
	// end user's address when a trusted proxy or a trusted client vouched
	// for it (package guard). Empty until resolved.
	Source string
	// Error is the error code the request was refused with (an OAuth
	// error such as invalid_client), and Reason a short operator-facing
	// reason (e.g. "secret mismatch"). Both are empty for a request that
	// succeeded. Neither ever holds a secret, a password or a token.
	Error  string
	Reason string
}

// With returns a context carrying info.
func With(ctx context.Context, info *Info) context.Context {
	return context.WithValue(ctx, key{}, info)
}

// From returns the Info of ctx, or nil.
func From(ctx context.Context) *Info {
	info, _ := ctx.Value(key{}).(*Info)
	return info
}

// SetClientID records the client the request authenticated as, if the
// context carries an Info.
func SetClientID(ctx context.Context, id string) {
	if info := From(ctx); info != nil {
		info.ClientID = id
	}
}

// SetSource records the resolved source address, if the context carries an
// Info.
func SetSource(ctx context.Context, ip string) {
	if info := From(ctx); info != nil {
		info.Source = ip
	}
}

// maxReason bounds the reason kept for the access log.
const maxReason = 160

// SetError records the error code and the reason a request was refused,
// if the context carries an Info. The reason is cut to a short length; it
// must never hold a secret, a password or a token.
func SetError(ctx context.Context, code, reason string) {
	if info := From(ctx); info != nil {
		if len(reason) > maxReason {
			reason = reason[:maxReason]
		}
		info.Error, info.Reason = code, reason
	}
}
