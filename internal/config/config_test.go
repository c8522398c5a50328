package config

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/pwpolicy"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "latchkey.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDefaultsValidate(t *testing.T) {
	t.Parallel()
	c, err := Load("", env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.BaseURL != "http://127.0.0.1:8080" || c.DB != "latchkey.db" || c.Tokens.AccessTokenLifetime.Duration != time.Hour ||
		c.Password.MemoryKiB != 19456 || c.Keys.PublishExpiredFor.Duration != 24*time.Hour+time.Hour+5*time.Minute ||
		c.Events.Retention.Duration != 2160*time.Hour || c.Clients.AllowInsecureJWKSURI {
		t.Fatalf("defaults %+v", c)
	}
}

func TestFileThenEnv(t *testing.T) {
	t.Parallel()
	p := writeFile(t, `
addr: 0.0.0.0:9000
base_url: https://auth.example.com/
db: /var/lib/latchkey/latchkey.db
log: {level: debug, format: json}
tokens:
  access_token_lifetime: 30m
clients: {allow_insecure_jwks_uri: true}
setup:
  groups: [{name: Finance}]
`)
	c, err := Load(p, env(map[string]string{"LATCHKEY_DB": "/tmp/other.db", "LATCHKEY_ID_TOKEN_LIFETIME": "15m", "LATCHKEY_CACHE_TTL": "0s"}))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Addr != "0.0.0.0:9000" || c.BaseURL != "https://auth.example.com" || c.DB != "/tmp/other.db" || c.Log.Format != "json" ||
		c.Tokens.AccessTokenLifetime.Duration != 30*time.Minute || c.Tokens.IDTokenLifetime.Duration != 15*time.Minute ||
		len(c.Setup.Groups) != 1 || !c.Clients.AllowInsecureJWKSURI || c.Cache.TTL.Duration != 0 {
		t.Fatalf("%+v", c)
	}
}

func TestUnknownKeysAndBadValues(t *testing.T) {
	t.Parallel()
	for _, body := range []string{"adress: x\n", "tokens:\n  access_token_lifetme: 1h\n", "tokens:\n  access_token_lifetime: soon\n", "setup:\n  groupz: []\n"} {
		if _, err := Load(writeFile(t, body), env(nil)); err == nil {
			t.Errorf("Load(%q) accepted", body)
		}
	}
	if _, err := Load("", env(map[string]string{"LATCHKEY_ACCESS_TOKEN_LIFETIME": "forever"})); err == nil {
		t.Error("bad env duration accepted")
	}
	bad := []func(*Config){
		func(c *Config) { c.BaseURL = "ftp://x" },
		func(c *Config) { c.BaseURL = "https://x/?q=1" },
		func(c *Config) { c.DB = "" },
		func(c *Config) { c.Log.Level = "loud" },
		func(c *Config) { c.Log.Format = "xml" },
		func(c *Config) { c.Tokens.AccessTokenLifetime.Duration = time.Minute },
		func(c *Config) { c.Tokens.IDTokenLifetime.Duration = 48 * time.Hour },
		func(c *Config) { c.Password.Iterations = 0 },
		func(c *Config) { c.Password.Workers = -1 },
		func(c *Config) { c.TLS.CertFile = "cert.pem" },
		func(c *Config) { c.TLS.KeyFile = "key.pem" },
		func(c *Config) { c.TLS.HSTSMaxAge.Duration = -time.Second },
		func(c *Config) { c.PasswordPolicy.MinLength = 0 },
		func(c *Config) { c.PasswordPolicy.ExcludeAttributes = []string{"email"} },
		func(c *Config) { c.PasswordPolicy.HistoryCount = -1 },
		func(c *Config) { c.Events.Retention.Duration = 0 },
		func(c *Config) { c.Cache.TTL.Duration = -time.Second },
		func(c *Config) { c.Cache.TTL.Duration = time.Hour },
	}
	for _, o := range []string{"", "app.example.com", "https://", "https://app.example.com/", "https://app.example.com/app",
		"https://app.example.com?x", "https://app.example.com#", "https://u@app.example.com", "ftp://app.example.com", "null", "*",
		"https://app.example.com:", "https://*.example.com/x", " https://app.example.com", "https://bücher.example"} {
		bad = append(bad, func(c *Config) { c.CORS.TrustedOrigins = []string{"https://ok.example.com", o} })
	}
	for i, mod := range bad {
		c := Default()
		mod(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("case %d: Validate accepted", i)
		}
	}
}

func TestTrustedOrigins(t *testing.T) {
	t.Parallel()
	c, err := Load(writeFile(t, "cors:\n  trusted_origins: [\"https://app.example.com\", \"http://localhost:3000\", \"HTTPS://Admin.Example.com:8443\"]\n"), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if len(c.CORS.TrustedOrigins) != 3 {
		t.Fatalf("%q", c.CORS.TrustedOrigins)
	}
}

func TestStringHidesSecrets(t *testing.T) {
	t.Parallel()
	c := Default()
	c.MasterKey = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA=="
	for _, dsn := range []string{
		"postgres://latchkey:hunter2@db.example.com/latchkey",
		"postgresql://latchkey@db.example.com/latchkey?sslmode=verify-full&password=hunter2",
		"postgres://latchkey:hunter2@db.example.com:bad-port/latchkey",
	} {
		c.DB = dsn
		s := c.String()
		if strings.Contains(s, c.MasterKey) || strings.Contains(s, "hunter2") {
			t.Fatalf("String leaks a secret: %s", s)
		}
	}
}

// TestREADMEConfigLoads keeps the README's configuration block true: it
// must load as written and equal the defaults.
func TestREADMEConfigLoads(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(b), "## Configuration")
	if !ok {
		t.Fatal("README has no Configuration section")
	}
	_, block, ok := strings.Cut(after, "```yaml config\n")
	if !ok {
		t.Fatal("no yaml block")
	}
	block, _, _ = strings.Cut(block, "```")
	c, err := Load(writeFile(t, block), env(nil))
	if err != nil {
		t.Fatalf("the README's configuration does not load: %v", err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	d := Default()
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.String() != d.String() || c.Keys != d.Keys || c.Tokens != d.Tokens || c.Password != d.Password || c.Log != d.Log ||
		c.TLS != d.TLS || !reflect.DeepEqual(c.PasswordPolicy, d.PasswordPolicy) ||
		c.Events != d.Events || c.Cache != d.Cache || !slices.Equal(c.CORS.TrustedOrigins, d.CORS.TrustedOrigins) {
		t.Fatalf("the README's values differ from the defaults:\n%+v\n%+v", c, d)
	}
}

func TestPasswordPolicy(t *testing.T) {
	t.Parallel()
	c, err := Load("", env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c.PasswordPolicy, pwpolicy.Default()) {
		t.Fatalf("default policy %+v", c.PasswordPolicy)
	}
	c, err = Load(writeFile(t, `
password_policy:
  min_length: 12
  min_symbol: 1
  exclude_username: false
  exclude_attributes: []
  common_password_check: false
  history_count: 0
`), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	want := pwpolicy.Policy{MinLength: 12, MinSymbol: 1, ExcludeAttributes: []string{}}
	if !reflect.DeepEqual(c.PasswordPolicy, want) {
		t.Fatalf("got %+v, want %+v", c.PasswordPolicy, want)
	}
	if _, err := Load(writeFile(t, "password_policy:\n  min_lenght: 12\n"), env(nil)); err == nil {
		t.Error("a misspelt policy key was accepted")
	}
}

func TestTLS(t *testing.T) {
	t.Parallel()
	c, err := Load(writeFile(t, "addr: 0.0.0.0:8443\ntls:\n  cert_file: /etc/latchkey/cert.pem\n  key_file: /etc/latchkey/key.pem\n"), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.BaseURL != "https://0.0.0.0:8443" || c.TLS.HSTSMaxAge.Duration != 365*24*time.Hour || !c.TLS.Enabled() {
		t.Fatalf("%+v", c)
	}
	c, err = Load("", env(map[string]string{"LATCHKEY_TLS_CERT_FILE": "c.pem", "LATCHKEY_TLS_KEY_FILE": "k.pem", "LATCHKEY_BASE_URL": "https://auth.example.com"}))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.TLS.CertFile != "c.pem" || c.TLS.KeyFile != "k.pem" || c.BaseURL != "https://auth.example.com" {
		t.Fatalf("%+v", c)
	}
	d := Default()
	if err := d.Validate(); err != nil || d.TLS.Enabled() || !strings.HasPrefix(d.BaseURL, "http://") {
		t.Fatalf("without TLS: %v %+v", err, d)
	}
}

// TestUnknownKeysNamedInYAML: an unknown key is reported with its line,
// where it stands and the keys valid there, in YAML names, never Go types.
func TestUnknownKeysNamedInYAML(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, yaml, want string }{
		{"nested", "addr: 127.0.0.1:8080\nlogin_protection:\n  foo: 1\n",
			`line 3: unknown key "foo" in login_protection; valid keys: lockout, rate_limits, trusted_proxies, trusted_clients`},
		{"top level", "adr: 127.0.0.1:8080\n", `line 1: unknown key "adr" at the top level; valid keys: addr, base_url, db, master_key_file, tls,`},
		{"in setup", "setup:\n  authorizationServers:\n    - name: billing\n      scope: []\n",
			`line 4: unknown key "scope" in setup.authorizationServers[0]; valid keys: name, description, audience`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "latchkey.yaml")
			if err := os.WriteFile(path, []byte(tc.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Load(path, func(string) string { return "" })
			if err == nil || !strings.Contains(err.Error(), "config "+path+" "+tc.want) {
				t.Fatalf("Load: %v\nwant it to contain: config %s %s", err, path, tc.want)
			}
			if strings.Contains(err.Error(), "config.") || strings.Contains(err.Error(), "setup.AuthServer") {
				t.Errorf("the error names a Go type: %v", err)
			}
		})
	}
}

// TestMFARateLimit: login_protection.rate_limits.mfa defaults to 5 codes
// per 30 s, reads from the file, and is validated like the other limits.
func TestMFARateLimit(t *testing.T) {
	t.Parallel()
	if got := Default().LoginProtection.RateLimits.MFA; got.Requests != 5 || got.Window.Duration != 30*time.Second {
		t.Fatalf("default mfa limit %+v", got)
	}
	c, err := Load(writeFile(t, "login_protection:\n  rate_limits:\n    mfa: {requests: 3, window: 1m}\n"), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if got := c.LoginProtection.RateLimits.MFA; got.Requests != 3 || got.Window.Duration != time.Minute {
		t.Fatalf("mfa limit from the file %+v", got)
	}
	for _, tc := range []struct {
		rl   RateLimit
		want string
	}{
		{RateLimit{Requests: -1, Window: Duration{time.Second}}, "login_protection.rate_limits.mfa.requests -1: must not be negative"},
		{RateLimit{Requests: 5, Window: Duration{0}}, "login_protection.rate_limits.mfa.window 0s: must be 1s to 1h"},
		{RateLimit{Requests: 5, Window: Duration{2 * time.Hour}}, "login_protection.rate_limits.mfa.window 2h0m0s: must be 1s to 1h"},
	} {
		c := Default()
		c.LoginProtection.RateLimits.MFA = tc.rl
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate(%+v) = %v, want %q", tc.rl, err, tc.want)
		}
	}
	c = Default()
	c.LoginProtection.RateLimits.MFA = RateLimit{Requests: 0, Window: Duration{0}}
	if err := c.Validate(); err != nil {
		t.Errorf("an mfa limit turned off: %v", err)
	}
}
