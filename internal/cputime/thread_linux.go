//go:build linux

package cputime

import (
	"syscall"
	"time"
	"unsafe"
)

// clockThreadCPUTimeID is Linux's CLOCK_THREAD_CPUTIME_ID.
const clockThreadCPUTimeID = 3

// Thread is the CPU time the calling OS thread has used so far, in
// nanoseconds as the kernel counts it (not in ticks). The caller keeps its
// goroutine on one thread (runtime.LockOSThread) between two readings;
// the difference is then the CPU of the work done in between on that
// goroutine, whatever else runs on the machine or in the process (the
// audit writer, the hashing pool's workers, background GC).
func Thread() time.Duration {
	var ts syscall.Timespec
	if _, _, errno := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTimeID, uintptr(unsafe.Pointer(&ts)), 0); errno != 0 {
		return 0
	}
	return time.Duration(ts.Nano())
}
