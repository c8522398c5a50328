// Package mgmtapi is Okta's management API (/api/v1) over Latchkey's
// records: users, groups, OIDC apps, authorization servers and the System
// Log, in Okta's JSON shapes, so that code written against Okta's
// management API (its SDKs, Terraform provider, scripts) works by changing
// the org URL. docs/management-api.md lists every route, its scopes, and
// what differs from Okta.
//
// Every request is authenticated (auth.go): an API token (Authorization:
// SSWS …, full access) or an access token of the org authorization server
// (Authorization: Bearer …) whose okta.* scopes name what it may do. Each
// route declares the scope it needs. Handlers work through package
// provision, the service layer the CLI uses too, so that an operation does
// the same thing, to the same records and tokens, from either.
package mgmtapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/latchkey/latchkey/internal/events"
	"github.com/latchkey/latchkey/internal/keys"
	"github.com/latchkey/latchkey/internal/oauth"
	"github.com/latchkey/latchkey/internal/policy"
	"github.com/latchkey/latchkey/internal/provision"
	"github.com/latchkey/latchkey/internal/ratelimit"
	"github.com/latchkey/latchkey/internal/reqlog"
	"github.com/latchkey/latchkey/internal/secrets"
	"github.com/latchkey/latchkey/internal/store"
)

// Config is what the API needs.
type Config struct {
	Store     store.Store
	Provision *provision.Service
	Policy    *policy.Engine
	Keys      *keys.Manager
	// Lifecycle checks the org server's access tokens (Bearer).
	Lifecycle *oauth.Lifecycle
	// Secrets hashes API tokens (keyed with the master key) for lookup.
	Secrets *secrets.Hasher
	Events  events.Sink
	// BaseURL is the org URL, no trailing slash: links are built on it.
	BaseURL string
	// RateLimit bounds the requests of one credential (API token or
	// client); off when zero.
	RateLimit ratelimit.Limit
	Logger    *slog.Logger
	Now       func() time.Time
}

// API serves /api/v1.
type API struct {
	cfg     Config
	mux     *http.ServeMux
	limiter *ratelimit.Limiter
	// routes are the registered routes, in order (Routes).
	routeList []Route
}

// Route is one registered route and the scope it needs ("" for any
// authenticated caller).
type Route struct {
	Pattern string
	Scope   string
}

// Routes lists every route the API serves, for docs and tests.
func (a *API) Routes() []Route { return append([]Route(nil), a.routeList...) }

// handlerFunc is a route's handler: it writes its answer, or returns an
// error that the API writes in Okta's shape (an *Error as it is, anything
// else as a 500 logged with its detail).
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// New builds the API.
func New(cfg Config) *API {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	a := &API{cfg: cfg, mux: http.NewServeMux(), limiter: ratelimit.New(cfg.RateLimit, cfg.Now)}
	a.routes()
	return a
}

func (a *API) now() time.Time { return a.cfg.Now() }

// routes registers every route. Each resource registers its own.
func (a *API) routes() {
	a.routesAPITokens()
	a.routesGrants()
	a.routesUsers()
	a.routesFactors()
	a.routesGroups()
	a.routesApps()
	a.routesAuthServers()
	a.routesLogs()
	a.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, &Error{Status: http.StatusNotFound, Code: CodeNotFound,
			Summary: "Not found: Resource not found: " + clip(r.URL.Path, 128) + " (Endpoint)"})
	})
}

// handle registers pattern ("GET /api/v1/users/{id}") behind
// authentication, the rate limit and the scope check: the caller must hold
// scope (an API token holds every scope). A read scope (okta.X.read) is
// also satisfied by its manage scope (okta.X.manage), as in Okta.
func (a *API) handle(pattern string, scope string, h handlerFunc) {
	a.routeList = append(a.routeList, Route{Pattern: pattern, Scope: scope})
	a.mux.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		p, err := a.authenticate(ctx, r)
		if err == nil {
			err = a.limit(w, p)
		}
		if err == nil {
			err = p.require(scope, r.URL.Path, a.cfg.BaseURL)
		}
		if err == nil {
			w.Header().Set("Cache-Control", "no-cache, no-store")
			err = h(w, r.WithContext(withPrincipal(ctx, p)))
		}
		if err != nil {
			a.fail(w, r, err)
		}
	}))
}

// fail writes err, logging what the caller does not see.
func (a *API) fail(w http.ResponseWriter, r *http.Request, err error) {
	var e *Error
	if !errors.As(err, &e) {
		a.cfg.Logger.ErrorContext(r.Context(), "management API request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		reqlog.SetError(r.Context(), CodeInternal, "internal error")
	} else {
		// The access log names the Okta code and the summary (never a
		// credential: summaries name fields and ids only).
		reqlog.SetError(r.Context(), e.Code, e.Summary)
	}
	writeError(w, err)
}

// ServeHTTP serves a request under /api/v1.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.mux.ServeHTTP(w, r) }

// limit charges one request to the caller's credential and sets Okta's
// X-Rate-Limit-* headers; a refused request gets 429 E0000047.
func (a *API) limit(w http.ResponseWriter, p *Principal) error {
	if !a.limiter.On() {
		return nil
	}
	res, ok := a.limiter.Take(p.key())
	if !ok {
		return nil
	}
	h := w.Header()
	h.Set("X-Rate-Limit-Limit", itoa(res.Limit))
	h.Set("X-Rate-Limit-Remaining", itoa(res.Remaining))
	h.Set("X-Rate-Limit-Reset", itoa64(res.Reset.Unix()))
	if !res.Allowed {
		e := &Error{Status: http.StatusTooManyRequests, Code: CodeRateLimit, Summary: "API call exceeded rate limit due to too many requests."}
		return e.withHeader("Retry-After", itoa(res.RetryAfter(a.now())))
	}
	return nil
}

type principalKey struct{}

func withPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// principalOf returns the authenticated caller of a request.
func principalOf(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}
