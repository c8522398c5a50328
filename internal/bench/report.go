package bench

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
)

// WriteText writes the result for a person to read.
func (r Result) WriteText(w io.Writer) error {
	var b strings.Builder
	mode := fmt.Sprintf("closed loop, %d workers", r.Concurrency)
	if r.Mode == "open" {
		mode = fmt.Sprintf("open loop at %g/s, %d workers at most", r.TargetRate, r.Concurrency)
	}
	if r.GetURL != "" {
		fmt.Fprintf(&b, "GET, %s: %s\n", mode, r.GetURL)
	} else {
		fmt.Fprintf(&b, "%s grant, %s: %s\n", r.Grant, mode, r.TokenURL)
	}
	if r.Interrupted {
		b.WriteString("interrupted: the figures cover the part that ran\n")
	}
	fmt.Fprintf(&b, "requests   %d in %.2f s: %.1f/s (%d succeeded, %.1f/s)\n", r.Requests, r.DurationSeconds, r.RequestsPerSecond, r.Succeeded, r.SucceededPerSecond)
	l := r.Latency
	if l.Samples > 0 {
		fmt.Fprintf(&b, "latency    p50 %s  p90 %s  p99 %s  max %s  (mean %s, min %s)\n",
			fmtMS(l.P50), fmtMS(l.P90), fmtMS(l.P99), fmtMS(l.Max), fmtMS(l.Mean), fmtMS(l.Min))
		if !l.Exact {
			fmt.Fprintf(&b, "           percentiles from a uniform sample of the %d answers\n", l.Samples)
		}
	}
	fmt.Fprintf(&b, "status     %s\n", counts(r.Status, "none"))
	if len(r.Errors) > 0 {
		fmt.Fprintf(&b, "errors     %s\n", counts(r.Errors, ""))
	}
	if r.Mode == "open" {
		fmt.Fprintf(&b, "schedule   %d late, %d unsent", r.Late, r.Unsent)
		if r.Late > 0 || r.Unsent > 0 {
			b.WriteString(" (every worker was busy when they were due: raise -c, or the server is at its limit)")
		}
		b.WriteString("\n")
	}
	if r.WarmupSeconds > 0 {
		fmt.Fprintf(&b, "warm-up    %s, %d requests, not counted\n", time.Duration(r.WarmupSeconds*float64(time.Second)), r.WarmupRequests)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// counts renders "200: 12  429: 3", keys in order.
func counts(m map[string]int64, none string) string {
	if len(m) == 0 {
		return none
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s: %d", k, m[k]))
	}
	return strings.Join(parts, "  ")
}

func fmtMS(ms float64) string {
	switch {
	case ms >= 100:
		return fmt.Sprintf("%.0f ms", ms)
	case ms >= 10:
		return fmt.Sprintf("%.1f ms", ms)
	}
	return fmt.Sprintf("%.2f ms", ms)
}

// Line is the progress line of p: the time, the requests so far and the
// rate over the last interval, given the previous progress.
func (p Progress) Line(prev Progress) string {
	phase := "measuring"
	n, prevN := p.Requests, prev.Requests
	if p.Warmup {
		phase = "warming up"
		n, prevN = p.WarmupRequests, prev.WarmupRequests
	}
	rate := 0.0
	if dt := (p.Elapsed - prev.Elapsed).Seconds(); dt > 0 {
		rate = float64(n-prevN) / dt
	}
	return fmt.Sprintf("%5.0fs %s: %d requests, %.0f/s, %d not 2xx, %d errors",
		p.Elapsed.Seconds(), phase, n, rate, p.Requests-p.OK-p.Errors, p.Errors)
}
