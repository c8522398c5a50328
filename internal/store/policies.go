package store

import (
	"context"
	"time"
)

// Scope is a scope an authorization server offers.
type Scope struct {
	AuthServerID string
	Name         string // unique per server
	Description  string
	// Default scopes are granted when a request omits scope.
	Default bool
	// MetadataPublish is "ALL_CLIENTS" (listed in discovery) or "NO_CLIENTS".
	MetadataPublish string
	// System scopes (openid, profile, …) cannot be deleted.
	System    bool
	CreatedAt time.Time
}

// Claim types and value types (Okta's names).
const (
	ClaimResource   = "RESOURCE" // into access tokens
	ClaimIdentity   = "IDENTITY" // into ID tokens
	ClaimExpression = "EXPRESSION"
	ClaimGroups     = "GROUPS"
)

// Claim is a custom claim of an authorization server.
type Claim struct {
	ID           string // "ocl…"
	AuthServerID string
	Name         string
	ClaimType    string // ClaimResource or ClaimIdentity
	ValueType    string // ClaimExpression or ClaimGroups
	// Value is an expression (user.email, user.login, user.firstName,
	// user.lastName, user.id, app.clientId, or a quoted string) for
	// EXPRESSION claims, and the group filter for GROUPS claims.
	Value string
	// GroupFilterType is STARTS_WITH, EQUALS, CONTAINS or REGEX (GROUPS claims).
	GroupFilterType string
	// Scopes that make the claim appear; empty means any scope.
	Scopes []string
	// AlwaysIncludeInToken puts an identity claim into every ID token, not
	// only into userinfo.
	AlwaysIncludeInToken bool
	Status               string // StatusActive or StatusInactive
	CreatedAt            time.Time
	UpdatedAt            time.Time
}

// AllClients in Policy.ClientIDs makes a policy apply to every client.
const AllClients = "ALL_CLIENTS"

// Everyone in PolicyRule.GroupIDs makes a rule apply to every user.
const Everyone = "EVERYONE"

// Policy is an access policy of an authorization server: which clients it
// governs. The first ACTIVE policy (by priority) whose clients match decides.
type Policy struct {
	ID           string // "00p…"
	AuthServerID string
	Name         string
	Description  string
	Priority     int // 1 is evaluated first
	Status       string
	ClientIDs    []string // client ids, or [AllClients]
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// PolicyRule is one ordered rule of a policy: the first ACTIVE rule (by
// priority) that matches the grant type, the user and the scopes decides the
// token lifetimes.
type PolicyRule struct {
	ID           string // "0pr…"
	PolicyID     string
	AuthServerID string
	Name         string
	Priority     int
	Status       string
	GrantTypes   []string
	// Scopes the rule allows; ["*"] allows every scope of the server.
	Scopes []string
	// UserIDs and GroupIDs the rule applies to; GroupIDs may hold Everyone.
	// Both empty means everyone. Client credentials requests have no user
	// and match rules whose GroupIDs hold Everyone or are empty.
	UserIDs  []string
	GroupIDs []string
	// AccessTokenLifetime is 5 minutes to 1 day.
	AccessTokenLifetime time.Duration
	// RefreshTokenLifetime is the absolute lifetime of a refresh token
	// family; 0 means unlimited.
	RefreshTokenLifetime time.Duration
	// RefreshTokenWindow is the idle window: a refresh token unused for
	// longer expires.
	RefreshTokenWindow time.Duration
	// RequireMFA makes a password login the rule matches answer
	// mfa_required: tokens come only after a second factor (the MFA
	// grant). It applies at the next password login, never to tokens
	// already issued or refreshed.
	RequireMFA bool
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Policies stores scopes, claims, policies and rules, per authorization
// server. Put* create or replace by key (every field, CreatedAt included);
// the keys are (AuthServerID, Name) for scopes, (AuthServerID, ID) for
// claims and policies, (PolicyID, ID) for rules. List* return records in a
// stable order (scopes by name; claims by name then id; policies and rules
// by priority then id), none for an unknown server or policy. Delete* of a
// missing record is ErrNotFound.
type Policies interface {
	PutScope(ctx context.Context, s Scope) error
	ListScopes(ctx context.Context, authServerID string) ([]Scope, error)
	// DeleteScope refuses a System scope with ErrConflict.
	DeleteScope(ctx context.Context, authServerID, name string) error

	PutClaim(ctx context.Context, c Claim) error
	ListClaims(ctx context.Context, authServerID string) ([]Claim, error)
	DeleteClaim(ctx context.Context, authServerID, id string) error

	// PutPolicy leaves the policy's rules as they are.
	PutPolicy(ctx context.Context, p Policy) error
	ListPolicies(ctx context.Context, authServerID string) ([]Policy, error)
	// DeletePolicy removes the policy and its rules.
	DeletePolicy(ctx context.Context, authServerID, id string) error

	// PutRule is ErrNotFound unless r.AuthServerID has the policy
	// r.PolicyID. Rules are listed by policy id alone, so policy ids must be
	// unique across servers, as random "00p…" ids are.
	PutRule(ctx context.Context, r PolicyRule) error
	ListRules(ctx context.Context, policyID string) ([]PolicyRule, error)
	DeleteRule(ctx context.Context, policyID, id string) error
}
