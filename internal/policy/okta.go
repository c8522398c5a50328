package policy

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/latchkey/latchkey/internal/oautherr"
	"github.com/latchkey/latchkey/internal/store"
)

// OktaScopes are the scopes of Okta's management API that the org
// authorization server grants (OAuth for Okta): a service client granted
// them (ClientGrants) gets an org access token with them through the
// client credentials grant, and calls /api/v1 with it. Each resource has a
// read scope and a manage scope that includes it.
var OktaScopes = []string{
	"okta.users.read", "okta.users.manage",
	"okta.groups.read", "okta.groups.manage",
	"okta.apps.read", "okta.apps.manage",
	"okta.authorizationServers.read", "okta.authorizationServers.manage",
	"okta.logs.read",
	"okta.apiTokens.read", "okta.apiTokens.manage",
}

// IsOktaScope reports whether s is one of OktaScopes.
func IsOktaScope(s string) bool { return slices.Contains(OktaScopes, s) }

// errOrgNeedsPrivateKey is Okta's answer to a client credentials request
// at the org server from a client that does not sign its assertion.
var errOrgNeedsPrivateKey = oautherr.ErrInvalidClient.
	WithDescription("Client Credentials requests to the Org Authorization Server must use the private_key_jwt token_endpoint_auth_method.")

// orgScopes checks the scopes of a request to the org server: okta.*
// scopes only with the client credentials grant, and only those.
func orgScopes(grant string, requested []string) error {
	for _, s := range requested {
		if IsOktaScope(s) != (grant == GrantClientCredentials) {
			if grant == GrantClientCredentials {
				return oautherr.ErrInvalidScope.WithDescription("Client Credentials requests to the Org Authorization Server may only request okta.* scopes.")
			}
			return oautherr.ErrInvalidScope.WithDescription("The okta.* scopes are granted to service clients through the client credentials grant only.")
		}
	}
	return nil
}

// decideOrgClientCredentials lets a client credentials request at the org
// server through when the client authenticated with private_key_jwt and
// every requested scope is granted to it.
func (e *Engine) decideOrgClientCredentials(ctx context.Context, req Request) error {
	if req.Client.TokenEndpointAuthMethod != "private_key_jwt" {
		return errOrgNeedsPrivateKey
	}
	grants, err := e.Store.ListClientGrants(ctx, req.Client.ID)
	if err != nil {
		return fmt.Errorf("policy: grants of %s: %w", req.Client.ID, err)
	}
	granted := make(ScopeSet, len(grants))
	for _, g := range grants {
		granted[g.ScopeID] = struct{}{}
	}
	var missing []string
	for _, s := range req.Scopes {
		if !granted.Has(s) {
			missing = append(missing, s)
		}
	}
	if len(missing) > 0 {
		return oautherr.ErrInvalidScope.WithDescription("The following scopes are not granted to the client: %s", strings.Join(missing, " "))
	}
	return nil
}

// orgScopeRecords are the okta.* scopes as the org server offers them.
func orgScopeRecords() []store.Scope {
	out := make([]store.Scope, len(OktaScopes))
	for i, s := range OktaScopes {
		out[i] = store.Scope{AuthServerID: store.OrgServerID, Name: s, System: true, MetadataPublish: "ALL_CLIENTS"}
	}
	return out
}
