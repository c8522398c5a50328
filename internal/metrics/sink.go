package metrics

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/latchkey/latchkey/internal/events"
)

// loginOutcomes are the label values of latchkey_password_logins_total.
var loginOutcomes = []string{"success", "invalid_credentials", "unknown_user", "locked_out", "password_expired", "not_active", "other"}

// outcomeOf maps a user.session.start reason to its outcome label.
var outcomeOf = map[string]string{
	"":                              "success",
	events.ReasonInvalidCredentials: "invalid_credentials",
	events.ReasonUnknownUser:        "unknown_user",
	events.ReasonLockedOut:          "locked_out",
	events.ReasonPasswordExpired:    "password_expired",
	events.ReasonNotActive:          "not_active",
}

// tokenKinds are the label values of the token label.
var tokenKinds = []string{string(events.AccessToken), string(events.IDToken), string(events.RefreshToken)}

// Events returns an events.Sink that counts the events it is shown: the
// audit Recorder's Observer (events.RecorderConfig), so that every
// outcome the audit trail receives is counted once, whoever reports it.
func (m *Metrics) Events() events.Sink { return eventCounter{m} }

type eventCounter struct{ m *Metrics }

// Record counts e. It never blocks: counting is a few atomic adds.
func (c eventCounter) Record(_ context.Context, e events.Event) { c.m.count(e) }

// AuditEvents registers the audit Recorder's losses, read at every scrape.
func (m *Metrics) AuditEvents(dropped, failed func() int64) {
	m.reg.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: namespace, Name: "audit_events_dropped_total",
			Help: "Audit events dropped because the event buffer was full."}, func() float64 { return float64(dropped()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: namespace, Name: "audit_events_failed_total",
			Help: "Audit events lost because the store refused them."}, func() float64 { return float64(failed()) }),
	)
}

func (m *Metrics) count(e events.Event) {
	server := e.DebugContext.DebugData["authorizationServerId"]
	switch e.EventType {
	case events.TypeSessionStart:
		o, ok := outcomeOf[e.Outcome.Reason]
		if !ok {
			o = "other"
		}
		m.logins.WithLabelValues(o).Inc()
	case events.TypeAccountLock:
		m.lockouts.Inc()
	case events.TokenEventType(events.TypeAccessTokenGrant, server),
		events.TokenEventType(events.TypeIDTokenGrant, server),
		events.TokenEventType(events.TypeRefreshTokenGrant, server):
		kind := "other"
		if len(e.Target) > 0 {
			kind = oneOf(e.Target[len(e.Target)-1].Type, tokenKinds)
		}
		m.tokens.WithLabelValues(e.DebugContext.DebugData["grantType"], server, kind).Inc()
	case events.TokenEventType(events.TypeTokenDetectReuse, server):
		m.reuse.Inc()
	}
}
