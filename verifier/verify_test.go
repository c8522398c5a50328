package verifier_test

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/verifier"
	"github.com/latchkey/latchkey/verifier/verifiertest"
)

func TestVerifyAcceptsValidToken(t *testing.T) {
	t.Parallel()
	iss, v, clk := setup(t, verifier.Config{RequiredScopes: []string{"messages:read"}, ClientIDs: []string{"0oaverifiertest00000"}})
	token := iss.AccessToken(
		verifiertest.WithScopes("openid", "messages:read"),
		verifiertest.WithUserID("00uuser1"),
		verifiertest.WithSubject("ada@example.com"),
		verifiertest.WithClaim("groups", []string{"admins"}),
	)
	c, err := v.Verify(context.Background(), token)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	now := clk.Now()
	if c.Ver != 1 || !strings.HasPrefix(c.JTI, "AT.") || c.Issuer != iss.Issuer() ||
		len(c.Audience) != 1 || c.Audience[0] != "api://default" ||
		!c.IssuedAt.Equal(now) || !c.ExpiresAt.Equal(now.Add(time.Hour)) || !c.AuthTime.Equal(now) ||
		!c.NotBefore.IsZero() || c.ClientID != "0oaverifiertest00000" || c.UserID != "00uuser1" ||
		c.Subject != "ada@example.com" || strings.Join(c.Scopes, " ") != "openid messages:read" {
		t.Errorf("claims = %+v", c)
	}
	if !c.HasScope("messages:read") || c.HasScope("admin") {
		t.Errorf("HasScope wrong for %v", c.Scopes)
	}
	groups, ok := c.Extra["groups"].([]any)
	if !ok || len(groups) != 1 || groups[0] != "admins" || len(c.Extra) != 1 {
		t.Errorf("Extra = %#v", c.Extra)
	}
}

func TestVerifyRejects(t *testing.T) {
	t.Parallel()
	iss, v, clk := setup(t, verifier.Config{
		RequiredScopes: []string{"messages:read"},
		ClientIDs:      []string{"0oaverifiertest00000"},
	})
	other := newRSAKey(t)
	pubDER, err := x509.MarshalPKIXPublicKey(iss.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	good := func(mod func(map[string]any)) map[string]any {
		c := validClaims(iss, clk)
		c["scp"] = []string{"openid", "messages:read"}
		if mod != nil {
			mod(c)
		}
		return c
	}
	sign := func(mod func(map[string]any)) string { return iss.Sign(good(mod)) }
	now := clk.Now().Unix()
	valid := sign(nil)
	parts := strings.Split(valid, ".")

	tests := []struct {
		name  string
		token string
		want  error
		check string
	}{
		{"empty", "", verifier.ErrMalformed, verifier.CheckFormat},
		{"garbage", "not a token", verifier.ErrMalformed, verifier.CheckFormat},
		{"two parts", parts[0] + "." + parts[1], verifier.ErrMalformed, verifier.CheckFormat},
		{"four parts", valid + ".x", verifier.ErrMalformed, verifier.CheckFormat},
		{"header not base64", "!!!." + parts[1] + "." + parts[2], verifier.ErrMalformed, verifier.CheckFormat},
		{"header not JSON", "bm90IGpzb24." + parts[1] + "." + parts[2], verifier.ErrMalformed, verifier.CheckFormat},
		{"payload not JSON", parts[0] + ".bm90IGpzb24." + parts[2], verifier.ErrMalformed, verifier.CheckFormat},
		{"signature not base64", parts[0] + "." + parts[1] + ".***", verifier.ErrMalformed, verifier.CheckFormat},
		{"JSON serialization", `{"payload":"e30","signatures":[]}`, verifier.ErrMalformed, verifier.CheckFormat},
		{"too long", strings.Repeat("a", verifier.MaxTokenSize+1), verifier.ErrMalformed, verifier.CheckFormat},
		{"exp not a number", sign(func(c map[string]any) { c["exp"] = "tomorrow" }), verifier.ErrMalformed, verifier.CheckFormat},
		{"aud not strings", sign(func(c map[string]any) { c["aud"] = []any{1} }), verifier.ErrMalformed, verifier.CheckFormat},
		{"no exp", sign(func(c map[string]any) { delete(c, "exp") }), verifier.ErrMalformed, verifier.CheckExpiry},
		{"no iat", sign(func(c map[string]any) { delete(c, "iat") }), verifier.ErrMalformed, verifier.CheckIssuedAt},
		{"alg none", rawToken(t, map[string]any{"alg": "none", "kid": iss.KeyID()}, good(nil),
			func(string) []byte { return nil }), verifier.ErrAlgorithm, verifier.CheckAlgorithm},
		{"HS256 with the public key as secret", rawToken(t, map[string]any{"alg": "HS256", "kid": iss.KeyID(), "typ": "JWT"}, good(nil),
			hmacSHA256(pubPEM)), verifier.ErrAlgorithm, verifier.CheckAlgorithm},
		{"RS512 not allowed", rawToken(t, map[string]any{"alg": "RS512", "kid": iss.KeyID()}, good(nil),
			func(string) []byte { return []byte("sig") }), verifier.ErrAlgorithm, verifier.CheckAlgorithm},
		{"no kid", rawToken(t, map[string]any{"alg": "RS256"}, good(nil),
			func(string) []byte { return []byte("sig") }), verifier.ErrMalformed, verifier.CheckKeyID},
		{"crit header", rawToken(t, map[string]any{"alg": "RS256", "kid": iss.KeyID(), "crit": []string{"exp"}, "exp": 1}, good(nil),
			func(string) []byte { return []byte("sig") }), verifier.ErrMalformed, verifier.CheckFormat},
		{"wrong signature", signWithKey(t, other, iss.KeyID(), good(nil)), verifier.ErrSignature, verifier.CheckSignature},
		{"payload swapped", parts[0] + "." + strings.Split(sign(func(c map[string]any) { c["sub"] = "admin" }), ".")[1] + "." + parts[2],
			verifier.ErrSignature, verifier.CheckSignature},
		{"unknown kid", signWithKey(t, other, "forged-kid", good(nil)), verifier.ErrUnknownKey, verifier.CheckKeyID},
		{"wrong issuer", sign(func(c map[string]any) { c["iss"] = iss.Issuer() + "/" }), verifier.ErrIssuer, verifier.CheckIssuer},
		{"no issuer", sign(func(c map[string]any) { delete(c, "iss") }), verifier.ErrMalformed, verifier.CheckIssuer},
		{"wrong audience", sign(func(c map[string]any) { c["aud"] = "api://other" }), verifier.ErrAudience, verifier.CheckAudience},
		{"wrong audiences", sign(func(c map[string]any) { c["aud"] = []string{"a", "b"} }), verifier.ErrAudience, verifier.CheckAudience},
		{"no audience", sign(func(c map[string]any) { delete(c, "aud") }), verifier.ErrMalformed, verifier.CheckAudience},
		{"expired beyond leeway", sign(func(c map[string]any) { c["iat"] = now - 7200; c["exp"] = now - 121 }), verifier.ErrExpired, verifier.CheckExpiry},
		{"expired at leeway", sign(func(c map[string]any) { c["iat"] = now - 7200; c["exp"] = now - 120 }), verifier.ErrExpired, verifier.CheckExpiry},
		{"not yet valid", sign(func(c map[string]any) { c["nbf"] = now + 121 }), verifier.ErrNotYetValid, verifier.CheckNotBefore},
		{"issued in the future", sign(func(c map[string]any) { c["iat"] = now + 121 }), verifier.ErrIssuedInFuture, verifier.CheckIssuedAt},
		{"wrong cid", sign(func(c map[string]any) { c["cid"] = "0oaother" }), verifier.ErrClientID, verifier.CheckClientID},
		{"no cid", sign(func(c map[string]any) { delete(c, "cid") }), verifier.ErrClientID, verifier.CheckClientID},
		{"missing scope", sign(func(c map[string]any) { c["scp"] = []string{"openid"} }), verifier.ErrScope, verifier.CheckScope},
		{"no scp", sign(func(c map[string]any) { delete(c, "scp") }), verifier.ErrScope, verifier.CheckScope},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := v.Verify(context.Background(), tt.token)
			if err == nil {
				t.Fatalf("Verify accepted the token: %+v", c)
			}
			if c != nil {
				t.Errorf("claims returned with an error")
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want errors.Is %v", err, tt.want)
			}
			var ve *verifier.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("err %T is not a *ValidationError", err)
			}
			if ve.Check != tt.check {
				t.Errorf("Check = %q, want %q (err %v)", ve.Check, tt.check, err)
			}
			if !strings.Contains(err.Error(), tt.check+" check failed") {
				t.Errorf("message %q does not name the check", err)
			}
		})
	}

	// Within the leeway, the same shapes pass.
	for name, mod := range map[string]func(map[string]any){
		"expired within leeway":  func(c map[string]any) { c["iat"] = now - 7200; c["exp"] = now - 119 },
		"nbf within leeway":      func(c map[string]any) { c["nbf"] = now + 119 },
		"iat within leeway":      func(c map[string]any) { c["iat"] = now + 119 },
		"aud array containing":   func(c map[string]any) { c["aud"] = []string{"x", "api://default"} },
		"fractional NumericDate": func(c map[string]any) { c["exp"] = float64(now) + 10.5 },
	} {
		if _, err := v.Verify(context.Background(), sign(mod)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestVerifyNegativeLeewayMeansNone(t *testing.T) {
	t.Parallel()
	iss, v, clk := setup(t, verifier.Config{Leeway: -1})
	c := validClaims(iss, clk)
	c["iat"] = clk.Now().Unix() + 1
	if _, err := v.Verify(context.Background(), iss.Sign(c)); !errors.Is(err, verifier.ErrIssuedInFuture) {
		t.Errorf("err = %v, want ErrIssuedInFuture", err)
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	t.Parallel()
	for name, cfg := range map[string]verifier.Config{
		"no issuer":       {Audience: "api://default"},
		"relative issuer": {Issuer: "/oauth2/default", Audience: "api://default"},
		"no audience":     {Issuer: "https://auth.example.com/oauth2/default"},
		"HS256":           {Issuer: "https://a.example", Audience: "x", Algorithms: []string{"RS256", "HS256"}},
		"none":            {Issuer: "https://a.example", Audience: "x", Algorithms: []string{"none"}},
		"unknown alg":     {Issuer: "https://a.example", Audience: "x", Algorithms: []string{"RS257"}},
		"bad JWKS URL":    {Issuer: "https://a.example", Audience: "x", JWKSURL: "ftp://a.example/keys"},
	} {
		if _, err := verifier.New(cfg); err == nil {
			t.Errorf("%s: New accepted %+v", name, cfg)
		}
	}
}

func TestNewDoesNoIOAndDiscoversLazily(t *testing.T) {
	t.Parallel()
	iss, v, _ := setup(t, verifier.Config{})
	if iss.DiscoveryFetches() != 0 || iss.JWKSFetches() != 0 {
		t.Fatalf("New fetched: discovery %d, jwks %d", iss.DiscoveryFetches(), iss.JWKSFetches())
	}
	for range 3 {
		if _, err := v.Verify(context.Background(), iss.AccessToken()); err != nil {
			t.Fatal(err)
		}
	}
	if iss.DiscoveryFetches() != 1 || iss.JWKSFetches() != 1 {
		t.Errorf("discovery %d, jwks %d fetches, want 1 and 1", iss.DiscoveryFetches(), iss.JWKSFetches())
	}
}

func TestVerifyStartsWhileIssuerDown(t *testing.T) {
	t.Parallel()
	iss, v, clk := setup(t, verifier.Config{})
	iss.SetDown(true)
	token := iss.AccessToken()
	_, err := v.Verify(context.Background(), token)
	if !errors.Is(err, verifier.ErrKeySetUnavailable) {
		t.Fatalf("err = %v, want ErrKeySetUnavailable", err)
	}
	if err := v.Prefetch(context.Background()); !errors.Is(err, verifier.ErrKeySetUnavailable) {
		t.Errorf("Prefetch = %v, want ErrKeySetUnavailable", err)
	}
	iss.SetDown(false)
	clk.Advance(verifier.DefaultMinRefetchInterval)
	if _, err := v.Verify(context.Background(), token); err != nil {
		t.Errorf("after the issuer is back: %v", err)
	}
}

func TestVerifyCancelledContextStopsWaiting(t *testing.T) {
	t.Parallel()
	clk := newClock()
	iss := verifiertest.NewIssuer(t, verifiertest.WithNow(clk.Now))
	release := make(chan struct{})
	hanging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(hanging.Close)
	t.Cleanup(func() { close(release) })
	v, err := verifier.New(verifier.Config{Issuer: iss.Issuer(), Audience: iss.Audience(), Now: clk.Now,
		JWKSURL: hanging.URL + "/keys", FetchTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = v.Verify(ctx, iss.AccessToken())
	if !errors.Is(err, verifier.ErrKeySetUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want ErrKeySetUnavailable and context.DeadlineExceeded", err)
	}
}

func TestClaimsMarshalJSONRoundTrip(t *testing.T) {
	t.Parallel()
	iss, v, clk := setup(t, verifier.Config{})
	c, err := v.Verify(context.Background(), iss.AccessToken(verifiertest.WithClaim("tenant", "acme")))
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{`"aud":"api://default"`, `"ver":1`, `"tenant":"acme"`, `"scp":["openid"]`,
		`"exp":` + strconv.FormatInt(clk.Now().Add(time.Hour).Unix(), 10)} {
		if !strings.Contains(s, want) {
			t.Errorf("%s lacks %s", s, want)
		}
	}
}
