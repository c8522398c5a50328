package oauth

import (
	"context"

	"github.com/latchkey/latchkey/internal/oautherr"
	"github.com/latchkey/latchkey/internal/policy"
)

// clientCredentialsGrant implements the client credentials grant (RFC 6749
// section 4.4) on custom authorization servers: custom scopes only; the
// access token's sub and cid are the client id, with no uid, no ID token and
// no refresh token.
func (s *Server) clientCredentialsGrant(ctx context.Context, req *tokenRequest) (*tokenResponse, error) {
	if req.client.TokenEndpointAuthMethod == AuthNone {
		return nil, oautherr.ErrUnauthorizedClient.WithDescription("Public clients cannot use the client credentials grant.")
	}
	requested, err := policy.ParseScope(req.form.Get("scope"))
	if err != nil {
		return nil, err
	}
	scopes, err := s.Policy.ResolveScopes(ctx, req.server, req.grant, requested)
	if err != nil {
		return nil, err
	}
	d, err := s.Policy.Decide(ctx, policy.Request{Server: req.server, Client: req.client, Grant: req.grant, Scopes: scopes})
	if err != nil {
		return nil, err
	}
	return s.issue(ctx, req, issuance{decision: d, authTime: s.now()})
}
