package oidc

import (
	"context"
	"errors"
	"log/slog"
	"mime"
	"net/http"
	"slices"
	"strings"

	"github.com/latchkey/latchkey/internal/oauth"
	"github.com/latchkey/latchkey/internal/oautherr"
	"github.com/latchkey/latchkey/internal/policy"
	"github.com/latchkey/latchkey/internal/reqlog"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/token"
)

// UserInfo serves GET and POST {issuer}/v1/userinfo (OIDC Core section
// 5.3): the claims of the user an access token was issued for, as far as
// its scopes allow. Its fields are set once at start-up.
type UserInfo struct {
	Policy   *policy.Engine
	Store    store.Store
	Verifier *token.Verifier
	Logger   *slog.Logger
	// Realm is the realm of WWW-Authenticate: Bearer challenges.
	Realm string
	// Claims returns the claims of user that scopes allow, besides "sub"
	// (which it cannot replace). Nil means token.ProfileClaims: profile and
	// email.
	Claims func(ctx context.Context, srv policy.Server, user store.User, clientID string, scopes []string) (map[string]any, error)
}

// Descriptions of the RFC 6750 errors userinfo answers with.
const (
	descMissing     = "The access token is missing."
	descInvalid     = "The access token is invalid."
	descExpired     = "The access token is expired."
	descRevoked     = "The access token has been revoked."
	descInQuery     = "The access token must not be sent in the query string."
	descTwoMethods  = "The access token must be sent in one place only: the Authorization header or the request body."
	descMalformed   = "The Authorization header is not a valid Bearer credential."
	descNeedsOpenID = "The access token must provide access to the 'openid' scope."
)

func (u *UserInfo) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	srv, ok := oauth.ResolveServer(w, r, u.Policy, u.Logger)
	if !ok {
		return
	}
	claims, err := u.userinfo(r, srv)
	if err != nil {
		var oe *oautherr.Error
		if errors.As(err, &oe) {
			if oe.Status < 500 {
				err = oe.WithHeader("WWW-Authenticate", u.challenge(oe))
			}
			if oe.Debug != "" {
				u.Logger.DebugContext(r.Context(), "userinfo refused", "error", oe.Code, "detail", oe.Debug)
			}
		} else {
			u.Logger.ErrorContext(r.Context(), "userinfo failed", "err", err)
		}
		oautherr.Note(r.Context(), err)
		oautherr.Write(w, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, claims)
}

// errNoToken is the one 401 whose challenge carries no error code (RFC 6750
// section 3.1: a request without any authentication information).
var errNoToken = oautherr.ErrInvalidToken.WithDescription(descMissing)

// challenge is the WWW-Authenticate value for a refusal (RFC 6750 section 3).
func (u *UserInfo) challenge(e *oautherr.Error) string {
	c := "Bearer realm=" + quote(u.Realm)
	if e == errNoToken {
		return c
	}
	c += ", error=" + quote(e.Code) + ", error_description=" + quote(e.Description)
	if errors.Is(e, oautherr.ErrInsufficientScope) {
		c += `, scope="openid"`
	}
	return c
}

// quote makes an RFC 9110 quoted-string of s. RFC 6750 section 3 allows
// printable ASCII other than '"' and backslash in these values; any other
// byte is dropped, so a value can never break the header's syntax.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, c := range []byte(s) {
		if c >= 0x20 && c < 0x7f && c != '"' && c != '\\' {
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func (u *UserInfo) userinfo(r *http.Request, srv policy.Server) (map[string]any, error) {
	ctx := r.Context()
	raw, err := bearerToken(r)
	if err != nil {
		return nil, err
	}
	c, err := u.Verifier.Verify(ctx, srv.ID, srv.Issuer, raw)
	switch {
	case errors.Is(err, token.ErrExpired):
		return nil, oautherr.ErrInvalidToken.WithDescription(descExpired)
	case errors.Is(err, token.ErrInvalid):
		return nil, oautherr.ErrInvalidToken.WithDescription(descInvalid).WithDebug("%v", err)
	case err != nil:
		return nil, err
	case !c.IsAccess():
		return nil, oautherr.ErrInvalidToken.WithDescription(descInvalid).WithDebug("not an access token")
	}
	reqlog.SetClientID(ctx, c.ClientID)
	if revoked, err := u.revoked(ctx, c.JTI); err != nil || revoked {
		if err == nil {
			err = oautherr.ErrInvalidToken.WithDescription(descRevoked)
		}
		return nil, err
	}
	if !slices.Contains(c.Scopes, "openid") {
		return nil, oautherr.ErrInsufficientScope.WithDescription(descNeedsOpenID)
	}
	if c.UserID == "" {
		return nil, oautherr.ErrInvalidToken.WithDescription(descInvalid).WithDebug("a token without a user (client credentials)")
	}
	client, err := u.Store.GetClient(ctx, c.ClientID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && client.Status != store.StatusActive) {
		return nil, oautherr.ErrInvalidToken.WithDescription(descInvalid).WithDebug("client %s is gone or not active", c.ClientID)
	}
	if err != nil {
		return nil, err
	}
	user, err := u.Store.GetUser(ctx, c.UserID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !user.HoldsTokenIssuedAt(c.IssuedAt)) {
		return nil, oautherr.ErrInvalidToken.WithDescription(descInvalid).WithDebug("user %s is gone or not active, or the token predates the user's watermark", c.UserID)
	}
	if err != nil {
		return nil, err
	}
	var claims map[string]any
	if u.Claims != nil {
		if claims, err = u.Claims(ctx, srv, user, c.ClientID, c.Scopes); err != nil {
			return nil, err
		}
	} else {
		claims = token.ProfileClaims(&user, c.Scopes)
	}
	out := make(map[string]any, len(claims)+1)
	for k, v := range claims {
		out[k] = v
	}
	out["sub"] = user.ID
	return out, nil
}

func (u *UserInfo) revoked(ctx context.Context, jti string) (bool, error) {
	rec, err := u.Store.GetTokenRecord(ctx, jti)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return !rec.RevokedAt.IsZero(), nil
}

// bearerToken finds the access token of a request: the Authorization
// header (RFC 6750 section 2.1) or, in a POST, the form body's
// access_token (section 2.2), one of the two only. A token in the query
// (section 2.3) is refused: it ends up in logs and browser histories.
func bearerToken(r *http.Request) (string, error) {
	invalid := func(desc string) error { return oautherr.ErrInvalidRequest.WithDescription("%s", desc) }
	if r.URL.Query().Has("access_token") {
		return "", invalid(descInQuery)
	}
	var fromHeader string
	hasHeader := false
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, rest, _ := strings.Cut(h, " ")
		if strings.EqualFold(scheme, "Bearer") {
			hasHeader = true
			if fromHeader = strings.TrimSpace(rest); fromHeader == "" {
				return "", invalid(descMalformed)
			}
		}
	}
	var fromBody string
	if r.Method == http.MethodPost && isForm(r.Header.Get("Content-Type")) {
		form, err := oauth.ParseForm(r)
		if err != nil {
			return "", err
		}
		fromBody = form.Get("access_token")
	}
	switch {
	case hasHeader && fromBody != "":
		return "", invalid(descTwoMethods)
	case hasHeader:
		return fromHeader, nil
	case fromBody != "":
		return fromBody, nil
	}
	return "", errNoToken
}

func isForm(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == "application/x-www-form-urlencoded"
}
