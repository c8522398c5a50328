package token

import (
	"testing"
	"time"
)

// TestAwaitWatermark: a mint in the second of a user's watermark waits for
// the next second, so that the token's iat is not before the watermark;
// other mints do not wait.
func TestAwaitWatermark(t *testing.T) {
	t.Parallel()
	base := time.Now().Truncate(time.Second).Add(2 * time.Second)
	cases := []struct {
		name      string
		now       time.Time
		watermark time.Time
		wait      bool
	}{
		{"no watermark", base, time.Time{}, false},
		{"watermark long ago", base, base.Add(-time.Hour), false},
		{"watermark on this whole second", base, base, false},
		{"watermark earlier in this second", base.Add(600 * time.Millisecond), base.Add(100 * time.Millisecond), true},
		{"watermark far ahead", base, base.Add(time.Minute), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			if err := awaitWatermark(t.Context(), func() time.Time { return c.now.Add(time.Since(start)) }, c.watermark); err != nil {
				t.Fatal(err)
			}
			waited := time.Since(start) > 200*time.Millisecond
			if waited != c.wait {
				t.Fatalf("waited %v, want a wait: %v", time.Since(start), c.wait)
			}
		})
	}
}
