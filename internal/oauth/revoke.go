package oauth

import (
	"context"
	"errors"
	"net/http"

	"github.com/latchkey/latchkey/internal/events"
	"github.com/latchkey/latchkey/internal/oautherr"
	"github.com/latchkey/latchkey/internal/policy"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/token"
)

// Revoke serves POST {issuer}/v1/revoke (RFC 7009). Once the client is
// authenticated and token is present, the answer is 200 with an empty body
// whatever the token is (section 2.2: unknown, invalid, already revoked or
// another client's), so that the answer tells nothing about it. A client
// revokes only its own tokens: a refresh token revokes its whole family and
// the access tokens recorded for it; an access token is recorded revoked
// until it expires. ID tokens cannot be revoked.
func (l *Lifecycle) Revoke(w http.ResponseWriter, r *http.Request) {
	srv, ok := ResolveServer(w, r, l.Server.Policy, l.Server.Logger)
	if !ok {
		return
	}
	if err := l.revoke(r, srv); err != nil {
		l.Server.logError(r.Context(), err)
		oautherr.Write(w, err)
		return
	}
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	h.Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
}

func (l *Lifecycle) revoke(r *http.Request, srv policy.Server) error {
	q, err := l.parse(r, srv)
	if err != nil {
		return err
	}
	ctx := r.Context()
	lookups := []func(context.Context, *lifecycleRequest) (bool, error){l.revokeAccess, l.revokeRefresh}
	if q.refreshFirst() {
		lookups[0], lookups[1] = lookups[1], lookups[0]
	}
	for _, lookup := range lookups {
		if found, err := lookup(ctx, q); err != nil || found {
			return err
		}
	}
	return nil
}

// revokeRefresh revokes the family of the client's refresh token, whatever
// state the token is in (a rotated token the client wants gone may be one
// that leaked). found is false when no refresh token has that value.
func (l *Lifecycle) revokeRefresh(ctx context.Context, q *lifecycleRequest) (bool, error) {
	rt, found, err := l.refreshToken(ctx, q.token)
	if err != nil || !found {
		return false, err
	}
	if rt.ClientID != q.client.ID || rt.AuthServerID != q.server.ID {
		return true, nil
	}
	if err := l.Server.Store.RevokeFamily(ctx, rt.FamilyID, l.Server.now()); err != nil {
		return true, errorf("oauth: revoke refresh token family: %w", err)
	}
	if rt.RevokedAt.IsZero() && l.Server.Events != nil {
		// Revoked now, not before: the family goes with the token.
		p := party(q.server, q.client, l.Server.userOf(ctx, rt.UserID))
		l.Server.record(ctx, q.r, events.TokenRevoked(p, events.RefreshToken, rt.ID))
		l.Server.record(ctx, q.r, events.FamilyRevoked(p, rt.FamilyID, events.ReasonRevoked))
	}
	return true, nil
}

// revokeAccess records the client's unexpired access token as revoked,
// keeping the family of an existing record. found is false when the value
// is not a valid JWT of this server.
func (l *Lifecycle) revokeAccess(ctx context.Context, q *lifecycleRequest) (bool, error) {
	c, err := l.Verifier.Verify(ctx, q.server.ID, q.server.Issuer, q.token)
	if errors.Is(err, token.ErrInvalid) {
		return false, nil
	}
	if err != nil {
		return false, errorf("oauth: revoke: %w", err)
	}
	if !c.IsAccess() || c.ClientID != q.client.ID {
		return true, nil
	}
	rec, err := l.Server.Store.GetTokenRecord(ctx, c.JTI)
	switch {
	case errors.Is(err, store.ErrNotFound):
		rec = store.TokenRecord{JTI: c.JTI, ClientID: c.ClientID}
	case err != nil:
		return true, errorf("oauth: find token record: %w", err)
	case !rec.RevokedAt.IsZero():
		return true, nil
	}
	rec.ExpiresAt = c.ExpiresAt
	rec.RevokedAt = l.Server.now()
	if err := l.Server.Store.RecordToken(ctx, rec); err != nil {
		return true, errorf("oauth: record revoked token: %w", err)
	}
	if l.Server.Events != nil {
		var user *store.User
		if c.UserID != "" {
			user = l.Server.userOf(ctx, c.UserID)
		}
		l.Server.record(ctx, q.r, events.TokenRevoked(party(q.server, q.client, user), events.AccessToken, c.JTI))
	}
	return true, nil
}
