package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/latchkey/latchkey/internal/buildinfo"
)

const namespace = "latchkey"

// Metrics holds the registry and the server's collectors. It is safe for
// concurrent use.
type Metrics struct {
	reg *prometheus.Registry

	requests    *prometheus.CounterVec
	latency     *prometheus.HistogramVec
	tokens      *prometheus.CounterVec
	logins      *prometheus.CounterVec
	lockouts    prometheus.Counter
	rateLimited *prometheus.CounterVec
	reuse       prometheus.Counter
	rotations   *prometheus.CounterVec
	storeTime   *prometheus.HistogramVec
}

// New returns Metrics with a registry of their own, holding the Go and
// process collectors and latchkey_build_info for info.
func New(info buildinfo.Info) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "http_requests_total",
			Help: "HTTP requests served, by route pattern and status code.",
		}, []string{"route", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "http_request_duration_seconds",
			Help: "Time to serve an HTTP request, by route pattern.",
			// A password grant with argon2id takes tens of milliseconds;
			// a queued one under load up to seconds.
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route"}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "tokens_issued_total",
			Help: "Tokens issued, by grant type, authorization server and token kind (access_token, id_token, refresh_token).",
		}, []string{"grant_type", "server", "token"}),
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "password_logins_total",
			Help: "Password logins checked, by outcome (success, invalid_credentials, unknown_user, locked_out, password_expired, not_active, other).",
		}, []string{"outcome"}),
		lockouts: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "lockouts_total",
			Help: "Logins locked after too many failed passwords.",
		}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "rate_limit_refusals_total",
			Help: "Token requests refused by a rate limit, by limit (username, client, source, mfa).",
		}, []string{"limit"}),
		reuse: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "refresh_token_reuse_total",
			Help: "Rotated refresh tokens presented again after the leeway (the family is revoked).",
		}),
		rotations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "key_rotations_total",
			Help: "Signing key rotations this instance made on schedule, by authorization server.",
		}, []string{"server"}),
		storeTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "store_operation_duration_seconds",
			Help:    "Time of the store's hot-path operations (below the cache), by operation.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1},
		}, []string{"operation"}),
	}
	buildInfo := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: namespace, Name: "build_info",
		Help: "Always 1: the version, commit and Go version of the running binary.",
	}, []string{"version", "commit", "go_version"})
	buildInfo.WithLabelValues(info.Version, info.Commit, info.GoVersion).Set(1)
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		buildInfo, m.requests, m.latency, m.tokens, m.logins, m.lockouts, m.rateLimited, m.reuse, m.rotations, m.storeTime,
	)
	// Every series whose label values are known exists from the start, at
	// 0, so that ratios and increase() work before the first event.
	for _, o := range loginOutcomes {
		m.logins.WithLabelValues(o)
	}
	for _, l := range rateLimits {
		m.rateLimited.WithLabelValues(l)
	}
	return m
}

// Registry is the registry the metrics live in, for tests and for
// registering more collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the Prometheus exposition of the registry.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// ObserveRequest counts a request served and its latency; route is the
// mux pattern that matched (httpapi.RequestObserver).
func (m *Metrics) ObserveRequest(route string, status int, d time.Duration) {
	m.requests.WithLabelValues(route, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(route).Observe(d.Seconds())
}

// rateLimits are the guard's limits (guard.Deps.RateLimited) and the
// MFA grant's (oauth.Server.RateLimited).
var rateLimits = []string{"username", "client", "source", "mfa"}

// RateLimited counts a refusal by the rate limit named limit
// (guard.Deps.RateLimited). An unknown name counts as "other".
func (m *Metrics) RateLimited(limit string) {
	m.rateLimited.WithLabelValues(oneOf(limit, rateLimits)).Inc()
}

// KeyRotated counts a scheduled key rotation of an authorization server
// (keys.RotationConfig.Rotated).
func (m *Metrics) KeyRotated(authServerID string) {
	m.rotations.WithLabelValues(authServerID).Inc()
}

// oneOf returns v if it is one of known, else "other": a label value
// never comes from outside a fixed set.
func oneOf(v string, known []string) string {
	for _, k := range known {
		if v == k {
			return v
		}
	}
	return "other"
}
