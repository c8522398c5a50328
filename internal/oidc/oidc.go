package oidc

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/latchkey/latchkey/internal/apierr"
	"github.com/latchkey/latchkey/internal/keys"
	"github.com/latchkey/latchkey/internal/oauth"
	"github.com/latchkey/latchkey/internal/policy"
)

// Handlers serves discovery and keys.
type Handlers struct {
	Policy *policy.Engine
	Keys   *keys.Manager
	Logger *slog.Logger
	// JWKSMaxAge is the max-age of the JWKS response (default 1 hour, less
	// than the two weeks a NEXT key is published ahead, so caches see it).
	JWKSMaxAge time.Duration
}

// claimsSupported are the claims Latchkey's tokens can carry.
var claimsSupported = []string{
	"ver", "jti", "iss", "sub", "aud", "iat", "exp", "cid", "uid", "scp", "auth_time", "amr", "idp", "at_hash",
	"name", "preferred_username", "given_name", "family_name", "locale", "zoneinfo", "updated_at",
	"email", "email_verified",
}

// Metadata is the discovery document, in the order Okta's lists fields.
type Metadata struct {
	Issuer                            string   `json:"issuer"`
	TokenEndpoint                     string   `json:"token_endpoint"`
	UserinfoEndpoint                  string   `json:"userinfo_endpoint,omitempty"`
	JWKSURI                           string   `json:"jwks_uri"`
	ResponseTypesSupported            []string `json:"response_types_supported"`
	GrantTypesSupported               []string `json:"grant_types_supported"`
	SubjectTypesSupported             []string `json:"subject_types_supported,omitempty"`
	ScopesSupported                   []string `json:"scopes_supported"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`
	ClaimsSupported                   []string `json:"claims_supported"`
	IDTokenSigningAlgValuesSupported  []string `json:"id_token_signing_alg_values_supported,omitempty"`

	// TokenEndpointAuthSigningAlgValuesSupported are the algorithms of
	// client assertions (client_secret_jwt, private_key_jwt).
	TokenEndpointAuthSigningAlgValuesSupported []string `json:"token_endpoint_auth_signing_alg_values_supported"`

	IntrospectionEndpoint                     string   `json:"introspection_endpoint"`
	IntrospectionEndpointAuthMethodsSupported []string `json:"introspection_endpoint_auth_methods_supported"`
	RevocationEndpoint                        string   `json:"revocation_endpoint"`
	RevocationEndpointAuthMethodsSupported    []string `json:"revocation_endpoint_auth_methods_supported"`

	// ChallengeEndpoint is /v1/challenge of Okta's direct authentication,
	// listed where the server offers the MFA grants. Okta's SDKs derive it
	// from token_endpoint; Auth0 publishes its own as
	// mfa_challenge_endpoint.
	ChallengeEndpoint string `json:"challenge_endpoint,omitempty"`
}

// metadata builds the document; oidcDoc adds the OIDC-only fields.
func (h *Handlers) metadata(ctx context.Context, srv policy.Server, oidcDoc bool) (Metadata, error) {
	scopes, err := h.Policy.PublishedScopes(ctx, srv)
	if err != nil {
		return Metadata{}, err
	}
	m := Metadata{
		Issuer:                            srv.Issuer,
		TokenEndpoint:                     srv.EndpointBase + "/token",
		JWKSURI:                           srv.EndpointBase + "/keys",
		ResponseTypesSupported:            []string{},
		GrantTypesSupported:               h.Policy.Grants(srv),
		ScopesSupported:                   scopes,
		TokenEndpointAuthMethodsSupported: oauth.AuthMethods,
		ClaimsSupported:                   claimsSupported,

		TokenEndpointAuthSigningAlgValuesSupported: oauth.AssertionSigningAlgs,

		IntrospectionEndpoint:                     srv.EndpointBase + "/introspect",
		IntrospectionEndpointAuthMethodsSupported: oauth.AuthMethods,
		RevocationEndpoint:                        srv.EndpointBase + "/revoke",
		RevocationEndpointAuthMethodsSupported:    oauth.AuthMethods,
	}
	if slices.Contains(m.GrantTypesSupported, policy.GrantMFAOTP) {
		m.ChallengeEndpoint = srv.EndpointBase + "/challenge"
	}
	if oidcDoc {
		m.UserinfoEndpoint = srv.EndpointBase + "/userinfo"
		m.SubjectTypesSupported = []string{"public"}
		// The algorithms of the published keys: the signing one, the NEXT
		// key's ahead of its first signature, and the EXPIRED keys' while
		// their tokens live (go-oidc accepts only what is listed here).
		if m.IDTokenSigningAlgValuesSupported, err = h.Keys.Algs(ctx, srv.ID); err != nil {
			return Metadata{}, err
		}
	}
	return m, nil
}

// OpenIDConfiguration serves GET {issuer}/.well-known/openid-configuration.
func (h *Handlers) OpenIDConfiguration(w http.ResponseWriter, r *http.Request) {
	h.serveMetadata(w, r, true)
}

// OAuthMetadata serves GET {issuer}/.well-known/oauth-authorization-server
// and RFC 8414's {base}/.well-known/oauth-authorization-server/oauth2/{id}.
func (h *Handlers) OAuthMetadata(w http.ResponseWriter, r *http.Request) {
	h.serveMetadata(w, r, false)
}

func (h *Handlers) serveMetadata(w http.ResponseWriter, r *http.Request, oidcDoc bool) {
	srv, ok := oauth.ResolveServer(w, r, h.Policy, h.Logger)
	if !ok {
		return
	}
	m, err := h.metadata(r.Context(), srv, oidcDoc)
	if err != nil {
		h.Logger.ErrorContext(r.Context(), "discovery", "err", err)
		apierr.Write(w, http.StatusInternalServerError, "E0000009", "Internal Server Error")
		return
	}
	w.Header().Set("Cache-Control", "max-age=86400, must-revalidate")
	writeJSON(w, m)
}

// JWKS serves GET {issuer}/v1/keys.
func (h *Handlers) JWKS(w http.ResponseWriter, r *http.Request) {
	srv, ok := oauth.ResolveServer(w, r, h.Policy, h.Logger)
	if !ok {
		return
	}
	set, err := h.Keys.JWKS(r.Context(), srv.ID)
	if err != nil {
		h.Logger.ErrorContext(r.Context(), "jwks", "err", err)
		apierr.Write(w, http.StatusInternalServerError, "E0000009", "Internal Server Error")
		return
	}
	maxAge := h.JWKSMaxAge
	if maxAge <= 0 {
		maxAge = time.Hour
	}
	w.Header().Set("Cache-Control", "max-age="+strconv.Itoa(int(maxAge.Seconds()))+", must-revalidate")
	writeJSON(w, set)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
