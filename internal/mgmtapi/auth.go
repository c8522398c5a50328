package mgmtapi

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/latchkey/latchkey/internal/policy"
	"github.com/latchkey/latchkey/internal/reqlog"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/token"
)

// APITokenWindow is how long an API token stays valid after its last use
// (Okta's default token window, 30 days).
const APITokenWindow = 30 * 24 * time.Hour

// touchEvery bounds how often a token's last use is written: a busy
// script costs one write an hour, not one a request.
const touchEvery = time.Hour

// Principal is the authenticated caller of a request: an API token, or a
// client holding an org access token.
type Principal struct {
	// APITokenID is set for SSWS callers.
	APITokenID string
	// ClientID and JTI are set for Bearer callers.
	ClientID string
	JTI      string
	// scopes are the token's okta.* scopes; nil for an API token, which
	// may do everything.
	scopes policy.ScopeSet
}

// key is the rate-limit key of the caller's credential.
func (p *Principal) key() string {
	if p.APITokenID != "" {
		return "token:" + p.APITokenID
	}
	return "client:" + p.ClientID
}

// Has reports whether the caller holds scope (or, for okta.X.read, its
// okta.X.manage).
func (p *Principal) Has(scope string) bool {
	if p.scopes == nil || scope == "" || p.scopes.Has(scope) {
		return true
	}
	if base, ok := strings.CutSuffix(scope, ".read"); ok {
		return p.scopes.Has(base + ".manage")
	}
	return false
}

// require refuses a caller without scope: 403 E0000006 with the RFC 6750
// insufficient_scope challenge Okta sends.
func (p *Principal) require(scope, path, base string) error {
	if p.Has(scope) {
		return nil
	}
	return Forbidden().withHeader("WWW-Authenticate", `Bearer authorization_uri="`+base+`/oauth2/v1/authorize", realm="`+base+
		`", scope="`+scope+`", error="insufficient_scope", error_description="The access token provided does not contain the required scopes.", resource="`+
		headerSafe(path)+`"`)
}

var (
	errNoCredential = &Error{Status: http.StatusUnauthorized, Code: CodeInvalidSession, Summary: "Invalid session"}
	errInvalidToken = &Error{Status: http.StatusUnauthorized, Code: CodeInvalidToken, Summary: "Invalid token provided"}
)

// authenticate reads the Authorization header: "SSWS {api token}" or
// "Bearer {org access token}". A DPoP-bound token ("DPoP …") is refused:
// Latchkey's org server issues Bearer tokens only and ignores DPoP proofs.
func (a *API) authenticate(ctx context.Context, r *http.Request) (*Principal, error) {
	h := r.Header.Get("Authorization")
	scheme, value, _ := strings.Cut(h, " ")
	value = strings.TrimSpace(value)
	switch {
	case h == "":
		return nil, errNoCredential
	case strings.EqualFold(scheme, "SSWS") && value != "":
		return a.apiToken(ctx, value)
	case strings.EqualFold(scheme, "Bearer") && value != "":
		return a.bearer(ctx, value)
	}
	return nil, a.bearerChallenge(errInvalidToken, "The access token is invalid.")
}

func (a *API) bearerChallenge(e *Error, desc string) *Error {
	return e.withHeader("WWW-Authenticate", `Bearer authorization_uri="`+a.cfg.BaseURL+`/oauth2/v1/authorize", realm="`+a.cfg.BaseURL+
		`", error="invalid_token", error_description="`+desc+`"`)
}

// apiToken finds an API token by the keyed hash of its value: the lookup
// is by an HMAC under the master key, so it neither compares secrets nor
// reveals anything by its timing.
func (a *API) apiToken(ctx context.Context, value string) (*Principal, error) {
	if len(value) > 256 {
		return nil, errInvalidToken
	}
	t, err := a.cfg.Store.GetAPITokenByHash(ctx, a.cfg.Secrets.Hash(value))
	if errors.Is(err, store.ErrNotFound) {
		return nil, errInvalidToken
	}
	if err != nil {
		return nil, err
	}
	now := a.now()
	if !now.Before(t.ExpiresAt) {
		return nil, errInvalidToken
	}
	if now.Sub(t.LastUsedAt) >= touchEvery {
		if err := a.cfg.Store.TouchAPIToken(ctx, t.ID, now, now.Add(APITokenWindow)); err != nil && !errors.Is(err, store.ErrNotFound) {
			// The request is served: the window was checked above.
			a.cfg.Logger.WarnContext(ctx, "record API token use", "token_id", t.ID, "err", err)
		}
	}
	return &Principal{APITokenID: t.ID}, nil
}

// bearer checks an access token of the org authorization server as
// introspection would (signature, expiry, revocation, client still
// active).
func (a *API) bearer(ctx context.Context, raw string) (*Principal, error) {
	org, err := a.cfg.Policy.Server(ctx, "")
	if err != nil {
		return nil, err
	}
	c, err := a.cfg.Lifecycle.CheckAccessToken(ctx, org, raw)
	if errors.Is(err, token.ErrExpired) {
		return nil, a.bearerChallenge(errInvalidToken, "The token has expired.")
	}
	if errors.Is(err, token.ErrInvalid) {
		return nil, a.bearerChallenge(errInvalidToken, "The access token is invalid.")
	}
	if err != nil {
		return nil, err
	}
	reqlog.SetClientID(ctx, c.ClientID)
	return &Principal{ClientID: c.ClientID, JTI: c.JTI, scopes: policy.NewScopeSet(c.Scopes)}, nil
}

// headerSafe keeps the printable ASCII of s other than quotes and
// backslashes, so that a path cannot break a header's syntax.
func headerSafe(s string) string {
	var b strings.Builder
	for _, c := range []byte(clip(s, 256)) {
		if c >= 0x20 && c < 0x7f && c != '"' && c != '\\' {
			b.WriteByte(c)
		}
	}
	return b.String()
}
