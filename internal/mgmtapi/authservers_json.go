package mgmtapi

import (
	"errors"
	"net/http"
	"strings"

	"github.com/latchkey/latchkey/internal/oktaapi"
	"github.com/latchkey/latchkey/internal/provision"
	"github.com/latchkey/latchkey/internal/store"
)

// The kinds Okta names in a 404 of this resource.
const (
	kindAuthServer = "AuthorizationServer"
	kindScope      = "OAuth2Scope"
	kindClaim      = "OAuth2Claim"
	kindPolicy     = "AuthorizationServerPolicy"
	kindRule       = "AuthorizationServerPolicyRule"
)

// authzError turns a service-layer error into Okta's answer: a missing
// record is a 404 of kind (named by id), a refused value a 400 E0000001
// about object with the reason as its cause.
func authzError(err error, id, kind, object string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrNotFound):
		return NotFound(id, kind)
	case errors.Is(err, provision.ErrInvalid), errors.Is(err, store.ErrConflict), errors.Is(err, provision.ErrActive):
		return Validation(object, causeOf(err))
	}
	return err
}

// causeOf is the reason in a service-layer error, without the sentinel's
// prefix.
func causeOf(err error) string {
	msg := err.Error()
	for _, sentinel := range []error{provision.ErrInvalid, store.ErrConflict, provision.ErrActive} {
		if i := strings.Index(msg, sentinel.Error()+": "); i >= 0 {
			return msg[i+len(sentinel.Error())+2:]
		}
	}
	return msg
}

// linkMap is an object's _links where some entries are lists (Okta's
// metadata links) or carry hints.
type linkMap map[string]any

func (a *API) lifecycleLinks(status string, path ...string) linkMap {
	l := linkMap{"self": Link{Href: a.href(path...)}}
	if status == store.StatusActive {
		l["deactivate"] = Link{Href: a.href(append(path, "lifecycle", "deactivate")...), Method: http.MethodPost}
	} else {
		l["activate"] = Link{Href: a.href(append(path, "lifecycle", "activate")...), Method: http.MethodPost}
	}
	return l
}

// authServerJSON is Okta's authorization server with its _links.
type authServerJSON struct {
	oktaapi.AuthServer
	Links linkMap `json:"_links"`
}

// authServerIn is what a create or a replace sends.
type authServerIn struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Audiences   []string `json:"audiences"`
	IssuerMode  string   `json:"issuerMode"`
	Credentials *struct {
		Signing *struct {
			RotationMode string `json:"rotationMode"`
			// Alg is a Latchkey extension: RS256, ES256 or EdDSA.
			Alg string `json:"alg"`
		} `json:"signing"`
	} `json:"credentials"`
}

// input checks what Latchkey cannot honour and returns the service-layer
// input. mode is the key rotation mode to keep when none is sent.
func (in authServerIn) input(mode string) (provision.AuthServerInput, error) {
	switch {
	case strings.TrimSpace(in.Name) == "":
		return provision.AuthServerInput{}, Validation("authorizationServer", "name: The field cannot be left blank")
	case len(in.Audiences) == 0:
		return provision.AuthServerInput{}, Validation("authorizationServer", "audiences: The field cannot be left blank")
	case len(in.Audiences) > 1:
		return provision.AuthServerInput{}, Validation("authorizationServer", "audiences: Latchkey supports one audience per authorization server")
	case in.IssuerMode != "" && in.IssuerMode != "ORG_URL":
		return provision.AuthServerInput{}, Validation("authorizationServer",
			"issuerMode: Latchkey supports ORG_URL only (the issuer is {orgUrl}/oauth2/{id}); there are no custom domains")
	}
	var alg string
	if in.Credentials != nil && in.Credentials.Signing != nil {
		if in.Credentials.Signing.RotationMode != "" {
			mode = in.Credentials.Signing.RotationMode
		}
		alg = in.Credentials.Signing.Alg
	}
	return provision.AuthServerInput{Name: in.Name, Description: in.Description, Audience: in.Audiences[0], KeyRotationMode: mode, SigningAlg: alg}, nil
}

// scopeIn is a scope as create and replace send it.
type scopeIn struct {
	Name            string `json:"name"`
	Description     string `json:"description"`
	DisplayName     string `json:"displayName"`
	Consent         string `json:"consent"`
	Default         bool   `json:"default"`
	MetadataPublish string `json:"metadataPublish"`
}

func (in scopeIn) input(serverID string) (provision.ScopeInput, error) {
	switch {
	case in.Name == "":
		return provision.ScopeInput{}, Validation("scope", "name: The field cannot be left blank")
	case in.Consent != "" && in.Consent != "IMPLICIT":
		return provision.ScopeInput{}, Validation("scope", "consent: Latchkey has no consent screen: consent must be IMPLICIT")
	case in.MetadataPublish != "" && in.MetadataPublish != "ALL_CLIENTS" && in.MetadataPublish != "NO_CLIENTS":
		return provision.ScopeInput{}, Validation("scope", "metadataPublish: must be ALL_CLIENTS or NO_CLIENTS")
	}
	return provision.ScopeInput{AuthServerID: serverID, Name: in.Name, Description: in.Description, Default: in.Default,
		Publish: in.MetadataPublish == "ALL_CLIENTS"}, nil
}

// claimJSON is Okta's claim with its _links.
type claimJSON struct {
	oktaapi.Claim
	Links Links `json:"_links"`
}

// claimIn is a claim as create and replace send it.
type claimIn struct {
	Name                 string `json:"name"`
	Status               string `json:"status"`
	ClaimType            string `json:"claimType"`
	ValueType            string `json:"valueType"`
	Value                string `json:"value"`
	GroupFilterType      string `json:"group_filter_type"`
	AlwaysIncludeInToken *bool  `json:"alwaysIncludeInToken"`
	Conditions           struct {
		Scopes []string `json:"scopes"`
	} `json:"conditions"`
}

func (in claimIn) input(serverID, id string) provision.ClaimInput {
	always := in.AlwaysIncludeInToken == nil || *in.AlwaysIncludeInToken // Okta's default is true
	return provision.ClaimInput{AuthServerID: serverID, ID: id, Name: in.Name, ClaimType: in.ClaimType, ValueType: in.ValueType,
		Value: in.Value, GroupFilterType: in.GroupFilterType, Scopes: in.Conditions.Scopes, AlwaysIncludeInToken: always, Status: in.Status}
}

// policyJSON is Okta's authorization server policy with its _links.
type policyJSON struct {
	oktaapi.AuthServerPolicy
	Links linkMap `json:"_links"`
}

// policyIn is a policy as create and replace send it.
type policyIn struct {
	Type        string `json:"type"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Priority    int    `json:"priority"`
	Status      string `json:"status"`
	Conditions  struct {
		Clients struct {
			Include []string `json:"include"`
		} `json:"clients"`
	} `json:"conditions"`
}

func (in policyIn) input(serverID, id string) (provision.PolicyInput, error) {
	switch {
	case in.Type != "" && in.Type != "OAUTH_AUTHORIZATION_POLICY":
		return provision.PolicyInput{}, Validation("policy", "type: must be OAUTH_AUTHORIZATION_POLICY")
	case in.Status != "" && in.Status != store.StatusActive && in.Status != store.StatusInactive:
		return provision.PolicyInput{}, Validation("policy", "status: must be ACTIVE or INACTIVE")
	case in.Priority < 0:
		return provision.PolicyInput{}, Validation("policy", "priority: must be a positive number")
	}
	return provision.PolicyInput{AuthServerID: serverID, ID: id, Name: in.Name, Description: in.Description, Priority: in.Priority,
		ClientIDs: in.Conditions.Clients.Include}, nil
}

// ruleJSON is Okta's policy rule with its _links.
type ruleJSON struct {
	oktaapi.Rule
	Links linkMap `json:"_links"`
}

type include struct {
	Include []string `json:"include"`
}

// ruleIn is a rule as create and replace send it.
type ruleIn struct {
	Type       string `json:"type"`
	Name       string `json:"name"`
	Priority   int    `json:"priority"`
	Status     string `json:"status"`
	Conditions struct {
		People struct {
			Users  include `json:"users"`
			Groups include `json:"groups"`
		} `json:"people"`
		GrantTypes include `json:"grantTypes"`
		Scopes     include `json:"scopes"`
	} `json:"conditions"`
	Actions struct {
		Token struct {
			AccessTokenLifetimeMinutes  int `json:"accessTokenLifetimeMinutes"`
			RefreshTokenLifetimeMinutes int `json:"refreshTokenLifetimeMinutes"`
			RefreshTokenWindowMinutes   int `json:"refreshTokenWindowMinutes"`
		} `json:"token"`
		// AppSignOn is Latchkey's extension for a rule's second factor
		// (oktaapi.RuleActions); absent, a create requires none and a
		// replace keeps the rule's setting.
		AppSignOn *struct {
			Access             string `json:"access"`
			VerificationMethod *struct {
				FactorMode string `json:"factorMode"`
				Type       string `json:"type"`
			} `json:"verificationMethod"`
		} `json:"appSignOn"`
	} `json:"actions"`
}

// requireMFA reads actions.appSignOn: nil when the body does not say.
func (in ruleIn) requireMFA() (*bool, error) {
	a := in.Actions.AppSignOn
	if a == nil {
		return nil, nil
	}
	if a.Access != "" && a.Access != oktaapi.AppSignOnAccessAllow {
		return nil, Validation("policyRule", "actions.appSignOn.access: must be ALLOW")
	}
	v := a.VerificationMethod
	if v == nil {
		return nil, nil
	}
	if v.Type != "" && v.Type != oktaapi.VerificationAssurance {
		return nil, Validation("policyRule", "actions.appSignOn.verificationMethod.type: must be ASSURANCE")
	}
	var require bool
	switch v.FactorMode {
	case oktaapi.FactorMode1FA:
	case oktaapi.FactorMode2FA:
		require = true
	default:
		return nil, Validation("policyRule", "actions.appSignOn.verificationMethod.factorMode: must be 1FA or 2FA")
	}
	return &require, nil
}

// input is the rule the body describes. current is the rule a replace
// replaces (nil on create): a body without actions.appSignOn keeps its
// second-factor setting, so that a client that does not know Latchkey's
// extension (Okta's SDKs drop it on a read-modify-write) cannot turn the
// requirement off by accident.
func (in ruleIn) input(serverID, policyID, id string, current *store.PolicyRule) (provision.RuleInput, error) {
	t := in.Actions.Token
	mfa, err := in.requireMFA()
	if err != nil {
		return provision.RuleInput{}, err
	}
	requireMFA := current != nil && current.RequireMFA
	if mfa != nil {
		requireMFA = *mfa
	}
	switch {
	case in.Type != "" && in.Type != "RESOURCE_ACCESS":
		return provision.RuleInput{}, Validation("policyRule", "type: must be RESOURCE_ACCESS")
	case in.Status != "" && in.Status != store.StatusActive && in.Status != store.StatusInactive:
		return provision.RuleInput{}, Validation("policyRule", "status: must be ACTIVE or INACTIVE")
	case in.Priority < 0:
		return provision.RuleInput{}, Validation("policyRule", "priority: must be a positive number")
	case t.AccessTokenLifetimeMinutes < 0 || t.RefreshTokenLifetimeMinutes < 0 || t.RefreshTokenWindowMinutes < 0:
		return provision.RuleInput{}, Validation("policyRule", "actions.token: lifetimes must not be negative")
	case t.AccessTokenLifetimeMinutes > maxMinutes || t.RefreshTokenLifetimeMinutes > maxMinutes || t.RefreshTokenWindowMinutes > maxMinutes:
		return provision.RuleInput{}, Validation("policyRule", "actions.token: lifetimes must be at most 5 years")
	}
	return provision.RuleInput{AuthServerID: serverID, PolicyID: policyID, ID: id, Name: in.Name, Priority: in.Priority,
		GrantTypes: in.Conditions.GrantTypes.Include, Scopes: in.Conditions.Scopes.Include,
		UserIDs: in.Conditions.People.Users.Include, GroupIDs: in.Conditions.People.Groups.Include,
		AccessTokenLifetime:  minutes(t.AccessTokenLifetimeMinutes),
		RefreshTokenLifetime: minutes(t.RefreshTokenLifetimeMinutes),
		RefreshTokenWindow:   minutes(t.RefreshTokenWindowMinutes),
		RequireMFA:           requireMFA}, nil
}

// maxMinutes bounds a lifetime in minutes (5 years) before it becomes a
// Duration, so that no input overflows.
const maxMinutes = 5 * 366 * 24 * 60
