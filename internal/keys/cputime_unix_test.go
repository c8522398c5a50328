//go:build unix

package keys

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time (user and system, every thread) this process has
// used so far. Benchmarks report it per operation as cpu-ns/op: unlike
// ns/op it does not grow when other processes share the cores.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
