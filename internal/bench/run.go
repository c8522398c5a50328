package bench

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// maxBody bounds the part of an answer that is read.
const maxBody = 1 << 20

// Options are a run's collaborators; the zero value is a real run.
type Options struct {
	// Client sends the requests; nil is NewClient(cfg). Whatever its
	// CheckRedirect, redirects are never followed.
	Client *http.Client
	// Progress, when set, is called about once a second during the run.
	Progress func(Progress)
}

// Progress is the state of a run, for a live progress line.
type Progress struct {
	Elapsed        time.Duration // since the load started, warm-up included
	Warmup         bool          // the warm-up is still on
	WarmupRequests int64
	Snapshot       // the measured requests so far
}

// Result is what a run measured. Its JSON field names are part of the
// command's interface (docs/bench.md).
type Result struct {
	TokenURL    string  `json:"token_url"`
	GetURL      string  `json:"get_url,omitempty"` // a --get run's address (token_url and grant are then empty)
	Grant       Grant   `json:"grant"`
	Mode        string  `json:"mode"` // "closed" or "open"
	Concurrency int     `json:"concurrency"`
	TargetRate  float64 `json:"target_rate"` // requests per second asked for; 0 in a closed loop
	// Requests completed in the measured time: answered or failed.
	Requests           int64            `json:"requests"`
	Succeeded          int64            `json:"succeeded"` // answered 2xx
	DurationSeconds    float64          `json:"duration_seconds"`
	RequestsPerSecond  float64          `json:"requests_per_second"`
	SucceededPerSecond float64          `json:"succeeded_per_second"`
	Latency            Latency          `json:"latency_ms"`
	Status             map[string]int64 `json:"status"` // answers by status code
	Errors             map[string]int64 `json:"errors"` // requests without an answer, by kind
	// Late counts the open loop's requests that were due while all
	// workers were busy: they were sent late, and their latency counts
	// from when they were due.
	Late int64 `json:"late"`
	// Unsent counts the open loop's requests due within the duration that
	// no worker was free to send before it ended.
	Unsent         int64   `json:"unsent"`
	WarmupSeconds  float64 `json:"warmup_seconds"`
	WarmupRequests int64   `json:"warmup_requests"` // sent during the warm-up, not in the figures
	Interrupted    bool    `json:"interrupted"`     // the run was stopped before its bound
}

// NewClient returns the HTTP client of a run: HTTP/1.1 with a keep-alive
// connection per worker, no proxy, no redirects, no compression.
func NewClient(cfg Config) *http.Client {
	cfg = cfg.WithDefaults()
	tr := &http.Transport{
		Proxy:                 nil, // only the token URL's host is ever contacted
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          cfg.Concurrency + 16,
		MaxIdleConnsPerHost:   cfg.Concurrency + 16,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		DisableCompression:    true,
		TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: cfg.InsecureSkipVerify}, //nolint:gosec // off unless asked for
	}
	return &http.Client{Transport: tr, CheckRedirect: noRedirects}
}

func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// chain is one worker's refresh token, replaced by each answer's.
type chain struct{ token string }

// runner is one run in progress.
type runner struct {
	cfg        Config
	client     *http.Client
	rec        *Recorder
	auth       string   // Authorization header value, or ""
	clientPart string   // "&client_id=…[&client_secret=…]", or ""
	bodies     []string // password grant: one form per user
	next       atomic.Int64
	warmupReqs atomic.Int64
	ctx        context.Context // the run's; canceled requests are not counted
}

// Run validates cfg and runs it until its bound, or until ctx ends (the
// result then says Interrupted). Obtaining refresh tokens, when the grant
// needs them, comes first and is not measured; its failure is the error.
func Run(ctx context.Context, cfg Config, opts Options) (Result, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return Result{}, err
	}
	client := opts.Client
	if client == nil {
		client = NewClient(cfg)
	}
	c := *client
	c.CheckRedirect = noRedirects
	r := &runner{cfg: cfg, client: &c, rec: NewRecorder(cfg.MaxSamples), ctx: ctx}
	r.prepareForms()
	chains, err := r.obtainChains(ctx)
	if err != nil {
		return Result{}, err
	}

	start := time.Now()
	measureStart := start.Add(cfg.Warmup)
	var deadline time.Time
	if cfg.Duration > 0 {
		deadline = measureStart.Add(cfg.Duration)
	}
	stopProgress := r.reportProgress(opts.Progress, start, measureStart)
	res := Result{TokenURL: cfg.TokenURL, GetURL: cfg.GetURL, Grant: cfg.Grant, Mode: "closed", Concurrency: cfg.Concurrency, TargetRate: cfg.Rate,
		WarmupSeconds: cfg.Warmup.Seconds()}
	if cfg.Rate > 0 {
		res.Mode = "open"
		res.Late, res.Unsent = r.openLoop(ctx, chains, start, measureStart, deadline)
	} else {
		r.closedLoop(ctx, chains, measureStart, deadline)
	}
	stopProgress()

	end := r.rec.lastCompletion()
	if end.IsZero() {
		end = time.Now()
	}
	counts := r.rec.Counts()
	res.Requests, res.Succeeded, res.Status, res.Errors, res.Latency = counts.Requests, counts.Succeeded, counts.Status, counts.Errors, counts.Latency
	if d := end.Sub(measureStart); d > 0 {
		res.DurationSeconds = d.Seconds()
		res.RequestsPerSecond = float64(res.Requests) / res.DurationSeconds
		res.SucceededPerSecond = float64(res.Succeeded) / res.DurationSeconds
	}
	res.WarmupRequests = r.warmupReqs.Load()
	res.Interrupted = ctx.Err() != nil
	return res, nil
}

// prepareForms builds what does not change between requests: the client
// authentication and, for the password grant, each user's form.
func (r *runner) prepareForms() {
	cfg := r.cfg
	switch {
	case cfg.ClientID == "":
	case cfg.ClientSecret == "": // a public client
		r.clientPart = "&client_id=" + url.QueryEscape(cfg.ClientID)
	case cfg.ClientAuth == ClientAuthPost:
		r.clientPart = "&client_id=" + url.QueryEscape(cfg.ClientID) + "&client_secret=" + url.QueryEscape(cfg.ClientSecret)
	default: // RFC 6749 section 2.3.1: form-urlencode each, then base64
		r.auth = "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(cfg.ClientID)+":"+url.QueryEscape(cfg.ClientSecret)))
	}
	if cfg.Grant == GrantPassword {
		r.bodies = make([]string, len(cfg.Users))
		for i, u := range cfg.Users {
			r.bodies[i] = passwordForm(u, cfg.passwordScope()) + r.clientPart
		}
	}
}

func passwordForm(u User, scope string) string {
	return "grant_type=password&username=" + url.QueryEscape(u.Username) + "&password=" + url.QueryEscape(u.Password) +
		"&scope=" + url.QueryEscape(scope)
}

// form is the body of the next request.
func (r *runner) form(ch *chain) string {
	switch r.cfg.Grant {
	case GrantPassword:
		i := r.next.Add(1) - 1
		return r.bodies[i%int64(len(r.bodies))]
	case GrantRefreshToken:
		s := "grant_type=refresh_token&refresh_token=" + url.QueryEscape(ch.token)
		if r.cfg.Scope != "" {
			s += "&scope=" + url.QueryEscape(r.cfg.Scope)
		}
		return s + r.clientPart
	default:
		s := "grant_type=client_credentials"
		if r.cfg.Scope != "" {
			s += "&scope=" + url.QueryEscape(r.cfg.Scope)
		}
		return s + r.clientPart
	}
}

// closedLoop runs Concurrency workers, each sending its next request when
// its previous answer is in.
func (r *runner) closedLoop(ctx context.Context, chains []*chain, measureStart, deadline time.Time) {
	var claimed atomic.Int64
	var wg sync.WaitGroup
	for _, ch := range chains {
		wg.Go(func() {
			for ctx.Err() == nil {
				now := time.Now()
				if !deadline.IsZero() && !now.Before(deadline) {
					return
				}
				measured := !now.Before(measureStart)
				if measured && r.cfg.Requests > 0 && claimed.Add(1) > r.cfg.Requests {
					return
				}
				r.send(ctx, ch, now, measured)
			}
		})
	}
	wg.Wait()
}

// openLoop sends request i at start + i/Rate, each from a free worker:
// Concurrency slots bound the requests outstanding. A request due while
// every slot is taken waits for one and is counted late; its latency
// counts from when it was due. It returns the late count and the requests
// due before the deadline that were never sent.
func (r *runner) openLoop(ctx context.Context, chains []*chain, start, measureStart, deadline time.Time) (late, unsent int64) {
	free := make(chan *chain, len(chains))
	for _, ch := range chains {
		free <- ch
	}
	sched := newSchedule(start, r.cfg.Rate)
	schedCtx, cancel := ctx, context.CancelFunc(func() {})
	if !deadline.IsZero() {
		schedCtx, cancel = context.WithDeadline(ctx, deadline)
	}
	defer cancel()
	var wg sync.WaitGroup
	var sent int64
	i := int64(0)
loop:
	for ; ; i++ {
		due := sched.at(i)
		measured := !due.Before(measureStart)
		if measured && (!deadline.IsZero() && !due.Before(deadline) || r.cfg.Requests > 0 && sent >= r.cfg.Requests) {
			break
		}
		if !sleepUntil(schedCtx, due) {
			break
		}
		var ch *chain
		select {
		case ch = <-free:
		default:
			select {
			case ch = <-free:
				if measured {
					late++
				}
			case <-schedCtx.Done():
				break loop
			}
		}
		if measured {
			sent++
		}
		wg.Go(func() {
			r.send(ctx, ch, due, measured)
			free <- ch
		})
	}
	wg.Wait()
	if ctx.Err() == nil && !deadline.IsZero() {
		unsent = max(sched.before(deadline)-max(i, sched.firstAtOrAfter(measureStart)), 0)
		if r.cfg.Requests > 0 {
			unsent = min(unsent, r.cfg.Requests-sent)
		}
	}
	return late, unsent
}

// schedule is the open loop's timetable: request i is due at start + i/rate.
type schedule struct {
	start    time.Time
	interval float64 // nanoseconds
}

func newSchedule(start time.Time, rate float64) schedule {
	return schedule{start: start, interval: float64(time.Second) / rate}
}

func (s schedule) at(i int64) time.Time {
	return s.start.Add(time.Duration(float64(i) * s.interval))
}

// firstAtOrAfter is the first index due at or after t.
func (s schedule) firstAtOrAfter(t time.Time) int64 {
	i := max(int64(math.Ceil(float64(t.Sub(s.start))/s.interval)), 0)
	for i > 0 && !s.at(i-1).Before(t) {
		i--
	}
	for s.at(i).Before(t) {
		i++
	}
	return i
}

// before is the number of requests due before t.
func (s schedule) before(t time.Time) int64 { return s.firstAtOrAfter(t) }

// sleepUntil waits until t; false when ctx ended first.
func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// send makes one request and records it (when measured) with its latency
// counted from origin.
func (r *runner) send(ctx context.Context, ch *chain, origin time.Time, measured bool) {
	var (
		status   int
		newToken string
		err      *sendError
	)
	if r.cfg.GetURL != "" {
		status, err = r.get(ctx)
	} else {
		status, newToken, err = r.post(ctx, r.form(ch), r.cfg.Grant == GrantRefreshToken)
	}
	done := time.Now()
	if ctx.Err() != nil {
		return // the run was stopped: this request is no measurement
	}
	if newToken != "" {
		ch.token = newToken
	}
	if !measured {
		r.warmupReqs.Add(1)
		return
	}
	if err != nil {
		r.rec.Error(err.kind, done)
		return
	}
	r.rec.Response(status, done.Sub(origin), done)
}

// sendError is a request without an answer, of an ErrorKind.
type sendError struct {
	kind string
	err  error
}

func (e *sendError) Error() string { return e.kind + ": " + e.err.Error() }

// post sends one form and reads the answer; with wantToken it returns a
// 200 answer's refresh_token.
func (r *runner) post(ctx context.Context, form string, wantToken bool) (status int, refreshToken string, _ *sendError) {
	rctx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, r.cfg.TokenURL, strings.NewReader(form))
	if err != nil {
		return 0, "", &sendError{kind: ErrOther, err: err}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if r.auth != "" {
		req.Header.Set("Authorization", r.auth)
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return 0, "", &sendError{kind: ErrorKind(err), err: err}
	}
	defer resp.Body.Close()
	body := io.LimitReader(resp.Body, maxBody)
	if wantToken && resp.StatusCode == http.StatusOK {
		var tok struct {
			RefreshToken string `json:"refresh_token"`
		}
		b, err := io.ReadAll(body)
		if err != nil {
			return 0, "", readError(err)
		}
		_ = json.Unmarshal(b, &tok)
		return resp.StatusCode, tok.RefreshToken, nil
	}
	if _, err := io.Copy(io.Discard, body); err != nil {
		return 0, "", readError(err)
	}
	return resp.StatusCode, "", nil
}

// get sends one GET request of a --get run and reads the answer.
func (r *runner) get(ctx context.Context) (int, *sendError) {
	rctx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, r.cfg.GetURL, nil)
	if err != nil {
		return 0, &sendError{kind: ErrOther, err: err}
	}
	req.Header.Set("Accept", "application/json")
	for _, h := range r.cfg.Headers {
		req.Header.Add(h[0], h[1])
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return 0, &sendError{kind: ErrorKind(err), err: err}
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody)); err != nil {
		return 0, readError(err)
	}
	return resp.StatusCode, nil
}

func readError(err error) *sendError {
	if k := ErrorKind(err); k == ErrTimeout {
		return &sendError{kind: k, err: err}
	}
	return &sendError{kind: ErrReadBody, err: err}
}

// reportProgress calls report once a second until the returned stop.
func (r *runner) reportProgress(report func(Progress), start, measureStart time.Time) (stop func()) {
	if report == nil {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case now := <-t.C:
				report(Progress{Elapsed: now.Sub(start), Warmup: now.Before(measureStart), WarmupRequests: r.warmupReqs.Load(), Snapshot: r.rec.Snapshot()})
			}
		}
	})
	return func() { close(done); wg.Wait() }
}

// prepTries bounds the attempts at one refresh token when the server
// answers 429 or 503 (a per-user rate limit, a full hashing queue).
const prepTries = 30

// obtainChains returns a refresh-token chain per worker (nil chains for
// the other grants): the given --refresh-token, or one obtained with the
// password grant as user i mod len(Users), a few at a time.
func (r *runner) obtainChains(ctx context.Context) ([]*chain, error) {
	chains := make([]*chain, r.cfg.Concurrency)
	for i := range chains {
		chains[i] = &chain{token: r.cfg.RefreshToken}
	}
	if r.cfg.Grant != GrantRefreshToken || r.cfg.RefreshToken != "" {
		return chains, nil
	}
	sem := make(chan struct{}, min(r.cfg.Concurrency, 8))
	errs := make([]error, len(chains))
	var wg sync.WaitGroup
	for i, ch := range chains {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			ch.token, errs[i] = r.obtain(ctx, r.cfg.Users[i%len(r.cfg.Users)])
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return chains, nil
}

// obtain gets one refresh token with the password grant, waiting out 429
// and 503 answers (Retry-After, else a second).
func (r *runner) obtain(ctx context.Context, u User) (string, error) {
	form := passwordForm(u, r.cfg.prepScope()) + r.clientPart
	for try := 1; ; try++ {
		rctx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
		req, err := http.NewRequestWithContext(rctx, http.MethodPost, r.cfg.TokenURL, strings.NewReader(form))
		if err != nil {
			cancel()
			return "", err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept", "application/json")
		if r.auth != "" {
			req.Header.Set("Authorization", r.auth)
		}
		resp, err := r.client.Do(req)
		if err != nil {
			cancel()
			return "", fmt.Errorf("obtain a refresh token as %s: %w", u.Username, err)
		}
		b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
		resp.Body.Close()
		cancel()
		if err != nil {
			return "", fmt.Errorf("obtain a refresh token as %s: %w", u.Username, err)
		}
		var tok struct {
			RefreshToken string `json:"refresh_token"`
			Error        string `json:"error"`
			Description  string `json:"error_description"`
		}
		_ = json.Unmarshal(b, &tok)
		switch {
		case resp.StatusCode == http.StatusOK && tok.RefreshToken != "":
			return tok.RefreshToken, nil
		case resp.StatusCode == http.StatusOK:
			return "", fmt.Errorf("the password grant as %s returned no refresh_token: the client must be allowed the refresh_token grant "+
				"and the scope %q must be granted, offline_access included", u.Username, r.cfg.prepScope())
		case (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable) && try < prepTries:
			if !sleepUntil(ctx, time.Now().Add(retryAfter(resp.Header))) {
				return "", ctx.Err()
			}
		default:
			msg := resp.Status
			if tok.Error != "" {
				msg += " " + tok.Error
				if tok.Description != "" {
					msg += ": " + tok.Description
				}
			}
			return "", fmt.Errorf("obtain a refresh token as %s with the password grant: %s", u.Username, msg)
		}
	}
}

// retryAfter is how long a 429 or 503 asks to wait: Retry-After seconds,
// else a second, at most ten.
func retryAfter(h http.Header) time.Duration {
	var s int
	if _, err := fmt.Sscanf(h.Get("Retry-After"), "%d", &s); err == nil && s > 0 {
		return min(time.Duration(s)*time.Second, 10*time.Second)
	}
	return time.Second
}
