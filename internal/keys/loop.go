package keys

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/latchkey/latchkey/internal/store"
)

// DefaultRotationCheck is how often RunRotation looks at every server by
// default. Rotation intervals are counted in days, so an hour is early
// enough, and it bounds how long an EXPIRED key outstays its window.
const DefaultRotationCheck = time.Hour

// RotationConfig configures RunRotation.
type RotationConfig struct {
	// List returns the authorization servers to look after, on every pass.
	List func(context.Context) ([]store.AuthServer, error)
	// Every is the time between passes; DefaultRotationCheck when zero.
	Every time.Duration
	// PublishExpiredFor is how long an EXPIRED key stays published;
	// DefaultPublishExpiredFor when zero. See PublishWindow.
	PublishExpiredFor time.Duration
	// Logger receives rotations, deletions and errors; discarded when nil.
	Logger *slog.Logger
	// Rotated, when set, is told of every rotation a pass made, with the
	// authorization server's id (package metrics counts them).
	Rotated func(authServerID string)
}

// RunRotation looks after the keys of every server List returns, at once
// and then every cfg.Every, until ctx is done: it creates missing ACTIVE and
// NEXT keys, rotates the keys that are due (RotateIfDue) and deletes
// EXPIRED keys past their publication window (Prune). Errors are logged and
// the next pass tries again. Every instance of a deployment may run it:
// the store transactions make concurrent passes rotate once.
func (m *Manager) RunRotation(ctx context.Context, cfg RotationConfig) {
	every := cfg.Every
	if every <= 0 {
		every = DefaultRotationCheck
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := m.rotationPass(ctx, cfg, logger); err != nil && ctx.Err() == nil {
			logger.Error("signing key rotation", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// rotationPass is one pass of RunRotation. It goes on past a failing
// server and returns every error joined.
func (m *Manager) rotationPass(ctx context.Context, cfg RotationConfig, logger *slog.Logger) error {
	servers, err := cfg.List(ctx)
	if err != nil {
		return fmt.Errorf("keys: list authorization servers: %w", err)
	}
	var errs []error
	for _, srv := range servers {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		r, err := m.RotateIfDue(ctx, srv)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if r.Rotated {
			logger.Info("signing keys rotated", "authserver", srv.ID,
				"active", r.Active.ID, "next", r.Next.ID, "expired", r.Expired.ID)
			if cfg.Rotated != nil {
				cfg.Rotated(srv.ID)
			}
		}
		deleted, err := m.Prune(ctx, srv.ID, cfg.PublishExpiredFor)
		for _, kid := range deleted {
			logger.Info("expired signing key deleted", "authserver", srv.ID, "kid", kid)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
