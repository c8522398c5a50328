package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/latchkey/latchkey/internal/apierr"
	"github.com/latchkey/latchkey/internal/oauth"
	"github.com/latchkey/latchkey/internal/oidc"
	"github.com/latchkey/latchkey/internal/reqlog"
)

// Check is one readiness check: Run reports whether what Name names can
// serve. /readyz runs every check and reports each.
type Check struct {
	Name string
	Run  func(ctx context.Context) error
}

// Deps are the handlers and services the routes need.
type Deps struct {
	OAuth     *oauth.Server
	Lifecycle *oauth.Lifecycle // introspection and revocation
	OIDC      *oidc.Handlers
	UserInfo  *oidc.UserInfo
	// Readiness are the checks of /readyz, in the order reported; the
	// first failing one names the status.
	Readiness []Check
	Logger    *slog.Logger
	// Management serves /api/v1 (package mgmtapi); nil leaves it to the
	// not-found answer.
	Management http.Handler
	// TrustedOrigins are the web origins answered with CORS on the
	// endpoints a browser may call (config cors.trusted_origins).
	TrustedOrigins []string
	// Requests, when set, is told of every request (package metrics).
	Requests RequestObserver
	// Metrics, when set, serves GET /metrics on this listener (the
	// Prometheus exposition; config metrics.addr empty).
	Metrics http.Handler
}

// RequestObserver is told of every request served: route is the pattern
// of the route that matched ("GET /healthz", never the raw path, so that
// its values stay few), or "unmatched". It must be safe for concurrent use.
type RequestObserver interface {
	ObserveRequest(route string, status int, d time.Duration)
}

// New returns the server's root handler.
func New(d Deps) http.Handler {
	mux := http.NewServeMux()
	// browser mounts a route a web page may call: its answers carry CORS
	// headers for trusted origins, and OPTIONS answers the preflight.
	cors := newCORS(d.TrustedOrigins)
	browser := func(path string, h http.Handler, methods ...string) {
		for _, m := range methods {
			mux.Handle(m+" "+path, cors.wrap(h))
		}
		mux.Handle("OPTIONS "+path, cors.preflight(methods...))
	}
	// Custom authorization servers have issuer {base}/oauth2/{server} and
	// endpoints under it; the org server has issuer {base} and endpoints
	// under {base}/oauth2/v1 (its requests carry no {server} value).
	for _, endpoints := range []string{"/oauth2/{server}/v1", "/oauth2/v1"} {
		// No CORS: a browser may not get tokens here (oauth.Server.Token).
		mux.HandleFunc("POST "+endpoints+"/token", d.OAuth.Token)
		// Okta's direct authentication: the step between an mfa_required
		// answer and the MFA grant. No CORS, as for the token endpoint.
		mux.HandleFunc("POST "+endpoints+"/challenge", d.OAuth.Challenge)
		browser(endpoints+"/introspect", http.HandlerFunc(d.Lifecycle.Introspect), http.MethodPost)
		browser(endpoints+"/revoke", http.HandlerFunc(d.Lifecycle.Revoke), http.MethodPost)
		browser(endpoints+"/userinfo", d.UserInfo, http.MethodGet, http.MethodPost)
		browser(endpoints+"/keys", http.HandlerFunc(d.OIDC.JWKS), http.MethodGet)
	}
	for _, issuer := range []string{"/oauth2/{server}", ""} {
		browser(issuer+"/.well-known/openid-configuration", http.HandlerFunc(d.OIDC.OpenIDConfiguration), http.MethodGet)
		browser(issuer+"/.well-known/oauth-authorization-server", http.HandlerFunc(d.OIDC.OAuthMetadata), http.MethodGet)
	}
	// RFC 8414 section 3: the well-known segment goes before the issuer's path.
	browser("/.well-known/oauth-authorization-server/oauth2/{server}", http.HandlerFunc(d.OIDC.OAuthMetadata), http.MethodGet)

	if d.Management != nil {
		// No CORS: the management API is for scripts and servers.
		mux.Handle("/api/v1/", d.Management)
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeStatus(w, http.StatusOK, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		writeReadiness(w, readiness(ctx, d.Readiness, d.Logger))
	})
	if d.Metrics != nil {
		mux.Handle("GET /metrics", d.Metrics)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		apierr.Write(w, http.StatusNotFound, "E0000007", "Not found: Resource not found: "+truncate(r.URL.Path, 128)+" (Endpoint)")
	})
	return withRequestID(withRecovery(withAccessLog(mux, d.Logger, d.Requests), d.Logger))
}

// readinessReport is the /readyz body: status is "ok" or "{check}
// unavailable" for the first failing check; checks maps each check to "ok"
// or "failed" (the detail goes to the log only).
type readinessReport struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
}

func readiness(ctx context.Context, checks []Check, logger *slog.Logger) readinessReport {
	rep := readinessReport{Status: "ok", Checks: make(map[string]string, len(checks))}
	for _, c := range checks {
		if err := c.Run(ctx); err != nil {
			logger.WarnContext(ctx, "readiness check failed", "check", c.Name, "err", err)
			rep.Checks[c.Name] = "failed"
			if rep.Status == "ok" {
				rep.Status = c.Name + " unavailable"
			}
			continue
		}
		rep.Checks[c.Name] = "ok"
	}
	return rep
}

func writeReadiness(w http.ResponseWriter, rep readinessReport) {
	code := http.StatusOK
	if rep.Status != "ok" {
		code = http.StatusServiceUnavailable
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(rep)
}

func writeStatus(w http.ResponseWriter, code int, status string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"status": status})
}

// RequestID returns the request id of ctx, if any. It lives in package
// reqlog, so that packages below this one (events) can read it.
func RequestID(ctx context.Context) string { return reqlog.RequestID(ctx) }

// withRequestID gives every request an id, echoed in X-Request-Id. A
// caller-sent id is kept when it is short and printable.
func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if !printableID(id) {
			b := make([]byte, 12)
			_, _ = rand.Read(b)
			id = hex.EncodeToString(b)
		}
		w.Header().Set("X-Request-Id", id)
		next.ServeHTTP(w, r.WithContext(reqlog.WithRequestID(r.Context(), id)))
	})
}

func printableID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// withRecovery turns a panic into a 500 with no detail, logged with its stack.
func withRecovery(next http.Handler, logger *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				logger.ErrorContext(r.Context(), "panic serving request", "request_id", RequestID(r.Context()),
					"panic", v, "stack", string(debug.Stack()))
				apierr.Write(w, http.StatusInternalServerError, "E0000009", "Internal Server Error")
			}
		}()
		next.ServeHTTP(w, r)
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += n
	return n, err
}

// withAccessLog writes one line per request: method, path (never the query,
// which could hold credentials), the route that matched, status, duration
// in milliseconds, the client id and, for a refused request, the error
// code and a short reason (package reqlog). It tells obs, when set, of
// every request.
func withAccessLog(next http.Handler, logger *slog.Logger, obs RequestObserver) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		info := &reqlog.Info{}
		rec := &statusRecorder{ResponseWriter: w}
		// The mux sets the pattern it matched on the request it is given.
		inner := r.WithContext(reqlog.With(r.Context(), info))
		next.ServeHTTP(rec, inner)
		elapsed := time.Since(start)
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		route := inner.Pattern
		if route == "" {
			route = "unmatched"
		}
		if obs != nil {
			obs.ObserveRequest(route, rec.status, elapsed)
		}
		attrs := []slog.Attr{
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.String("route", route),
			slog.Int("status", rec.status),
			slog.Float64("duration_ms", Milliseconds(elapsed)),
			slog.String("client_id", info.ClientID),
			slog.String("request_id", RequestID(r.Context())),
			slog.String("remote", r.RemoteAddr),
			// The address the request is attributed to, when the login
			// guard resolved one (trusted proxies and clients).
			slog.String("source", info.Source),
		}
		if info.Error != "" {
			attrs = append(attrs, slog.String("error", info.Error), slog.String("reason", info.Reason))
		}
		logger.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
	})
}

// Milliseconds is d in milliseconds to the microsecond, the unit of every
// duration_ms field in the logs.
func Milliseconds(d time.Duration) float64 {
	return float64(d.Microseconds()) / 1000
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
