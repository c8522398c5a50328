package verifier

import (
	"testing"
	"time"
)

func TestKeySetTTLFromCacheControl(t *testing.T) {
	t.Parallel()
	s := &remoteKeySet{minRefetch: 10 * time.Second, defaultTTL: 10 * time.Minute}
	for header, want := range map[string]time.Duration{
		"":                             10 * time.Minute,
		"max-age=300, must-revalidate": 300 * time.Second,
		"public, MAX-AGE=60":           60 * time.Second,
		`max-age="120"`:                120 * time.Second,
		"max-age=1":                    10 * time.Second, // the floor
		"max-age=0":                    10 * time.Second,
		"no-store":                     10 * time.Second,
		"no-cache, max-age=600":        10 * time.Second,
		"max-age=99999999999":          24 * time.Hour, // the cap
		"max-age=-5":                   10 * time.Minute,
		"max-age=abc":                  10 * time.Minute,
	} {
		if got := s.ttl(header); got != want {
			t.Errorf("ttl(%q) = %s, want %s", header, got, want)
		}
	}
}
