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

// Client authentication methods (RFC 7591 names).
const (
	AuthSecretBasic = "client_secret_basic"
	AuthSecretPost  = "client_secret_post"
)

// AuthMethods are the methods a client may be configured with.
var AuthMethods = []string{AuthSecretBasic, AuthSecretPost}

const multipleCredentials = "Cannot supply multiple client credentials. Use one of the following: credentials in the Authorization header, credentials in the post body, or a client_assertion in the post body."

// clientCredentials is what a request presented.
type clientCredentials struct {
	method string // AuthSecretBasic or AuthSecretPost
	id     string
	secret string
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

// presented finds the credentials of a request, refusing them in two places.
func presented(r *http.Request, form url.Values) (clientCredentials, error) {
	id, secret, hasBasic, err := BasicCredentials(r.Header.Get("Authorization"))
	if hasBasic && err != nil {
		return clientCredentials{method: AuthSecretBasic}, oautherr.ErrInvalidClient.
			WithDescription("Found Authentication header but was not valid client credentials.")
	}
	inBody := form.Has("client_secret") || form.Has("client_assertion")
	if hasBasic {
		if inBody {
			return clientCredentials{method: AuthSecretBasic}, oautherr.ErrInvalidRequest.WithStatus(http.StatusUnauthorized).
				WithDescription(multipleCredentials)
		}
		if fid := form.Get("client_id"); fid != "" && fid != id {
			return clientCredentials{method: AuthSecretBasic}, oautherr.ErrInvalidClient.WithDebug("client_id in body differs from Basic")
		}
		return clientCredentials{method: AuthSecretBasic, id: id, secret: secret}, nil
	}
	if form.Has("client_assertion") {
		return clientCredentials{}, oautherr.ErrInvalidClient.WithDebug("client assertions are not supported")
	}
	if !form.Has("client_id") && !form.Has("client_secret") {
		return clientCredentials{}, oautherr.ErrInvalidClient.WithDescription("No client credentials found.")
	}
	if !form.Has("client_id") {
		return clientCredentials{}, oautherr.ErrInvalidClient.WithDescription("Invalid value for 'client_id' parameter.")
	}
	return clientCredentials{method: AuthSecretPost, id: form.Get("client_id"), secret: form.Get("client_secret")}, nil
}

// SecretVerifier checks a presented client secret against its stored hash.
type SecretVerifier interface {
	Verify(encoded, secret string) bool
}

// authenticateClient implements RFC 6749 section 2.3: it returns the client
// the request authenticated as, or an invalid_client error. When the client
// used HTTP Basic, a 401 carries WWW-Authenticate (section 5.2).
func (s *Server) authenticateClient(ctx context.Context, r *http.Request, form url.Values) (store.Client, error) {
	creds, err := presented(r, form)
	if err == nil {
		var c store.Client
		c, err = s.checkClient(ctx, creds)
		if err == nil {
			return c, nil
		}
	}
	var oe *oautherr.Error
	if creds.method == AuthSecretBasic && errors.As(err, &oe) && oe.Status == http.StatusUnauthorized {
		err = oe.WithHeader("WWW-Authenticate", `Basic realm="`+s.Realm+`"`)
	}
	return store.Client{}, err
}

func (s *Server) checkClient(ctx context.Context, creds clientCredentials) (store.Client, error) {
	c, err := s.Store.GetClient(ctx, creds.id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && c.Status != store.StatusActive) {
		return store.Client{}, oautherr.ErrInvalidClient.WithDescription("Invalid value for 'client_id' parameter.")
	}
	if err != nil {
		return store.Client{}, err
	}
	if creds.secret == "" || c.SecretHash == "" {
		return store.Client{}, oautherr.ErrInvalidClient.WithDebug("no secret presented or none configured")
	}
	if !s.Secrets.Verify(c.SecretHash, creds.secret) {
		return store.Client{}, oautherr.ErrInvalidClient.WithDescription("The client secret supplied for a confidential client is invalid.")
	}
	method := c.TokenEndpointAuthMethod
	if method == "" {
		method = AuthSecretBasic
	}
	if method != creds.method || !slices.Contains(AuthMethods, method) {
		return store.Client{}, oautherr.ErrInvalidClient.WithDebug("client is configured for %s, request used %s", method, creds.method)
	}
	return c, nil
}
