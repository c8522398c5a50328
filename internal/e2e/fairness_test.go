package e2e

import (
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/app"
	"github.com/latchkey/latchkey/internal/config"
)

// TestFairAdmissionUnderFlood: while one client floods the password grant
// from one source with more logins than the hashing pool can take, the
// logins of another client still complete, and /v1/keys and discovery
// keep answering. The flood itself is refused with 503 past its share.
func TestFairAdmissionUnderFlood(t *testing.T) {
	if testing.Short() {
		t.Skip("floods the password grant")
	}
	e := newEnvConfig(t, func(c *config.Config) {
		// A small pool, and a hash slow enough (2 MiB, 1 pass: about a
		// tenth of OWASP's cost) that 24 concurrent flooders fill the
		// queue and get 503s; at OWASP's cost the serial hashes on one
		// worker were most of the package's time under the race detector.
		c.Password.MemoryKiB, c.Password.Iterations = 2*1024, 1
		c.Password.Workers, c.Password.Queue = 1, 8
		c.LoginProtection.RateLimits.Username.Requests = 0
		c.LoginProtection.RateLimits.Source.Requests = 0
	}, app.Options{}, nil)

	stop := make(chan struct{})
	var flooders sync.WaitGroup
	var sent, busy atomic.Int64
	for w := range 24 {
		flooders.Go(func() {
			for i := 0; i < 200; i++ { // bounded: the flood ends by itself
				select {
				case <-stop:
					return
				default:
				}
				f := url.Values{"grant_type": {"password"}, "username": {"spray" + strconv.Itoa(w) + "-" + strconv.Itoa(i)}, "password": {"Winter2026!"}, "scope": {"openid"}}
				r := e.post(e.tokenURL, f.Encode(), map[string]string{"Authorization": basic(e.clientID, e.clientSecret)})
				sent.Add(1)
				if r.status == 503 {
					busy.Add(1)
					if r.header.Get("Retry-After") == "" || r.body["error"] != "temporarily_unavailable" {
						t.Errorf("503 without Retry-After or with %s", r.raw)
					}
				}
			}
		})
	}
	// Let the flood fill the queue, then log in through the other client.
	deadline := time.Now().Add(10 * time.Second)
	for busy.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if busy.Load() == 0 {
		close(stop)
		flooders.Wait()
		t.Fatalf("the flood of %d requests never saturated the pool", sent.Load())
	}
	for i := range 3 {
		f := e.passwordForm("openid")
		f.Set("client_id", e.postClientID)
		f.Set("client_secret", e.postSecret)
		if r := e.post(e.tokenURL, f.Encode(), nil); r.status != 200 {
			t.Errorf("login %d of another client during the flood: %d %s", i, r.status, r.raw)
		}
		if r := e.get(e.issuer + "/v1/keys"); r.status != 200 {
			t.Errorf("/v1/keys during the flood: %d", r.status)
		}
		if r := e.get(e.issuer + "/.well-known/openid-configuration"); r.status != 200 {
			t.Errorf("discovery during the flood: %d", r.status)
		}
	}
	close(stop)
	flooders.Wait()
	t.Logf("flood: %d requests, %d refused with 503", sent.Load(), busy.Load())
}
