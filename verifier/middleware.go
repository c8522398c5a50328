package verifier

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
)

type contextKey int

const (
	claimsKey contextKey = iota
	realmKey
)

// ContextWithClaims returns ctx carrying claims, as Middleware does; handy in
// the tests of handlers that read ClaimsFromContext.
func ContextWithClaims(ctx context.Context, claims *Claims) context.Context {
	return context.WithValue(ctx, claimsKey, claims)
}

// ClaimsFromContext returns the claims Middleware put in the request context.
func ClaimsFromContext(ctx context.Context) (*Claims, bool) {
	c, ok := ctx.Value(claimsKey).(*Claims)
	return c, ok && c != nil
}

// MiddlewareOption configures Middleware.
type MiddlewareOption func(*middleware)

// WithRealm sets the realm of the WWW-Authenticate challenges; the default is
// the verifier's audience.
func WithRealm(realm string) MiddlewareOption {
	return func(m *middleware) { m.realm = realm }
}

// WithLogger logs why tokens were refused (at Debug) and failures to reach
// the issuer (at Error). The default logs nothing.
func WithLogger(logger *slog.Logger) MiddlewareOption {
	return func(m *middleware) { m.logger = logger }
}

type middleware struct {
	v      *Verifier
	realm  string
	logger *slog.Logger
}

// Middleware returns net/http middleware that lets a request through only with
// a valid access token in "Authorization: Bearer …" (RFC 6750 section 2.1),
// and puts its claims in the request context (ClaimsFromContext). It answers,
// per RFC 6750 section 3:
//
//   - no Authorization header, or another scheme: 401 with
//     `WWW-Authenticate: Bearer realm="…"` and no error code;
//   - an access_token query parameter, several Authorization headers, or an
//     empty Bearer token: 400 invalid_request (tokens in URLs end up in logs);
//   - a token Verify refuses: 401 invalid_token with an error_description
//     naming the failed check (the internal detail goes to the log only);
//   - a token without Config.RequiredScopes: 403 insufficient_scope;
//   - the issuer unreachable and the key unknown: 503, no challenge.
func Middleware(v *Verifier, opts ...MiddlewareOption) func(http.Handler) http.Handler {
	m := &middleware{v: v, realm: v.Audience()}
	for _, opt := range opts {
		opt(m)
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			m.serve(next, w, r)
		})
	}
}

func (m *middleware) serve(next http.Handler, w http.ResponseWriter, r *http.Request) {
	ctx := context.WithValue(r.Context(), realmKey, m.realm)
	if r.URL.Query().Has("access_token") {
		m.challenge(w, http.StatusBadRequest, "invalid_request", "Access tokens are not accepted in the query string; use the Authorization header.", "")
		return
	}
	values := r.Header.Values("Authorization")
	if len(values) > 1 {
		m.challenge(w, http.StatusBadRequest, "invalid_request", "The request has more than one Authorization header.", "")
		return
	}
	token, found := bearerToken(values)
	if !found {
		m.challenge(w, http.StatusUnauthorized, "", "", "")
		return
	}
	if token == "" {
		m.challenge(w, http.StatusBadRequest, "invalid_request", "The Bearer token is empty.", "")
		return
	}
	claims, err := m.v.Verify(ctx, token)
	if err != nil {
		m.refuse(w, r, err)
		return
	}
	next.ServeHTTP(w, r.WithContext(ContextWithClaims(ctx, claims)))
}

// bearerToken finds the credentials of a Bearer Authorization header; the
// scheme is case-insensitive (RFC 9110 section 11.1).
func bearerToken(values []string) (token string, found bool) {
	if len(values) != 1 {
		return "", false
	}
	scheme, rest, _ := strings.Cut(strings.TrimSpace(values[0]), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return strings.TrimSpace(rest), true
}

func (m *middleware) refuse(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, ErrKeySetUnavailable), errors.Is(err, ErrKeysStale), errors.Is(err, ErrIntrospectionUnavailable),
		errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		if m.logger != nil {
			m.logger.ErrorContext(r.Context(), "verifier: cannot check the access token", "err", err)
		}
		http.Error(w, "The access token cannot be checked now.", http.StatusServiceUnavailable)
	case errors.Is(err, ErrScope):
		m.log(r, err)
		m.challenge(w, http.StatusForbidden, "insufficient_scope", "The access token lacks a required scope.", strings.Join(m.v.RequiredScopes(), " "))
	default:
		m.log(r, err)
		m.challenge(w, http.StatusUnauthorized, "invalid_token", Description(err), "")
	}
}

func (m *middleware) log(r *http.Request, err error) {
	if m.logger != nil {
		m.logger.DebugContext(r.Context(), "verifier: access token refused", "err", err)
	}
}

func (m *middleware) challenge(w http.ResponseWriter, status int, code, description, scope string) {
	writeChallenge(w, m.realm, status, code, description, scope)
}

// writeChallenge answers with an RFC 6750 section 3 challenge and, when there
// is an error code, a JSON body repeating it.
func writeChallenge(w http.ResponseWriter, realm string, status int, code, description, scope string) {
	var b strings.Builder
	b.WriteString("Bearer")
	sep := " "
	attr := func(name, value string) {
		b.WriteString(sep)
		b.WriteString(name)
		b.WriteString(`="`)
		b.WriteString(quotable(value))
		b.WriteString(`"`)
		sep = ", "
	}
	if realm != "" {
		attr("realm", realm)
	}
	if code != "" {
		attr("error", code)
		attr("error_description", description)
	}
	if scope != "" {
		attr("scope", scope)
	}
	h := w.Header()
	h.Set("WWW-Authenticate", b.String())
	h.Set("Cache-Control", "no-store")
	if code == "" {
		h.Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(http.StatusText(status) + "\n"))
		return
	}
	h.Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": description})
}

// quotable keeps the characters RFC 6750 section 3 allows in its quoted
// attribute values (%x20-21 / %x23-5B / %x5D-7E): no quote, no backslash, no
// control characters.
func quotable(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			return -1
		}
		return r
	}, s)
}

// Description is the client-facing error_description for a Verify error:
// which check failed, without internal detail.
func Description(err error) string {
	for _, d := range []struct {
		err  error
		text string
	}{
		{ErrMalformed, "The access token is malformed."},
		{ErrAlgorithm, "The access token is signed with an algorithm that is not accepted."},
		{ErrUnknownKey, "The access token is signed with an unknown key."},
		{ErrSignature, "The access token signature is invalid."},
		{ErrIssuer, "The access token was issued by another issuer."},
		{ErrAudience, "The access token is not intended for this resource."},
		{ErrExpired, "The access token is expired."},
		{ErrNotYetValid, "The access token is not yet valid."},
		{ErrIssuedInFuture, "The access token is issued in the future."},
		{ErrClientID, "The access token was issued to a client that is not accepted."},
		{ErrScope, "The access token lacks a required scope."},
		{ErrInactive, "The access token is not active."},
	} {
		if errors.Is(err, d.err) {
			return d.text
		}
	}
	return "The access token is invalid."
}

// RequireScopes returns middleware, to be placed after Middleware, that
// answers 403 insufficient_scope (RFC 6750 section 3.1) unless the token has
// every scope given. Without Middleware before it, it answers 500: that is a
// wiring mistake, and refusing is the safe side.
func RequireScopes(scopes ...string) func(http.Handler) http.Handler {
	required := strings.Join(scopes, " ")
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			claims, ok := ClaimsFromContext(r.Context())
			if !ok {
				http.Error(w, "verifier.RequireScopes is used without verifier.Middleware", http.StatusInternalServerError)
				return
			}
			if len(missingScopes(claims.Scopes, scopes)) > 0 {
				realm, _ := r.Context().Value(realmKey).(string)
				writeChallenge(w, realm, http.StatusForbidden, "insufficient_scope", "The access token lacks a required scope.", required)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}
