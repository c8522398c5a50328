package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/app"
	"github.com/latchkey/latchkey/internal/config"
)

// BenchmarkPasswordSpray is a password spray at the default argon2id
// (19 MiB, 2 passes): 64 goroutines, each its own source address, send
// password grants for usernames that do not exist (each costs the dummy
// hash of equal cost) through the real handler, far more than the hashing
// pool (one worker per core, a bounded queue) can check. It reports the
// peak Go heap (live and not yet collected objects, sampled every
// millisecond through runtime/metrics), the peak resident size of the
// process (/proc/self/statm), the bound the pool sets on the hashes'
// memory (workers × 19 MiB), and the share of requests refused at once
// with 503. The per-username and per-source rate limits are off, so that
// only the pool stands between the spray and the memory.
func BenchmarkPasswordSpray(b *testing.B) {
	e := newEnvConfig(b, func(c *config.Config) {
		c.LoginProtection.RateLimits.Username.Requests = 0
		c.LoginProtection.RateLimits.Source.Requests = 0
		d := config.Default().Password
		c.Password.MemoryKiB, c.Password.Iterations, c.Password.Parallelism = d.MemoryKiB, d.Iterations, d.Parallelism
	}, app.Options{}, nil)
	runEvents(b, e)
	auth := basic(e.clientID, e.clientSecret)
	workers := e.app.Hasher.Stats().Workers

	var peak peakMemory
	stop := peak.sample(time.Millisecond)
	var seq, refused, checked, other atomic.Int64
	var sources atomic.Int64
	b.SetParallelism(64 / runtime.GOMAXPROCS(0))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		src := sources.Add(1)
		remote := fmt.Sprintf("10.0.%d.%d:40000", src/250, src%250+1)
		for pb.Next() {
			n := seq.Add(1)
			body := url.Values{"grant_type": {"password"}, "username": {"spray" + strconv.FormatInt(n, 10) + "@example.com"},
				"password": {"Winter2026!"}, "scope": {"openid"}}.Encode()
			r := httptest.NewRequest(http.MethodPost, benchTokenPath, strings.NewReader(body))
			r.RemoteAddr = remote
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			r.Header.Set("Authorization", auth)
			w := httptest.NewRecorder()
			e.app.Handler.ServeHTTP(w, r)
			switch w.Code {
			case http.StatusBadRequest:
				checked.Add(1)
			case http.StatusServiceUnavailable:
				refused.Add(1)
			default:
				other.Add(1)
			}
		}
	})
	b.StopTimer()
	stop()
	if n := other.Load(); n > 0 {
		b.Fatalf("%d answers neither 400 nor 503", n)
	}
	const mib = 1 << 20
	b.ReportMetric(float64(peak.heap.Load())/mib, "peak-heap-MiB")
	b.ReportMetric(float64(peak.rss.Load())/mib, "peak-rss-MiB")
	b.ReportMetric(float64(workers*int(config.Default().Password.MemoryKiB))/1024, "pool-bound-MiB")
	b.ReportMetric(100*float64(refused.Load())/float64(b.N), "refused-%")
	b.ReportMetric(float64(checked.Load())/b.Elapsed().Seconds(), "checked/s")
}

// peakMemory samples the process's memory and keeps the highest values.
type peakMemory struct {
	heap, rss atomic.Uint64
}

// sample starts sampling every d; the returned func stops it and takes a
// last sample.
func (p *peakMemory) sample(d time.Duration) (stop func()) {
	samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	take := func() {
		metrics.Read(samples)
		if v := samples[0].Value; v.Kind() == metrics.KindUint64 {
			raise(&p.heap, v.Uint64())
		}
		raise(&p.rss, residentBytes())
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(d)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				take()
			}
		}
	})
	return func() {
		close(done)
		wg.Wait()
		take()
	}
}

func raise(a *atomic.Uint64, v uint64) {
	for {
		cur := a.Load()
		if v <= cur || a.CompareAndSwap(cur, v) {
			return
		}
	}
}

// residentBytes is the process's resident size (Linux), or 0.
func residentBytes() uint64 {
	raw, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(raw))
	if len(f) < 2 {
		return 0
	}
	pages, err := strconv.ParseUint(f[1], 10, 64)
	if err != nil {
		return 0
	}
	return pages * uint64(os.Getpagesize())
}
