//go:build unix

package e2e

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time (user and system) this process has used, so
// that a load benchmark can report the CPU one request costs, server and
// load generator together: a figure that holds on a busy machine, where
// requests per second do not.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
