//go:build !linux

package e2e

import "time"

// threadCPU is not measured here; the cpu- figures of BenchmarkOverhead
// are then not reported.
func threadCPU() time.Duration { return 0 }
