package oidc

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/latchkey/latchkey/internal/apierr"
	"github.com/latchkey/latchkey/internal/keys"
	"github.com/latchkey/latchkey/internal/oauth"
	"github.com/latchkey/latchkey/internal/policy"
)

// Handlers serves discovery and keys. Each document is encoded once per
// change and served from those bytes (prepared.go). Its exported fields
// are set before first use.
type Handlers struct {
	Policy *policy.Engine
	Keys   *keys.Manager
	Logger *slog.Logger
	// JWKSMaxAge is the max-age of the JWKS response (default 1 hour, less
	// than the two weeks a NEXT key is published ahead, so caches see it).
	JWKSMaxAge time.Duration
	// Recheck is how long the JWKS and discovery documents, encoded once,
	// are served before they are read from the store again when no change
	// was heard of (Invalidate); DefaultRecheck when 0.
	Recheck time.Duration

	docs preparedDocs
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

// discoveryCacheControl is what discovery documents have always carried.
const discoveryCacheControl = "max-age=86400, must-revalidate"

// OpenIDConfiguration serves GET {issuer}/.well-known/openid-configuration.
func (h *Handlers) OpenIDConfiguration(w http.ResponseWriter, r *http.Request) {
	h.serveDoc(w, r, docOpenID)
}

// OAuthMetadata serves GET {issuer}/.well-known/oauth-authorization-server
// and RFC 8414's {base}/.well-known/oauth-authorization-server/oauth2/{id}.
func (h *Handlers) OAuthMetadata(w http.ResponseWriter, r *http.Request) {
	h.serveDoc(w, r, docOAuth)
}

// JWKS serves GET {issuer}/v1/keys.
func (h *Handlers) JWKS(w http.ResponseWriter, r *http.Request) {
	h.serveDoc(w, r, docJWKS)
}

func (h *Handlers) jwksMaxAge() time.Duration {
	if h.JWKSMaxAge <= 0 {
		return time.Hour
	}
	return h.JWKSMaxAge
}

// resolveServer writes Okta's 404 for an unknown server, as every
// endpoint does; ok is false when it wrote an answer.
func resolveServer(w http.ResponseWriter, r *http.Request, h *Handlers) (policy.Server, bool) {
	return oauth.ResolveServer(w, r, h.Policy, h.Logger)
}

func writeInternalError(w http.ResponseWriter) {
	apierr.Write(w, http.StatusInternalServerError, "E0000009", "Internal Server Error")
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
