package cputime

import (
	"testing"
	"time"
)

// ReportProcess reports, as cpu-ns/op, the process's CPU time per
// operation since start (a Process reading taken when the timed loop
// began). Nothing is reported where Process is not measured.
func ReportProcess(b *testing.B, start time.Duration) {
	if start > 0 && b.N > 0 {
		b.ReportMetric(float64(Process()-start)/float64(b.N), "cpu-ns/op")
	}
}
