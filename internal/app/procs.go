package app

import (
	"runtime"

	"github.com/latchkey/latchkey/internal/config"
)

// ServingProcs is the GOMAXPROCS serve runs with: one more than the
// hashing pool's workers (password.workers, else the CPU count) when the
// runtime's default gives no more than that, so that a P is always free
// for the requests that never hash (/v1/keys, discovery, refresh, client
// credentials) while every worker is in a password hash. An argon2id hash
// holds its P for its whole run, tens of milliseconds; with as many Ps as
// workers, a spray that keeps the pool busy makes every other request
// wait for the runtime's forced preemption (10 ms a time slice) instead of
// running at once. The extra P costs nothing while idle; under a spray the
// operating system shares the cores among the threads at its own, finer,
// time slice. An operator's GOMAXPROCS is kept: set is false when the
// environment sets it.
func ServingProcs(cfg config.Config, getenv func(string) string) (procs int, set bool) {
	current := runtime.GOMAXPROCS(0)
	if getenv("GOMAXPROCS") != "" {
		return current, false
	}
	workers := cfg.Password.Workers
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	if current > workers {
		return current, false
	}
	return workers + 1, true
}
