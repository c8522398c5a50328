package provision

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/policy"
	"github.com/latchkey/latchkey/internal/store"
)

// ErrAmbiguous means a name matches more than one record; the message
// lists their ids.
var ErrAmbiguous = errors.New("ambiguous")

// ResolveAuthServer finds a custom authorization server by id or, failing
// that, by name (exact, then case-insensitive). Names are not unique (as in
// Okta): a name that several servers share is ErrAmbiguous, with their
// ids. The org server is never found here.
func (s *Service) ResolveAuthServer(ctx context.Context, ref string) (store.AuthServer, error) {
	if ref == "" || ref == store.OrgServerID {
		return store.AuthServer{}, fmt.Errorf("authorization server %q: %w", ref, store.ErrNotFound)
	}
	a, err := s.Store.GetAuthServer(ctx, ref)
	if err == nil || !errors.Is(err, store.ErrNotFound) {
		return a, err
	}
	all, err := s.Store.ListAuthServers(ctx)
	if err != nil {
		return store.AuthServer{}, err
	}
	for _, match := range []func(store.AuthServer) bool{
		func(a store.AuthServer) bool { return a.Name == ref },
		func(a store.AuthServer) bool { return strings.EqualFold(a.Name, ref) },
	} {
		var found []store.AuthServer
		for _, a := range all {
			if a.ID != store.OrgServerID && match(a) {
				found = append(found, a)
			}
		}
		switch len(found) {
		case 0:
			continue
		case 1:
			return found[0], nil
		}
		idList := make([]string, len(found))
		for i, a := range found {
			idList[i] = a.ID
		}
		return store.AuthServer{}, fmt.Errorf("%w: %d authorization servers are named %q (%s): use an id", ErrAmbiguous, len(found), ref, strings.Join(idList, ", "))
	}
	return store.AuthServer{}, fmt.Errorf("authorization server %q: %w", ref, store.ErrNotFound)
}

// CustomAuthServer loads a custom authorization server by id, whatever its
// status; the org server is ErrNotFound.
func (s *Service) CustomAuthServer(ctx context.Context, id string) (store.AuthServer, error) {
	if id == store.OrgServerID {
		return store.AuthServer{}, fmt.Errorf("authorization server %q: %w", id, store.ErrNotFound)
	}
	a, err := s.Store.GetAuthServer(ctx, id)
	if err != nil {
		return store.AuthServer{}, fmt.Errorf("authorization server %q: %w", id, err)
	}
	return a, nil
}

// UpdateAuthServer replaces a custom server's name, description, audience
// and key rotation mode, and its signing algorithm when in names one. Its
// status, keys and id stay. A new signing algorithm takes effect through
// the keys (keys.Manager.ApplySigningAlg): a NEXT key of the new algorithm
// is published at once and signs from the next rotation, while the ACTIVE
// key keeps signing with its own, so no issued token stops verifying.
func (s *Service) UpdateAuthServer(ctx context.Context, id string, in AuthServerInput) (store.AuthServer, error) {
	mode, err := checkAuthServer(in)
	if err != nil {
		return store.AuthServer{}, err
	}
	if _, err := s.CustomAuthServer(ctx, id); err != nil {
		return store.AuthServer{}, err
	}
	a, err := s.Store.UpdateAuthServer(ctx, id, func(a store.AuthServer) (store.AuthServer, error) {
		a.Name, a.Description, a.Audience, a.KeyRotationMode = strings.TrimSpace(in.Name), in.Description, in.Audience, mode
		if in.SigningAlg != "" {
			a.SigningAlg = in.SigningAlg
		}
		a.UpdatedAt = s.now()
		return a, nil
	})
	if err != nil {
		return store.AuthServer{}, err
	}
	if _, err := s.Keys.ApplySigningAlg(ctx, a); err != nil {
		return a, fmt.Errorf("provision: keys of %s: %w", a.ID, err)
	}
	return a, nil
}

// SetAuthServerStatus activates (ACTIVE) or deactivates (INACTIVE) a custom
// server. An INACTIVE server issues nothing and its endpoints, discovery
// included, answer as for an unknown server; the tokens it issued stop
// verifying at its introspection endpoint. Setting the status a server
// already has changes nothing.
func (s *Service) SetAuthServerStatus(ctx context.Context, id, status string) (store.AuthServer, error) {
	if status != store.StatusActive && status != store.StatusInactive {
		return store.AuthServer{}, invalid("status must be ACTIVE or INACTIVE")
	}
	if _, err := s.CustomAuthServer(ctx, id); err != nil {
		return store.AuthServer{}, err
	}
	return s.Store.UpdateAuthServer(ctx, id, func(a store.AuthServer) (store.AuthServer, error) {
		if a.Status != status {
			a.Status, a.UpdatedAt = status, s.now()
		}
		return a, nil
	})
}

// ErrActive refuses to delete what must be deactivated first.
var ErrActive = errors.New("active")

// DeleteAuthServer deletes a custom server with its scopes, claims,
// policies, rules and keys. As in Okta, the server must be INACTIVE first,
// and the default server cannot be deleted.
func (s *Service) DeleteAuthServer(ctx context.Context, id string) error {
	a, err := s.CustomAuthServer(ctx, id)
	if err != nil {
		return err
	}
	if a.ID == DefaultServerID {
		return invalid("the default authorization server cannot be deleted (deactivate it instead)")
	}
	if a.Status != store.StatusInactive {
		return fmt.Errorf("%w: authorization server %s is ACTIVE: deactivate it before deleting it", ErrActive, a.ID)
	}
	if err := s.Store.DeleteAuthServer(ctx, id); err != nil {
		return fmt.Errorf("provision: delete authorization server %s: %w", id, err)
	}
	return nil
}

// Scopes returns the scopes of a custom server whatever its status: the
// system scopes, then the custom ones by name.
func (s *Service) Scopes(ctx context.Context, serverID string) ([]store.Scope, error) {
	a, err := s.CustomAuthServer(ctx, serverID)
	if err != nil {
		return nil, err
	}
	return (&policy.Engine{Store: s.Store}).Scopes(ctx, policy.Server{AuthServer: a})
}

// ScopeByID finds a scope of a custom server by its id (ids.ScopeID).
func (s *Service) ScopeByID(ctx context.Context, serverID, scopeID string) (store.Scope, error) {
	all, err := s.Scopes(ctx, serverID)
	if err != nil {
		return store.Scope{}, err
	}
	for _, sc := range all {
		if ids.ScopeID(serverID, sc.Name) == scopeID {
			return sc, nil
		}
	}
	return store.Scope{}, fmt.Errorf("scope %q of %s: %w", scopeID, serverID, store.ErrNotFound)
}

// CreateScope stores a new custom scope; a name the server already has
// (system scopes included) is ErrConflict.
func (s *Service) CreateScope(ctx context.Context, in ScopeInput) (store.Scope, error) {
	all, err := s.Scopes(ctx, in.AuthServerID)
	if err != nil {
		return store.Scope{}, err
	}
	if slices.ContainsFunc(all, func(sc store.Scope) bool { return sc.Name == in.Name }) {
		return store.Scope{}, fmt.Errorf("%w: a scope named %q already exists", store.ErrConflict, in.Name)
	}
	return s.PutScope(ctx, in)
}

// UpdateScope replaces the description, default and publication of the
// scope scopeID. A scope's name is its key: a different name is refused.
func (s *Service) UpdateScope(ctx context.Context, scopeID string, in ScopeInput) (store.Scope, error) {
	old, err := s.ScopeByID(ctx, in.AuthServerID, scopeID)
	if err != nil {
		return store.Scope{}, err
	}
	if old.System {
		return store.Scope{}, invalid("system scope %q cannot be changed", old.Name)
	}
	if in.Name != old.Name {
		return store.Scope{}, invalid("a scope cannot be renamed (from %q to %q): create a new scope and delete this one", old.Name, in.Name)
	}
	sc, err := s.PutScope(ctx, in)
	if err != nil {
		return store.Scope{}, err
	}
	sc.CreatedAt = old.CreatedAt
	if err := s.Store.PutScope(ctx, sc); err != nil {
		return store.Scope{}, fmt.Errorf("provision: put scope: %w", err)
	}
	return sc, nil
}

// DeleteScope deletes a custom scope by name; system scopes cannot be
// deleted.
func (s *Service) DeleteScope(ctx context.Context, serverID, name string) error {
	if _, err := s.customServer(ctx, serverID); err != nil {
		return err
	}
	if slices.Contains(policy.SystemScopes, name) {
		return invalid("system scope %q cannot be deleted", name)
	}
	if err := s.Store.DeleteScope(ctx, serverID, name); err != nil {
		return fmt.Errorf("scope %q of %s: %w", name, serverID, err)
	}
	return nil
}

// Claim finds a custom claim of a server by id.
func (s *Service) Claim(ctx context.Context, serverID, id string) (store.Claim, error) {
	if _, err := s.CustomAuthServer(ctx, serverID); err != nil {
		return store.Claim{}, err
	}
	all, err := s.Store.ListClaims(ctx, serverID)
	if err != nil {
		return store.Claim{}, err
	}
	for _, c := range all {
		if c.ID == id {
			return c, nil
		}
	}
	return store.Claim{}, fmt.Errorf("claim %q of %s: %w", id, serverID, store.ErrNotFound)
}

// UpdateClaim replaces the claim in.ID, which must exist.
func (s *Service) UpdateClaim(ctx context.Context, in ClaimInput) (store.Claim, error) {
	if _, err := s.Claim(ctx, in.AuthServerID, in.ID); err != nil {
		return store.Claim{}, err
	}
	return s.PutClaim(ctx, in)
}

// DeleteClaim deletes a custom claim.
func (s *Service) DeleteClaim(ctx context.Context, serverID, id string) error {
	if _, err := s.customServer(ctx, serverID); err != nil {
		return err
	}
	if err := s.Store.DeleteClaim(ctx, serverID, id); err != nil {
		return fmt.Errorf("claim %q of %s: %w", id, serverID, err)
	}
	return nil
}

// Policy finds an access policy of a server by id.
func (s *Service) Policy(ctx context.Context, serverID, id string) (store.Policy, error) {
	if _, err := s.CustomAuthServer(ctx, serverID); err != nil {
		return store.Policy{}, err
	}
	all, err := s.Store.ListPolicies(ctx, serverID)
	if err != nil {
		return store.Policy{}, err
	}
	for _, p := range all {
		if p.ID == id {
			return p, nil
		}
	}
	return store.Policy{}, fmt.Errorf("policy %q of %s: %w", id, serverID, store.ErrNotFound)
}

// UpdatePolicy replaces the name, description, clients and (when given)
// priority of the policy in.ID; its status and rules stay.
func (s *Service) UpdatePolicy(ctx context.Context, in PolicyInput) (store.Policy, error) {
	old, err := s.Policy(ctx, in.AuthServerID, in.ID)
	if err != nil {
		return store.Policy{}, err
	}
	clients, err := s.checkPolicy(ctx, in)
	if err != nil {
		return store.Policy{}, err
	}
	p := old
	p.Name, p.Description, p.ClientIDs, p.UpdatedAt = in.Name, in.Description, clients, s.now()
	if in.Priority > 0 {
		p.Priority = in.Priority
	}
	if err := s.Store.PutPolicy(ctx, p); err != nil {
		return store.Policy{}, fmt.Errorf("provision: put policy: %w", err)
	}
	return p, nil
}

// SetPolicyStatus activates or deactivates a policy: an INACTIVE policy
// decides nothing, its rules included.
func (s *Service) SetPolicyStatus(ctx context.Context, serverID, id, status string) (store.Policy, error) {
	if status != store.StatusActive && status != store.StatusInactive {
		return store.Policy{}, invalid("status must be ACTIVE or INACTIVE")
	}
	p, err := s.Policy(ctx, serverID, id)
	if err != nil || p.Status == status {
		return p, err
	}
	p.Status, p.UpdatedAt = status, s.now()
	if err := s.Store.PutPolicy(ctx, p); err != nil {
		return store.Policy{}, fmt.Errorf("provision: put policy: %w", err)
	}
	return p, nil
}

// DeletePolicy deletes a policy and its rules.
func (s *Service) DeletePolicy(ctx context.Context, serverID, id string) error {
	if _, err := s.customServer(ctx, serverID); err != nil {
		return err
	}
	if err := s.Store.DeletePolicy(ctx, serverID, id); err != nil {
		return fmt.Errorf("policy %q of %s: %w", id, serverID, err)
	}
	return nil
}

// Rules lists the rules of a policy of a server.
func (s *Service) Rules(ctx context.Context, serverID, policyID string) ([]store.PolicyRule, error) {
	if _, err := s.Policy(ctx, serverID, policyID); err != nil {
		return nil, err
	}
	return s.Store.ListRules(ctx, policyID)
}

// Rule finds a rule of a policy of a server by id.
func (s *Service) Rule(ctx context.Context, serverID, policyID, id string) (store.PolicyRule, error) {
	all, err := s.Rules(ctx, serverID, policyID)
	if err != nil {
		return store.PolicyRule{}, err
	}
	for _, r := range all {
		if r.ID == id {
			return r, nil
		}
	}
	return store.PolicyRule{}, fmt.Errorf("rule %q of policy %s: %w", id, policyID, store.ErrNotFound)
}

// UpdateRule replaces the rule in.ID (conditions, lifetimes and, when
// given, priority); its status stays.
func (s *Service) UpdateRule(ctx context.Context, in RuleInput) (store.PolicyRule, error) {
	old, err := s.Rule(ctx, in.AuthServerID, in.PolicyID, in.ID)
	if err != nil {
		return store.PolicyRule{}, err
	}
	if err := s.checkRule(ctx, &in); err != nil {
		return store.PolicyRule{}, err
	}
	prio := old.Priority
	if in.Priority > 0 {
		prio = in.Priority
	}
	r := ruleRecord(in, prio)
	r.Status, r.CreatedAt, r.UpdatedAt = old.Status, old.CreatedAt, s.now()
	if err := s.Store.PutRule(ctx, r); err != nil {
		return store.PolicyRule{}, fmt.Errorf("provision: put rule: %w", err)
	}
	return r, nil
}

// SetRuleStatus activates or deactivates a rule: an INACTIVE rule matches
// nothing.
func (s *Service) SetRuleStatus(ctx context.Context, serverID, policyID, id, status string) (store.PolicyRule, error) {
	if status != store.StatusActive && status != store.StatusInactive {
		return store.PolicyRule{}, invalid("status must be ACTIVE or INACTIVE")
	}
	r, err := s.Rule(ctx, serverID, policyID, id)
	if err != nil || r.Status == status {
		return r, err
	}
	r.Status, r.UpdatedAt = status, s.now()
	if err := s.Store.PutRule(ctx, r); err != nil {
		return store.PolicyRule{}, fmt.Errorf("provision: put rule: %w", err)
	}
	return r, nil
}

// DeleteRule deletes a rule of a policy of a server.
func (s *Service) DeleteRule(ctx context.Context, serverID, policyID, id string) error {
	if _, err := s.Policy(ctx, serverID, policyID); err != nil {
		return err
	}
	if err := s.Store.DeleteRule(ctx, policyID, id); err != nil {
		return fmt.Errorf("rule %q of policy %s: %w", id, policyID, err)
	}
	return nil
}
