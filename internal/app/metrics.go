package app

import (
	"context"
	"net"
	"net/http"
	"time"

	"github.com/latchkey/latchkey/internal/buildinfo"
	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/events"
	"github.com/latchkey/latchkey/internal/httpapi"
	"github.com/latchkey/latchkey/internal/metrics"
)

// newMetrics returns the app's metrics when the config turns them on (the
// default), else nil.
func newMetrics(cfg config.Config) *metrics.Metrics {
	if !cfg.Metrics.Enabled {
		return nil
	}
	return metrics.New(buildinfo.Read())
}

// The hooks below are nil when metrics are off, so that the instrumented
// packages skip them (an interface holding a nil *Metrics would not be).

func eventObserver(m *metrics.Metrics) events.Sink {
	if m == nil {
		return nil
	}
	return m.Events()
}

func rateLimitHook(m *metrics.Metrics) func(string) {
	if m == nil {
		return nil
	}
	return m.RateLimited
}

func keyRotationHook(m *metrics.Metrics) func(string) {
	if m == nil {
		return nil
	}
	return m.KeyRotated
}

func requestObserver(m *metrics.Metrics) httpapi.RequestObserver {
	if m == nil {
		return nil
	}
	return m
}

// mainMetricsHandler is /metrics on the main listener: nil when metrics
// are off or have a listener of their own (metrics.addr).
func mainMetricsHandler(m *metrics.Metrics, cfg config.Config) http.Handler {
	if m == nil || cfg.Metrics.Addr != "" {
		return nil
	}
	return m.Handler()
}

// ServeMetrics serves GET /metrics alone on ln (the metrics.addr
// listener) until ctx is done. It returns at once when metrics are off.
func (a *App) ServeMetrics(ctx context.Context, ln net.Listener, shutdownTimeout time.Duration) error {
	if a.Metrics == nil {
		return ln.Close()
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", a.Metrics.Handler())
	srv := a.httpServer(mux)
	return serveUntilDone(ctx, srv, shutdownTimeout, func() error { return srv.Serve(ln) })
}
