package bench

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Grant is the grant_type a run sends.
type Grant string

// The grants a run can send.
const (
	GrantPassword          Grant = "password"
	GrantClientCredentials Grant = "client_credentials"
	GrantRefreshToken      Grant = "refresh_token"
)

// ClientAuth is how the client credentials travel.
type ClientAuth string

// The client authentication methods (RFC 6749 section 2.3.1).
const (
	// ClientAuthBasic sends them in an HTTP Basic Authorization header,
	// each form-urlencoded first (client_secret_basic).
	ClientAuthBasic ClientAuth = "basic"
	// ClientAuthPost sends client_id and client_secret in the form
	// (client_secret_post).
	ClientAuthPost ClientAuth = "post"
)

// Defaults of a Config's zero fields.
const (
	DefaultConcurrency = 8
	DefaultTimeout     = 30 * time.Second
	// DefaultMaxSamples bounds the latencies kept: 8 bytes each, 40 MB.
	DefaultMaxSamples = 5_000_000
	// MaxConcurrency bounds the workers (and connections) of a run.
	MaxConcurrency = 10_000
)

// User is one resource owner of the password grant.
type User struct {
	Username string
	Password string
}

// Config is one run. The zero values of Concurrency, Timeout, MaxSamples
// and ClientAuth take their defaults in WithDefaults.
type Config struct {
	TokenURL string
	// GetURL, instead of TokenURL, makes a run of plain GET requests to one
	// address (a JWKS or discovery document) with Headers: no grant, no
	// client, no users.
	GetURL       string
	Headers      [][2]string // extra request headers of a GET run, e.g. If-None-Match
	ClientID     string
	ClientSecret string // empty: a public client, client_id in the form
	ClientAuth   ClientAuth
	Grant        Grant
	// Scope is sent with every request when set. For the refresh_token
	// grant, the password grants that obtain the refresh tokens ask for
	// Scope plus offline_access (openid offline_access when Scope is
	// empty), and the refresh requests carry Scope only when it is set.
	Scope string
	// Users take turns (round-robin) in the password grant; for the
	// refresh_token grant, worker i obtains its refresh token as user
	// i mod len(Users).
	Users []User
	// RefreshToken, when set, is every worker's first refresh token
	// instead of one obtained with the password grant.
	RefreshToken string

	Concurrency int           // workers, and outstanding requests at most
	Rate        float64       // requests per second; 0 is a closed loop
	Duration    time.Duration // measured time; 0 is no time bound
	Requests    int64         // measured requests; 0 is no count bound
	Warmup      time.Duration // load before the measurement, not counted
	Timeout     time.Duration // one request's limit

	MaxSamples         int  // latencies kept; beyond, a uniform reservoir
	InsecureSkipVerify bool // accept any TLS certificate (self-signed test servers)
}

// ErrUnbounded is the error of a run with neither a duration nor a
// request count.
var ErrUnbounded = errors.New("the run has no bound: give a duration (-d/--duration) or a request count (-n/--requests), or both")

// WithDefaults returns c with its zero fields set to their defaults.
func (c Config) WithDefaults() Config {
	if c.Concurrency == 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.MaxSamples == 0 {
		c.MaxSamples = DefaultMaxSamples
	}
	if c.ClientAuth == "" {
		c.ClientAuth = ClientAuthBasic
	}
	return c
}

// Validate reports the first thing that makes c unrunnable, as a message
// for the person who wrote the command line. Call it on WithDefaults.
func (c Config) Validate() error {
	flag, target := "--token-url", c.TokenURL
	switch {
	case c.TokenURL != "" && c.GetURL != "":
		return errors.New("give --token-url or --get, not both")
	case c.GetURL != "":
		flag, target = "--get", c.GetURL
	case c.TokenURL == "":
		return errors.New("--token-url (or --get) is required")
	case len(c.Headers) > 0:
		return errors.New("--header is for --get runs")
	}
	u, err := url.Parse(target)
	switch {
	case err != nil:
		return fmt.Errorf("%s: %w", flag, err)
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("%s %q: want an http or https URL", flag, target)
	case u.Host == "":
		return fmt.Errorf("%s %q has no host", flag, target)
	case u.User != nil:
		return fmt.Errorf("%s must not carry credentials", flag)
	case u.Fragment != "":
		return fmt.Errorf("%s %q has a fragment", flag, target)
	}
	if c.Duration == 0 && c.Requests == 0 {
		return ErrUnbounded
	}
	if c.Duration < 0 {
		return fmt.Errorf("--duration %v is negative", c.Duration)
	}
	if c.Requests < 0 {
		return fmt.Errorf("--requests %d is negative", c.Requests)
	}
	if c.Warmup < 0 {
		return fmt.Errorf("--warmup %v is negative", c.Warmup)
	}
	if c.Timeout <= 0 {
		return fmt.Errorf("--timeout %v: want a positive duration", c.Timeout)
	}
	if c.Concurrency < 1 || c.Concurrency > MaxConcurrency {
		return fmt.Errorf("--concurrency %d: want 1 to %d", c.Concurrency, MaxConcurrency)
	}
	if c.Rate < 0 || c.Rate != c.Rate || c.Rate > 1e7 {
		return fmt.Errorf("--rate %v: want a number of requests per second from 0 (closed loop) to 10000000", c.Rate)
	}
	if c.MaxSamples < 1 {
		return fmt.Errorf("the sample bound %d must be positive", c.MaxSamples)
	}
	switch c.ClientAuth {
	case ClientAuthBasic, ClientAuthPost:
	default:
		return fmt.Errorf("--client-auth %q: want basic or post", c.ClientAuth)
	}
	if c.ClientSecret != "" && c.ClientID == "" {
		return errors.New("a client secret was given without --client-id")
	}
	if c.GetURL != "" {
		if c.Grant != "" || c.ClientID != "" || len(c.Users) > 0 || c.RefreshToken != "" || c.Scope != "" {
			return errors.New("a --get run sends plain GET requests: it takes no grant, client, scope, users or refresh token")
		}
		for _, h := range c.Headers {
			if !validHeaderName(h[0]) || strings.ContainsAny(h[1], "\r\n\x00") {
				return fmt.Errorf("--header %q: want \"Name: value\"", h[0]+": "+h[1])
			}
		}
		return nil
	}
	switch c.Grant {
	case GrantPassword:
		if len(c.Users) == 0 {
			return errors.New("the password grant needs users: --username with --password, or --users-file")
		}
		if c.RefreshToken != "" {
			return errors.New("--refresh-token is for --grant refresh_token")
		}
	case GrantClientCredentials:
		if c.ClientID == "" || c.ClientSecret == "" {
			return errors.New("the client_credentials grant needs --client-id and a client secret")
		}
		if len(c.Users) > 0 || c.RefreshToken != "" {
			return errors.New("the client_credentials grant takes no users and no --refresh-token")
		}
	case GrantRefreshToken:
		if c.RefreshToken == "" && len(c.Users) == 0 {
			return errors.New("the refresh_token grant needs --refresh-token, or users (--username with --password, or --users-file) to obtain refresh tokens with the password grant")
		}
		if c.RefreshToken != "" && len(c.Users) > 0 {
			return errors.New("give --refresh-token or users, not both")
		}
	default:
		return fmt.Errorf("--grant %q: want password, client_credentials or refresh_token", c.Grant)
	}
	for i, u := range c.Users {
		if u.Username == "" || u.Password == "" {
			return fmt.Errorf("user %d has an empty username or password", i+1)
		}
	}
	return nil
}

// prepScope is the scope of the password grants that obtain refresh
// tokens: Scope with offline_access added.
func (c Config) prepScope() string {
	s := strings.Fields(c.Scope)
	if len(s) == 0 {
		s = []string{"openid"}
	}
	if !slices.Contains(s, "offline_access") {
		s = append(s, "offline_access")
	}
	return strings.Join(s, " ")
}

// passwordScope is the scope of the measured password grants.
func (c Config) passwordScope() string {
	if c.Scope == "" {
		return "openid"
	}
	return c.Scope
}

// validHeaderName reports whether s is an HTTP field name (RFC 9110 token).
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r > 0x7e || r <= 0x20 || strings.ContainsRune("\"(),/:;<=>?@[\\]{}", r) {
			return false
		}
	}
	return true
}
