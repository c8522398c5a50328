package e2e

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/latchkey/latchkey/internal/app"
	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/provision"
)

// scrape GETs a /metrics URL and parses the exposition.
func scrape(t *testing.T, u string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %d %s", u, resp.StatusCode, b)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mf, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return mf
}

// value returns the value of the series of family name whose labels
// include labels (name=value pairs), summing every series that matches;
// for a histogram or summary, its count.
func value(mf map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	f := mf[name]
	if f == nil {
		return -1
	}
	var sum float64
series:
	for _, m := range f.GetMetric() {
		for i := 0; i+1 < len(labels); i += 2 {
			found := false
			for _, l := range m.GetLabel() {
				if l.GetName() == labels[i] && l.GetValue() == labels[i+1] {
					found = true
				}
			}
			if !found {
				continue series
			}
		}
		switch {
		case m.Counter != nil:
			sum += m.GetCounter().GetValue()
		case m.Gauge != nil:
			sum += m.GetGauge().GetValue()
		case m.Histogram != nil:
			sum += float64(m.GetHistogram().GetSampleCount())
		case m.Summary != nil:
			sum += float64(m.GetSummary().GetSampleCount())
		}
	}
	return sum
}

// TestMetricsAfterKnownRequests: after 2 successful password grants, 1
// wrong password, 1 client credentials grant and 1 refresh, a scrape of
// /metrics on the main listener shows exactly those counts.
func TestMetricsAfterKnownRequests(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.app.Provision.PutScope(ctx, provision.ScopeInput{AuthServerID: "default", Name: "jobs"}); err != nil {
		t.Fatal(err)
	}
	m2m, m2mSecret, err := e.app.Provision.CreateClient(ctx, provision.ClientInput{Name: "m2m", GrantTypes: []string{"client_credentials"}})
	if err != nil {
		t.Fatal(err)
	}
	web, webSecret, err := e.app.Provision.CreateClient(ctx, provision.ClientInput{Name: "web", GrantTypes: []string{"password", "refresh_token"}})
	if err != nil {
		t.Fatal(err)
	}
	auth := map[string]string{"Authorization": basic(web.ID, webSecret)}
	login := url.Values{"grant_type": {"password"}, "username": {e.username}, "password": {e.password}, "scope": {"openid offline_access"}}
	first := e.post(e.tokenURL, login.Encode(), auth)
	second := e.post(e.tokenURL, login.Encode(), auth)
	login.Set("password", "not the password")
	wrong := e.post(e.tokenURL, login.Encode(), auth)
	cc := e.post(e.tokenURL, "grant_type=client_credentials&scope=jobs", map[string]string{"Authorization": basic(m2m.ID, m2mSecret)})
	refresh := e.post(e.tokenURL, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {first.body["refresh_token"].(string)}}.Encode(), auth)
	for name, r := range map[string]response{"first": first, "second": second, "client credentials": cc, "refresh": refresh} {
		if r.status != 200 {
			t.Fatalf("%s: %d %s", name, r.status, r.raw)
		}
	}
	if wrong.status != 400 {
		t.Fatalf("wrong password: %d %s", wrong.status, wrong.raw)
	}

	mf := scrape(t, e.srv.URL+"/metrics")
	token := "POST /oauth2/{server}/v1/token"
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"latchkey_http_requests_total", []string{"route", token, "code", "200"}, 4},
		{"latchkey_http_requests_total", []string{"route", token, "code", "400"}, 1},
		{"latchkey_http_request_duration_seconds", []string{"route", token}, 5},
		{"latchkey_tokens_issued_total", []string{"grant_type", "password", "server", "default", "token", "access_token"}, 2},
		{"latchkey_tokens_issued_total", []string{"grant_type", "password", "server", "default", "token", "refresh_token"}, 2},
		{"latchkey_tokens_issued_total", []string{"grant_type", "client_credentials", "server", "default", "token", "access_token"}, 1},
		{"latchkey_tokens_issued_total", []string{"grant_type", "refresh_token", "server", "default", "token", "access_token"}, 1},
		{"latchkey_tokens_issued_total", []string{"token", "access_token"}, 4},
		{"latchkey_password_logins_total", []string{"outcome", "success"}, 2},
		{"latchkey_password_logins_total", []string{"outcome", "invalid_credentials"}, 1},
		{"latchkey_password_logins_total", nil, 3},
		{"latchkey_lockouts_total", nil, 0},
		{"latchkey_rate_limit_refusals_total", nil, 0},
		{"latchkey_refresh_token_reuse_total", nil, 0},
		{"latchkey_key_rotations_total", nil, -1}, // no series before a rotation
		{"latchkey_build_info", []string{"go_version", runtime.Version()}, 1},
		{"latchkey_password_hash_queue_length", nil, 0},
		{"latchkey_password_hash_rejected_total", nil, 0},
	} {
		if got := value(mf, c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	// Password logins looked the user up in the database; the Go and
	// process collectors are there.
	for _, c := range []struct {
		name   string
		labels []string
	}{
		{"latchkey_store_operation_duration_seconds", []string{"operation", "GetUserByLogin"}},
		{"latchkey_password_hash_workers", nil},
		{"latchkey_password_hash_wait_seconds", nil},
		{"go_goroutines", nil},
		{"process_start_time_seconds", nil},
	} {
		if got := value(mf, c.name, c.labels...); got <= 0 && !(c.name == "latchkey_password_hash_wait_seconds" && got == 0) {
			t.Errorf("%s%v = %v, want a series", c.name, c.labels, got)
		}
	}
	// No label value is a raw path, a client id, a user or a token.
	for name, f := range mf {
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				v := l.GetValue()
				if strings.Contains(v, "/oauth2/default") || v == web.ID || v == m2m.ID || v == e.username || strings.Contains(v, e.userID) {
					t.Errorf("%s has label %s=%q", name, l.GetName(), v)
				}
			}
		}
	}
}

// TestMetricsListener: with metrics.addr, /metrics is served on that
// listener only; with metrics.enabled false, nowhere.
func TestMetricsListener(t *testing.T) {
	t.Parallel()
	t.Run("separate address", func(t *testing.T) {
		t.Parallel()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		e := newEnvConfig(t, func(c *config.Config) { c.Metrics.Addr = ln.Addr().String() }, app.Options{}, nil)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- e.app.ServeMetrics(ctx, ln, time.Second) }()
		t.Cleanup(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("ServeMetrics: %v", err)
			}
		})
		if r := e.get(e.srv.URL + "/metrics"); r.status != 404 {
			t.Fatalf("main listener /metrics: %d", r.status)
		}
		mf := scrape(t, "http://"+ln.Addr().String()+"/metrics")
		if value(mf, "latchkey_build_info") != 1 {
			t.Fatal("no build info on the metrics listener")
		}
	})
	t.Run("disabled", func(t *testing.T) {
		t.Parallel()
		e := newEnvConfig(t, func(c *config.Config) { c.Metrics.Enabled = false }, app.Options{}, nil)
		if r := e.get(e.srv.URL + "/metrics"); r.status != 404 || e.app.Metrics != nil {
			t.Fatalf("/metrics with metrics off: %d", r.status)
		}
	})
}

// TestMetricsCountRateLimitRefusals: every 429 of a rate limit is counted
// under its limit.
func TestMetricsCountRateLimitRefusals(t *testing.T) {
	t.Parallel()
	e := newEnvConfig(t, func(c *config.Config) {
		c.LoginProtection.RateLimits.Username = config.RateLimit{Requests: 1, Window: config.Duration{Duration: time.Hour}}
	}, app.Options{}, nil)
	var codes []int
	for range 3 {
		codes = append(codes, e.login(e.username, e.password, nil).status)
	}
	if codes[0] != 200 || codes[1] != 429 || codes[2] != 429 {
		t.Fatalf("statuses %v", codes)
	}
	mf := scrape(t, e.srv.URL+"/metrics")
	for _, c := range []struct {
		labels []string
		want   float64
	}{{[]string{"limit", "username"}, 2}, {[]string{"limit", "source"}, 0}, {[]string{"limit", "client"}, 0}} {
		if got := value(mf, "latchkey_rate_limit_refusals_total", c.labels...); got != c.want {
			t.Errorf("refusals%v = %v, want %v", c.labels, got, c.want)
		}
	}
}
