package multi

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// requestBound is the longest a token request may take, even while the
// database is down: an instance must answer, not hang.
const requestBound = 10 * time.Second

// result is one token request of a load.
type result struct {
	in      *instance
	grant   string // "password" or "client_credentials"
	started time.Time
	a       answer
	err     error
}

// load sends password and client-credentials grants to its targets from
// several goroutines until stopped.
type load struct {
	mu      sync.Mutex
	results []result
	stop    chan struct{}
	wg      sync.WaitGroup
}

func startLoad(c *cluster, targets []*instance, workers int) *load {
	l := &load{stop: make(chan struct{})}
	for w := range workers {
		l.wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-l.stop:
					return
				case <-time.After(2 * time.Millisecond):
				}
				in := targets[(w+i)%len(targets)]
				r := result{in: in, started: time.Now()}
				form := url.Values{"grant_type": {"client_credentials"}, "scope": {"jobs:read"}}
				if (w+i/len(targets))%2 == 0 {
					form = url.Values{"grant_type": {"password"}, "username": {"ada@example.com"},
						"password": {password}, "scope": {"openid offline_access"}}
				}
				r.grant = form.Get("grant_type")
				ctx, cancel := context.WithTimeout(context.Background(), requestBound+5*time.Second)
				r.a, r.err = post(ctx, in.tokenURL(), c.webID, c.webSecret, form)
				cancel()
				l.mu.Lock()
				l.results = append(l.results, r)
				l.mu.Unlock()
			}
		})
	}
	return l
}

// end stops the load and returns its results.
func (l *load) end() []result {
	close(l.stop)
	l.wg.Wait()
	return l.results
}

// snapshot returns the results so far.
func (l *load) snapshot() []result {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]result(nil), l.results...)
}

// checkAcknowledged: every token a 200 acknowledged is active on in (the
// refresh token of a password grant, the access token of client
// credentials), checked from 4 goroutines.
func checkAcknowledged(t *testing.T, c *cluster, in *instance, results []result) int {
	t.Helper()
	var oks []result
	for _, r := range results {
		if r.err == nil && r.a.status == http.StatusOK {
			oks = append(oks, r)
		}
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	lost := 0
	for w := range 4 {
		wg.Go(func() {
			for i := w; i < len(oks); i += 4 {
				tok, hint := oks[i].a.str("access_token"), "access_token"
				if oks[i].grant == "password" {
					tok, hint = oks[i].a.str("refresh_token"), "refresh_token"
				}
				if !active(t, in, c.webID, c.webSecret, tok, hint) {
					mu.Lock()
					lost++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if lost > 0 {
		t.Errorf("%d of %d tokens acknowledged with 200 are not active on %s", lost, len(oks), in.name)
	}
	return len(oks)
}

// TestFaults: one instance killed with SIGKILL under load, then the
// database restarted under load (issue 9's fault test).
func TestFaults(t *testing.T) {
	c := newCluster(t, nil)
	var all []result

	t.Run("kill -9 one instance under load", func(t *testing.T) {
		l := startLoad(c, []*instance{c.a, c.b}, 4)
		acked := func(in *instance, since time.Time) int {
			n := 0
			for _, r := range l.snapshot() {
				if r.in == in && r.started.After(since) && r.err == nil && r.a.status == http.StatusOK {
					n++
				}
			}
			return n
		}
		within(10*time.Second, func() bool { return acked(c.a, time.Time{}) >= 10 })
		killedAt := time.Now()
		c.a.kill9()
		within(10*time.Second, func() bool { return acked(c.b, killedAt) >= 10 })
		results := l.end()
		all = append(all, results...)
		var okA, okB, afterKillB int
		for _, r := range results {
			switch {
			case r.in == c.b && (r.err != nil || r.a.status != http.StatusOK):
				t.Errorf("B, %s grant: %v %s", r.grant, r.err, r.a)
			case r.in == c.b:
				okB++
				if r.started.After(killedAt) {
					afterKillB++
				}
			case r.err == nil && r.a.status != http.StatusOK:
				t.Errorf("A answered %s", r.a)
			case r.err == nil:
				okA++
			}
		}
		t.Logf("%d requests: A acknowledged %d before it was killed, B %d (%d after the kill)", len(results), okA, okB, afterKillB)
		if okA == 0 || afterKillB == 0 {
			t.Errorf("the load did not reach A before the kill (%d) or B after it (%d)", okA, afterKillB)
		}
		checkAcknowledged(t, c, c.b, results)
	})

	c.a = c.restart(t, c.a)

	t.Run("database restart under load", func(t *testing.T) {
		l := startLoad(c, []*instance{c.a, c.b}, 4)
		time.Sleep(300 * time.Millisecond)
		downAt := time.Now()
		if err := pg.Restart(context.Background(), time.Second); err != nil {
			l.end()
			t.Fatalf("restart PostgreSQL: %v", err)
		}
		upAt := time.Now()
		// Every instance serves both grants again, without a restart.
		recovered := map[string]time.Duration{} // "A password": when first served again

		_, ok := within(15*time.Second, func() bool {
			for _, r := range l.snapshot() {
				k := r.in.name + " " + r.grant
				if _, seen := recovered[k]; !seen && r.started.After(upAt) && r.err == nil && r.a.status == http.StatusOK {
					recovered[k] = r.started.Add(r.a.elapsed).Sub(upAt)
				}
			}
			return len(recovered) == 4
		})
		time.Sleep(200 * time.Millisecond)
		results := l.end()
		all = append(all, results...)
		if !ok {
			t.Fatalf("15 s after PostgreSQL was back, only %v were served again", recovered)
		}
		var failed, failedAfterUp int
		var slowest time.Duration
		statuses := map[int]int{}
		shapes := map[string]int{} // error or errorCode: how many
		for _, r := range results {
			slowest = max(slowest, r.a.elapsed)
			if r.err != nil {
				t.Errorf("%s, %s grant: no answer: %v (after %v)", r.in.name, r.grant, r.err, r.a.elapsed)
				continue
			}
			if r.a.elapsed > requestBound {
				t.Errorf("%s, %s grant: answered after %v", r.in.name, r.grant, r.a.elapsed)
			}
			if r.a.status == http.StatusOK {
				continue
			}
			failed++
			statuses[r.a.status]++
			if r.started.After(upAt) {
				failedAfterUp++
			}
			if r.a.status < 500 || !(r.a.isOAuthError() || r.a.isOktaError()) {
				t.Errorf("%s, %s grant during the outage: %s, want a 5xx in one of the contract's error shapes", r.in.name, r.grant, r.a)
			}
			if r.a.isOktaError() {
				shapes["E0000009"]++
			} else {
				shapes[r.a.str("error")]++
			}
		}
		t.Logf("database down for %v; %d requests, %d failed %v %v (%d of them after it was back); slowest answer %v; served again after %v",
			upAt.Sub(downAt).Round(time.Millisecond), len(results), failed, statuses, shapes, failedAfterUp, slowest.Round(time.Millisecond), recovered)
		for _, in := range []*instance{c.a, c.b} {
			if !in.running() {
				t.Errorf("instance %s exited", in.name)
			}
		}

		// The listening connections come back too: a change made with
		// the CLI reaches both caches (cache.ttl is 1m) once they have.
		for _, in := range []*instance{c.a, c.b} {
			if _, ok := within(15*time.Second, func() bool {
				return strings.Contains(in.log.String(), "cache invalidations: listening again")
			}); !ok {
				t.Errorf("instance %s is not listening again 15 s after the database came back", in.name)
			}
		}
		c.cli(t, "", "scopes", "create", "--authserver", "default", "--name", "after:restart")
		for _, in := range []*instance{c.b, c.a} {
			took, ok := within(2*time.Second, func() bool {
				x := mustPost(t, in.tokenURL(), c.webID, c.webSecret, url.Values{"grant_type": {"client_credentials"}, "scope": {"after:restart"}})
				return x.status == http.StatusOK
			})
			if !ok {
				t.Errorf("after the restart, a scope created with the CLI is not served by %s within 2 s", in.name)
			}
			t.Logf("after the restart, a scope created by the CLI is served by %s %v after the command ended", in.name, took)
		}
	})

	t.Run("nothing acknowledged is lost", func(t *testing.T) {
		for _, in := range []*instance{c.b, c.a} {
			n := checkAcknowledged(t, c, in, all)
			t.Logf("%d acknowledged tokens active on %s", n, in.name)
		}
	})
}
