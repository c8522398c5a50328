package cache

import (
	"context"

	"github.com/latchkey/latchkey/internal/store"
)

// The reads of a token request that the cache serves. Keys are prefixed by
// the method when one kind's table holds several.

// GetAuthServer implements store.Store.
func (s *Store) GetAuthServer(ctx context.Context, id string) (store.AuthServer, error) {
	return cached(ctx, s, KindAuthServers, "id:"+id, same, func(ctx context.Context) (store.AuthServer, error) {
		return s.Store.GetAuthServer(ctx, id)
	})
}

// ListAuthServers implements store.Store.
func (s *Store) ListAuthServers(ctx context.Context) ([]store.AuthServer, error) {
	return cached(ctx, s, KindAuthServers, "all", cloneSlice(same[store.AuthServer]), s.Store.ListAuthServers)
}

// GetClient implements store.Store.
func (s *Store) GetClient(ctx context.Context, id string) (store.Client, error) {
	return cached(ctx, s, KindClients, id, cloneClient, func(ctx context.Context) (store.Client, error) {
		return s.Store.GetClient(ctx, id)
	})
}

// ListClientSecrets implements store.Store: client authentication reads
// them beside the client, and every write of them invalidates KindClients.
func (s *Store) ListClientSecrets(ctx context.Context, clientID string) ([]store.ClientSecret, error) {
	return cached(ctx, s, KindClients, "secrets:"+clientID, cloneSlice(cloneClientSecret), func(ctx context.Context) ([]store.ClientSecret, error) {
		return s.Store.ListClientSecrets(ctx, clientID)
	})
}

// ListScopes implements store.Store.
func (s *Store) ListScopes(ctx context.Context, authServerID string) ([]store.Scope, error) {
	return cached(ctx, s, KindScopes, authServerID, cloneSlice(same[store.Scope]), func(ctx context.Context) ([]store.Scope, error) {
		return s.Store.ListScopes(ctx, authServerID)
	})
}

// ListClaims implements store.Store.
func (s *Store) ListClaims(ctx context.Context, authServerID string) ([]store.Claim, error) {
	return cached(ctx, s, KindClaims, authServerID, cloneSlice(cloneClaim), func(ctx context.Context) ([]store.Claim, error) {
		return s.Store.ListClaims(ctx, authServerID)
	})
}

// ListPolicies implements store.Store.
func (s *Store) ListPolicies(ctx context.Context, authServerID string) ([]store.Policy, error) {
	return cached(ctx, s, KindPolicies, "server:"+authServerID, cloneSlice(clonePolicy), func(ctx context.Context) ([]store.Policy, error) {
		return s.Store.ListPolicies(ctx, authServerID)
	})
}

// ListRules implements store.Store.
func (s *Store) ListRules(ctx context.Context, policyID string) ([]store.PolicyRule, error) {
	return cached(ctx, s, KindPolicies, "rules:"+policyID, cloneSlice(cloneRule), func(ctx context.Context) ([]store.PolicyRule, error) {
		return s.Store.ListRules(ctx, policyID)
	})
}

// GetGroup implements store.Store.
func (s *Store) GetGroup(ctx context.Context, id string) (store.Group, error) {
	return cached(ctx, s, KindDirectory, "group:"+id, same, func(ctx context.Context) (store.Group, error) {
		return s.Store.GetGroup(ctx, id)
	})
}

// GetGroupByName implements store.Store. The key is the name as asked, so
// spellings that differ in case are cached apart, each exactly.
func (s *Store) GetGroupByName(ctx context.Context, name string) (store.Group, error) {
	return cached(ctx, s, KindDirectory, "name:"+name, same, func(ctx context.Context) (store.Group, error) {
		return s.Store.GetGroupByName(ctx, name)
	})
}

// ListUserGroups implements store.Store. A user's groups are cached beside
// the groups themselves: every write that could change them (a membership,
// a group deleted, the user deleted) invalidates KindDirectory.
func (s *Store) ListUserGroups(ctx context.Context, userID string) ([]store.Group, error) {
	return cached(ctx, s, KindDirectory, "user:"+userID, cloneSlice(same[store.Group]), func(ctx context.Context) ([]store.Group, error) {
		return s.Store.ListUserGroups(ctx, userID)
	})
}

// ListClientAssignments implements store.Store.
func (s *Store) ListClientAssignments(ctx context.Context, clientID string) ([]string, error) {
	return cached(ctx, s, KindDirectory, "assigned:"+clientID, cloneSlice(same[string]), func(ctx context.Context) ([]string, error) {
		return s.Store.ListClientAssignments(ctx, clientID)
	})
}
