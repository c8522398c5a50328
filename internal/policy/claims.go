package policy

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/latchkey/latchkey/internal/store"
)

// Group filter types of GROUPS claims.
const (
	FilterStartsWith = "STARTS_WITH"
	FilterEquals     = "EQUALS"
	FilterContains   = "CONTAINS"
	FilterRegex      = "REGEX"
)

// Expressions supported in EXPRESSION claims: a subset of Okta's expression
// language — user profile attributes, the client id, and string literals.
var expressions = map[string]func(u *store.User, clientID string) (any, bool){
	"user.id":        func(u *store.User, _ string) (any, bool) { return orNone(u, func() string { return u.ID }) },
	"user.login":     func(u *store.User, _ string) (any, bool) { return orNone(u, func() string { return u.Login }) },
	"user.email":     func(u *store.User, _ string) (any, bool) { return orNone(u, func() string { return u.Email }) },
	"user.firstName": func(u *store.User, _ string) (any, bool) { return orNone(u, func() string { return u.FirstName }) },
	"user.lastName":  func(u *store.User, _ string) (any, bool) { return orNone(u, func() string { return u.LastName }) },
	"user.locale":    func(u *store.User, _ string) (any, bool) { return orNone(u, func() string { return u.Locale }) },
	"user.status":    func(u *store.User, _ string) (any, bool) { return orNone(u, func() string { return u.Status }) },
	"app.clientId":   func(_ *store.User, c string) (any, bool) { return c, true },
}

func orNone(u *store.User, f func() string) (any, bool) {
	if u == nil {
		return nil, false
	}
	v := f()
	return v, v != ""
}

// ValidateClaim checks a claim's expression or group filter before it is
// stored, so that evaluation never meets a bad one.
func ValidateClaim(c store.Claim) error {
	switch c.ClaimType {
	case store.ClaimResource, store.ClaimIdentity:
	default:
		return fmt.Errorf("claimType must be RESOURCE or IDENTITY, not %q", c.ClaimType)
	}
	if c.Name == "" || len(c.Name) > 100 || strings.ContainsAny(c.Name, " \t\r\n\"") {
		return fmt.Errorf("claim name %q is empty, too long, or has spaces or quotes", c.Name)
	}
	if reservedClaims[c.Name] {
		return fmt.Errorf("claim name %q is reserved", c.Name)
	}
	switch c.ValueType {
	case store.ClaimExpression:
		if _, ok := literal(c.Value); ok {
			return nil
		}
		if _, ok := expressions[c.Value]; !ok {
			names := make([]string, 0, len(expressions))
			for k := range expressions {
				names = append(names, k)
			}
			slices.Sort(names)
			return fmt.Errorf("expression %q is not supported: use a quoted string or one of %s", c.Value, strings.Join(names, ", "))
		}
	case store.ClaimGroups:
		switch c.GroupFilterType {
		case FilterStartsWith, FilterEquals, FilterContains:
		case FilterRegex:
			if _, err := regexp.Compile(c.Value); err != nil {
				return fmt.Errorf("group filter regex: %w", err)
			}
		default:
			return fmt.Errorf("groupFilterType must be STARTS_WITH, EQUALS, CONTAINS or REGEX, not %q", c.GroupFilterType)
		}
	default:
		return fmt.Errorf("valueType must be EXPRESSION or GROUPS, not %q", c.ValueType)
	}
	return nil
}

// reservedClaims cannot be set by custom claims.
var reservedClaims = map[string]bool{
	"ver": true, "jti": true, "iss": true, "aud": true, "iat": true, "exp": true, "nbf": true, "cid": true, "uid": true,
	"scp": true, "sub": true, "auth_time": true, "amr": true, "idp": true, "at_hash": true, "nonce": true,
	"name": true, "preferred_username": true, "given_name": true, "family_name": true, "locale": true, "zoneinfo": true,
	"updated_at": true, "email": true, "email_verified": true,
}

// literal parses a double-quoted string literal.
func literal(v string) (string, bool) {
	if len(v) < 2 || v[0] != '"' {
		return "", false
	}
	s, err := strconv.Unquote(v)
	return s, err == nil
}

// evalClaims evaluates the ACTIVE claims of one type whose scopes intersect
// the granted ones. onlyAlways keeps identity claims marked
// AlwaysIncludeInToken (ID tokens); userinfo passes false.
func evalClaims(claims []store.Claim, claimType string, onlyAlways bool, u *store.User, groups []store.Group, clientID string, scopes []string) map[string]any {
	out := map[string]any{}
	granted := NewScopeSet(scopes)
	for _, c := range claims {
		if c.Status != store.StatusActive || c.ClaimType != claimType || (onlyAlways && !c.AlwaysIncludeInToken) {
			continue
		}
		if len(c.Scopes) > 0 && !slices.ContainsFunc(c.Scopes, granted.Has) {
			continue
		}
		if v, ok := evalClaim(c, u, groups, clientID); ok {
			out[c.Name] = v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func evalClaim(c store.Claim, u *store.User, groups []store.Group, clientID string) (any, bool) {
	switch c.ValueType {
	case store.ClaimExpression:
		if s, ok := literal(c.Value); ok {
			return s, true
		}
		if f, ok := expressions[c.Value]; ok {
			return f(u, clientID)
		}
	case store.ClaimGroups:
		if u == nil {
			return nil, false
		}
		names := []string{}
		for _, g := range groups {
			if groupMatches(c.GroupFilterType, c.Value, g.Name) {
				names = append(names, g.Name)
			}
		}
		return names, true
	}
	return nil, false
}

func groupMatches(filter, value, name string) bool {
	switch filter {
	case FilterStartsWith:
		return strings.HasPrefix(name, value)
	case FilterEquals:
		return name == value
	case FilterContains:
		return strings.Contains(name, value)
	case FilterRegex:
		re, err := regexp.Compile("^(?:" + value + ")$")
		return err == nil && re.MatchString(name)
	}
	return false
}
