package provision

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/policy"
	"github.com/latchkey/latchkey/internal/store"
)

// DefaultRefreshLeeway is a client's default refresh token reuse leeway.
const DefaultRefreshLeeway = 30 * time.Second

func applyRefreshSettings(c *store.Client, rotation string, leeway *time.Duration) error {
	switch rotation {
	case "":
	case store.RotationRotate, store.RotationStatic:
		c.RefreshRotation = rotation
	default:
		return invalid("refresh token rotation must be ROTATE or STATIC, not %q", rotation)
	}
	if leeway != nil {
		if *leeway < 0 || *leeway > time.Minute {
			return invalid("refresh token leeway must be 0 to 60 seconds, not %v", *leeway)
		}
		c.RefreshLeeway = *leeway
	}
	return nil
}

// EnsureDefaults creates what every deployment has: the built-in Everyone
// group, the org authorization server's record and keys, and the "default"
// custom authorization server (audience api://default) with its keys and,
// when it is first created, Okta's default access policy.
func (s *Service) EnsureDefaults(ctx context.Context) error {
	if _, err := s.EnsureEveryone(ctx); err != nil {
		return err
	}
	now := s.now()
	err := s.Store.CreateAuthServer(ctx, store.AuthServer{ID: store.OrgServerID, Name: "org", Description: "Org Authorization Server",
		Status: store.StatusActive, KeyRotationMode: store.RotationAuto, SigningAlg: store.AlgRS256, CreatedAt: now, UpdatedAt: now})
	if err != nil && !errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("provision: org authorization server: %w", err)
	}
	if err := s.Keys.Ensure(ctx, store.OrgServerID); err != nil {
		return fmt.Errorf("provision: org server key: %w", err)
	}
	err = s.Store.CreateAuthServer(ctx, store.AuthServer{ID: DefaultServerID, Name: "default",
		Description: "Default Authorization Server", Audience: "api://default", Status: store.StatusActive,
		KeyRotationMode: store.RotationAuto, SigningAlg: store.AlgRS256, CreatedAt: now, UpdatedAt: now})
	created := err == nil
	if err != nil && !errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("provision: default authorization server: %w", err)
	}
	if err := s.Keys.Ensure(ctx, DefaultServerID); err != nil {
		return fmt.Errorf("provision: default server key: %w", err)
	}
	if created {
		if err := s.createDefaultPolicy(ctx, DefaultServerID); err != nil {
			return err
		}
	}
	return nil
}

// createDefaultPolicy adds Okta's "Default Policy" (all clients) with its
// "Default Policy Rule" (every grant type, everyone, every scope, access
// tokens 1 hour, refresh tokens unlimited with a 7-day idle window).
func (s *Service) createDefaultPolicy(ctx context.Context, serverID string) error {
	p, err := s.CreatePolicy(ctx, PolicyInput{AuthServerID: serverID, Name: "Default Policy",
		Description: "Default policy for the authorization server", ClientIDs: []string{store.AllClients}})
	if err != nil {
		return err
	}
	_, err = s.CreateRule(ctx, RuleInput{AuthServerID: serverID, PolicyID: p.ID, Name: "Default Policy Rule",
		GrantTypes: slices.Clone(policy.SupportedGrants), Scopes: []string{"*"}, GroupIDs: []string{store.Everyone}})
	return err
}

// EnsureEveryone returns the built-in Everyone group, creating it if needed.
func (s *Service) EnsureEveryone(ctx context.Context) (store.Group, error) {
	g, err := s.Store.GetGroupByName(ctx, store.EveryoneGroupName)
	if err == nil {
		return g, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return store.Group{}, fmt.Errorf("provision: everyone group: %w", err)
	}
	now := s.now()
	g = store.Group{ID: ids.New(ids.Group), Name: store.EveryoneGroupName, Description: "All users in your organization",
		Type: store.GroupBuiltIn, CreatedAt: now, UpdatedAt: now, MembershipUpdatedAt: now}
	if err := s.Store.CreateGroup(ctx, g); err != nil {
		if errors.Is(err, store.ErrConflict) {
			// Another instance created it first.
			return s.Store.GetGroupByName(ctx, store.EveryoneGroupName)
		}
		return store.Group{}, fmt.Errorf("provision: everyone group: %w", err)
	}
	return g, nil
}

func checkText(name, v string, required bool) error {
	if required && strings.TrimSpace(v) == "" {
		return invalid("%s is required", name)
	}
	if utf8.RuneCountInString(v) > MaxProfileLength || !utf8.ValidString(v) || strings.ContainsAny(v, "\x00\r\n") {
		return invalid("%s must be valid text of at most %d characters", name, MaxProfileLength)
	}
	return nil
}

// AuthServerInput describes a new custom authorization server.
type AuthServerInput struct {
	Name        string
	Description string
	Audience    string // e.g. "api://billing" or "https://api.example.com"
	// KeyRotationMode is AUTO (default) or MANUAL.
	KeyRotationMode string
	// SigningAlg is RS256, ES256 or EdDSA: RS256 when empty on create,
	// unchanged when empty on update.
	SigningAlg string
}

// CreateAuthServer stores a new custom authorization server ("aus…") and
// its keys. Like Okta, it has no access policy until one is added.
func (s *Service) CreateAuthServer(ctx context.Context, in AuthServerInput) (store.AuthServer, error) {
	mode, err := checkAuthServer(in)
	if err != nil {
		return store.AuthServer{}, err
	}
	now := s.now()
	alg := in.SigningAlg
	if alg == "" {
		alg = store.AlgRS256
	}
	a := store.AuthServer{ID: ids.New(ids.AuthServer), Name: strings.TrimSpace(in.Name), Description: in.Description, Audience: in.Audience,
		Status: store.StatusActive, KeyRotationMode: mode, SigningAlg: alg, CreatedAt: now, UpdatedAt: now}
	if err := s.Store.CreateAuthServer(ctx, a); err != nil {
		return store.AuthServer{}, fmt.Errorf("provision: create authorization server: %w", err)
	}
	if err := s.Keys.Ensure(ctx, a.ID); err != nil {
		return store.AuthServer{}, fmt.Errorf("provision: keys of %s: %w", a.ID, err)
	}
	return a, nil
}

// checkAuthServer validates a server's settings and returns its key
// rotation mode (AUTO when unset).
func checkAuthServer(in AuthServerInput) (string, error) {
	if err := checkText("name", in.Name, true); err != nil {
		return "", err
	}
	if err := checkText("description", in.Description, false); err != nil {
		return "", err
	}
	if u, err := url.Parse(in.Audience); err != nil || in.Audience == "" || len(in.Audience) > 512 || u.Scheme == "" {
		return "", invalid("audience %q must be a URI such as api://billing", in.Audience)
	}
	mode := in.KeyRotationMode
	if mode == "" {
		mode = store.RotationAuto
	}
	if mode != store.RotationAuto && mode != store.RotationManual {
		return "", invalid("key rotation mode must be AUTO or MANUAL")
	}
	if in.SigningAlg != "" && !slices.Contains(store.SigningAlgs, in.SigningAlg) {
		return "", invalid("signing algorithm %q must be RS256, ES256 or EdDSA", in.SigningAlg)
	}
	return mode, nil
}

// customServer loads a custom authorization server (not the org server).
func (s *Service) customServer(ctx context.Context, id string) (store.AuthServer, error) {
	if id == store.OrgServerID {
		return store.AuthServer{}, invalid("the org authorization server has no custom scopes, claims or policies")
	}
	a, err := s.Store.GetAuthServer(ctx, id)
	if err != nil {
		return store.AuthServer{}, fmt.Errorf("authorization server %q: %w", id, err)
	}
	return a, nil
}

var scopeName = regexp.MustCompile(`^[\x21\x23-\x5B\x5D-\x7E]{1,100}$`) // RFC 6749 section 3.3 scope-token

// ScopeInput describes a custom scope.
type ScopeInput struct {
	AuthServerID string
	Name         string
	Description  string
	Default      bool
	// Publish lists the scope in discovery (metadataPublish ALL_CLIENTS).
	Publish bool
}

// PutScope creates or replaces a custom scope.
func (s *Service) PutScope(ctx context.Context, in ScopeInput) (store.Scope, error) {
	if _, err := s.customServer(ctx, in.AuthServerID); err != nil {
		return store.Scope{}, err
	}
	if !scopeName.MatchString(in.Name) {
		return store.Scope{}, invalid("scope name %q is not a valid scope token", in.Name)
	}
	if slices.Contains(policy.SystemScopes, in.Name) {
		return store.Scope{}, invalid("%q is a system scope", in.Name)
	}
	if err := checkText("description", in.Description, false); err != nil {
		return store.Scope{}, err
	}
	publish := "NO_CLIENTS"
	if in.Publish {
		publish = "ALL_CLIENTS"
	}
	sc := store.Scope{AuthServerID: in.AuthServerID, Name: in.Name, Description: in.Description, Default: in.Default,
		MetadataPublish: publish, CreatedAt: s.now()}
	if err := s.Store.PutScope(ctx, sc); err != nil {
		return store.Scope{}, fmt.Errorf("provision: put scope: %w", err)
	}
	return sc, nil
}

// ClaimInput describes a custom claim.
type ClaimInput struct {
	AuthServerID         string
	ID                   string // empty: a new claim
	Name                 string
	ClaimType            string // RESOURCE or IDENTITY
	ValueType            string // EXPRESSION (default) or GROUPS
	Value                string
	GroupFilterType      string
	Scopes               []string
	AlwaysIncludeInToken bool
	Status               string // ACTIVE (default) or INACTIVE
}

// PutClaim validates and stores a custom claim.
func (s *Service) PutClaim(ctx context.Context, in ClaimInput) (store.Claim, error) {
	if _, err := s.customServer(ctx, in.AuthServerID); err != nil {
		return store.Claim{}, err
	}
	if in.ValueType == "" {
		in.ValueType = store.ClaimExpression
	}
	switch in.Status {
	case "":
		in.Status = store.StatusActive
	case store.StatusActive, store.StatusInactive:
	default:
		return store.Claim{}, invalid("status must be ACTIVE or INACTIVE")
	}
	existing, err := s.Store.ListClaims(ctx, in.AuthServerID)
	if err != nil {
		return store.Claim{}, err
	}
	now := s.now()
	created := now
	for _, c := range existing {
		switch {
		case c.ID == in.ID:
			created = c.CreatedAt // a replaced claim keeps its creation time
		case c.Name == in.Name && c.ClaimType == in.ClaimType:
			return store.Claim{}, fmt.Errorf("%w: a %s claim named %q already exists (%s)", store.ErrConflict, in.ClaimType, in.Name, c.ID)
		}
	}
	if in.ID == "" {
		in.ID = ids.New(ids.Claim)
	}
	c := store.Claim{ID: in.ID, AuthServerID: in.AuthServerID, Name: in.Name, ClaimType: in.ClaimType, ValueType: in.ValueType,
		Value: in.Value, GroupFilterType: in.GroupFilterType, Scopes: in.Scopes, AlwaysIncludeInToken: in.AlwaysIncludeInToken,
		Status: in.Status, CreatedAt: created, UpdatedAt: now}
	if in.ClaimType == store.ClaimResource {
		c.AlwaysIncludeInToken = true
	}
	if err := policy.ValidateClaim(c); err != nil {
		return store.Claim{}, invalid("%v", err)
	}
	if err := s.Store.PutClaim(ctx, c); err != nil {
		return store.Claim{}, fmt.Errorf("provision: put claim: %w", err)
	}
	return c, nil
}

// PolicyInput describes an access policy.
type PolicyInput struct {
	AuthServerID string
	ID           string // empty: a new policy
	Name         string
	Description  string
	Priority     int      // 0: after the existing ones
	ClientIDs    []string // client ids or ALL_CLIENTS; empty means ALL_CLIENTS
}

// CreatePolicy validates and stores an access policy.
func (s *Service) CreatePolicy(ctx context.Context, in PolicyInput) (store.Policy, error) {
	if _, err := s.customServer(ctx, in.AuthServerID); err != nil {
		return store.Policy{}, err
	}
	clients, err := s.checkPolicy(ctx, in)
	if err != nil {
		return store.Policy{}, err
	}
	prio := in.Priority
	if prio <= 0 {
		existing, err := s.Store.ListPolicies(ctx, in.AuthServerID)
		if err != nil {
			return store.Policy{}, err
		}
		for _, p := range existing {
			prio = max(prio, p.Priority)
		}
		prio++
	}
	if in.ID == "" {
		in.ID = ids.New(ids.Policy)
	}
	now := s.now()
	p := store.Policy{ID: in.ID, AuthServerID: in.AuthServerID, Name: in.Name, Description: in.Description, Priority: prio,
		Status: store.StatusActive, ClientIDs: clients, CreatedAt: now, UpdatedAt: now}
	if err := s.Store.PutPolicy(ctx, p); err != nil {
		return store.Policy{}, fmt.Errorf("provision: put policy: %w", err)
	}
	return p, nil
}

// checkPolicy validates a policy and returns its clients (ALL_CLIENTS when
// none are given).
func (s *Service) checkPolicy(ctx context.Context, in PolicyInput) ([]string, error) {
	if err := checkText("name", in.Name, true); err != nil {
		return nil, err
	}
	if err := checkText("description", in.Description, false); err != nil {
		return nil, err
	}
	clients := in.ClientIDs
	if len(clients) == 0 {
		clients = []string{store.AllClients}
	}
	for _, c := range clients {
		if c == store.AllClients {
			continue
		}
		if _, err := s.Store.GetClient(ctx, c); err != nil {
			return nil, invalid("client %q: %v", c, err)
		}
	}
	return clients, nil
}

// RuleInput describes a policy rule.
type RuleInput struct {
	AuthServerID         string
	PolicyID             string
	ID                   string
	Name                 string
	Priority             int // 0: after the existing ones
	GrantTypes           []string
	Scopes               []string // "*" for all
	UserIDs              []string
	GroupIDs             []string // group ids or EVERYONE
	AccessTokenLifetime  time.Duration
	RefreshTokenLifetime time.Duration // 0: unlimited
	RefreshTokenWindow   time.Duration // 0: 7 days
	// RequireMFA asks a second factor of the password logins the rule
	// matches (see store.PolicyRule).
	RequireMFA bool
}

// CreateRule validates and stores a policy rule.
func (s *Service) CreateRule(ctx context.Context, in RuleInput) (store.PolicyRule, error) {
	if err := s.checkRule(ctx, &in); err != nil {
		return store.PolicyRule{}, err
	}
	prio := in.Priority
	if prio <= 0 {
		existing, err := s.Store.ListRules(ctx, in.PolicyID)
		if err != nil {
			return store.PolicyRule{}, err
		}
		for _, r := range existing {
			prio = max(prio, r.Priority)
		}
		prio++
	}
	if in.ID == "" {
		in.ID = ids.New(ids.Rule)
	}
	now := s.now()
	r := ruleRecord(in, prio)
	r.Status, r.CreatedAt, r.UpdatedAt = store.StatusActive, now, now
	if err := s.Store.PutRule(ctx, r); err != nil {
		return store.PolicyRule{}, fmt.Errorf("provision: put rule: %w", err)
	}
	return r, nil
}

func ruleRecord(in RuleInput, prio int) store.PolicyRule {
	return store.PolicyRule{ID: in.ID, PolicyID: in.PolicyID, AuthServerID: in.AuthServerID, Name: in.Name, Priority: prio,
		GrantTypes: in.GrantTypes, Scopes: in.Scopes, UserIDs: in.UserIDs, GroupIDs: in.GroupIDs,
		AccessTokenLifetime: in.AccessTokenLifetime, RefreshTokenLifetime: in.RefreshTokenLifetime, RefreshTokenWindow: in.RefreshTokenWindow,
		RequireMFA: in.RequireMFA}
}

// checkRule validates a rule, filling in the defaults.
func (s *Service) checkRule(ctx context.Context, in *RuleInput) error {
	srv, err := s.customServer(ctx, in.AuthServerID)
	if err != nil {
		return err
	}
	policies, err := s.Store.ListPolicies(ctx, in.AuthServerID)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(policies, func(p store.Policy) bool { return p.ID == in.PolicyID }) {
		return invalid("policy %q is not a policy of authorization server %q", in.PolicyID, in.AuthServerID)
	}
	if err := checkText("name", in.Name, true); err != nil {
		return err
	}
	if len(in.GrantTypes) == 0 {
		return invalid("a rule needs at least one grant type")
	}
	for _, g := range in.GrantTypes {
		if !slices.Contains(policy.SupportedGrants, g) {
			return invalid("grant type %q is not supported", g)
		}
	}
	if len(in.Scopes) == 0 {
		in.Scopes = []string{"*"}
	}
	if err := s.checkRuleScopes(ctx, srv, in.Scopes); err != nil {
		return err
	}
	for _, g := range in.GroupIDs {
		if g == store.Everyone {
			continue
		}
		if _, err := s.Store.GetGroup(ctx, g); err != nil {
			return invalid("group %q: %v", g, err)
		}
	}
	for _, u := range in.UserIDs {
		if _, err := s.Store.GetUser(ctx, u); err != nil {
			return invalid("user %q: %v", u, err)
		}
	}
	if in.AccessTokenLifetime == 0 {
		in.AccessTokenLifetime = time.Hour
	}
	if in.AccessTokenLifetime < 5*time.Minute || in.AccessTokenLifetime > 24*time.Hour {
		return invalid("access token lifetime must be 5 minutes to 1 day")
	}
	if in.RefreshTokenLifetime < 0 || (in.RefreshTokenLifetime > 0 && in.RefreshTokenLifetime < in.AccessTokenLifetime) {
		return invalid("refresh token lifetime must be unlimited (0) or at least the access token lifetime")
	}
	if in.RefreshTokenWindow == 0 {
		in.RefreshTokenWindow = policy.DefaultLifetimes.RefreshWindow
	}
	if in.RefreshTokenWindow < 10*time.Minute || in.RefreshTokenWindow > 5*365*24*time.Hour {
		return invalid("refresh token idle window must be 10 minutes to 5 years")
	}
	return nil
}

// checkRuleScopes refuses a rule scope the server does not have: such a
// rule would never match a request for it, silently. "*" stands for every
// scope of the server.
func (s *Service) checkRuleScopes(ctx context.Context, srv store.AuthServer, scopes []string) error {
	have := append([]string{"*"}, policy.SystemScopes...)
	custom, err := s.Store.ListScopes(ctx, srv.ID)
	if err != nil {
		return fmt.Errorf("provision: scopes of %s: %w", srv.ID, err)
	}
	for _, sc := range custom {
		if !slices.Contains(have, sc.Name) {
			have = append(have, sc.Name)
		}
	}
	for _, sc := range scopes {
		if !slices.Contains(have, sc) {
			return invalid("scope %q is not a scope of authorization server %q; its scopes are: %s (create it first: latchkey scopes create)",
				sc, srv.Name, strings.Join(have, ", "))
		}
	}
	return nil
}

// CreateGroup stores a new operator-managed group.
func (s *Service) CreateGroup(ctx context.Context, name, description string) (store.Group, error) {
	if err := checkText("name", name, true); err != nil {
		return store.Group{}, err
	}
	if err := checkText("description", description, false); err != nil {
		return store.Group{}, err
	}
	now := s.now()
	g := store.Group{ID: ids.New(ids.Group), Name: strings.TrimSpace(name), Description: description, Type: store.GroupOkta,
		CreatedAt: now, UpdatedAt: now, MembershipUpdatedAt: now}
	if err := s.Store.CreateGroup(ctx, g); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return store.Group{}, fmt.Errorf("%w: a group named %q already exists", store.ErrConflict, name)
		}
		return store.Group{}, fmt.Errorf("provision: create group: %w", err)
	}
	return g, nil
}
