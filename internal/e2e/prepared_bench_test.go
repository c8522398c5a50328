package e2e

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/app"
	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/cputime"
)

// Benchmarks of the documents served from prepared bytes: in-process
// through the real handler (BenchmarkJWKS, BenchmarkDiscovery, parallel),
// and over HTTP on loopback with a small closed-loop load of keep-alive
// connections (…HTTP), reporting requests per second and latency
// percentiles. docs/performance.md, "Keys and discovery", has the figures.

func benchServeParallel(b *testing.B, h http.Handler, u string, header map[string]string, want int) {
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r := httptest.NewRequest(http.MethodGet, u, nil)
			for k, v := range header {
				r.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != want {
				b.Errorf("%s: %d, want %d", u, w.Code, want)
				return
			}
		}
	})
}

func benchDoc(b *testing.B, path string) {
	e := newEnv(b)
	u := e.srv.URL + path
	etag := e.get(u).header.Get("ETag")
	b.Run("200", func(b *testing.B) { benchServeParallel(b, e.app.Handler, u, nil, http.StatusOK) })
	b.Run("304", func(b *testing.B) {
		benchServeParallel(b, e.app.Handler, u, map[string]string{"If-None-Match": etag}, http.StatusNotModified)
	})
}

// BenchmarkJWKS is GET /oauth2/default/v1/keys through the whole handler
// (request id, access log, CORS, routing), in parallel.
func BenchmarkJWKS(b *testing.B) { benchDoc(b, "/oauth2/default/v1/keys") }

// BenchmarkDiscovery is GET of the default server's OpenID configuration
// through the whole handler, in parallel.
func BenchmarkDiscovery(b *testing.B) {
	benchDoc(b, "/oauth2/default/.well-known/openid-configuration")
}

// loadConcurrency is the number of keep-alive connections of the loopback
// load: enough to keep two cores busy.
const loadConcurrency = 16

// getLoad sends n GETs of u over c keep-alive connections, each waiting
// for its answer before the next, and returns the latencies, sorted.
func getLoad(tb testing.TB, u string, n, c int) []time.Duration {
	tr := &http.Transport{MaxIdleConnsPerHost: c, MaxConnsPerHost: c}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	var next atomic.Int64
	lat := make([]time.Duration, n)
	var wg sync.WaitGroup
	for range c {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				start := time.Now()
				resp, err := client.Get(u)
				if err != nil {
					tb.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				lat[i] = time.Since(start)
				if resp.StatusCode != http.StatusOK {
					tb.Errorf("%s: %d", u, resp.StatusCode)
					return
				}
			}
		})
	}
	wg.Wait()
	slices.Sort(lat)
	return lat
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(float64(len(sorted))*p))]
}

func reportLoad(b *testing.B, lat []time.Duration, elapsed time.Duration) {
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(percentile(lat, 0.50).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(percentile(lat, 0.99).Microseconds())/1000, "p99-ms")
}

func benchDocHTTP(b *testing.B, path string) {
	e := newEnv(b)
	u := e.srv.URL + path
	getLoad(b, u, 1000, loadConcurrency) // warm the connections and the document
	b.ResetTimer()
	start, cpu := time.Now(), cputime.Process()
	lat := getLoad(b, u, b.N, loadConcurrency)
	elapsed, cpu := time.Since(start), cputime.Process()-cpu
	b.StopTimer()
	reportLoad(b, lat, elapsed)
	// Server and load generator together: on an idle machine of n cores
	// the server alone serves more than n / (cpu-µs/req) per µs.
	b.ReportMetric(float64(cpu.Microseconds())/float64(len(lat)), "cpu-µs/req")
}

// BenchmarkJWKSHTTP: /v1/keys over loopback HTTP, 16 keep-alive
// connections in a closed loop, load generator in the same process.
func BenchmarkJWKSHTTP(b *testing.B) { benchDocHTTP(b, "/oauth2/default/v1/keys") }

// BenchmarkDiscoveryHTTP: the OpenID configuration over loopback HTTP,
// as BenchmarkJWKSHTTP.
func BenchmarkDiscoveryHTTP(b *testing.B) {
	benchDocHTTP(b, "/oauth2/default/.well-known/openid-configuration")
}

// BenchmarkJWKSDuringSpray: /v1/keys over loopback HTTP (4 connections,
// closed loop) while a password spray is offered at ten times what the
// hashing pool can do, at OWASP's argon2id parameters (the default), in
// an open loop: each spray request is sent on schedule whether or not the
// ones before it were answered (at most 2,000 in flight). The pool bounds
// the hashes at once; the JWKS never waits behind it. It reports the
// hashing capacity measured first (hash/s), the spray's rate and how many
// it refused with 503, and the JWKS latency percentiles. GOMAXPROCS is
// what serve sets (app.ServingProcs: one P more than the pool's workers)
// unless the environment sets it; GOMAXPROCS=2 shows the runtime's default.
func BenchmarkJWKSDuringSpray(b *testing.B) {
	if procs, set := app.ServingProcs(config.Default(), os.Getenv); set {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
	}
	e := newEnvConfig(b, func(c *config.Config) {
		c.Password.MemoryKiB, c.Password.Iterations = 19*1024, 2
		// Many users from one source: the spray is made to reach the
		// hashing pool, not stopped by the rate limits first.
		c.LoginProtection.RateLimits.Username.Requests = 0
		c.LoginProtection.RateLimits.Source.Requests = 0
	}, app.Options{}, nil)
	capacity := hashCapacity(b, e)
	rate := 10 * capacity
	keysURL := e.issuer + "/v1/keys"
	getLoad(b, keysURL, 200, 4)

	ctx, stop := context.WithCancel(context.Background())
	var sent, refused, failed atomic.Int64
	spray := sprayLoop(ctx, e, rate, &sent, &refused, &failed)
	time.Sleep(time.Second) // let the spray fill the pool's queue

	b.ResetTimer()
	start := time.Now()
	lat := getLoad(b, keysURL, b.N, 4)
	elapsed := time.Since(start)
	b.StopTimer()
	stop()
	spray.Wait()
	reportLoad(b, lat, elapsed)
	b.ReportMetric(capacity, "hash/s")
	b.ReportMetric(rate, "spray/s")
	if n := sent.Load(); n > 0 {
		b.ReportMetric(float64(refused.Load())/float64(n)*100, "%spray-503")
	}
	if n := failed.Load(); n > 0 {
		b.Errorf("%d spray requests failed at the transport", n)
	}
}

// hashCapacity measures how many password hashes a second the app's
// hasher does with every core busy.
func hashCapacity(b *testing.B, e *env) float64 {
	const perWorker = 6
	workers := e.cfg.Password.Workers
	if workers <= 0 {
		workers = 2
	}
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Go(func() {
			for range perWorker {
				if _, err := e.app.Hasher.Hash(context.Background(), "correct horse battery staple"); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	return float64(workers*perWorker) / time.Since(start).Seconds()
}

// sprayLoop sends password grants for distinct unknown users at rate per
// second until ctx is done.
func sprayLoop(ctx context.Context, e *env, rate float64, sent, refused, failed *atomic.Int64) *sync.WaitGroup {
	tr := &http.Transport{MaxIdleConnsPerHost: 256}
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	inflight := make(chan struct{}, 2000)
	var wg sync.WaitGroup
	wg.Go(func() {
		defer tr.CloseIdleConnections()
		interval := time.Duration(float64(time.Second) / rate)
		next := time.Now()
		for i := 0; ; i++ {
			if d := time.Until(next); d > 0 {
				select {
				case <-ctx.Done():
					return
				case <-time.After(d):
				}
			}
			next = next.Add(interval)
			select {
			case <-ctx.Done():
				return
			case inflight <- struct{}{}:
			}
			wg.Go(func() {
				defer func() { <-inflight }()
				f := url.Values{"grant_type": {"password"}, "username": {"spray" + strconv.Itoa(i) + "@example.com"},
					"password": {"Winter2026!"}, "scope": {"openid"}}
				req, _ := http.NewRequest(http.MethodPost, e.tokenURL, strings.NewReader(f.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("Authorization", basic(e.clientID, e.clientSecret))
				resp, err := client.Do(req)
				sent.Add(1)
				if err != nil {
					if ctx.Err() == nil {
						failed.Add(1)
					}
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusServiceUnavailable {
					refused.Add(1)
				}
			})
		}
	})
	return &wg
}
