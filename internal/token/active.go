package token

import (
	"time"

	"github.com/latchkey/latchkey/internal/store"
)

// RefreshActive is the one rule for whether a refresh token may be used at
// now, by the refresh grant, introspection and revocation alike: it belongs
// to the authorization server authServerID, is neither revoked nor rotated,
// and is not past RefreshDeadline.
//
// The refresh grant's reuse leeway (a rotated token retried within
// Client.RefreshLeeway is served) is a decision about a token that is not
// active; it is the grant's, not this function's.
func RefreshActive(rt store.RefreshToken, authServerID string, now time.Time) bool {
	return rt.ID != "" && rt.AuthServerID == authServerID && rt.RevokedAt.IsZero() && rt.RotatedAt.IsZero() &&
		!RefreshExpired(rt, now)
}

// RefreshExpired reports whether rt is past its absolute expiry or has
// been idle for longer than its idle window at now.
func RefreshExpired(rt store.RefreshToken, now time.Time) bool {
	d := RefreshDeadline(rt)
	return !d.IsZero() && !now.Before(d)
}

// RefreshDeadline is when rt stops being usable if nothing else happens to
// it: the earlier of its absolute expiry (ExpiresAt, zero for none) and the
// end of its idle window, counted from its last use or, before any use,
// from its issue. Zero means never.
func RefreshDeadline(rt store.RefreshToken) time.Time {
	deadline := rt.ExpiresAt
	if rt.IdleWindow > 0 {
		last := rt.IssuedAt
		if rt.LastUsedAt.After(last) {
			last = rt.LastUsedAt
		}
		if idle := last.Add(rt.IdleWindow); deadline.IsZero() || idle.Before(deadline) {
			deadline = idle
		}
	}
	return deadline
}
