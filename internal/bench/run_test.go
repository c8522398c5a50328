package bench

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// countingServer answers 200 {} and counts the requests.
func countingServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte("{}"))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// tokenServer is a small token endpoint: client authentication as
// configured, the password grant for its users, rotating refresh tokens
// (a token used twice is refused), client credentials.
type tokenServer struct {
	*httptest.Server
	t          *testing.T
	id, secret string
	post       bool // client_secret_post instead of basic
	users      map[string]string

	mu        sync.Mutex
	logins    map[string]int  // password grants by username
	refreshes int             // refresh grants answered 200
	active    map[string]bool // refresh tokens not used yet
	issued    int
	bad       []string // what the server refused, for the test's message
}

func newTokenServer(t *testing.T, post bool) *tokenServer {
	s := &tokenServer{t: t, id: "0oa1", secret: "s3cr=t", post: post, users: map[string]string{"ada": "pw:a", "bob": "pw&b", "cy": "pw c"},
		logins: map[string]int{}, active: map[string]bool{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *tokenServer) refuse(w http.ResponseWriter, status int, why string) {
	s.bad = append(s.bad, why)
	w.WriteHeader(status)
	_, _ = w.Write([]byte(`{"error":"invalid_grant"}`))
}

func (s *tokenServer) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if err := r.ParseForm(); err != nil || r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		s.refuse(w, 400, "not a form POST")
		return
	}
	id, secret, basic := r.BasicAuth()
	id, _ = url.QueryUnescape(id) // RFC 6749 section 2.3.1
	secret, _ = url.QueryUnescape(secret)
	if s.post {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
		if basic {
			s.refuse(w, 401, "basic with post")
			return
		}
	}
	if id != s.id || secret != s.secret {
		s.refuse(w, 401, "client auth "+id)
		return
	}
	f := r.PostForm
	switch f.Get("grant_type") {
	case "password":
		if pw, ok := s.users[f.Get("username")]; !ok || pw != f.Get("password") {
			s.refuse(w, 400, "password of "+f.Get("username"))
			return
		}
		s.logins[f.Get("username")]++
		body := `{"access_token":"at"`
		if strings.Contains(f.Get("scope"), "offline_access") {
			body += `,"refresh_token":"` + s.issue() + `"`
		}
		_, _ = w.Write([]byte(body + "}"))
	case "refresh_token":
		if !s.active[f.Get("refresh_token")] {
			s.refuse(w, 400, "refresh token reused "+f.Get("refresh_token"))
			return
		}
		delete(s.active, f.Get("refresh_token"))
		s.refreshes++
		_, _ = w.Write([]byte(`{"access_token":"at","refresh_token":"` + s.issue() + `"}`))
	case "client_credentials":
		_, _ = w.Write([]byte(`{"access_token":"at"}`))
	default:
		s.refuse(w, 400, "grant "+f.Get("grant_type"))
	}
}

func (s *tokenServer) issue() string {
	s.issued++
	tok := "rt+" + strconv.Itoa(s.issued) // a + to check the form encoding
	s.active[tok] = true
	return tok
}

func (s *tokenServer) config(g Grant) Config {
	c := Config{TokenURL: s.URL + "/oauth2/default/v1/token", ClientID: s.id, ClientSecret: s.secret, Grant: g}
	if s.post {
		c.ClientAuth = ClientAuthPost
	}
	if g != GrantClientCredentials {
		c.Users = []User{{"ada", "pw:a"}, {"bob", "pw&b"}, {"cy", "pw c"}}
	}
	return c
}

func mustRun(t *testing.T, c Config) Result {
	t.Helper()
	res, err := Run(context.Background(), c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func (s *tokenServer) checkAllOK(t *testing.T, res Result, n int64) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if res.Requests != n || res.Succeeded != n || res.Status["200"] != n || len(res.Status) != 1 || len(res.Errors) != 0 || len(s.bad) > 0 {
		t.Fatalf("result %+v; the server refused %q", res, s.bad)
	}
	if res.Latency.Samples != n || !res.Latency.Exact || res.Latency.Max <= 0 || res.Latency.P50 > res.Latency.Max || res.RequestsPerSecond <= 0 {
		t.Fatalf("figures %+v", res)
	}
}

// TestRunPasswordGrant: users take turns, both client authentications.
func TestRunPasswordGrant(t *testing.T) {
	t.Parallel()
	for _, post := range []bool{false, true} {
		t.Run("post="+strconv.FormatBool(post), func(t *testing.T) {
			t.Parallel()
			s := newTokenServer(t, post)
			c := s.config(GrantPassword)
			c.Concurrency, c.Requests = 2, 9
			res := mustRun(t, c)
			s.checkAllOK(t, res, 9)
			if s.logins["ada"] != 3 || s.logins["bob"] != 3 || s.logins["cy"] != 3 {
				t.Fatalf("logins %v, want 3 each (round-robin)", s.logins)
			}
			if res.Mode != "closed" || res.Grant != GrantPassword || res.Concurrency != 2 || res.Interrupted {
				t.Fatalf("result %+v", res)
			}
		})
	}
}

// TestRunRefreshRotatesPerWorker: each worker obtains its own refresh
// token with the password grant and uses each answer's next: the server,
// which refuses a token used twice, answers every request 200.
func TestRunRefreshRotatesPerWorker(t *testing.T) {
	t.Parallel()
	for _, rate := range []float64{0, 2000} {
		t.Run("rate="+strconv.FormatFloat(rate, 'f', -1, 64), func(t *testing.T) {
			t.Parallel()
			s := newTokenServer(t, false)
			c := s.config(GrantRefreshToken)
			c.Concurrency, c.Requests, c.Rate = 4, 40, rate
			res := mustRun(t, c)
			s.checkAllOK(t, res, 40)
			if s.logins["ada"] != 2 || s.logins["bob"] != 1 || s.logins["cy"] != 1 || s.refreshes != 40 {
				t.Fatalf("logins %v refreshes %d; want ada 2, bob 1, cy 1 (worker i as user i mod 3) and 40", s.logins, s.refreshes)
			}
		})
	}
}

func TestRunRefreshFromAGivenToken(t *testing.T) {
	t.Parallel()
	s := newTokenServer(t, true)
	c := s.config(GrantRefreshToken)
	c.Users, c.RefreshToken = nil, s.issue()
	c.Concurrency, c.Requests = 1, 5
	s.checkAllOK(t, mustRun(t, c), 5)
	if len(s.logins) != 0 {
		t.Fatalf("password grants %v with a given refresh token", s.logins)
	}
}

func TestRunRefreshSaysWhyItGotNoToken(t *testing.T) {
	t.Parallel()
	s := newTokenServer(t, false)
	c := s.config(GrantRefreshToken)
	c.Users[1].Password = "wrong"
	c.Requests = 5
	if _, err := Run(context.Background(), c, Options{}); err == nil || !strings.Contains(err.Error(), "obtain a refresh token as bob with the password grant: 400 Bad Request invalid_grant") {
		t.Fatalf("Run: %v", err)
	}
	c = s.config(GrantRefreshToken)
	c.Requests, c.Users = 5, c.Users[:1]
	c.ClientSecret = "wrong"
	if _, err := Run(context.Background(), c, Options{}); err == nil || !strings.Contains(err.Error(), "401 Unauthorized") {
		t.Fatalf("Run: %v", err)
	}
}

func TestRunClientCredentials(t *testing.T) {
	t.Parallel()
	s := newTokenServer(t, false)
	c := s.config(GrantClientCredentials)
	c.Requests, c.Scope = 7, "jobs"
	s.checkAllOK(t, mustRun(t, c), 7)
}

// TestRunGet: a --get run sends GET requests with its headers and no
// body, and counts the answers by status.
func TestRunGet(t *testing.T) {
	t.Parallel()
	var bad atomic.Int64
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.ContentLength > 0 || r.Header.Get("If-None-Match") != `"v1"` || r.Header.Get("Authorization") != "" {
			bad.Add(1)
		}
		if n.Add(1)%2 == 0 {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		_, _ = w.Write([]byte(`{"keys":[]}`))
	}))
	t.Cleanup(srv.Close)
	res, err := Run(context.Background(), Config{GetURL: srv.URL + "/keys", Headers: [][2]string{{"If-None-Match", `"v1"`}}, Requests: 10, Concurrency: 1}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if bad.Load() != 0 || res.Requests != 10 || res.Status["200"] != 5 || res.Status["304"] != 5 || res.GetURL != srv.URL+"/keys" || res.Grant != "" {
		t.Fatalf("%d bad requests; result %+v", bad.Load(), res)
	}
}

// TestRunDoesNotFollowRedirects: a 3xx is counted as its status, and the
// host it points at never hears from the run.
func TestRunDoesNotFollowRedirects(t *testing.T) {
	t.Parallel()
	elsewhere, hits := countingServer(t)
	redirect := httptest.NewServer(http.RedirectHandler(elsewhere.URL+"/token", http.StatusTemporaryRedirect))
	t.Cleanup(redirect.Close)
	c := Config{TokenURL: redirect.URL, Grant: GrantClientCredentials, ClientID: "id", ClientSecret: "s", Requests: 5, Concurrency: 2}
	// A client that would follow redirects: Run overrides it.
	res, err := Run(context.Background(), c, Options{Client: &http.Client{}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status["307"] != 5 || len(res.Status) != 1 || res.Succeeded != 0 || hits.Load() != 0 {
		t.Fatalf("status %v, %d requests reached the other host", res.Status, hits.Load())
	}
}

// slowServer answers 200 after delay.
func slowServer(t *testing.T, delay time.Duration) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n.Add(1)
		time.Sleep(delay)
		_, _ = w.Write([]byte("{}"))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// TestOpenLoopMeasuresFromTheDueTime is coordinated omission ruled out.
// Requests are due every 10 ms; one worker; the server takes 50 ms. Each
// request is due while the previous one is outstanding, so it is late,
// and request k is sent at the earliest 50k ms after the start: its
// latency, counted from its due time 10k ms, is at least 50 + 40k ms. A
// generator that timed from the send would report 50 ms for all of them.
func TestOpenLoopMeasuresFromTheDueTime(t *testing.T) {
	t.Parallel()
	srv, hits := slowServer(t, 50*time.Millisecond)
	c := Config{TokenURL: srv.URL, Grant: GrantClientCredentials, ClientID: "id", ClientSecret: "s", Rate: 100, Concurrency: 1, Requests: 6}
	res := mustRun(t, c)
	if res.Requests != 6 || res.Status["200"] != 6 || hits.Load() != 6 || res.Mode != "open" || res.TargetRate != 100 {
		t.Fatalf("result %+v, %d requests reached the server", res, hits.Load())
	}
	if res.Late != 5 || res.Unsent != 0 {
		t.Fatalf("late %d unsent %d, want 5 and 0", res.Late, res.Unsent)
	}
	// Nearest rank over 6: p50 is the 3rd (k=2), p90 and p99 the 6th (k=5).
	l := res.Latency
	if l.Min < 50 || l.P50 < 130 || l.P90 < 250 || l.Max < 250 {
		t.Fatalf("latency %+v: want min >= 50 ms, p50 >= 130 ms, p90 and max >= 250 ms", l)
	}
}

// TestOpenLoopCountsUnsent: with a duration, the requests due in it that
// no worker was free to send are counted, and with those sent they make
// the schedule: 100/s for 300 ms is 30 requests.
func TestOpenLoopCountsUnsent(t *testing.T) {
	t.Parallel()
	srv, hits := slowServer(t, 100*time.Millisecond)
	c := Config{TokenURL: srv.URL, Grant: GrantClientCredentials, ClientID: "id", ClientSecret: "s", Rate: 100, Concurrency: 1, Duration: 300 * time.Millisecond}
	res := mustRun(t, c)
	if res.Requests+res.Unsent != 30 || res.Unsent < 20 || res.Requests != hits.Load() || res.Late != res.Requests-1 {
		t.Fatalf("requests %d unsent %d late %d (server saw %d): want requests + unsent = 30", res.Requests, res.Unsent, res.Late, hits.Load())
	}
}

// TestWarmupIsNotCounted: what is sent during the warm-up is counted apart
// and not in the figures.
func TestWarmupIsNotCounted(t *testing.T) {
	t.Parallel()
	srv, hits := countingServer(t)
	c := Config{TokenURL: srv.URL, Grant: GrantClientCredentials, ClientID: "id", ClientSecret: "s", Concurrency: 2, Requests: 5, Warmup: 300 * time.Millisecond}
	res := mustRun(t, c)
	if res.Requests != 5 || res.WarmupRequests < 1 || res.Requests+res.WarmupRequests != hits.Load() || res.WarmupSeconds != 0.3 {
		t.Fatalf("requests %d warm-up %d, server saw %d", res.Requests, res.WarmupRequests, hits.Load())
	}
}

func TestRunCountsTransportErrors(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String() + "/token"
	ln.Close()
	slow, _ := slowServer(t, 300*time.Millisecond)
	hangup := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	}))
	t.Cleanup(hangup.Close)
	for _, tc := range []struct {
		url, kind string
		timeout   time.Duration
	}{
		{closed, ErrConnectionRefused, 0},
		{slow.URL, ErrTimeout, 20 * time.Millisecond},
		{hangup.URL, ErrEOF, 0},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			t.Parallel()
			c := Config{TokenURL: tc.url, Grant: GrantClientCredentials, ClientID: "id", ClientSecret: "s", Concurrency: 1, Requests: 3, Timeout: tc.timeout}
			res := mustRun(t, c)
			if res.Requests != 3 || res.Errors[tc.kind] != 3 || len(res.Errors) != 1 || len(res.Status) != 0 || res.Latency.Samples != 0 {
				t.Fatalf("requests %d errors %v status %v", res.Requests, res.Errors, res.Status)
			}
		})
	}
}

// TestRunStopsWhenInterrupted: a canceled run ends and says so.
func TestRunStopsWhenInterrupted(t *testing.T) {
	t.Parallel()
	srv, _ := countingServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	var once sync.Once
	c := Config{TokenURL: srv.URL, Grant: GrantClientCredentials, ClientID: "id", ClientSecret: "s", Duration: time.Hour}
	res, err := Run(ctx, c, Options{Client: &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		once.Do(cancel)
		return http.DefaultTransport.RoundTrip(r)
	})}})
	if err != nil || !res.Interrupted {
		t.Fatalf("Run: %+v %v", res, err)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestScheduleIndexes(t *testing.T) {
	t.Parallel()
	start := time.Unix(0, 0)
	s := newSchedule(start, 3) // every 333.33 ms
	for _, tc := range []struct {
		at   time.Duration
		want int64
	}{
		{0, 0}, {1, 1}, {333333333, 1}, {333333334, 2}, {time.Second, 3}, {time.Second + 1, 4}, {-time.Second, 0},
	} {
		if got := s.firstAtOrAfter(start.Add(tc.at)); got != tc.want {
			t.Errorf("first due at or after %v: %d, want %d", tc.at, got, tc.want)
		}
	}
	if s.at(3) != start.Add(time.Second) {
		t.Fatalf("request 3 due at %v", s.at(3))
	}
}
