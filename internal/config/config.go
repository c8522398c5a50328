// Package config holds Latchkey's typed configuration: a YAML file (unknown
// keys are an error), overridden by LATCHKEY_* environment variables, then
// by command-line flags (applied by the caller). Validate runs once.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/latchkey/latchkey/internal/pwpolicy"
	"github.com/latchkey/latchkey/internal/setup"
	"github.com/latchkey/latchkey/internal/yamlkeys"
)

// Config is the whole configuration.
type Config struct {
	// Addr is the listen address.
	Addr string `yaml:"addr"`
	// BaseURL is the public URL issuers are built from: {base}/oauth2/{id}.
	BaseURL string `yaml:"base_url"`
	// DB is the store: a SQLite file path (or file: URI), or a PostgreSQL
	// URL (postgres:// or postgresql://).
	DB string `yaml:"db"`
	// MasterKeyFile holds the base64 master key that seals signing keys and
	// keys client-secret hashes. LATCHKEY_MASTER_KEY may give the key itself.
	MasterKeyFile string `yaml:"master_key_file"`
	MasterKey     string `yaml:"-"`

	// TLS makes serve answer HTTPS (docs/tls.md).
	TLS      TLS      `yaml:"tls"`
	Log      Log      `yaml:"log"`
	Password Password `yaml:"password"`
	// PasswordPolicy is what a password set for a user must satisfy, in
	// Okta's terms (package pwpolicy).
	PasswordPolicy pwpolicy.Policy `yaml:"password_policy"`
	Tokens         Tokens          `yaml:"tokens"`
	// Setup declares groups and authorization servers with their scopes,
	// claims and policies; serve applies it at every start (package setup).
	Setup setup.Setup `yaml:"setup"`
	Keys  Keys        `yaml:"keys"`
	// LoginProtection configures lockout, rate limits and whose address a
	// request is attributed to (docs/security.md).
	LoginProtection LoginProtection `yaml:"login_protection"`
	Events          Events          `yaml:"events"`
	// Clients configures how clients are checked.
	Clients Clients `yaml:"clients"`
	// CORS configures which browser origins may call the endpoints meant for them.
	CORS CORS `yaml:"cors"`
	// Cache configures the in-memory cache of the records every token
	// request reads (package store/cache).
	Cache Cache `yaml:"cache"`
	// ManagementAPI configures /api/v1 (docs/management-api.md).
	ManagementAPI ManagementAPI `yaml:"management_api"`
	// Metrics configures the Prometheus metrics (docs/operations.md).
	Metrics Metrics `yaml:"metrics"`
	// PprofAddr, when set, serves net/http/pprof's profiles at
	// /debug/pprof/ on a listener of its own at this address, which must
	// be a loopback one (127.0.0.0/8, ::1 or localhost): profiles show the
	// process's memory and internals. Empty (the default) serves them
	// nowhere. serve --pprof-addr sets it.
	PprofAddr string `yaml:"pprof_addr"`
}

// Metrics configures the Prometheus exposition at /metrics.
type Metrics struct {
	// Enabled serves /metrics; false serves it nowhere.
	Enabled bool `yaml:"enabled"`
	// Addr is a separate listen address for /metrics (e.g.
	// 127.0.0.1:9090), so that it need not be reachable where the token
	// endpoint is; empty serves it on the main listener.
	Addr string `yaml:"addr"`
}

// ManagementAPI configures the management API.
type ManagementAPI struct {
	// RateLimit bounds the requests of one credential (an API token, or a
	// client with an org access token), per instance; 0 requests is off.
	RateLimit RateLimit `yaml:"rate_limit"`
}

// Cache configures the store cache.
type Cache struct {
	// TTL is the longest a change that sends no notification (a write by
	// the CLI or another process on SQLite) may go unseen by a running
	// server; 0 turns the cache off. Changes made through the server
	// itself are seen at once.
	TTL Duration `yaml:"ttl"`
}

// CORS configures cross-origin requests from browsers.
type CORS struct {
	// TrustedOrigins are the web origins ("https://app.example.com") whose
	// scripts may call the keys, discovery, userinfo, introspection and
	// revocation endpoints. None by default: no CORS answers at all.
	TrustedOrigins []string `yaml:"trusted_origins"`
}

// Clients configures client registration and authentication.
type Clients struct {
	// AllowInsecureJWKSURI lets a private_key_jwt client's jwks_uri use
	// plain http and name loopback or private (RFC 1918, RFC 4193) hosts.
	// For development and tests only: it opens server-side request
	// forgery toward the local network. Link-local addresses (the cloud
	// metadata address), multicast and unspecified addresses stay refused.
	// Default false; `serve --dev` does not turn it on.
	AllowInsecureJWKSURI bool `yaml:"allow_insecure_jwks_uri"`
}

// LoginProtection configures the login guard (package guard).
type LoginProtection struct {
	Lockout    Lockout    `yaml:"lockout"`
	RateLimits RateLimits `yaml:"rate_limits"`
	// TrustedProxies are addresses or CIDR prefixes whose X-Forwarded-For
	// is believed: the source is its right-most entry that is not a
	// trusted proxy.
	TrustedProxies []string `yaml:"trusted_proxies"`
	// TrustedClients are ids of confidential clients trusted to send their
	// end user's address in X-Forwarded-For.
	TrustedClients []string `yaml:"trusted_clients"`
}

// Lockout configures locking a login after failed passwords.
type Lockout struct {
	// MaxAttempts failures lock the login (0 turns lockout off).
	MaxAttempts int `yaml:"max_attempts"`
	// AutoUnlockMinutes is how long a lock lasts (0: until an operator
	// unlocks).
	AutoUnlockMinutes int `yaml:"auto_unlock_minutes"`
	// KnownSourceFor is how long a source that logged in successfully
	// keeps its own failure count.
	KnownSourceFor Duration `yaml:"known_source_for"`
}

// RateLimits are the token endpoint's limits, per instance.
type RateLimits struct {
	Username RateLimit `yaml:"username"` // password logins per username
	Client   RateLimit `yaml:"client"`   // token requests per authenticated client
	Source   RateLimit `yaml:"source"`   // token requests per source address
	// MFA limits second-factor codes (the MFA grants) per user. A person
	// types one code per 30-second TOTP step; the default, 5 per 30 s,
	// leaves room for typos and a retry while holding a guesser to 10
	// codes a minute, below the lockout's count (docs/mfa.md).
	MFA RateLimit `yaml:"mfa"`
}

// RateLimit is at most Requests per Window; Requests 0 turns it off.
type RateLimit struct {
	Requests int      `yaml:"requests"`
	Window   Duration `yaml:"window"`
}

// TLS configures HTTPS. CertFile and KeyFile are both set or both empty;
// serve reloads them on SIGHUP.
type TLS struct {
	// CertFile is a PEM file: the certificate, then its chain.
	CertFile string `yaml:"cert_file"`
	// KeyFile is the PEM private key of the certificate.
	KeyFile string `yaml:"key_file"`
	// HSTSMaxAge is the max-age of the Strict-Transport-Security header
	// sent on every answer over TLS; 0 sends none.
	HSTSMaxAge Duration `yaml:"hsts_max_age"`
}

// Enabled reports whether TLS is configured.
func (t TLS) Enabled() bool { return t.CertFile != "" || t.KeyFile != "" }

// Log configures logging.
type Log struct {
	Level  string `yaml:"level"`  // debug, info, warn, error
	Format string `yaml:"format"` // text or json
}

// Password configures password hashing (argon2id) and its worker pool.
type Password struct {
	MemoryKiB   uint32 `yaml:"memory_kib"`
	Iterations  uint32 `yaml:"iterations"`
	Parallelism uint8  `yaml:"parallelism"`
	Workers     int    `yaml:"workers"` // 0: one per CPU
	Queue       int    `yaml:"queue"`   // 0: 64 per worker
	// ClientQueue and SourceQueue cap the waiters of one client and of one
	// source of a client (0: a quarter and an eighth of Queue).
	ClientQueue int `yaml:"client_queue"`
	SourceQueue int `yaml:"source_queue"`
}

// Tokens configures default token lifetimes.
type Tokens struct {
	AccessTokenLifetime Duration `yaml:"access_token_lifetime"`
	IDTokenLifetime     Duration `yaml:"id_token_lifetime"`
	JWKSMaxAge          Duration `yaml:"jwks_max_age"`
}

// Keys configures signing-key rotation (docs/keys.md).
type Keys struct {
	// RotationCheckInterval is how often each instance checks whether keys
	// are due for rotation and EXPIRED keys for deletion.
	RotationCheckInterval Duration `yaml:"rotation_check_interval"`
	// PublishExpiredFor is how long an EXPIRED key stays in the JWKS. Zero
	// means the smallest safe value, 24h (the longest access token) plus
	// id_token_lifetime plus 5m of clock skew, which Validate fills in.
	PublishExpiredFor Duration `yaml:"publish_expired_for"`
}

// Events configures the audit trail (docs/events.md).
type Events struct {
	// Retention is how long events are kept; housekeeping deletes older
	// ones. Okta keeps its System Log 90 days.
	Retention Duration `yaml:"retention"`
}

// Duration is a time.Duration written as "1h", "90m", … in YAML.
type Duration struct{ time.Duration }

// UnmarshalYAML parses a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	d.Duration = v
	return nil
}

// Default returns the defaults.
func Default() Config {
	return Config{
		Addr:           "127.0.0.1:8080",
		DB:             "latchkey.db",
		Log:            Log{Level: "info", Format: "text"},
		TLS:            TLS{HSTSMaxAge: Duration{365 * 24 * time.Hour}},
		Password:       Password{MemoryKiB: 19 * 1024, Iterations: 2, Parallelism: 1},
		PasswordPolicy: pwpolicy.Default(),
		Tokens: Tokens{
			AccessTokenLifetime: Duration{time.Hour},
			IDTokenLifetime:     Duration{time.Hour},
			JWKSMaxAge:          Duration{time.Hour},
		},
		Keys: Keys{RotationCheckInterval: Duration{time.Hour}},
		LoginProtection: LoginProtection{
			Lockout: Lockout{MaxAttempts: 10, AutoUnlockMinutes: 60, KnownSourceFor: Duration{90 * 24 * time.Hour}},
			RateLimits: RateLimits{
				Username: RateLimit{Requests: 4, Window: Duration{time.Second}},
				Client:   RateLimit{Requests: 0, Window: Duration{time.Second}},
				Source:   RateLimit{Requests: 100, Window: Duration{time.Second}},
				MFA:      RateLimit{Requests: 5, Window: Duration{30 * time.Second}},
			},
		},
		Events: Events{Retention: Duration{90 * 24 * time.Hour}},
		Cache:  Cache{TTL: Duration{5 * time.Second}},
		// Okta's default for most management endpoints: 600 a minute.
		ManagementAPI: ManagementAPI{RateLimit: RateLimit{Requests: 600, Window: Duration{time.Minute}}},
		Metrics:       Metrics{Enabled: true},
	}
}

// Load reads the YAML file at path (skipped when path is empty) over the
// defaults, then applies LATCHKEY_* variables read through getenv.
func Load(path string, getenv func(string) string) (Config, error) {
	c := Default()
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return Config{}, fmt.Errorf("config: %w", err)
		}
		// Unknown keys are named as written, with the keys valid there;
		// KnownFields stays as the backstop.
		var doc yaml.Node
		if err := yaml.Unmarshal(b, &doc); err != nil {
			return Config{}, fmt.Errorf("config %s: %w", path, err)
		}
		if err := yamlkeys.Check(&doc, reflect.TypeFor[Config]()); err != nil {
			return Config{}, fmt.Errorf("config %s %w", path, err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		dec.KnownFields(true)
		if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
			return Config{}, fmt.Errorf("config: %s: %w", path, err)
		}
	}
	if err := c.applyEnv(getenv); err != nil {
		return Config{}, err
	}
	return c, nil
}

// EnvVars documents the environment variables Load reads.
var EnvVars = []string{
	"LATCHKEY_ADDR", "LATCHKEY_BASE_URL", "LATCHKEY_DB", "LATCHKEY_MASTER_KEY_FILE", "LATCHKEY_MASTER_KEY",
	"LATCHKEY_LOG_LEVEL", "LATCHKEY_LOG_FORMAT", "LATCHKEY_ACCESS_TOKEN_LIFETIME", "LATCHKEY_ID_TOKEN_LIFETIME",
	"LATCHKEY_TLS_CERT_FILE", "LATCHKEY_TLS_KEY_FILE", "LATCHKEY_CACHE_TTL",
}

func (c *Config) applyEnv(getenv func(string) string) error {
	str := map[string]*string{
		"LATCHKEY_ADDR": &c.Addr, "LATCHKEY_BASE_URL": &c.BaseURL, "LATCHKEY_DB": &c.DB,
		"LATCHKEY_MASTER_KEY_FILE": &c.MasterKeyFile, "LATCHKEY_MASTER_KEY": &c.MasterKey,
		"LATCHKEY_LOG_LEVEL": &c.Log.Level, "LATCHKEY_LOG_FORMAT": &c.Log.Format,
		"LATCHKEY_TLS_CERT_FILE": &c.TLS.CertFile, "LATCHKEY_TLS_KEY_FILE": &c.TLS.KeyFile,
	}
	for k, p := range str {
		if v := getenv(k); v != "" {
			*p = v
		}
	}
	dur := map[string]*Duration{
		"LATCHKEY_ACCESS_TOKEN_LIFETIME": &c.Tokens.AccessTokenLifetime,
		"LATCHKEY_ID_TOKEN_LIFETIME":     &c.Tokens.IDTokenLifetime,
		"LATCHKEY_CACHE_TTL":             &c.Cache.TTL,
	}
	for k, p := range dur {
		if v := getenv(k); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil {
				return fmt.Errorf("config: %s: %w", k, err)
			}
			p.Duration = d
		}
	}
	return nil
}

// Validate checks the configuration once, after flags are applied, and
// fills BaseURL from Addr (https:// when TLS is configured) and
// Keys.PublishExpiredFor from the token lifetimes when they are empty.
// Whether the TLS files hold a matching pair is checked when serve loads
// them, since management commands never read them.
func (c *Config) Validate() error {
	var errs []error
	if c.Addr == "" {
		errs = append(errs, errors.New("addr is empty"))
	}
	if (c.TLS.CertFile == "") != (c.TLS.KeyFile == "") {
		errs = append(errs, errors.New("tls: set both cert_file and key_file, or neither"))
	}
	if c.TLS.HSTSMaxAge.Duration < 0 {
		errs = append(errs, errors.New("tls.hsts_max_age is negative"))
	}
	if c.BaseURL == "" {
		scheme := "http://"
		if c.TLS.Enabled() {
			scheme = "https://"
		}
		c.BaseURL = scheme + c.Addr
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		errs = append(errs, fmt.Errorf("base_url %q must be an absolute http(s) URL without query or fragment", c.BaseURL))
	}
	if c.DB == "" {
		errs = append(errs, errors.New("db is empty"))
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("log.level %q: want debug, info, warn or error", c.Log.Level))
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		errs = append(errs, fmt.Errorf("log.format %q: want text or json", c.Log.Format))
	}
	if lt := c.Tokens.AccessTokenLifetime.Duration; lt < 5*time.Minute || lt > 24*time.Hour {
		errs = append(errs, fmt.Errorf("tokens.access_token_lifetime %v: must be 5m to 24h", lt))
	}
	if lt := c.Tokens.IDTokenLifetime.Duration; lt < 5*time.Minute || lt > 24*time.Hour {
		errs = append(errs, fmt.Errorf("tokens.id_token_lifetime %v: must be 5m to 24h", lt))
	}
	if c.Tokens.JWKSMaxAge.Duration < 0 {
		errs = append(errs, errors.New("tokens.jwks_max_age is negative"))
	}
	if d := c.Keys.RotationCheckInterval.Duration; d < time.Minute || d > 24*time.Hour {
		errs = append(errs, fmt.Errorf("keys.rotation_check_interval %v: must be 1m to 24h", d))
	}
	// An EXPIRED key must stay published until every token it signed has
	// expired: access tokens live at most 24h, ID tokens id_token_lifetime.
	minPublish := 24*time.Hour + c.Tokens.IDTokenLifetime.Duration
	if c.Keys.PublishExpiredFor.Duration == 0 {
		c.Keys.PublishExpiredFor.Duration = minPublish + 5*time.Minute
	} else if c.Keys.PublishExpiredFor.Duration < minPublish {
		errs = append(errs, fmt.Errorf("keys.publish_expired_for %v: must be at least 24h + tokens.id_token_lifetime (%v)",
			c.Keys.PublishExpiredFor.Duration, minPublish))
	}
	if d := c.Events.Retention.Duration; d < time.Hour {
		errs = append(errs, fmt.Errorf("events.retention %v: must be at least 1h", d))
	}
	if d := c.Cache.TTL.Duration; d < 0 || d > 10*time.Minute {
		errs = append(errs, fmt.Errorf("cache.ttl %v: must be 0s (no cache) to 10m", d))
	}
	if rl := c.ManagementAPI.RateLimit; rl.Requests < 0 || (rl.Requests > 0 && (rl.Window.Duration < time.Second || rl.Window.Duration > time.Hour)) {
		errs = append(errs, fmt.Errorf("management_api.rate_limit %d per %v: requests must not be negative and the window must be 1s to 1h", rl.Requests, rl.Window.Duration))
	}
	if c.Password.Parallelism == 0 || c.Password.Iterations == 0 || c.Password.MemoryKiB < 8*uint32(c.Password.Parallelism) {
		errs = append(errs, errors.New("password: memory_kib, iterations and parallelism must be positive (memory at least 8 KiB per lane)"))
	}
	if c.Password.Workers < 0 || c.Password.Queue < 0 || c.Password.ClientQueue < 0 || c.Password.SourceQueue < 0 {
		errs = append(errs, errors.New("password: workers, queue, client_queue and source_queue must not be negative"))
	}
	if a := c.Metrics.Addr; a != "" {
		if _, _, err := net.SplitHostPort(a); err != nil {
			errs = append(errs, fmt.Errorf("metrics.addr %q: want host:port, e.g. 127.0.0.1:9090", a))
		} else if a == c.Addr {
			errs = append(errs, fmt.Errorf("metrics.addr %q is addr: leave metrics.addr empty to serve /metrics on the main listener", a))
		}
	}
	if c.PprofAddr != "" {
		if err := CheckPprofAddr(c.PprofAddr); err != nil {
			errs = append(errs, err)
		} else if c.PprofAddr == c.Addr || c.PprofAddr == c.Metrics.Addr {
			errs = append(errs, fmt.Errorf("pprof_addr %q is the address of another listener: give the profiles one of their own", c.PprofAddr))
		}
	}
	errs = append(errs, c.LoginProtection.validate()...)
	if err := c.PasswordPolicy.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("password_policy: %w", err))
	}
	for _, o := range c.CORS.TrustedOrigins {
		if err := ValidateOrigin(o); err != nil {
			errs = append(errs, fmt.Errorf("cors.trusted_origins: %w", err))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("config: %w", errors.Join(errs...))
	}
	return nil
}

// ValidateOrigin checks that o is a web origin as a browser sends it in
// an Origin header (RFC 6454 section 6.1): an http or https scheme and a
// host, with an optional port, and nothing else (no path, not even "/"),
// in ASCII as browsers send it.
func ValidateOrigin(o string) error {
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" || u.User != nil ||
		u.Path != "" || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.HasSuffix(o, "#") ||
		u.Hostname() == "" || strings.HasSuffix(u.Host, ":") || strings.IndexFunc(o, func(r rune) bool { return r <= ' ' || r > '~' }) >= 0 {
		return fmt.Errorf("%q must be an absolute http(s) origin such as https://app.example.com, without a path, its host in ASCII (punycode)", o)
	}
	return nil
}

// String shows the configuration without secrets, for logs.
func (c Config) String() string {
	key := "(db.key beside a SQLite file, if present)"
	if c.MasterKey != "" {
		key = "(from LATCHKEY_MASTER_KEY)"
	} else if c.MasterKeyFile != "" {
		key = c.MasterKeyFile
	}
	tlsOn := "off"
	if c.TLS.Enabled() {
		tlsOn = c.TLS.CertFile
	}
	return "addr=" + c.Addr + " base_url=" + c.BaseURL + " tls=" + tlsOn + " db=" + redactDSN(c.DB) + " master_key=" + key +
		" access_token_lifetime=" + c.Tokens.AccessTokenLifetime.String() + " password.memory_kib=" + strconv.Itoa(int(c.Password.MemoryKiB))
}

// redactDSN hides a password in a URL-shaped DSN, in its user part or in
// a password= parameter (as PostgreSQL URLs allow). A URL that does not
// parse is not shown at all.
func redactDSN(dsn string) string {
	if !strings.Contains(dsn, "://") {
		return dsn // a SQLite file path
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "(unparsable URL)"
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

func (lp LoginProtection) validate() []error {
	var errs []error
	l := lp.Lockout
	if l.MaxAttempts < 0 || l.MaxAttempts > 100 {
		errs = append(errs, fmt.Errorf("login_protection.lockout.max_attempts %d: must be 0 (off) to 100", l.MaxAttempts))
	}
	if l.AutoUnlockMinutes < 0 || l.AutoUnlockMinutes > 7*24*60 {
		errs = append(errs, fmt.Errorf("login_protection.lockout.auto_unlock_minutes %d: must be 0 (operator unlocks) to 10080", l.AutoUnlockMinutes))
	}
	if d := l.KnownSourceFor.Duration; d < time.Hour || d > 366*24*time.Hour {
		errs = append(errs, fmt.Errorf("login_protection.lockout.known_source_for %v: must be 1h to 366 days", d))
	}
	for name, rl := range map[string]RateLimit{"username": lp.RateLimits.Username, "client": lp.RateLimits.Client, "source": lp.RateLimits.Source, "mfa": lp.RateLimits.MFA} {
		if rl.Requests < 0 {
			errs = append(errs, fmt.Errorf("login_protection.rate_limits.%s.requests %d: must not be negative", name, rl.Requests))
		}
		if w := rl.Window.Duration; rl.Requests > 0 && (w < time.Second || w > time.Hour) {
			errs = append(errs, fmt.Errorf("login_protection.rate_limits.%s.window %v: must be 1s to 1h", name, w))
		}
	}
	for _, p := range lp.TrustedProxies {
		if _, err := netip.ParsePrefix(p); err != nil {
			if _, err := netip.ParseAddr(p); err != nil {
				errs = append(errs, fmt.Errorf("login_protection.trusted_proxies: %q is neither an address nor a CIDR prefix", p))
			}
		}
	}
	return errs
}

// CheckPprofAddr accepts a host:port whose host is a loopback address
// (127.0.0.0/8 or ::1) or "localhost", and refuses any other: the
// profiles of net/http/pprof show the process's memory and internals, so
// they are never served where another machine could reach them.
func CheckPprofAddr(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("pprof_addr %q: want host:port, e.g. 127.0.0.1:6060", addr)
	}
	if strings.EqualFold(host, "localhost") {
		return nil
	}
	if ip, err := netip.ParseAddr(host); err == nil && ip.Unmap().IsLoopback() && ip.Zone() == "" {
		return nil
	}
	return fmt.Errorf("pprof_addr %q: profiles are served on a loopback address only (127.0.0.1, ::1 or localhost), never on %q: "+
		"they show the process's memory and internals; reach them from elsewhere through an SSH tunnel", addr, host)
}
