package app

import (
	"context"

	"github.com/latchkey/latchkey/internal/keys"
)

// RunKeyRotation looks after the signing keys of every authorization server
// until ctx is done: it rotates them when due and deletes EXPIRED keys past
// their publication window, checking every keys.rotation_check_interval.
// Every instance of a deployment may run it; the store makes concurrent
// rotations happen once.
func (a *App) RunKeyRotation(ctx context.Context) {
	a.Keys.RunRotation(ctx, keys.RotationConfig{
		List:              a.Store.ListAuthServers,
		Every:             a.Config.Keys.RotationCheckInterval.Duration,
		PublishExpiredFor: a.Config.Keys.PublishExpiredFor.Duration,
		Logger:            a.Logger,
		Rotated:           keyRotationHook(a.Metrics),
	})
}
