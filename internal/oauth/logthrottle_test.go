package oauth

import (
	"testing"
	"time"
)

func TestLogThrottle(t *testing.T) {
	var lt logThrottle
	t0 := time.Unix(1_700_000_000, 0)
	passed := 0
	for range 1000 {
		if ok, _ := lt.allow(t0); ok {
			passed++
		}
	}
	if passed != overloadLogsPerSecond {
		t.Fatalf("%d lines passed in one second, want %d", passed, overloadLogsPerSecond)
	}
	ok, suppressed := lt.allow(t0.Add(time.Second))
	if !ok || suppressed != 1000-overloadLogsPerSecond {
		t.Errorf("next second: ok=%v suppressed=%d, want true and %d", ok, suppressed, 1000-overloadLogsPerSecond)
	}
}
