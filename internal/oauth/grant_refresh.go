package oauth

import (
	"context"
	"errors"
	"slices"

	"github.com/latchkey/latchkey/internal/events"
	"github.com/latchkey/latchkey/internal/oautherr"
	"github.com/latchkey/latchkey/internal/policy"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/token"
)

var errBadRefresh = oautherr.ErrInvalidGrant.WithDescription("The refresh token is invalid or expired.")

// errReuse aborts a UseRefreshToken transaction when a rotated token is
// replayed after the leeway; the family is revoked after it.
var errReuse = errors.New("oauth: rotated refresh token reused")

// refreshGrant implements the refresh token grant (RFC 6749 section 6) with
// Okta's rotation (CONTRACT section 4): a ROTATE client gets a new refresh
// token on each use, the family's absolute expiry kept. A family has one
// current refresh token at any moment. A rotated token used again within
// the client's leeway, while its successor is still unused, is a retry (a
// client that lost the answer): it is served, and its new successor
// replaces the earlier one, which is revoked with the access token that
// went out with it. Used again after the leeway (any time with a leeway of
// 0), the whole family is revoked with the access tokens issued from it.
func (s *Server) refreshGrant(ctx context.Context, req *tokenRequest) (*tokenResponse, error) {
	if err := requireParams(req.form, "refresh_token"); err != nil {
		return nil, err
	}
	value := req.form.Get("refresh_token")
	req.form.Del("refresh_token")
	id := token.RefreshID(value)
	now := s.now().UTC()

	rt, err := s.Store.GetRefreshToken(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errBadRefresh.WithDebug("unknown refresh token")
	}
	if err != nil {
		return nil, errorf("oauth: get refresh token: %w", err)
	}
	// A token of another client or server is treated as unknown: revoking
	// its family here would let anyone holding a leaked token cut it off.
	if rt.ClientID != req.client.ID || rt.AuthServerID != req.server.ID {
		return nil, errBadRefresh.WithDebug("refresh token of another client or server")
	}

	// Scopes deleted from the server since the token was issued are no
	// longer granted.
	offered, err := s.Policy.Scopes(ctx, req.server)
	if err != nil {
		return nil, errorf("oauth: scopes: %w", err)
	}
	known := policy.NewScopeSet(policy.ScopeNames(offered))
	var scopes []string
	for _, sc := range rt.Scopes {
		if known.Has(sc) {
			scopes = append(scopes, sc)
		}
	}
	if raw := req.form.Get("scope"); raw != "" {
		narrowed, err := policy.ParseScope(raw)
		if err != nil {
			return nil, err
		}
		original := policy.NewScopeSet(scopes)
		for _, sc := range narrowed {
			if !original.Has(sc) {
				return nil, oautherr.ErrInvalidScope.WithDescription("The requested scopes must be a subset of the scopes originally granted.")
			}
		}
		scopes = narrowed
	}
	if len(scopes) == 0 {
		return nil, oautherr.ErrInvalidScope.WithDescription("No scopes were requested.")
	}
	if !slices.Contains(scopes, policy.ScopeOpenID) && slices.ContainsFunc(scopes, policy.IsOIDCScope) {
		return nil, oautherr.ErrInvalidScope.WithDescription("Requests for ID tokens or access tokens with OpenID scopes require the 'openid' scope.")
	}

	user, err := s.Store.GetUser(ctx, rt.UserID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !user.HoldsTokenIssuedAt(rt.AuthTime)) {
		return nil, errBadRefresh.WithDebug("user gone or not active, or the family predates the user's token watermark")
	}
	if err != nil {
		return nil, errorf("oauth: get user: %w", err)
	}
	// The policy is evaluated again: a user removed from the client or a
	// rule withdrawn stops refreshing. Refresh tokens come from the password
	// grant, so the rule must still allow it.
	d, err := s.Policy.Decide(ctx, policy.Request{Server: req.server, Client: req.client, User: &user, Grant: policy.GrantPassword, Scopes: scopes})
	if err != nil {
		return nil, err
	}

	// A refresh token goes back only when offline_access is still granted;
	// a narrower request leaves the family as it is.
	keep := slices.Contains(scopes, policy.ScopeOfflineAccess)
	rotate := keep && req.client.RefreshRotation != store.RotationStatic
	var newValue, newID string
	var successor *store.RefreshToken
	if rotate {
		newValue, newID = token.NewRefreshValue()
		successor = &store.RefreshToken{ID: newID, FamilyID: rt.FamilyID, AuthServerID: rt.AuthServerID, ClientID: rt.ClientID,
			UserID: rt.UserID, Scopes: rt.Scopes, AuthTime: rt.AuthTime, IssuedAt: now, ExpiresAt: rt.ExpiresAt,
			IdleWindow: d.Lifetimes.RefreshWindow, AMR: rt.AMR}
	}
	d.Scopes = scopes
	// The family's amr is kept: a login with a second factor stays one
	// (a rule that requires MFA since applies at the next password login).
	in := issuance{user: &user, decision: d, authTime: rt.AuthTime, amr: rt.AMR}
	// The access token is minted first so that the use records it in its
	// own transaction: a later retry that replaces the successor it went
	// out with revokes it, and so does a family revocation running at the
	// same time, whichever commits first.
	issued, err := s.mint(ctx, req, in)
	if err != nil {
		return nil, err
	}
	rec := accessRecord(req, issued)
	retried := false
	_, err = s.Store.UseRefreshToken(ctx, id, func(cur store.RefreshToken, next *store.RefreshToken) (store.RefreshUse, error) {
		retried = false // the store may run the closure again
		if !cur.RevokedAt.IsZero() {
			return store.RefreshUse{}, errBadRefresh.WithDebug("revoked")
		}
		// A rotated token presented again is reuse even when its own idle
		// window has passed: someone else holds a copy.
		if !cur.RotatedAt.IsZero() {
			leeway := req.client.RefreshLeeway
			if leeway <= 0 || now.Sub(cur.RotatedAt) > leeway {
				return store.RefreshUse{}, errReuse
			}
			// Inside the leeway. Once the successor has been rotated the
			// answer was not lost: refused, but not punished.
			if next == nil || !next.RotatedAt.IsZero() || !next.RevokedAt.IsZero() {
				return store.RefreshUse{}, errBadRefresh.WithDebug("retry after the successor was used")
			}
			// A retry: the new successor replaces the earlier one.
			retried = true
			cur.LastUsedAt = now
			return store.RefreshUse{Token: cur, Successor: successor, Access: &rec}, nil
		}
		if token.RefreshExpired(cur, now) {
			return store.RefreshUse{}, errBadRefresh.WithDebug("expired")
		}
		cur.LastUsedAt = now
		if successor != nil {
			cur.RotatedAt, cur.ReplacedBy = now, successor.ID
		}
		return store.RefreshUse{Token: cur, Successor: successor, Access: &rec}, nil
	})
	if errors.Is(err, errReuse) {
		if rerr := s.Store.RevokeFamily(ctx, rt.FamilyID, now); rerr != nil {
			return nil, errorf("oauth: revoke reused family: %w", rerr)
		}
		s.Logger.WarnContext(ctx, "refresh token reuse detected; family revoked", "client_id", req.client.ID, "user_id", rt.UserID)
		p := party(req.server, req.client, &user)
		s.record(ctx, req.r, events.ReuseDetected(p, id, rt.FamilyID))
		s.record(ctx, req.r, events.FamilyRevoked(p, rt.FamilyID, events.ReasonReuseDetected))
		return nil, errBadRefresh.WithDebug("reuse after leeway")
	}
	if errors.Is(err, store.ErrNotFound) {
		// Deleted since it was read (its family or user removed, or
		// housekeeping): the same answer as a token never seen.
		return nil, errBadRefresh.WithDebug("gone before its use")
	}
	if err != nil {
		return nil, err
	}
	switch {
	case rotate:
		in.refresh, in.refreshID = newValue, successor.ID
	case keep && !retried:
		// STATIC: the same token again. A rotated token (the client was
		// ROTATE before) is never handed back as if it were current.
		in.refresh = value
	}
	s.recordGrant(ctx, req, in, issued)
	return answer(in, issued), nil
}
