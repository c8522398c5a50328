package oauth

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/latchkey/latchkey/internal/oautherr"
	"github.com/latchkey/latchkey/internal/store"
)

// Client authentication methods (RFC 7591 section 2 names).
const (
	AuthSecretBasic   = "client_secret_basic"
	AuthSecretPost    = "client_secret_post"
	AuthSecretJWT     = "client_secret_jwt"
	AuthPrivateKeyJWT = "private_key_jwt"
	AuthNone          = "none"
)

// AuthMethods are the methods a client may be configured with, as
// discovery lists them.
var AuthMethods = []string{AuthSecretBasic, AuthSecretPost, AuthSecretJWT, AuthPrivateKeyJWT, AuthNone}

// methodAssertion marks credentials presented as a client_assertion; the
// client's configuration says whether that is client_secret_jwt or
// private_key_jwt.
const methodAssertion = "client_assertion"

// methodBasicID marks Authorization: Basic base64(client_id), with no
// secret: only a public client may use it, only to revoke and introspect.
const methodBasicID = "basic_client_id"

const multipleCredentials = "Cannot supply multiple client credentials. Use one of the following: credentials in the Authorization header, credentials in the post body, or a client_assertion in the post body."

// clientCredentials is what a request presented.
type clientCredentials struct {
	method        string // AuthSecretBasic, AuthSecretPost, AuthNone, methodAssertion or methodBasicID
	id            string // for an assertion, the client_id parameter if any
	secret        string
	assertion     string
	assertionType string
}

// BasicCredentials decodes an HTTP Basic Authorization header whose id and
// secret are form-urlencoded before base64 (RFC 6749 section 2.3.1). ok is
// false when the header is absent; err is set when it is present but
// malformed.
func BasicCredentials(header string) (id, secret string, ok bool, err error) {
	if header == "" {
		return "", "", false, nil
	}
	scheme, rest, _ := strings.Cut(header, " ")
	if !strings.EqualFold(scheme, "Basic") {
		return "", "", false, nil
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(rest))
	if err != nil {
		return "", "", true, errMalformedBasic
	}
	uid, pw, found := strings.Cut(string(raw), ":")
	if !found {
		return "", "", true, errMalformedBasic
	}
	if id, err = url.QueryUnescape(uid); err != nil {
		return "", "", true, errMalformedBasic
	}
	if secret, err = url.QueryUnescape(pw); err != nil {
		return "", "", true, errMalformedBasic
	}
	if id == "" {
		return "", "", true, errMalformedBasic
	}
	return id, secret, true, nil
}

var errMalformedBasic = errors.New("malformed basic credentials")

// BasicClientID decodes Authorization: Basic base64(client_id), a client
// id with no colon and no secret, as Okta's JavaScript SDK sends for a
// public client at the revocation and introspection endpoints. The id is
// form-urlencoded as in BasicCredentials. ok is false for any other header,
// including every header BasicCredentials accepts.
func BasicClientID(header string) (id string, ok bool) {
	scheme, rest, _ := strings.Cut(header, " ")
	if !strings.EqualFold(scheme, "Basic") {
		return "", false
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(rest))
	if err != nil || len(raw) == 0 || strings.Contains(string(raw), ":") {
		return "", false
	}
	id, err = url.QueryUnescape(string(raw))
	if err != nil || id == "" {
		return "", false
	}
	return id, true
}

var errBadBasicHeader = oautherr.ErrInvalidClient.WithDescription("Found Authentication header but was not valid client credentials.")

// presented finds the credentials of a request, refusing them in two places.
// basicID accepts Basic base64(client_id) (BasicClientID), which
// checkClient then allows for public clients only.
func presented(r *http.Request, form url.Values, basicID bool) (clientCredentials, error) {
	header := r.Header.Get("Authorization")
	method := AuthSecretBasic
	id, secret, hasBasic, err := BasicCredentials(header)
	if hasBasic && err != nil && basicID {
		if bid, ok := BasicClientID(header); ok {
			method, id, err = methodBasicID, bid, nil
		}
	}
	if hasBasic && err != nil {
		return clientCredentials{method: AuthSecretBasic}, errBadBasicHeader
	}
	hasAssertion := form.Has("client_assertion")
	if hasBasic {
		if hasAssertion || form.Has("client_secret") {
			return clientCredentials{method: AuthSecretBasic}, oautherr.ErrInvalidRequest.WithStatus(http.StatusUnauthorized).
				WithDescription(multipleCredentials)
		}
		if fid := form.Get("client_id"); fid != "" && fid != id {
			return clientCredentials{method: AuthSecretBasic}, oautherr.ErrInvalidClient.WithDebug("client_id in body differs from Basic")
		}
		return clientCredentials{method: method, id: id, secret: secret}, nil
	}
	if hasAssertion {
		if form.Has("client_secret") {
			return clientCredentials{}, oautherr.ErrInvalidRequest.WithStatus(http.StatusUnauthorized).WithDescription(multipleCredentials)
		}
		return clientCredentials{method: methodAssertion, id: form.Get("client_id"),
			assertion: form.Get("client_assertion"), assertionType: form.Get("client_assertion_type")}, nil
	}
	if !form.Has("client_id") && !form.Has("client_secret") {
		return clientCredentials{}, oautherr.ErrInvalidClient.WithDescription("No client credentials found.")
	}
	if !form.Has("client_id") {
		return clientCredentials{}, oautherr.ErrInvalidClient.WithDescription("Invalid value for 'client_id' parameter.")
	}
	if !form.Has("client_secret") {
		// A public client (RFC 6749 section 2.1) identifies itself only.
		return clientCredentials{method: AuthNone, id: form.Get("client_id")}, nil
	}
	return clientCredentials{method: AuthSecretPost, id: form.Get("client_id"), secret: form.Get("client_secret")}, nil
}

// SecretVerifier checks a presented client secret against its stored hash.
type SecretVerifier interface {
	Verify(encoded, secret string) bool
}

// authenticateClient authenticates the client of a request to the endpoint
// it reached: a client assertion's aud must be that endpoint's public URL,
// the base URL the issuers are built from plus the request path (for the
// token endpoint, {issuer}/v1/token).
func (s *Server) authenticateClient(ctx context.Context, r *http.Request, form url.Values) (store.Client, error) {
	return s.authenticateClientFor(ctx, r, form, s.Policy.BaseURL+r.URL.Path, false)
}

// authenticateLifecycleClient is authenticateClient for the revocation and
// introspection endpoints, where a public client may also present
// Authorization: Basic base64(client_id), as Okta's JavaScript SDK does. It
// proves no more than a client_id in the body; the token endpoint never
// accepts it.
func (s *Server) authenticateLifecycleClient(ctx context.Context, r *http.Request, form url.Values) (store.Client, error) {
	return s.authenticateClientFor(ctx, r, form, s.Policy.BaseURL+r.URL.Path, true)
}

// authenticateClientFor implements RFC 6749 section 2.3 and RFC 7523
// section 3: it returns the client the request authenticated as, or an
// invalid_client error. audience is the URL a client assertion's aud must
// contain. The method used must be the one the client is configured for.
// When the client used HTTP Basic, a 401 carries WWW-Authenticate (section
// 5.2). basicID allows public clients Basic base64(client_id).
func (s *Server) authenticateClientFor(ctx context.Context, r *http.Request, form url.Values, audience string, basicID bool) (store.Client, error) {
	creds, err := presented(r, form, basicID)
	if err == nil {
		var c store.Client
		c, err = s.checkClient(ctx, creds, audience)
		if err == nil {
			return c, nil
		}
	}
	return store.Client{}, s.basicChallenge(r, err)
}

func (s *Server) checkClient(ctx context.Context, creds clientCredentials, audience string) (store.Client, error) {
	if creds.method == methodAssertion {
		return s.checkAssertion(ctx, creds, audience)
	}
	if creds.method == methodBasicID {
		return s.checkBasicID(ctx, creds.id)
	}
	c, err := s.loadClient(ctx, creds.id)
	if err != nil {
		return store.Client{}, err
	}
	method := configuredMethod(c)
	if creds.method == AuthNone {
		if method != AuthNone {
			return store.Client{}, oautherr.ErrInvalidClient.WithDebug("client is configured for %s, request presented no secret", method)
		}
		return c, nil
	}
	if creds.secret == "" {
		return store.Client{}, oautherr.ErrInvalidClient.WithDebug("no secret presented")
	}
	matched, held, err := s.matchSecret(ctx, c.ID, creds.secret)
	if err != nil {
		return store.Client{}, err
	}
	if !held {
		return store.Client{}, oautherr.ErrInvalidClient.WithDebug("the client has no ACTIVE secret")
	}
	if !matched {
		return store.Client{}, oautherr.ErrInvalidClient.WithDescription("The client secret supplied for a confidential client is invalid.").
			WithDebug("secret mismatch")
	}
	if method != creds.method {
		return store.Client{}, oautherr.ErrInvalidClient.WithDebug("client is configured for %s, request used %s", method, creds.method)
	}
	return c, nil
}

// matchSecret reports whether secret is one of the client's ACTIVE
// secrets, and whether the client holds any. Every ACTIVE secret is checked, each in constant time, with no
// early exit: the time taken does not say which one matched (during a
// rotation a client holds two).
func (s *Server) matchSecret(ctx context.Context, clientID, secret string) (matched, held bool, err error) {
	all, err := s.Store.ListClientSecrets(ctx, clientID)
	if err != nil {
		return false, false, err
	}
	hits := 0
	for _, cs := range all {
		if cs.Status != store.StatusActive || cs.Hash == "" {
			continue
		}
		held = true
		if s.Secrets.Verify(cs.Hash, secret) {
			hits |= 1
		}
	}
	return hits == 1, held, nil
}

// checkBasicID returns the public client that presented Basic
// base64(client_id). Any other client, or an unknown one, gets the answer
// a malformed Basic header always got: the header is not credentials.
func (s *Server) checkBasicID(ctx context.Context, id string) (store.Client, error) {
	c, err := s.loadClient(ctx, id)
	if err != nil && !errors.Is(err, oautherr.ErrInvalidClient) {
		return store.Client{}, err
	}
	if err != nil || configuredMethod(c) != AuthNone {
		return store.Client{}, errBadBasicHeader.WithDebug("Basic header without a secret from a client that is not public")
	}
	return c, nil
}

// loadClient returns the active client of an id, or the contract's
// "unknown client" error.
func (s *Server) loadClient(ctx context.Context, id string) (store.Client, error) {
	c, err := s.Store.GetClient(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && c.Status != store.StatusActive) {
		return store.Client{}, oautherr.ErrInvalidClient.WithDescription("Invalid value for 'client_id' parameter.").
			WithDebug("unknown or inactive client")
	}
	if err != nil {
		return store.Client{}, err
	}
	return c, nil
}

// configuredMethod is the client's token endpoint auth method, the default
// when unset, or "" when the record names a method Latchkey does not know
// (such a client cannot authenticate).
func configuredMethod(c store.Client) string {
	m := c.TokenEndpointAuthMethod
	if m == "" {
		return AuthSecretBasic
	}
	if !slices.Contains(AuthMethods, m) {
		return ""
	}
	return m
}
