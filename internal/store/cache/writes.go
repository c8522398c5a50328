package cache

import (
	"context"

	"github.com/latchkey/latchkey/internal/store"
)

// Every write of a cached kind goes to the inner store, then invalidates
// its kind here and everywhere (changed), even when it failed.

// CreateAuthServer implements store.Store.
func (s *Store) CreateAuthServer(ctx context.Context, a store.AuthServer) error {
	defer s.changed(ctx, KindAuthServers)
	return s.Store.CreateAuthServer(ctx, a)
}

// UpdateAuthServer implements store.Store.
func (s *Store) UpdateAuthServer(ctx context.Context, id string, fn func(store.AuthServer) (store.AuthServer, error)) (store.AuthServer, error) {
	defer s.changed(ctx, KindAuthServers)
	return s.Store.UpdateAuthServer(ctx, id, fn)
}

// DeleteAuthServer implements store.Store. Only the server's kind is
// published: the scopes, claims and policies it held may stay cached under
// its id until their TTL, but nothing reads them once the server is gone
// (the policy engine resolves the server first, and ids are never reused).
func (s *Store) DeleteAuthServer(ctx context.Context, id string) error {
	defer s.changed(ctx, KindAuthServers)
	return s.Store.DeleteAuthServer(ctx, id)
}

// CreateClient implements store.Store.
func (s *Store) CreateClient(ctx context.Context, c store.Client) error {
	defer s.changed(ctx, KindClients)
	return s.Store.CreateClient(ctx, c)
}

// UpdateClient implements store.Store.
func (s *Store) UpdateClient(ctx context.Context, id string, fn func(store.Client) (store.Client, error)) (store.Client, error) {
	defer s.changed(ctx, KindClients)
	return s.Store.UpdateClient(ctx, id, fn)
}

// PutScope implements store.Store.
func (s *Store) PutScope(ctx context.Context, sc store.Scope) error {
	defer s.changed(ctx, KindScopes)
	return s.Store.PutScope(ctx, sc)
}

// DeleteScope implements store.Store.
func (s *Store) DeleteScope(ctx context.Context, authServerID, name string) error {
	defer s.changed(ctx, KindScopes)
	return s.Store.DeleteScope(ctx, authServerID, name)
}

// PutClaim implements store.Store.
func (s *Store) PutClaim(ctx context.Context, c store.Claim) error {
	defer s.changed(ctx, KindClaims)
	return s.Store.PutClaim(ctx, c)
}

// DeleteClaim implements store.Store.
func (s *Store) DeleteClaim(ctx context.Context, authServerID, id string) error {
	defer s.changed(ctx, KindClaims)
	return s.Store.DeleteClaim(ctx, authServerID, id)
}

// PutPolicy implements store.Store.
func (s *Store) PutPolicy(ctx context.Context, p store.Policy) error {
	defer s.changed(ctx, KindPolicies)
	return s.Store.PutPolicy(ctx, p)
}

// DeletePolicy implements store.Store.
func (s *Store) DeletePolicy(ctx context.Context, authServerID, id string) error {
	defer s.changed(ctx, KindPolicies)
	return s.Store.DeletePolicy(ctx, authServerID, id)
}

// PutRule implements store.Store.
func (s *Store) PutRule(ctx context.Context, r store.PolicyRule) error {
	defer s.changed(ctx, KindPolicies)
	return s.Store.PutRule(ctx, r)
}

// DeleteRule implements store.Store.
func (s *Store) DeleteRule(ctx context.Context, policyID, id string) error {
	defer s.changed(ctx, KindPolicies)
	return s.Store.DeleteRule(ctx, policyID, id)
}

// CreateGroup implements store.Store.
func (s *Store) CreateGroup(ctx context.Context, g store.Group) error {
	defer s.changed(ctx, KindDirectory)
	return s.Store.CreateGroup(ctx, g)
}

// DeleteGroup implements store.Store.
func (s *Store) DeleteGroup(ctx context.Context, id string) error {
	defer s.changed(ctx, KindDirectory)
	return s.Store.DeleteGroup(ctx, id)
}

// AddGroupMember implements store.Store.
func (s *Store) AddGroupMember(ctx context.Context, groupID, userID string) error {
	defer s.changed(ctx, KindDirectory)
	return s.Store.AddGroupMember(ctx, groupID, userID)
}

// RemoveGroupMember implements store.Store.
func (s *Store) RemoveGroupMember(ctx context.Context, groupID, userID string) error {
	defer s.changed(ctx, KindDirectory)
	return s.Store.RemoveGroupMember(ctx, groupID, userID)
}

// AssignClient implements store.Store.
func (s *Store) AssignClient(ctx context.Context, clientID, principalID string) error {
	defer s.changed(ctx, KindDirectory)
	return s.Store.AssignClient(ctx, clientID, principalID)
}

// UnassignClient implements store.Store.
func (s *Store) UnassignClient(ctx context.Context, clientID, principalID string) error {
	defer s.changed(ctx, KindDirectory)
	return s.Store.UnassignClient(ctx, clientID, principalID)
}

// DeleteUser implements store.Store: the user's memberships and
// assignments go with it. The user record itself is never cached.
func (s *Store) DeleteUser(ctx context.Context, id string) error {
	defer s.changed(ctx, KindDirectory)
	return s.Store.DeleteUser(ctx, id)
}
