package policy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/latchkey/latchkey/internal/oautherr"
	"github.com/latchkey/latchkey/internal/store"
)

// Grant types Latchkey implements.
const (
	GrantPassword = "password"
)

// SupportedGrants lists the grant types the token endpoint implements, in
// the order error messages list them.
var SupportedGrants = []string{GrantPassword}

// OIDC scopes (OIDC Core section 5.4) that every authorization server has.
var oidcScopes = []string{"openid", "profile", "email"}

// Lifetimes are token lifetimes.
type Lifetimes struct {
	Access time.Duration
	ID     time.Duration
}

// DefaultLifetimes are Okta's defaults: 60 minutes for access and ID tokens.
var DefaultLifetimes = Lifetimes{Access: time.Hour, ID: time.Hour}

// Engine evaluates requests against the stored authorization servers.
type Engine struct {
	Store     store.Store
	BaseURL   string // the public base URL, no trailing slash
	Lifetimes Lifetimes
}

// Server is an authorization server with its public URLs.
type Server struct {
	store.AuthServer
	Issuer       string // {base}/oauth2/{id}
	EndpointBase string // {issuer}/v1
}

// ErrUnknownServer means the path names no active authorization server.
var ErrUnknownServer = errors.New("policy: unknown authorization server")

// Server resolves the authorization server of a request path.
func (e *Engine) Server(ctx context.Context, id string) (Server, error) {
	a, err := e.Store.GetAuthServer(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && a.Status != store.StatusActive) {
		return Server{}, fmt.Errorf("%w: %q", ErrUnknownServer, id)
	}
	if err != nil {
		return Server{}, err
	}
	iss := e.BaseURL + "/oauth2/" + a.ID
	return Server{AuthServer: a, Issuer: iss, EndpointBase: iss + "/v1"}, nil
}

// Scopes returns the scopes the authorization server offers.
func (e *Engine) Scopes(Server) []string {
	return slices.Clone(oidcScopes)
}

// IsOIDCScope reports whether s is one of the OIDC scopes other than openid.
func IsOIDCScope(s string) bool {
	return s != "openid" && slices.Contains(oidcScopes, s)
}

// ParseScope splits a scope parameter (RFC 6749 section 3.3) into distinct
// scopes in request order.
func ParseScope(raw string) []string {
	var out []string
	for _, s := range strings.Split(raw, " ") {
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// Request is what the token endpoint asks the engine to decide.
type Request struct {
	Server Server
	Client store.Client
	User   *store.User // nil for client credentials
	Grant  string
	Scopes []string // requested, parsed with ParseScope
}

// Decision is what the engine grants.
type Decision struct {
	Scopes    []string
	Lifetimes Lifetimes
}

// CheckScopes validates requested scopes against the server, in Okta's
// order, before any credential is checked.
func (e *Engine) CheckScopes(srv Server, requested []string) error {
	if len(requested) == 0 {
		return oautherr.ErrInvalidScope.WithDescription("No scopes were requested.")
	}
	offered := e.Scopes(srv)
	for _, s := range requested {
		if !slices.Contains(offered, s) {
			return oautherr.ErrInvalidScope.WithDescription("One or more scopes are not configured for the authorization server resource.").
				WithDebug("unknown scope %q", s)
		}
	}
	if !slices.Contains(requested, "openid") {
		return oautherr.ErrInvalidScope.WithDescription("Requests for ID tokens or access tokens with OpenID scopes require the 'openid' scope.")
	}
	return nil
}

// Decide returns the scopes and lifetimes granted for a request whose
// scopes passed CheckScopes and whose credentials are valid.
func (e *Engine) Decide(_ context.Context, req Request) (Decision, error) {
	if err := e.CheckScopes(req.Server, req.Scopes); err != nil {
		return Decision{}, err
	}
	lt := e.Lifetimes
	if lt.Access == 0 {
		lt.Access = DefaultLifetimes.Access
	}
	if lt.ID == 0 {
		lt.ID = DefaultLifetimes.ID
	}
	return Decision{Scopes: slices.Clone(req.Scopes), Lifetimes: lt}, nil
}
