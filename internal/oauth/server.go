package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/latchkey/latchkey/internal/apierr"
	"github.com/latchkey/latchkey/internal/events"
	"github.com/latchkey/latchkey/internal/keys"
	"github.com/latchkey/latchkey/internal/mfa"
	"github.com/latchkey/latchkey/internal/oautherr"
	"github.com/latchkey/latchkey/internal/password"
	"github.com/latchkey/latchkey/internal/policy"
	"github.com/latchkey/latchkey/internal/ratelimit"
	"github.com/latchkey/latchkey/internal/reqlog"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/token"
)

// Server serves the token endpoint. Its fields are set once at start-up.
type Server struct {
	Store   store.Store
	Policy  *policy.Engine
	Hasher  PasswordHasher
	Secrets SecretVerifier
	Minter  *token.Minter
	// Guard, when set, admits every token request (rate limits per client
	// and source) and every password login before any hashing (rate limit
	// per username, lockout), and is told every outcome.
	Guard  LoginGuard
	Logger *slog.Logger
	Now    func() time.Time
	// Realm is the realm of WWW-Authenticate: Basic challenges.
	Realm string
	// Sealer opens the sealed secrets of client_secret_jwt clients.
	Sealer *keys.Sealer
	// ClientJWKS fetches and caches the key sets of private_key_jwt clients
	// that publish them at a URL.
	ClientJWKS *RemoteJWKS
	// Events, when set, receives the audit trail of the token lifecycle:
	// grants, refresh token reuse, revocations.
	Events events.Sink
	// MFA checks second factors for the rules that require them and for
	// the MFA grants; Sealer seals the mfa_token.
	MFA *mfa.Verifier
	// MFALimit limits the codes sent to the MFA grants per user (config
	// login_protection.rate_limits.mfa); the zero value turns it off.
	MFALimit ratelimit.Limit
	// RateLimited, when set, is told of every refusal by MFALimit, as
	// "mfa" (the guard tells of its own limits).
	RateLimited func(limit string)

	mfaOnce    sync.Once
	mfaLimiter *ratelimit.Limiter

	// overloadLog throttles the lines written about overload answers.
	overloadLog logThrottle
	// overloadEvents throttles the audit events of overload answers.
	overloadEvents logThrottle
}

// PasswordHasher checks and makes password hashes; *password.Hasher is
// the one servers use, and tests wrap it to count the checks. It must be
// safe for concurrent use.
type PasswordHasher interface {
	Verify(ctx context.Context, encoded, password string) (password.Result, error)
	VerifyDummy(ctx context.Context, password string) error
	Hash(ctx context.Context, password string) (string, error)
}

// tokenRequest is one parsed, client-authenticated token request.
type tokenRequest struct {
	r      *http.Request
	form   url.Values
	server policy.Server
	client store.Client
	grant  string
	// source is the address the request is attributed to (LoginGuard).
	source string
}

// tokenResponse is the RFC 6749 section 5.1 success body, in Okta's order.
type tokenResponse struct {
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	AccessToken  string `json:"access_token"`
	Scope        string `json:"scope"`
	RefreshToken string `json:"refresh_token,omitempty"`
	IDToken      string `json:"id_token,omitempty"`
}

// grantHandler serves one grant type; it returns errors, never writes them.
type grantHandler func(ctx context.Context, req *tokenRequest) (*tokenResponse, error)

// grantHandler returns the handler of a grant type, and false for a grant
// type Latchkey does not implement. A switch, not a map of method values
// built per request.
func (s *Server) grantHandler(grant string) (grantHandler, bool) {
	switch grant {
	case policy.GrantPassword:
		return s.passwordGrant, true
	case policy.GrantRefreshToken:
		return s.refreshGrant, true
	case policy.GrantClientCredentials:
		return s.clientCredentialsGrant, true
	case policy.GrantMFAOTP, policy.GrantMFAOTPAuth0, policy.GrantMFARecoveryCode:
		return s.mfaGrant, true
	}
	return nil, false
}

// ResolveServer looks up the authorization server named by the {server}
// path value, writing Okta's 404 when there is none. ok is false when a
// response was written.
func ResolveServer(w http.ResponseWriter, r *http.Request, e *policy.Engine, logger *slog.Logger) (policy.Server, bool) {
	// The org server's routes have no {server} value: id is empty.
	id := r.PathValue("server")
	srv, err := e.Server(r.Context(), id)
	if errors.Is(err, policy.ErrUnknownServer) {
		apierr.NotFound(w, truncate(id, 64), "AuthorizationServer")
		return policy.Server{}, false
	}
	if err != nil {
		logger.ErrorContext(r.Context(), "resolve authorization server", "err", err)
		apierr.Write(w, http.StatusInternalServerError, "E0000009", "Internal Server Error")
		return policy.Server{}, false
	}
	return srv, true
}

// Token serves POST {issuer}/v1/token (RFC 6749 section 3.2).
func (s *Server) Token(w http.ResponseWriter, r *http.Request) {
	srv, ok := ResolveServer(w, r, s.Policy, s.Logger)
	if !ok {
		return
	}
	ctx, limits := ratelimit.WithHeaders(r.Context())
	r = r.WithContext(ctx)
	resp, err := s.token(r, srv)
	if !limits.Set() && s.Guard != nil {
		// Refused before the guard admitted it: still tell the caller
		// where it stands.
		s.Guard.PeekRequest(ctx, r)
	}
	limits.Write(w.Header())
	if err != nil {
		s.logError(r.Context(), err)
		oautherr.Write(w, s.basicChallenge(r, err))
		return
	}
	writeNoStore(w, resp)
}

// basicChallenge adds WWW-Authenticate: Basic to any 401 answered to a
// client that used HTTP Basic (RFC 6749 section 5.2), whichever phase
// refused it.
func (s *Server) basicChallenge(r *http.Request, err error) error {
	var oe *oautherr.Error
	if !errors.As(err, &oe) || oe.Status != http.StatusUnauthorized || oe.Header.Get("WWW-Authenticate") != "" {
		return err
	}
	if scheme, _, _ := strings.Cut(r.Header.Get("Authorization"), " "); !strings.EqualFold(scheme, "Basic") {
		return err
	}
	return oe.WithHeader("WWW-Authenticate", `Basic realm="`+s.Realm+`"`)
}

// errBrowserToken refuses a token request sent from a browser (it carries
// an Origin header), as Okta does: a browser may only exchange an
// authorization code with PKCE, and Latchkey has no authorization-code
// grant, so no browser request gets tokens here (CONTRACT section 8). A
// password or client secret typed into a web page is exactly what the
// password grant must never encourage.
var errBrowserToken = oautherr.ErrInvalidClient.WithDescription("Browser requests to the token endpoint must use Proof Key for Code Exchange.")

// admitClient is what the token and challenge endpoints do before their
// own parameters: refuse browser requests, authenticate the client, and
// admit the request through the guard's per-client and per-source limits.
// It returns the client and the request's source address.
func (s *Server) admitClient(r *http.Request, form url.Values) (store.Client, string, error) {
	ctx := r.Context()
	if _, browser := r.Header["Origin"]; browser {
		return store.Client{}, "", errBrowserToken
	}
	client, err := s.authenticateClient(ctx, r, form)
	if err != nil {
		return store.Client{}, "", err
	}
	reqlog.SetClientID(ctx, client.ID)
	if s.Guard == nil {
		source, _, _ := net.SplitHostPort(r.RemoteAddr)
		return client, source, nil
	}
	source, err := s.Guard.AdmitRequest(ctx, r, client)
	if err != nil {
		return store.Client{}, "", err
	}
	return client, source, nil
}

func (s *Server) token(r *http.Request, srv policy.Server) (*tokenResponse, error) {
	ctx := r.Context()
	parse := ParseForm
	if srv.Org {
		parse = ParseOrgTokenForm
	}
	form, err := parse(r)
	if err != nil {
		return nil, err
	}
	client, source, err := s.admitClient(r, form)
	if err != nil {
		return nil, err
	}
	grant := form.Get("grant_type")
	supported := s.Policy.Grants(srv)
	if grant == "" {
		return nil, oautherr.ErrInvalidRequest.WithDescription("The token request must specify a 'grant_type'. Valid values: [%s]", strings.Join(supported, ", "))
	}
	handler, ok := s.grantHandler(grant)
	if !ok || !slices.Contains(supported, grant) {
		return nil, oautherr.ErrUnsupportedGrantType.WithDescription("The authorization grant type is not supported by the authorization server. Configured grant types: [%s].", strings.Join(supported, ", "))
	}
	if !slices.Contains(client.GrantTypes, grant) {
		return nil, oautherr.ErrUnauthorizedClient.WithDescription("The client is not authorized to use the provided grant type. Configured grant types: [%s].", strings.Join(client.GrantTypes, ", "))
	}
	return handler(ctx, &tokenRequest{r: r, form: form, server: srv, client: client, grant: grant, source: source})
}

// requireParams returns invalid_request for the first missing parameter.
func requireParams(form url.Values, names ...string) error {
	for _, n := range names {
		if form.Get(n) == "" {
			return oautherr.ErrInvalidRequest.WithDescription("The required parameter '%s' is missing.", n)
		}
	}
	return nil
}

func (s *Server) logError(ctx context.Context, err error) {
	oautherr.Note(ctx, err)
	var oe *oautherr.Error
	if errors.As(err, &oe) {
		if oe.Status == http.StatusServiceUnavailable {
			// Overload is expected under attack: log a few lines a second.
			if ok, suppressed := s.overloadLog.allow(time.Now()); ok {
				s.Logger.WarnContext(ctx, "token request refused: overloaded", "detail", oe.Description, "suppressed_since_last", suppressed)
			}
		} else if oe.Status >= 500 {
			s.Logger.ErrorContext(ctx, "token request failed", "error", oe.Code, "detail", oe.Debug)
		} else if oe.Debug != "" {
			s.Logger.DebugContext(ctx, "token request refused", "error", oe.Code, "detail", oe.Debug)
		}
		return
	}
	s.Logger.ErrorContext(ctx, "token request failed", "err", err.Error())
}

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// errorf wraps an internal failure; it reaches the client as server_error.
func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }

// writeNoStore sends a JSON success answer with the no-store headers every
// token, introspection and revocation answer carries (RFC 6749 section 5.1).
func writeNoStore(w http.ResponseWriter, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	_ = json.NewEncoder(w).Encode(v)
}
