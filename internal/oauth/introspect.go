package oauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/latchkey/latchkey/internal/oautherr"
	"github.com/latchkey/latchkey/internal/policy"
	"github.com/latchkey/latchkey/internal/reqlog"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/token"
)

// Lifecycle serves the endpoints about tokens already issued: introspection
// (RFC 7662) and revocation (RFC 7009). Clients authenticate as at the
// token endpoint, through Server, and a public client may also send
// Authorization: Basic base64(client_id), as Okta's JavaScript SDK does.
// Its fields are set once at start-up.
type Lifecycle struct {
	Server   *Server
	Verifier *token.Verifier
}

// Token type hints (RFC 7662 section 2.1, RFC 7009 section 2.1, Okta).
const (
	HintAccessToken  = "access_token"
	HintIDToken      = "id_token"
	HintRefreshToken = "refresh_token"
)

// introspection is the RFC 7662 section 2.2 answer, in Okta's order. An
// inactive token is {"active":false} and nothing else.
type introspection struct {
	Active    bool   `json:"active"`
	TokenType string `json:"token_type,omitempty"`
	Scope     string `json:"scope,omitempty"`
	ClientID  string `json:"client_id,omitempty"`
	Username  string `json:"username,omitempty"`
	Exp       int64  `json:"exp,omitempty"`
	Iat       int64  `json:"iat,omitempty"`
	Nbf       int64  `json:"nbf,omitempty"`
	Sub       string `json:"sub,omitempty"`
	Aud       string `json:"aud,omitempty"`
	Iss       string `json:"iss,omitempty"`
	JTI       string `json:"jti,omitempty"`
	UID       string `json:"uid,omitempty"`
}

var inactive = &introspection{}

// lifecycleRequest is one parsed, client-authenticated introspection or
// revocation request.
type lifecycleRequest struct {
	r      *http.Request
	server policy.Server
	client store.Client
	token  string
	hint   string
}

// parse reads the form, authenticates the client and requires token: the
// phases introspection and revocation share.
func (l *Lifecycle) parse(r *http.Request, srv policy.Server) (*lifecycleRequest, error) {
	form, err := ParseForm(r)
	if err != nil {
		return nil, err
	}
	client, err := l.Server.authenticateLifecycleClient(r.Context(), r, form)
	if err != nil {
		return nil, err
	}
	reqlog.SetClientID(r.Context(), client.ID)
	if err := requireParams(form, "token"); err != nil {
		return nil, err
	}
	return &lifecycleRequest{r: r, server: srv, client: client, token: form.Get("token"), hint: form.Get("token_type_hint")}, nil
}

// refreshFirst reports whether the opaque refresh token lookup runs before
// the JWT one: a hint only orders the lookups (RFC 7662 section 2.1: the
// server extends its search to every type), and an unknown hint is ignored.
func (q *lifecycleRequest) refreshFirst() bool {
	return q.hint == HintRefreshToken
}

// Introspect serves POST {issuer}/v1/introspect (RFC 7662).
func (l *Lifecycle) Introspect(w http.ResponseWriter, r *http.Request) {
	srv, ok := ResolveServer(w, r, l.Server.Policy, l.Server.Logger)
	if !ok {
		return
	}
	answer, err := l.introspect(r, srv)
	if err != nil {
		l.Server.logError(r.Context(), err)
		oautherr.Write(w, err)
		return
	}
	writeNoStore(w, answer)
}

func (l *Lifecycle) introspect(r *http.Request, srv policy.Server) (*introspection, error) {
	q, err := l.parse(r, srv)
	if err != nil {
		return nil, err
	}
	ctx := r.Context()
	lookups := []func(context.Context, *lifecycleRequest) (*introspection, error){l.introspectJWT, l.introspectRefresh}
	if q.refreshFirst() {
		lookups[0], lookups[1] = lookups[1], lookups[0]
	}
	for _, lookup := range lookups {
		answer, err := lookup(ctx, q)
		if err != nil || answer != nil {
			return answer, err
		}
	}
	return inactive, nil
}

// introspectJWT answers for an access or ID token of this server; nil when
// the token is not one.
func (l *Lifecycle) introspectJWT(ctx context.Context, q *lifecycleRequest) (*introspection, error) {
	c, err := l.Verifier.Verify(ctx, q.server.ID, q.server.Issuer, q.token)
	if errors.Is(err, token.ErrInvalid) {
		return nil, nil
	}
	if err != nil {
		return nil, errorf("oauth: introspect: %w", err)
	}
	switch {
	case c.IsAccess() && mayIntrospect(q.client, c.ClientID):
		return l.introspectAccess(ctx, c)
	case c.IsID() && mayIntrospect(q.client, c.Audience):
		return l.introspectID(ctx, c)
	}
	return inactive, nil
}

// mayIntrospect reports whether client may learn about a token issued to
// issuedTo. A confidential client may ask about any client's tokens (a
// resource server introspects the tokens it receives). A public client
// (method none) proves nothing but a client id anyone can read, so it may
// ask only about its own: RFC 7662 section 2.1 requires authorization to
// prevent token scanning.
func mayIntrospect(client store.Client, issuedTo string) bool {
	return issuedTo == client.ID || configuredMethod(client) != AuthNone
}

// introspectAccess answers for an access token; revoked tokens and tokens
// of users who are no longer ACTIVE are inactive.
func (l *Lifecycle) introspectAccess(ctx context.Context, c *token.Claims) (*introspection, error) {
	revoked, err := l.revoked(ctx, c.JTI)
	if err != nil || revoked {
		return inactive, err
	}
	if ok, err := l.activeClient(ctx, c.ClientID); err != nil || !ok {
		return inactive, err
	}
	answer := &introspection{Active: true, TokenType: "Bearer", Scope: strings.Join(c.Scopes, " "), ClientID: c.ClientID,
		Exp: c.ExpiresAt.Unix(), Iat: c.IssuedAt.Unix(), Nbf: c.IssuedAt.Unix(), Sub: c.Subject, Aud: c.Audience,
		Iss: c.Issuer, JTI: c.JTI}
	if c.UserID == "" {
		return answer, nil // client credentials: no user
	}
	u, ok, err := l.activeUser(ctx, c.UserID, c.IssuedAt)
	if err != nil || !ok {
		return inactive, err
	}
	answer.Username, answer.UID = u.Login, u.ID
	return answer, nil
}

// introspectID answers for an ID token: its audience is its client, its
// subject the user id. ID tokens cannot be revoked.
func (l *Lifecycle) introspectID(ctx context.Context, c *token.Claims) (*introspection, error) {
	if ok, err := l.activeClient(ctx, c.Audience); err != nil || !ok {
		return inactive, err
	}
	u, ok, err := l.activeUser(ctx, c.Subject, c.IssuedAt)
	if err != nil || !ok {
		return inactive, err
	}
	return &introspection{Active: true, TokenType: HintIDToken, ClientID: c.Audience, Username: u.Login,
		Exp: c.ExpiresAt.Unix(), Iat: c.IssuedAt.Unix(), Nbf: c.IssuedAt.Unix(), Sub: c.Subject, Aud: c.Audience,
		Iss: c.Issuer, JTI: c.JTI, UID: u.ID}, nil
}

// introspectRefresh answers for a refresh token; nil when no refresh token
// has that value. Only the client it was issued to learns that it is
// active: to any other client it is {"active":false}.
func (l *Lifecycle) introspectRefresh(ctx context.Context, q *lifecycleRequest) (*introspection, error) {
	rt, found, err := l.refreshToken(ctx, q.token)
	if err != nil || !found {
		return nil, err
	}
	if rt.ClientID != q.client.ID || !token.RefreshActive(rt, q.server.ID, l.Server.now()) {
		return inactive, nil
	}
	answer := &introspection{Active: true, TokenType: HintRefreshToken, Scope: strings.Join(rt.Scopes, " "), ClientID: rt.ClientID,
		Iat: rt.IssuedAt.Unix(), Nbf: rt.IssuedAt.Unix(), Sub: rt.ClientID, Aud: q.server.Audience, Iss: q.server.Issuer}
	if d := token.RefreshDeadline(rt); !d.IsZero() {
		answer.Exp = d.Unix()
	}
	if rt.UserID != "" {
		u, ok, err := l.activeUser(ctx, rt.UserID, rt.AuthTime)
		if err != nil || !ok {
			return inactive, err
		}
		// As in the access tokens minted from it, sub is the login.
		answer.Username, answer.Sub, answer.UID = u.Login, u.Login, u.ID
	}
	return answer, nil
}

// refreshToken looks a refresh token up by its value.
func (l *Lifecycle) refreshToken(ctx context.Context, value string) (store.RefreshToken, bool, error) {
	if value == "" || len(value) > token.MaxSize {
		return store.RefreshToken{}, false, nil
	}
	rt, err := l.Server.Store.GetRefreshToken(ctx, token.RefreshID(value))
	if errors.Is(err, store.ErrNotFound) {
		return store.RefreshToken{}, false, nil
	}
	if err != nil {
		return store.RefreshToken{}, false, errorf("oauth: find refresh token: %w", err)
	}
	return rt, true, nil
}

// revoked reports whether the access token jti has a revoked record.
func (l *Lifecycle) revoked(ctx context.Context, jti string) (bool, error) {
	rec, err := l.Server.Store.GetTokenRecord(ctx, jti)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, errorf("oauth: find token record: %w", err)
	}
	return !rec.RevokedAt.IsZero(), nil
}

// activeUser returns the user when it exists and still holds a token
// issued at issued (store.User.HoldsTokenIssuedAt): the tokens of a user
// who was deactivated or suspended are not active, nor those issued before
// the user's watermark (a suspension, a new password, a lockout).
func (l *Lifecycle) activeUser(ctx context.Context, id string, issued time.Time) (store.User, bool, error) {
	u, err := l.Server.Store.GetUser(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, false, nil
	}
	if err != nil {
		return store.User{}, false, errorf("oauth: find user: %w", err)
	}
	return u, u.HoldsTokenIssuedAt(issued), nil
}

// activeClient reports whether the client a token was issued to still
// exists and is ACTIVE: deactivating a client retires its tokens.
func (l *Lifecycle) activeClient(ctx context.Context, id string) (bool, error) {
	c, err := l.Server.Store.GetClient(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, errorf("oauth: find client: %w", err)
	}
	return c.Status == store.StatusActive, nil
}

// CheckAccessToken checks an access token of srv presented as a bearer
// credential (the management API takes the org server's): its signature
// and expiry, and what introspection checks besides (not revoked, its
// client still ACTIVE, its user, if any, still holding it). A token that
// fails is token.ErrInvalid (or token.ErrExpired).
func (l *Lifecycle) CheckAccessToken(ctx context.Context, srv policy.Server, raw string) (*token.Claims, error) {
	c, err := l.Verifier.Verify(ctx, srv.ID, srv.Issuer, raw)
	if err != nil {
		return nil, err
	}
	if !c.IsAccess() {
		return nil, fmt.Errorf("%w: not an access token", token.ErrInvalid)
	}
	answer, err := l.introspectAccess(ctx, c)
	if err != nil {
		return nil, err
	}
	if !answer.Active {
		return nil, fmt.Errorf("%w: revoked, or its client or user is no longer active", token.ErrInvalid)
	}
	return c, nil
}
