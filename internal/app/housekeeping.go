package app

import (
	"context"
	"time"
)

// HousekeepingInterval is how often expired refresh tokens, revoked-token
// records, used assertion ids and audit events past their retention are
// deleted.
const HousekeepingInterval = 10 * time.Minute

// RunHousekeeping deletes expired token records and old events until ctx
// is done: once at
// once, then every HousekeepingInterval. Every instance may run it; the
// deletes are idempotent.
func (a *App) RunHousekeeping(ctx context.Context) {
	t := time.NewTicker(HousekeepingInterval)
	defer t.Stop()
	for {
		a.Housekeep(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Housekeep runs one housekeeping pass.
func (a *App) Housekeep(ctx context.Context) {
	n, err := a.Store.DeleteExpired(ctx, a.now())
	switch {
	case err != nil && ctx.Err() == nil:
		a.Logger.WarnContext(ctx, "housekeeping: delete expired tokens", "err", err)
	case n > 0:
		a.Logger.InfoContext(ctx, "housekeeping: deleted expired tokens", "rows", n)
	}
	before := a.now().Add(-a.Config.Events.Retention.Duration)
	n, err = a.Store.DeleteEventsBefore(ctx, before)
	switch {
	case err != nil && ctx.Err() == nil:
		a.Logger.WarnContext(ctx, "housekeeping: delete old audit events", "err", err)
	case n > 0:
		a.Logger.InfoContext(ctx, "housekeeping: deleted audit events past their retention", "rows", n, "before", before)
	}
	if a.Guard == nil {
		return
	}
	n, err = a.Guard.Housekeep(ctx)
	switch {
	case err != nil && ctx.Err() == nil:
		a.Logger.WarnContext(ctx, "housekeeping: delete stale login counters", "err", err)
	case n > 0:
		a.Logger.InfoContext(ctx, "housekeeping: deleted stale login counters", "rows", n)
	}
}
