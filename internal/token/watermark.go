package token

import (
	"context"
	"time"
)

// maxWatermarkWait bounds awaitWatermark: a watermark further ahead (set by
// an instance whose clock runs ahead) is not waited for.
const maxWatermarkWait = 1100 * time.Millisecond

// awaitWatermark holds a mint back until a token issued now would not be
// older than the user's watermark (store.User.TokensValidAfter). A token's
// iat has whole seconds while the watermark has milliseconds, so a token
// minted in the same second just after a revocation would be born dead;
// this waits for the next second instead, which happens only in the second
// after a revocation of that user.
func awaitWatermark(ctx context.Context, now func() time.Time, watermark time.Time) error {
	if watermark.IsZero() {
		return nil
	}
	t := now()
	if !t.Truncate(time.Second).Before(watermark) {
		return nil
	}
	target := watermark.Truncate(time.Second)
	if target.Before(watermark) {
		target = target.Add(time.Second)
	}
	d := target.Sub(t)
	if d <= 0 || d > maxWatermarkWait {
		return nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
