package provision

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/policy"
	"github.com/latchkey/latchkey/internal/store"
)

// APITokenWindow is how long an API token stays valid after its creation
// or last use (Okta's default token window).
const APITokenWindow = 30 * 24 * time.Hour

// APITokenLength is the length of an API token's value: "00" then 40
// random alphanumerics (about 238 bits), shaped like Okta's.
const APITokenLength = 42

// CreateAPIToken creates a management API token named name and returns it
// with its value, which is shown this once: only its keyed hash is stored.
func (s *Service) CreateAPIToken(ctx context.Context, name, clientName string) (store.APIToken, string, error) {
	name = strings.TrimSpace(name)
	if err := checkText("name", name, true); err != nil {
		return store.APIToken{}, "", err
	}
	value := "00" + ids.Alnum(APITokenLength-2)
	now := s.now()
	t := store.APIToken{ID: ids.New(ids.APIToken), Name: name, TokenHash: s.Secrets.Hash(value), ClientName: clientName,
		CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(APITokenWindow)}
	if err := s.Store.CreateAPIToken(ctx, t); err != nil {
		return store.APIToken{}, "", fmt.Errorf("provision: create API token: %w", err)
	}
	return t, value, nil
}

// RevokeAPIToken deletes an API token; store.ErrNotFound if it is missing.
func (s *Service) RevokeAPIToken(ctx context.Context, id string) error {
	if err := s.Store.DeleteAPIToken(ctx, id); err != nil {
		return fmt.Errorf("provision: revoke API token %s: %w", id, err)
	}
	return nil
}

// GrantInput grants okta.* scopes to a client for the org authorization
// server.
type GrantInput struct {
	ClientID string
	Scopes   []string
	// Issuer is the org authorization server's issuer (the base URL); a
	// grant names it as Okta's do.
	Issuer string
}

// GrantClientScopes grants each scope to the client (a scope already
// granted is left as it is) and returns the client's grants afterwards.
// The client must be a service client that may use the org server's
// client credentials grant: client_credentials among its grant types and
// private_key_jwt its authentication method.
func (s *Service) GrantClientScopes(ctx context.Context, in GrantInput) ([]store.ClientGrant, error) {
	if len(in.Scopes) == 0 {
		return nil, invalid("no scopes to grant")
	}
	for _, sc := range in.Scopes {
		if !policy.IsOktaScope(sc) {
			return nil, invalid("%q is not an okta.* scope Latchkey grants (%s)", sc, strings.Join(policy.OktaScopes, ", "))
		}
	}
	c, err := s.Store.GetClient(ctx, in.ClientID)
	if err != nil {
		return nil, fmt.Errorf("provision: client %s: %w", in.ClientID, err)
	}
	if !slices.Contains(c.GrantTypes, policy.GrantClientCredentials) || c.TokenEndpointAuthMethod != "private_key_jwt" {
		return nil, invalid("okta.* scopes are granted to service clients that use client_credentials with private_key_jwt; client %s has grant types [%s] and method %s",
			c.ID, strings.Join(c.GrantTypes, ", "), c.TokenEndpointAuthMethod)
	}
	now := s.now()
	for _, sc := range in.Scopes {
		g := store.ClientGrant{ID: ids.New(ids.Grant), ClientID: c.ID, ScopeID: sc, Issuer: in.Issuer, Source: "ADMIN", CreatedAt: now, UpdatedAt: now}
		if err := s.Store.CreateClientGrant(ctx, g); err != nil && !errors.Is(err, store.ErrConflict) {
			return nil, fmt.Errorf("provision: grant %s to %s: %w", sc, c.ID, err)
		}
	}
	return s.Store.ListClientGrants(ctx, c.ID)
}
