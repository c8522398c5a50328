package app

import (
	"runtime"
	"testing"

	"github.com/latchkey/latchkey/internal/config"
)

func TestServingProcs(t *testing.T) {
	current := runtime.GOMAXPROCS(0)
	noEnv := func(string) string { return "" }
	for _, tc := range []struct {
		name    string
		workers int
		getenv  func(string) string
		want    int
		wantSet bool
	}{
		{"as many workers as Ps: one more P", current, noEnv, current + 1, true},
		{"more workers than Ps", current + 3, noEnv, current + 4, true},
		{"fewer workers than Ps: kept", current - 1, noEnv, current, false},
		{"GOMAXPROCS set by the operator: kept", current, func(k string) string {
			if k == "GOMAXPROCS" {
				return "1"
			}
			return ""
		}, current, false},
	} {
		cfg := config.Default()
		cfg.Password.Workers = tc.workers
		if tc.workers <= 0 { // the CPU count, as the pool does
			if runtime.NumCPU() < current {
				continue
			}
			tc.want, tc.wantSet = runtime.NumCPU()+1, true
		}
		got, set := ServingProcs(cfg, tc.getenv)
		if got != tc.want || set != tc.wantSet {
			t.Errorf("%s: (%d, %v), want (%d, %v)", tc.name, got, set, tc.want, tc.wantSet)
		}
	}
}
