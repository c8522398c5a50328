package main

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/latchkey/latchkey/internal/app"
	"github.com/latchkey/latchkey/internal/buildinfo"
	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/httpapi"
)

// storeKind names the store a DSN opens, without its credentials.
func storeKind(dsn string) string {
	if app.IsPostgres(dsn) {
		return "postgres"
	}
	return "sqlite"
}

// logStarted writes the line an operator looks for first: which build
// serves, where, over which store. metricsAddr is where /metrics is
// served: "" when metrics are off.
func logStarted(logger *slog.Logger, cfg config.Config, addr, metricsAddr string) {
	info := buildinfo.Read()
	logger.Info("latchkey listening",
		slog.String("version", info.Version),
		slog.String("commit", info.Commit),
		slog.String("go_version", info.GoVersion),
		slog.String("store", storeKind(cfg.DB)),
		slog.String("base_url", cfg.BaseURL),
		slog.String("addr", addr),
		slog.String("metrics_addr", metricsAddr),
		// The whole configuration without secrets (Config.String).
		slog.String("config", cfg.String()),
	)
}

// stopClock notes when serving began to stop: when ctx ended.
type stopClock struct {
	ctx   context.Context
	began atomic.Int64 // unix nanoseconds; 0 until ctx ends
}

func newStopClock(ctx context.Context) *stopClock {
	c := &stopClock{ctx: ctx}
	context.AfterFunc(ctx, func() { c.began.Store(time.Now().UnixNano()) })
	return c
}

// logStopped writes the shutdown line once serving has ended and the app
// is closed: why it stopped (the signal, or the error that ended it) and
// how long the shutdown took, from the signal to the last audit event
// written.
func (c *stopClock) logStopped(logger *slog.Logger, err error) {
	reason := "stopped"
	if cause := context.Cause(c.ctx); cause != nil {
		reason = cause.Error() // e.g. "terminated signal received"
	}
	level := slog.LevelInfo
	if err != nil {
		reason, level = err.Error(), slog.LevelError
	}
	var took time.Duration
	if began := c.began.Load(); began != 0 {
		took = time.Since(time.Unix(0, began))
	}
	logger.Log(context.Background(), level, "latchkey stopped",
		slog.String("reason", reason), slog.Float64("shutdown_ms", httpapi.Milliseconds(took)))
}
