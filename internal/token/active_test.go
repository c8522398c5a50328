package token

import (
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/store"
)

func TestRefreshActive(t *testing.T) {
	t.Parallel()
	t0 := time.Unix(1_800_000_000, 0)
	base := store.RefreshToken{ID: "rt", FamilyID: "rt", AuthServerID: "default", ClientID: "0oa", IssuedAt: t0}
	with := func(f func(*store.RefreshToken)) store.RefreshToken { rt := base; f(&rt); return rt }
	idle := with(func(rt *store.RefreshToken) { rt.IdleWindow = 7 * 24 * time.Hour })
	cases := []struct {
		name     string
		rt       store.RefreshToken
		server   string
		at       time.Time
		active   bool
		deadline time.Time
	}{
		{"unlimited", base, "default", t0.Add(10 * 365 * 24 * time.Hour), true, time.Time{}},
		{"other server", base, "aus1", t0, false, time.Time{}},
		{"zero token", store.RefreshToken{}, "", t0, false, time.Time{}},
		{"revoked", with(func(rt *store.RefreshToken) { rt.RevokedAt = t0 }), "default", t0, false, time.Time{}},
		{"rotated", with(func(rt *store.RefreshToken) { rt.RotatedAt = t0 }), "default", t0, false, time.Time{}},
		{"before absolute expiry", with(func(rt *store.RefreshToken) { rt.ExpiresAt = t0.Add(time.Hour) }), "default", t0.Add(time.Hour - time.Second), true, t0.Add(time.Hour)},
		{"at absolute expiry", with(func(rt *store.RefreshToken) { rt.ExpiresAt = t0.Add(time.Hour) }), "default", t0.Add(time.Hour), false, t0.Add(time.Hour)},
		{"idle, never used, inside window", idle, "default", t0.Add(7*24*time.Hour - time.Second), true, t0.Add(7 * 24 * time.Hour)},
		{"idle, never used, past window", idle, "default", t0.Add(7 * 24 * time.Hour), false, t0.Add(7 * 24 * time.Hour)},
		{"idle window counts from the last use", with(func(rt *store.RefreshToken) {
			rt.IdleWindow, rt.LastUsedAt = 7*24*time.Hour, t0.Add(5*24*time.Hour)
		}), "default", t0.Add(8 * 24 * time.Hour), true, t0.Add(12 * 24 * time.Hour)},
		{"absolute expiry before the idle deadline", with(func(rt *store.RefreshToken) {
			rt.IdleWindow, rt.LastUsedAt, rt.ExpiresAt = 7*24*time.Hour, t0.Add(5*24*time.Hour), t0.Add(10*24*time.Hour)
		}), "default", t0.Add(10 * 24 * time.Hour), false, t0.Add(10 * 24 * time.Hour)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := RefreshActive(tc.rt, tc.server, tc.at); got != tc.active {
				t.Errorf("RefreshActive = %v, want %v", got, tc.active)
			}
			if got := RefreshDeadline(tc.rt); !got.Equal(tc.deadline) {
				t.Errorf("RefreshDeadline = %v, want %v", got, tc.deadline)
			}
		})
	}
}
