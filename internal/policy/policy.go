package policy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/latchkey/latchkey/internal/oautherr"
	"github.com/latchkey/latchkey/internal/store"
)

// Grant types Latchkey implements.
const (
	GrantPassword          = "password"
	GrantRefreshToken      = "refresh_token"
	GrantClientCredentials = "client_credentials"
	// GrantMFAOTP completes a password login that answered mfa_required
	// with a one-time passcode (Okta's direct authentication);
	// GrantMFAOTPAuth0 is Auth0's name for it, accepted as an alias.
	GrantMFAOTP      = "urn:okta:params:oauth:grant-type:mfa-otp"
	GrantMFAOTPAuth0 = "http://auth0.com/oauth/grant-type/mfa-otp"
	// GrantMFARecoveryCode completes it with a recovery code (Auth0's
	// grant; Okta has no recovery codes on this flow).
	GrantMFARecoveryCode = "http://auth0.com/oauth/grant-type/mfa-recovery-code"
)

// SupportedGrants lists every grant type the token endpoint implements, in
// the order error messages list them.
var SupportedGrants = []string{GrantPassword, GrantRefreshToken, GrantClientCredentials, GrantMFAOTP, GrantMFAOTPAuth0, GrantMFARecoveryCode}

// Built-in scopes: the OIDC scopes (OIDC Core section 5.4) and
// offline_access, on every authorization server.
const (
	ScopeOpenID        = "openid"
	ScopeProfile       = "profile"
	ScopeEmail         = "email"
	ScopeOfflineAccess = "offline_access"
)

// SystemScopes are the scopes every authorization server has.
var SystemScopes = []string{ScopeOpenID, ScopeProfile, ScopeEmail, ScopeOfflineAccess}

// IsOIDCScope reports whether s is one of the OIDC claim scopes that
// require openid (profile, email).
func IsOIDCScope(s string) bool { return s == ScopeProfile || s == ScopeEmail }

// Lifetimes are token lifetimes.
type Lifetimes struct {
	Access time.Duration
	ID     time.Duration
	// Refresh is a refresh token family's absolute lifetime; 0 is unlimited.
	Refresh time.Duration
	// RefreshWindow is the idle window of a refresh token.
	RefreshWindow time.Duration
}

// DefaultLifetimes are Okta's defaults: access and ID tokens 60 minutes,
// refresh tokens unlimited with a 7-day idle window.
var DefaultLifetimes = Lifetimes{Access: time.Hour, ID: time.Hour, RefreshWindow: 7 * 24 * time.Hour}

// Engine evaluates requests against the stored authorization servers.
type Engine struct {
	Store store.Store
	// BaseURL is the public base URL, no trailing slash.
	BaseURL string
	// Lifetimes are the defaults: the ID token lifetime, and everything on
	// the org server.
	Lifetimes Lifetimes
}

// Server is an authorization server with its public URLs.
type Server struct {
	store.AuthServer
	Issuer       string // {base}/oauth2/{id}, or {base} for the org server
	EndpointBase string // {base}/oauth2/{id}/v1, or {base}/oauth2/v1
	Org          bool
}

// ErrUnknownServer means the path names no active authorization server.
var ErrUnknownServer = errors.New("policy: unknown authorization server")

// Server resolves an authorization server; the empty id is the org server.
func (e *Engine) Server(ctx context.Context, id string) (Server, error) {
	if id == store.OrgServerID {
		// The org server's record is internal; it is reached only at
		// {base}/oauth2/v1/….
		return Server{}, fmt.Errorf("%w: %q", ErrUnknownServer, id)
	}
	org := id == ""
	if org {
		id = store.OrgServerID
	}
	a, err := e.Store.GetAuthServer(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && a.Status != store.StatusActive) {
		return Server{}, fmt.Errorf("%w: %q", ErrUnknownServer, id)
	}
	if err != nil {
		return Server{}, err
	}
	if org {
		a.Audience = e.BaseURL
		return Server{AuthServer: a, Issuer: e.BaseURL, EndpointBase: e.BaseURL + "/oauth2/v1", Org: true}, nil
	}
	iss := e.BaseURL + "/oauth2/" + a.ID
	return Server{AuthServer: a, Issuer: iss, EndpointBase: iss + "/v1"}, nil
}

// Grants returns the grant types the server supports.
func (e *Engine) Grants(srv Server) []string {
	if srv.Org {
		// Client credentials at the org server is OAuth for Okta: okta.*
		// scopes for the management API (okta.go).
		return []string{GrantPassword, GrantRefreshToken, GrantClientCredentials}
	}
	return SupportedGrants
}

// Scopes returns the scopes the server offers: the system scopes, then the
// custom ones by name.
func (e *Engine) Scopes(ctx context.Context, srv Server) ([]store.Scope, error) {
	out := make([]store.Scope, 0, len(SystemScopes))
	for _, s := range SystemScopes {
		out = append(out, store.Scope{AuthServerID: srv.ID, Name: s, System: true, MetadataPublish: "ALL_CLIENTS"})
	}
	if srv.Org {
		return append(out, orgScopeRecords()...), nil
	}
	custom, err := e.Store.ListScopes(ctx, srv.ID)
	if err != nil {
		return nil, fmt.Errorf("policy: scopes of %s: %w", srv.ID, err)
	}
	for _, s := range custom {
		if !slices.Contains(SystemScopes, s.Name) {
			out = append(out, s)
		}
	}
	return out, nil
}

// PublishedScopes are the scope names discovery lists.
func (e *Engine) PublishedScopes(ctx context.Context, srv Server) ([]string, error) {
	all, err := e.Scopes(ctx, srv)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, s := range all {
		if s.MetadataPublish != "NO_CLIENTS" {
			out = append(out, s.Name)
		}
	}
	return out, nil
}

// Bounds of a scope parameter. A real request names a handful of scopes;
// these keep the parse, and every lookup made with its result, small
// whatever a caller sends (the form itself is capped at 64 KiB).
const (
	// MaxScopes is the most distinct scopes one request may name.
	MaxScopes = 100
	// MaxScopeLength is the longest scope name a request may send, in bytes.
	MaxScopeLength = 256
)

var (
	errTooManyScopes = oautherr.ErrInvalidScope.WithDescription("The request may name at most %d scopes.", MaxScopes)
	errScopeTooLong  = oautherr.ErrInvalidScope.WithDescription("A scope may be at most %d characters long.", MaxScopeLength)
)

// ParseScope splits a scope parameter (RFC 6749 section 3.3) into distinct
// scopes in request order, in time linear in its length. It refuses with
// invalid_scope a scope longer than MaxScopeLength or more than MaxScopes
// distinct scopes; repeated scopes count once.
func ParseScope(raw string) ([]string, error) {
	var out []string
	seen := map[string]struct{}{}
	for s := range strings.SplitSeq(raw, " ") {
		if s == "" {
			continue
		}
		if len(s) > MaxScopeLength {
			return nil, errScopeTooLong.WithDebug("scope of %d bytes", len(s))
		}
		if _, dup := seen[s]; dup {
			continue
		}
		if len(out) == MaxScopes {
			return nil, errTooManyScopes
		}
		seen[s] = struct{}{}
		out = append(out, s)
	}
	return out, nil
}

// ScopeSet is a set of scope names, for lookups that stay linear in the
// number of scopes.
type ScopeSet map[string]struct{}

// NewScopeSet returns the set of names.
func NewScopeSet(names []string) ScopeSet {
	set := make(ScopeSet, len(names))
	for _, n := range names {
		set[n] = struct{}{}
	}
	return set
}

// Has reports whether name is in the set.
func (s ScopeSet) Has(name string) bool {
	_, ok := s[name]
	return ok
}

// ScopeNames are the names of scopes, in order.
func ScopeNames(scopes []store.Scope) []string {
	out := make([]string, len(scopes))
	for i, s := range scopes {
		out[i] = s.Name
	}
	return out
}

// ResolveScopes validates the requested scopes of a grant before any
// credential is checked, in Okta's order, and returns the scopes to decide
// on: the server's default scopes when none were requested.
func (e *Engine) ResolveScopes(ctx context.Context, srv Server, grant string, requested []string) ([]string, error) {
	offered, err := e.Scopes(ctx, srv)
	if err != nil {
		return nil, err
	}
	if len(requested) == 0 {
		for _, s := range offered {
			if s.Default {
				requested = append(requested, s.Name)
			}
		}
		if len(requested) == 0 {
			return nil, oautherr.ErrInvalidScope.WithDescription("No scopes were requested.")
		}
	}
	known := NewScopeSet(ScopeNames(offered))
	for _, s := range requested {
		if !known.Has(s) {
			return nil, oautherr.ErrInvalidScope.WithDescription("One or more scopes are not configured for the authorization server resource.").
				WithDebug("unknown scope %q", truncate(s, 64))
		}
	}
	if srv.Org {
		if err := orgScopes(grant, requested); err != nil {
			return nil, err
		}
	}
	if grant == GrantClientCredentials {
		for _, s := range requested {
			if s == ScopeOpenID || s == ScopeOfflineAccess || IsOIDCScope(s) {
				return nil, oautherr.ErrInvalidScope.WithDescription("Client Credentials requests cannot contain OpenID scopes.")
			}
		}
		return requested, nil
	}
	// The password grant is the seed's OpenID flow: its scope must include
	// openid (CONTRACT section 2); elsewhere profile and email need it.
	if !slices.Contains(requested, ScopeOpenID) && (grant == GrantPassword || slices.ContainsFunc(requested, IsOIDCScope)) {
		return nil, oautherr.ErrInvalidScope.WithDescription("Requests for ID tokens or access tokens with OpenID scopes require the 'openid' scope.")
	}
	return requested, nil
}

// Request is what the token endpoint asks the engine to decide.
type Request struct {
	Server Server
	Client store.Client
	User   *store.User // nil for client credentials
	Grant  string
	Scopes []string // resolved with ResolveScopes
}

// Decision is what the engine grants.
type Decision struct {
	Scopes    []string
	Lifetimes Lifetimes
	PolicyID  string // empty on the org server
	RuleID    string
	// RequireMFA: the rule asks a second factor of password logins.
	RequireMFA bool
	// AccessClaims and IDClaims are the custom claims for the tokens.
	AccessClaims map[string]any
	IDClaims     map[string]any
}

var (
	errNoPolicy = oautherr.ErrAccessDenied.WithStatus(401).
			WithDescription("Policy evaluation failed for this request, please check the policy configurations.")
	errNotAssigned = oautherr.ErrAccessDenied.WithDescription("User is not assigned to the client application.")
)

// Decide evaluates assignment, access policy and claims for a request whose
// scopes were resolved and whose credentials are valid.
func (e *Engine) Decide(ctx context.Context, req Request) (Decision, error) {
	var groups []store.Group
	if req.User != nil {
		var err error
		if groups, err = e.userGroups(ctx, req.User.ID); err != nil {
			return Decision{}, err
		}
		ok, err := e.assigned(ctx, req.Client.ID, req.User.ID, groups)
		if err != nil {
			return Decision{}, err
		}
		if !ok {
			return Decision{}, errNotAssigned
		}
	}
	lt := e.defaults()
	d := Decision{Scopes: slices.Clone(req.Scopes), Lifetimes: lt}
	if req.Server.Org {
		if req.Grant == GrantClientCredentials {
			if err := e.decideOrgClientCredentials(ctx, req); err != nil {
				return Decision{}, err
			}
		}
		return d, nil
	}
	rule, err := e.matchRule(ctx, req, groups)
	if err != nil {
		return Decision{}, err
	}
	d.PolicyID, d.RuleID, d.RequireMFA = rule.PolicyID, rule.ID, rule.RequireMFA
	if rule.AccessTokenLifetime > 0 {
		d.Lifetimes.Access = rule.AccessTokenLifetime
	}
	d.Lifetimes.Refresh = rule.RefreshTokenLifetime
	if rule.RefreshTokenWindow > 0 {
		d.Lifetimes.RefreshWindow = rule.RefreshTokenWindow
	}
	claims, err := e.Store.ListClaims(ctx, req.Server.ID)
	if err != nil {
		return Decision{}, fmt.Errorf("policy: claims of %s: %w", req.Server.ID, err)
	}
	d.AccessClaims = evalClaims(claims, store.ClaimResource, false, req.User, groups, req.Client.ID, d.Scopes)
	d.IDClaims = evalClaims(claims, store.ClaimIdentity, true, req.User, groups, req.Client.ID, d.Scopes)
	return d, nil
}

// IdentityClaims are the custom identity claims of a user for userinfo:
// every ACTIVE identity claim its scopes allow, whether or not it is always
// included in ID tokens.
func (e *Engine) IdentityClaims(ctx context.Context, srv Server, user store.User, clientID string, scopes []string) (map[string]any, error) {
	if srv.Org {
		return nil, nil
	}
	groups, err := e.userGroups(ctx, user.ID)
	if err != nil {
		return nil, err
	}
	claims, err := e.Store.ListClaims(ctx, srv.ID)
	if err != nil {
		return nil, err
	}
	return evalClaims(claims, store.ClaimIdentity, false, &user, groups, clientID, scopes), nil
}

func (e *Engine) defaults() Lifetimes {
	lt := e.Lifetimes
	if lt.Access == 0 {
		lt.Access = DefaultLifetimes.Access
	}
	if lt.ID == 0 {
		lt.ID = DefaultLifetimes.ID
	}
	if lt.RefreshWindow == 0 {
		lt.RefreshWindow = DefaultLifetimes.RefreshWindow
	}
	return lt
}

// matchRule finds the deciding rule: the first active policy whose clients
// match, then its first active rule matching grant type, people and scopes.
func (e *Engine) matchRule(ctx context.Context, req Request, groups []store.Group) (store.PolicyRule, error) {
	policies, err := e.Store.ListPolicies(ctx, req.Server.ID)
	if err != nil {
		return store.PolicyRule{}, fmt.Errorf("policy: policies of %s: %w", req.Server.ID, err)
	}
	sort.SliceStable(policies, func(i, j int) bool { return policies[i].Priority < policies[j].Priority })
	for _, p := range policies {
		if p.Status != store.StatusActive || !(slices.Contains(p.ClientIDs, store.AllClients) || slices.Contains(p.ClientIDs, req.Client.ID)) {
			continue
		}
		rules, err := e.Store.ListRules(ctx, p.ID)
		if err != nil {
			return store.PolicyRule{}, fmt.Errorf("policy: rules of %s: %w", p.ID, err)
		}
		sort.SliceStable(rules, func(i, j int) bool { return rules[i].Priority < rules[j].Priority })
		var denied []string
		for _, r := range rules {
			if r.Status != store.StatusActive || !slices.Contains(r.GrantTypes, req.Grant) || !peopleMatch(r, req.User, groups) {
				continue
			}
			missing := scopesNotAllowed(r.Scopes, req.Scopes)
			if len(missing) == 0 {
				return r, nil
			}
			if denied == nil {
				denied = missing
			}
		}
		if denied != nil {
			return store.PolicyRule{}, oautherr.ErrAccessDenied.
				WithDescription("Some of the requested scopes were denied by the policy. Denied scopes: [%s]", strings.Join(denied, ", "))
		}
		// The first policy whose clients match decides, even with no rule.
		return store.PolicyRule{}, errNoPolicy.WithDebug("no policy rule: no rule of policy %s matches", p.ID)
	}
	return store.PolicyRule{}, errNoPolicy.WithDebug("no policy rule: no policy matches client %s", req.Client.ID)
}

// peopleMatch: client credentials requests (no user) match rules open to
// everyone; users match by id, by group, or rules open to everyone.
func peopleMatch(r store.PolicyRule, u *store.User, groups []store.Group) bool {
	everyone := (len(r.UserIDs) == 0 && len(r.GroupIDs) == 0) || slices.Contains(r.GroupIDs, store.Everyone)
	if everyone {
		return true
	}
	if u == nil {
		return false
	}
	if slices.Contains(r.UserIDs, u.ID) {
		return true
	}
	for _, g := range groups {
		if slices.Contains(r.GroupIDs, g.ID) {
			return true
		}
	}
	return false
}

func scopesNotAllowed(allowed, requested []string) []string {
	if slices.Contains(allowed, "*") {
		return nil
	}
	set := NewScopeSet(allowed)
	var out []string
	for _, s := range requested {
		if !set.Has(s) {
			out = append(out, s)
		}
	}
	return out
}

// userGroups returns the groups of a user, the built-in Everyone group first.
func (e *Engine) userGroups(ctx context.Context, userID string) ([]store.Group, error) {
	var out []store.Group
	every, err := e.Store.GetGroupByName(ctx, store.EveryoneGroupName)
	if err == nil && every.Type == store.GroupBuiltIn {
		out = append(out, every)
	} else if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("policy: everyone group: %w", err)
	}
	groups, err := e.Store.ListUserGroups(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("policy: groups of %s: %w", userID, err)
	}
	out = append(out, groups...)
	return out, nil
}

// assigned reports whether the user is assigned to the client, directly or
// through one of its groups (Everyone included).
func (e *Engine) assigned(ctx context.Context, clientID, userID string, groups []store.Group) (bool, error) {
	principals, err := e.Store.ListClientAssignments(ctx, clientID)
	if err != nil {
		return false, fmt.Errorf("policy: assignments of %s: %w", clientID, err)
	}
	if slices.Contains(principals, userID) {
		return true, nil
	}
	for _, g := range groups {
		if slices.Contains(principals, g.ID) {
			return true, nil
		}
	}
	return false, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
