package bench

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func validConfig() Config {
	return Config{TokenURL: "http://127.0.0.1:1/oauth2/default/v1/token", ClientID: "0oa1", ClientSecret: "s", Grant: GrantPassword,
		Users: []User{{"ada", "pw"}}, Requests: 10}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		edit func(*Config)
		want string // in the error; "" is valid
	}{
		{"valid", func(*Config) {}, ""},
		{"duration only", func(c *Config) { c.Requests, c.Duration = 0, time.Second }, ""},
		{"no bound", func(c *Config) { c.Requests = 0 }, "the run has no bound"},
		{"no url", func(c *Config) { c.TokenURL = "" }, "--token-url (or --get) is required"},
		{"ftp url", func(c *Config) { c.TokenURL = "ftp://x/token" }, "want an http or https URL"},
		{"relative url", func(c *Config) { c.TokenURL = "/oauth2/v1/token" }, "want an http or https URL"},
		{"credentials in url", func(c *Config) { c.TokenURL = "https://id:secret@x/token" }, "must not carry credentials"},
		{"negative duration", func(c *Config) { c.Duration = -time.Second }, "negative"},
		{"negative warmup", func(c *Config) { c.Warmup = -time.Second }, "--warmup"},
		{"zero concurrency", func(c *Config) { c.Concurrency = -1 }, "--concurrency -1"},
		{"huge concurrency", func(c *Config) { c.Concurrency = MaxConcurrency + 1 }, "--concurrency"},
		{"negative rate", func(c *Config) { c.Rate = -1 }, "--rate"},
		{"unknown client auth", func(c *Config) { c.ClientAuth = "jwt" }, `--client-auth "jwt": want basic or post`},
		{"unknown grant", func(c *Config) { c.Grant = "implicit" }, `--grant "implicit"`},
		{"password without users", func(c *Config) { c.Users = nil }, "needs users"},
		{"secret without id", func(c *Config) { c.ClientID = "" }, "without --client-id"},
		{"client credentials without secret", func(c *Config) { c.Grant, c.Users, c.ClientSecret = GrantClientCredentials, nil, "" }, "needs --client-id and a client secret"},
		{"client credentials with users", func(c *Config) { c.Grant = GrantClientCredentials }, "takes no users"},
		{"refresh with token", func(c *Config) { c.Grant, c.Users, c.RefreshToken = GrantRefreshToken, nil, "rt" }, ""},
		{"refresh with users", func(c *Config) { c.Grant = GrantRefreshToken }, ""},
		{"refresh with neither", func(c *Config) { c.Grant, c.Users = GrantRefreshToken, nil }, "needs --refresh-token, or users"},
		{"refresh with both", func(c *Config) { c.Grant, c.RefreshToken = GrantRefreshToken, "rt" }, "not both"},
		{"empty password", func(c *Config) { c.Users = []User{{"ada", ""}} }, "user 1 has an empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := validConfig()
			tc.edit(&c)
			err := c.WithDefaults().Validate()
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("Validate: %v, want %q", err, tc.want)
			}
		})
	}
}

// TestRunRefusesAnUnboundedRun: no request is sent without a bound.
func TestRunRefusesAnUnboundedRun(t *testing.T) {
	t.Parallel()
	srv, hits := countingServer(t)
	c := validConfig()
	c.TokenURL, c.Requests = srv.URL, 0
	if _, err := Run(context.Background(), c, Options{}); !errors.Is(err, ErrUnbounded) {
		t.Fatalf("Run: %v, want ErrUnbounded", err)
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("%d requests sent", n)
	}
}

func TestScopes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ scope, prep, password string }{
		{"", "openid offline_access", "openid"},
		{"openid profile", "openid profile offline_access", "openid profile"},
		{"offline_access openid", "offline_access openid", "offline_access openid"},
	} {
		c := Config{Scope: tc.scope}
		if c.prepScope() != tc.prep || c.passwordScope() != tc.password {
			t.Errorf("scope %q: prep %q password %q", tc.scope, c.prepScope(), c.passwordScope())
		}
	}
}
