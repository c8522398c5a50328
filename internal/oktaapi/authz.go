package oktaapi

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/latchkey/latchkey/internal/ids"

	"github.com/latchkey/latchkey/internal/store"
)

// AuthServer is Okta's authorization server object.
type AuthServer struct {
	ID          string                `json:"id"`
	Name        string                `json:"name"`
	Description string                `json:"description"`
	Audiences   []string              `json:"audiences"`
	Issuer      string                `json:"issuer"`
	IssuerMode  string                `json:"issuerMode"`
	Status      string                `json:"status"`
	Created     time.Time             `json:"created"`
	LastUpdated time.Time             `json:"lastUpdated"`
	Credentials AuthServerCredentials `json:"credentials"`
	// Default marks the server Okta creates with every org (id "default").
	Default bool `json:"default"`
}

// AuthServerCredentials holds the signing settings of a server.
type AuthServerCredentials struct {
	Signing AuthServerSigning `json:"signing"`
}

// AuthServerSigning is how a server rotates its keys, and which key signs.
// Alg is a Latchkey extension (Okta signs with RS256 only): the algorithm
// of the keys the server generates, RS256, ES256 or EdDSA.
type AuthServerSigning struct {
	RotationMode string     `json:"rotationMode"`
	Alg          string     `json:"alg"`
	Kid          string     `json:"kid,omitempty"`
	LastRotated  *time.Time `json:"lastRotated,omitempty"`
	NextRotation *time.Time `json:"nextRotation,omitempty"`
	Use          string     `json:"use"`
}

// FromAuthServer renders a custom authorization server.
func FromAuthServer(a store.AuthServer, baseURL string) AuthServer {
	mode := a.KeyRotationMode
	if mode == "" {
		mode = store.RotationAuto
	}
	alg := a.SigningAlg
	if alg == "" {
		alg = store.AlgRS256
	}
	return AuthServer{ID: a.ID, Name: a.Name, Description: a.Description, Audiences: []string{a.Audience},
		Issuer: baseURL + "/oauth2/" + a.ID, IssuerMode: "ORG_URL", Status: a.Status, Created: a.CreatedAt.UTC(), LastUpdated: a.UpdatedAt.UTC(),
		Credentials: AuthServerCredentials{Signing: AuthServerSigning{RotationMode: mode, Alg: alg, Use: "sig"}}, Default: a.ID == "default"}
}

// WithSigningKey adds the ACTIVE key to a rendered server: its kid, when it
// started signing, and (in AUTO mode) when it is due to be replaced, every
// interval.
func (s AuthServer) WithSigningKey(active store.SigningKey, interval time.Duration) AuthServer {
	if active.ID == "" {
		return s
	}
	s.Credentials.Signing.Kid = active.ID
	if !active.ActivatedAt.IsZero() {
		last := active.ActivatedAt.UTC()
		s.Credentials.Signing.LastRotated = &last
		if s.Credentials.Signing.RotationMode == store.RotationAuto && interval > 0 {
			next := last.Add(interval)
			s.Credentials.Signing.NextRotation = &next
		}
	}
	return s
}

// Scope is Okta's scope object.
type Scope struct {
	ID              string `json:"id"`
	Name            string `json:"name"`
	Description     string `json:"description"`
	System          bool   `json:"system"`
	Default         bool   `json:"default"`
	MetadataPublish string `json:"metadataPublish"`
	Consent         string `json:"consent"`
}

// FromScope renders a scope.
func FromScope(s store.Scope) Scope {
	mp := s.MetadataPublish
	if mp == "" {
		mp = "NO_CLIENTS"
	}
	return Scope{ID: ids.ScopeID(s.AuthServerID, s.Name), Name: s.Name, Description: s.Description, System: s.System, Default: s.Default, MetadataPublish: mp, Consent: "IMPLICIT"}
}

// Claim is Okta's claim object.
type Claim struct {
	ID                   string          `json:"id"`
	Name                 string          `json:"name"`
	Status               string          `json:"status"`
	ClaimType            string          `json:"claimType"`
	ValueType            string          `json:"valueType"`
	Value                string          `json:"value"`
	AlwaysIncludeInToken bool            `json:"alwaysIncludeInToken"`
	GroupFilterType      string          `json:"group_filter_type,omitempty"`
	Conditions           ClaimConditions `json:"conditions"`
	System               bool            `json:"system"`
}

// ClaimConditions are the scopes that trigger a claim.
type ClaimConditions struct {
	Scopes []string `json:"scopes"`
}

// FromClaim renders a claim.
func FromClaim(c store.Claim) Claim {
	scopes := c.Scopes
	if scopes == nil {
		scopes = []string{}
	}
	return Claim{ID: c.ID, Name: c.Name, Status: c.Status, ClaimType: c.ClaimType, ValueType: c.ValueType, Value: c.Value,
		AlwaysIncludeInToken: c.AlwaysIncludeInToken, GroupFilterType: c.GroupFilterType, Conditions: ClaimConditions{Scopes: scopes}}
}

// AuthServerPolicy is Okta's authorization server policy object.
type AuthServerPolicy struct {
	ID          string           `json:"id"`
	Type        string           `json:"type"`
	Name        string           `json:"name"`
	Description string           `json:"description"`
	Priority    int              `json:"priority"`
	Status      string           `json:"status"`
	System      bool             `json:"system"`
	Conditions  PolicyConditions `json:"conditions"`
	Created     time.Time        `json:"created"`
	LastUpdated time.Time        `json:"lastUpdated"`
}

// Policy is a policy with its rules, as the CLI lists them.
type Policy struct {
	AuthServerPolicy
	Rules []Rule `json:"rules"`
}

// PolicyConditions says which clients a policy governs.
type PolicyConditions struct {
	Clients Include `json:"clients"`
}

// Include is Okta's {"include": [...]} list.
type Include struct {
	Include []string `json:"include"`
}

// Rule is Okta's policy rule object.
type Rule struct {
	ID          string         `json:"id"`
	Type        string         `json:"type"`
	Name        string         `json:"name"`
	Priority    int            `json:"priority"`
	Status      string         `json:"status"`
	System      bool           `json:"system"`
	Conditions  RuleConditions `json:"conditions"`
	Actions     RuleActions    `json:"actions"`
	Created     time.Time      `json:"created"`
	LastUpdated time.Time      `json:"lastUpdated"`
}

// RuleConditions are what a rule matches.
type RuleConditions struct {
	People     RulePeople `json:"people"`
	GrantTypes Include    `json:"grantTypes"`
	Scopes     Include    `json:"scopes"`
}

// RulePeople are the users and groups of a rule.
type RulePeople struct {
	Users  Include `json:"users"`
	Groups Include `json:"groups"`
}

// RuleActions hold a rule's token lifetimes, in minutes as Okta gives them,
// and whether the rule requires a second factor.
type RuleActions struct {
	Token RuleToken `json:"token"`
	// AppSignOn is a Latchkey extension: Okta's authorization server rules
	// have no MFA setting, so Latchkey borrows the shape of Okta's app
	// sign-on policy rules (actions.appSignOn.verificationMethod.factorMode
	// "1FA" or "2FA").
	AppSignOn RuleAppSignOn `json:"appSignOn"`
}

// RuleAppSignOn is Okta's app sign-on action: Latchkey's rules always
// allow access; the verification method says how many factors.
type RuleAppSignOn struct {
	Access             string                 `json:"access"`
	VerificationMethod RuleVerificationMethod `json:"verificationMethod"`
}

// RuleVerificationMethod is Okta's ASSURANCE verification method.
type RuleVerificationMethod struct {
	FactorMode string `json:"factorMode"`
	Type       string `json:"type"`
}

// Okta's factor modes and verification method type of app sign-on rules.
const (
	FactorMode1FA         = "1FA"
	FactorMode2FA         = "2FA"
	VerificationAssurance = "ASSURANCE"
	AppSignOnAccessAllow  = "ALLOW"
)

// AppSignOnOf renders requireMFA as an app sign-on action.
func AppSignOnOf(requireMFA bool) RuleAppSignOn {
	mode := FactorMode1FA
	if requireMFA {
		mode = FactorMode2FA
	}
	return RuleAppSignOn{Access: AppSignOnAccessAllow, VerificationMethod: RuleVerificationMethod{FactorMode: mode, Type: VerificationAssurance}}
}

// RuleToken are a rule's token lifetimes in minutes.
type RuleToken struct {
	AccessTokenLifetimeMinutes  int `json:"accessTokenLifetimeMinutes"`
	RefreshTokenLifetimeMinutes int `json:"refreshTokenLifetimeMinutes"`
	RefreshTokenWindowMinutes   int `json:"refreshTokenWindowMinutes"`
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// FromPolicy renders a policy and its rules.
func FromPolicy(p store.Policy, rules []store.PolicyRule) Policy {
	out := Policy{AuthServerPolicy: FromAuthServerPolicy(p), Rules: []Rule{}}
	for _, r := range rules {
		out.Rules = append(out.Rules, FromRule(r))
	}
	return out
}

// FromAuthServerPolicy renders a policy without its rules.
func FromAuthServerPolicy(p store.Policy) AuthServerPolicy {
	return AuthServerPolicy{ID: p.ID, Type: "OAUTH_AUTHORIZATION_POLICY", Name: p.Name, Description: p.Description, Priority: p.Priority,
		Status: p.Status, Conditions: PolicyConditions{Clients: Include{Include: orEmpty(p.ClientIDs)}},
		Created: p.CreatedAt.UTC(), LastUpdated: p.UpdatedAt.UTC()}
}

// FromRule renders a policy rule.
func FromRule(r store.PolicyRule) Rule {
	return Rule{ID: r.ID, Type: "RESOURCE_ACCESS", Name: r.Name, Priority: r.Priority, Status: r.Status,
		Conditions: RuleConditions{People: RulePeople{Users: Include{orEmpty(r.UserIDs)}, Groups: Include{orEmpty(r.GroupIDs)}},
			GrantTypes: Include{orEmpty(r.GrantTypes)}, Scopes: Include{orEmpty(r.Scopes)}},
		Actions: RuleActions{Token: RuleToken{AccessTokenLifetimeMinutes: int(r.AccessTokenLifetime / time.Minute),
			RefreshTokenLifetimeMinutes: int(r.RefreshTokenLifetime / time.Minute), RefreshTokenWindowMinutes: int(r.RefreshTokenWindow / time.Minute)},
			AppSignOn: AppSignOnOf(r.RequireMFA)},
		Created: r.CreatedAt.UTC(), LastUpdated: r.UpdatedAt.UTC()}
}

// FromKey renders a signing key as Okta lists an authorization server's
// keys: the public JWK (kid, kty, alg, use and the public parameters) with
// status, created, lastUpdated and, for an EXPIRED key, expiresAt (when it
// leaves the JWKS: expired plus publishFor). Latchkey adds activated and
// expired, when set.
func FromKey(k store.SigningKey, publishFor time.Duration) (map[string]any, error) {
	obj := map[string]any{}
	if err := json.Unmarshal(k.PublicJWK, &obj); err != nil {
		return nil, fmt.Errorf("key %s: public JWK: %w", k.ID, err)
	}
	for _, private := range []string{"d", "p", "q", "dp", "dq", "qi", "k"} {
		delete(obj, private) // never stored in the public JWK; never shown whatever happens
	}
	obj["kid"], obj["alg"], obj["status"] = k.ID, k.Alg, k.Status
	if _, ok := obj["use"]; !ok {
		obj["use"] = "sig"
	}
	obj["created"] = k.CreatedAt.UTC()
	updated := k.CreatedAt
	if !k.ActivatedAt.IsZero() {
		obj["activated"] = k.ActivatedAt.UTC()
		updated = later(updated, k.ActivatedAt)
	}
	if !k.ExpiredAt.IsZero() {
		obj["expired"] = k.ExpiredAt.UTC()
		updated = later(updated, k.ExpiredAt)
		if publishFor > 0 {
			obj["expiresAt"] = k.ExpiredAt.Add(publishFor).UTC()
		}
	}
	obj["lastUpdated"] = updated.UTC()
	return obj, nil
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// Group is Okta's group object (without _links, which need the org URL).
type Group struct {
	ID                    string       `json:"id"`
	Created               time.Time    `json:"created"`
	LastUpdated           time.Time    `json:"lastUpdated"`
	LastMembershipUpdated time.Time    `json:"lastMembershipUpdated"`
	ObjectClass           []string     `json:"objectClass"`
	Type                  string       `json:"type"`
	Profile               GroupProfile `json:"profile"`
}

// GroupObjectClass is the objectClass of Okta's user groups.
const GroupObjectClass = "okta:user_group"

// GroupProfile is a group's name and description.
type GroupProfile struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

// FromGroup renders a group.
func FromGroup(g store.Group) Group {
	members := g.MembershipUpdatedAt
	if members.IsZero() { // a group stored before the time was kept
		members = g.UpdatedAt
	}
	ms := func(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) } // as stored
	return Group{ID: g.ID, Created: ms(g.CreatedAt), LastUpdated: ms(g.UpdatedAt), LastMembershipUpdated: ms(members),
		ObjectClass: []string{GroupObjectClass}, Type: g.Type, Profile: GroupProfile{Name: g.Name, Description: g.Description}}
}
