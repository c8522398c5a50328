// Package setup applies a declarative description of groups, custom
// authorization servers, their scopes, claims, access policies and rules,
// given as YAML (the `setup:` section of the config file, or a file passed
// to `latchkey apply`). Applying is idempotent: records are matched by name
// and created or updated in place, never deleted.
package setup

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/latchkey/latchkey/internal/keys"
	"github.com/latchkey/latchkey/internal/provision"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/yamlkeys"
)

// Setup is the declarative document.
type Setup struct {
	Groups               []Group      `yaml:"groups"`
	AuthorizationServers []AuthServer `yaml:"authorizationServers"`
}

// Group is a group by name.
type Group struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
}

// AuthServer is a custom authorization server, matched by name; the
// "default" server is matched by its id when Name is "default".
type AuthServer struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	Audience    string `yaml:"audience"`
	Rotation    string `yaml:"keyRotationMode"`
	// SigningAlg is RS256 (default), ES256 or EdDSA; changing it publishes
	// a NEXT key of the new algorithm, which signs from the next rotation.
	SigningAlg string   `yaml:"signing_alg"`
	Scopes     []Scope  `yaml:"scopes"`
	Claims     []Claim  `yaml:"claims"`
	Policies   []Policy `yaml:"policies"`
}

// Scope is a custom scope.
type Scope struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	Default     bool   `yaml:"default"`
	Publish     bool   `yaml:"publish"`
}

// Claim is a custom claim, matched by name and claim type.
type Claim struct {
	Name                 string   `yaml:"name"`
	ClaimType            string   `yaml:"claimType"`
	ValueType            string   `yaml:"valueType"`
	Value                string   `yaml:"value"`
	GroupFilterType      string   `yaml:"groupFilterType"`
	Scopes               []string `yaml:"scopes"`
	AlwaysIncludeInToken bool     `yaml:"alwaysIncludeInToken"`
}

// Policy is an access policy, matched by name.
type Policy struct {
	Name        string   `yaml:"name"`
	Description string   `yaml:"description"`
	Priority    int      `yaml:"priority"`
	Clients     []string `yaml:"clients"` // client ids or ALL_CLIENTS
	Rules       []Rule   `yaml:"rules"`
}

// Rule is a policy rule, matched by name within its policy.
type Rule struct {
	Name                 string   `yaml:"name"`
	Priority             int      `yaml:"priority"`
	GrantTypes           []string `yaml:"grantTypes"`
	Scopes               []string `yaml:"scopes"`
	Users                []string `yaml:"users"`  // user ids or logins
	Groups               []string `yaml:"groups"` // group names or ids, or EVERYONE
	AccessTokenLifetime  string   `yaml:"accessTokenLifetime"`
	RefreshTokenLifetime string   `yaml:"refreshTokenLifetime"`
	RefreshTokenWindow   string   `yaml:"refreshTokenWindow"`
	// MFA is "required" to ask a second factor of password logins, or
	// empty ("optional" is accepted and means the same as empty).
	MFA string `yaml:"mfa"`
}

// Decode reads a Setup strictly: unknown keys are errors, named with the
// keys valid where they stand. The document may also be wrapped in a
// top-level setup: key, as in a configuration file, so that the same
// block works pasted into either.
func Decode(r io.Reader) (Setup, error) {
	var doc yaml.Node
	if err := yaml.NewDecoder(r).Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return Setup{}, nil
		}
		return Setup{}, err
	}
	n := &doc
	if len(doc.Content) == 1 {
		n = doc.Content[0]
	}
	if n.Kind == yaml.MappingNode && len(n.Content) == 2 && n.Content[0].Value == "setup" {
		n = n.Content[1]
	}
	if err := yamlkeys.Check(n, reflect.TypeFor[Setup]()); err != nil {
		return Setup{}, err
	}
	var s Setup
	if err := n.Decode(&s); err != nil {
		return Setup{}, err
	}
	return s, nil
}

// DecodeFile reads a Setup from a file.
func DecodeFile(path string) (Setup, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Setup{}, err
	}
	s, err := Decode(bytes.NewReader(b))
	if err != nil {
		return Setup{}, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// Report says what Apply did, one line per change.
type Report []string

// Apply makes the store match the document.
func Apply(ctx context.Context, p *provision.Service, s Setup) (Report, error) {
	var rep Report
	for _, g := range s.Groups {
		if _, err := p.Store.GetGroupByName(ctx, g.Name); err == nil {
			continue
		} else if !errors.Is(err, store.ErrNotFound) {
			return rep, err
		}
		created, err := p.CreateGroup(ctx, g.Name, g.Description)
		if err != nil {
			return rep, fmt.Errorf("group %q: %w", g.Name, err)
		}
		rep = append(rep, "created group "+created.Name+" ("+created.ID+")")
	}
	for _, as := range s.AuthorizationServers {
		r, err := applyServer(ctx, p, as)
		rep = append(rep, r...)
		if err != nil {
			return rep, fmt.Errorf("authorization server %q: %w", as.Name, err)
		}
	}
	return rep, nil
}

func applyServer(ctx context.Context, p *provision.Service, as AuthServer) (Report, error) {
	var rep Report
	srv, found, err := findServer(ctx, p.Store, as.Name)
	if err != nil {
		return rep, err
	}
	if !found {
		srv, err = p.CreateAuthServer(ctx, provision.AuthServerInput{Name: as.Name, Description: as.Description, Audience: as.Audience, KeyRotationMode: as.Rotation, SigningAlg: as.SigningAlg})
		if err != nil {
			return rep, err
		}
		rep = append(rep, "created authorization server "+srv.Name+" ("+srv.ID+")")
	} else if (as.Audience != "" && as.Audience != srv.Audience) || (as.Description != "" && as.Description != srv.Description) || (as.Rotation != "" && as.Rotation != srv.KeyRotationMode) ||
		(as.SigningAlg != "" && as.SigningAlg != keys.SigningAlg(srv)) {
		in := provision.AuthServerInput{Name: srv.Name, Description: srv.Description, Audience: srv.Audience, KeyRotationMode: srv.KeyRotationMode}
		if as.Audience != "" {
			in.Audience = as.Audience
		}
		if as.Description != "" {
			in.Description = as.Description
		}
		if as.Rotation != "" {
			in.KeyRotationMode = as.Rotation
		}
		in.SigningAlg = as.SigningAlg
		srv, err = p.UpdateAuthServer(ctx, srv.ID, in)
		if err != nil {
			return rep, err
		}
		rep = append(rep, "updated authorization server "+srv.Name)
	}
	for _, sc := range as.Scopes {
		if _, err := p.PutScope(ctx, provision.ScopeInput{AuthServerID: srv.ID, Name: sc.Name, Description: sc.Description, Default: sc.Default, Publish: sc.Publish}); err != nil {
			return rep, fmt.Errorf("scope %q: %w", sc.Name, err)
		}
	}
	existingClaims, err := p.Store.ListClaims(ctx, srv.ID)
	if err != nil {
		return rep, err
	}
	for _, c := range as.Claims {
		in := provision.ClaimInput{AuthServerID: srv.ID, Name: c.Name, ClaimType: c.ClaimType, ValueType: c.ValueType, Value: c.Value,
			GroupFilterType: c.GroupFilterType, Scopes: c.Scopes, AlwaysIncludeInToken: c.AlwaysIncludeInToken}
		if i := slices.IndexFunc(existingClaims, func(e store.Claim) bool { return e.Name == c.Name && e.ClaimType == c.ClaimType }); i >= 0 {
			in.ID = existingClaims[i].ID
		}
		if _, err := p.PutClaim(ctx, in); err != nil {
			return rep, fmt.Errorf("claim %q: %w", c.Name, err)
		}
	}
	existing, err := p.Store.ListPolicies(ctx, srv.ID)
	if err != nil {
		return rep, err
	}
	for _, pol := range as.Policies {
		in := provision.PolicyInput{AuthServerID: srv.ID, Name: pol.Name, Description: pol.Description, Priority: pol.Priority, ClientIDs: pol.Clients}
		if i := slices.IndexFunc(existing, func(e store.Policy) bool { return e.Name == pol.Name }); i >= 0 {
			in.ID = existing[i].ID
			if in.Priority == 0 {
				in.Priority = existing[i].Priority
			}
		}
		stored, err := p.CreatePolicy(ctx, in)
		if err != nil {
			return rep, fmt.Errorf("policy %q: %w", pol.Name, err)
		}
		if in.ID == "" {
			rep = append(rep, "created policy "+stored.Name+" ("+stored.ID+")")
		}
		rules, err := p.Store.ListRules(ctx, stored.ID)
		if err != nil {
			return rep, err
		}
		for _, r := range pol.Rules {
			rin, err := ruleInput(ctx, p.Store, srv.ID, stored.ID, r)
			if err != nil {
				return rep, fmt.Errorf("rule %q: %w", r.Name, err)
			}
			if i := slices.IndexFunc(rules, func(e store.PolicyRule) bool { return e.Name == r.Name }); i >= 0 {
				rin.ID = rules[i].ID
				if rin.Priority == 0 {
					rin.Priority = rules[i].Priority
				}
			}
			if _, err := p.CreateRule(ctx, rin); err != nil {
				return rep, fmt.Errorf("rule %q: %w", r.Name, err)
			}
		}
	}
	return rep, nil
}

func findServer(ctx context.Context, st store.Store, name string) (store.AuthServer, bool, error) {
	if name == provision.DefaultServerID {
		a, err := st.GetAuthServer(ctx, provision.DefaultServerID)
		if err == nil {
			return a, true, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return store.AuthServer{}, false, err
		}
	}
	all, err := st.ListAuthServers(ctx)
	if err != nil {
		return store.AuthServer{}, false, err
	}
	var found []store.AuthServer
	for _, a := range all {
		if a.Name == name && a.ID != store.OrgServerID {
			found = append(found, a)
		}
	}
	switch len(found) {
	case 0:
		return store.AuthServer{}, false, nil
	case 1:
		return found[0], true, nil
	}
	// Names are not unique (the CLI and the management API may create
	// twins); a setup matches by name, so it must not guess.
	idList := make([]string, len(found))
	for i, a := range found {
		idList[i] = a.ID
	}
	return store.AuthServer{}, false, fmt.Errorf("%w: %d authorization servers are named %q (%s): rename or delete all but one",
		provision.ErrAmbiguous, len(found), name, strings.Join(idList, ", "))
}

func ruleInput(ctx context.Context, st store.Store, serverID, policyID string, r Rule) (provision.RuleInput, error) {
	in := provision.RuleInput{AuthServerID: serverID, PolicyID: policyID, Name: r.Name, Priority: r.Priority, GrantTypes: r.GrantTypes, Scopes: r.Scopes}
	switch r.MFA {
	case "required":
		in.RequireMFA = true
	case "", "optional":
	default:
		return in, fmt.Errorf("rule %q: mfa must be required or optional, not %q", r.Name, r.MFA)
	}
	for _, ref := range r.Users {
		u, err := st.GetUser(ctx, ref)
		if errors.Is(err, store.ErrNotFound) {
			u, err = st.GetUserByLogin(ctx, ref)
		}
		if err != nil {
			return in, fmt.Errorf("user %q: %w", ref, err)
		}
		in.UserIDs = append(in.UserIDs, u.ID)
	}
	for _, ref := range r.Groups {
		if ref == store.Everyone {
			in.GroupIDs = append(in.GroupIDs, ref)
			continue
		}
		g, err := st.GetGroupByName(ctx, ref)
		if errors.Is(err, store.ErrNotFound) {
			g, err = st.GetGroup(ctx, ref)
		}
		if err != nil {
			return in, fmt.Errorf("group %q: %w", ref, err)
		}
		in.GroupIDs = append(in.GroupIDs, g.ID)
	}
	for _, d := range []struct {
		raw string
		out *time.Duration
	}{{r.AccessTokenLifetime, &in.AccessTokenLifetime}, {r.RefreshTokenLifetime, &in.RefreshTokenLifetime}, {r.RefreshTokenWindow, &in.RefreshTokenWindow}} {
		if d.raw == "" {
			continue
		}
		v, err := time.ParseDuration(d.raw)
		if err != nil {
			return in, err
		}
		*d.out = v
	}
	return in, nil
}
