package verifier_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchkey/latchkey/verifier"
	"github.com/latchkey/latchkey/verifier/verifiertest"
)

// TestStaleKeySetIsNotTrusted: with the issuer's JWKS unreachable, a known
// key keeps verifying up to MaxKeyStaleness after the last successful
// fetch, then every token fails with ErrKeysStale (a key withdrawn during
// the outage must not verify for 71 hours); a successful refetch restores
// verification, and the withdrawn key stays refused.
func TestStaleKeySetIsNotTrusted(t *testing.T) {
	t.Parallel()
	rt := &countingTransport{}
	iss, v, clk := setup(t, verifier.Config{MaxKeyStaleness: 6 * time.Hour, HTTPClient: &http.Client{Transport: rt}},
		verifiertest.WithKeysMaxAge(time.Hour))
	mustVerify(t, v, iss.AccessToken())

	iss.SetDown(true)
	clk.Advance(6 * time.Hour) // at the limit: still trusted
	mustVerify(t, v, iss.AccessToken())
	requestsAtLimit := rt.n.Load()

	clk.Advance(time.Second) // past it
	_, err := v.Verify(context.Background(), iss.AccessToken())
	var ve *verifier.ValidationError
	if !errors.Is(err, verifier.ErrKeysStale) || !errors.As(err, &ve) || ve.Check != verifier.CheckKeySet {
		t.Fatalf("past MaxKeyStaleness: err = %v, want ErrKeysStale in a jwks ValidationError", err)
	}
	if errors.Is(err, verifier.ErrUnknownKey) {
		t.Fatalf("a stale set is not an unknown key: %v", err)
	}
	// Within the refetch floor, a stale set does not cost a request per token.
	for range 5 {
		if _, err := v.Verify(context.Background(), iss.AccessToken()); !errors.Is(err, verifier.ErrKeysStale) {
			t.Fatalf("stale, within the floor: %v", err)
		}
	}
	if got := rt.n.Load() - requestsAtLimit; got > 1 {
		t.Fatalf("%d requests to the issuer past the limit within the floor, want at most 1", got)
	}

	// The issuer withdraws the key while it is unreachable and comes back.
	clk.Advance(65 * time.Hour)
	token := iss.AccessToken() // signed with the key about to be withdrawn
	old := iss.KeyID()
	iss.RotateKey()
	iss.Unpublish(old)
	if _, err := v.Verify(context.Background(), token); !errors.Is(err, verifier.ErrKeysStale) {
		t.Fatalf("71 hours into the outage: %v, want ErrKeysStale", err)
	}
	iss.SetDown(false)
	clk.Advance(verifier.DefaultMinRefetchInterval)
	mustVerify(t, v, iss.AccessToken())
	if _, err := v.Verify(context.Background(), token); !errors.Is(err, verifier.ErrUnknownKey) {
		t.Fatalf("withdrawn key after recovery: %v, want ErrUnknownKey", err)
	}
}

// TestStaleKeySetDefault: without MaxKeyStaleness, the limit is 24 hours.
func TestStaleKeySetDefault(t *testing.T) {
	t.Parallel()
	iss, v, clk := setup(t, verifier.Config{}, verifiertest.WithKeysMaxAge(time.Hour))
	mustVerify(t, v, iss.AccessToken())
	iss.SetDown(true)
	clk.Advance(verifier.DefaultMaxKeyStaleness)
	mustVerify(t, v, iss.AccessToken())
	clk.Advance(time.Second)
	if _, err := v.Verify(context.Background(), iss.AccessToken()); !errors.Is(err, verifier.ErrKeysStale) {
		t.Fatalf("past 24 hours: %v, want ErrKeysStale", err)
	}
}

// TestStaleKeySetMiddlewareAnswers503: a stale set is not the token's
// fault.
func TestStaleKeySetMiddlewareAnswers503(t *testing.T) {
	t.Parallel()
	iss, v, clk := setup(t, verifier.Config{MaxKeyStaleness: time.Hour}, verifiertest.WithKeysMaxAge(time.Minute))
	h := verifier.Middleware(v)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	call := func() int {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Authorization", "Bearer "+iss.AccessToken())
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	if code := call(); code != http.StatusOK {
		t.Fatalf("fresh: %d", code)
	}
	iss.SetDown(true)
	clk.Advance(time.Hour + time.Second)
	if code := call(); code != http.StatusServiceUnavailable {
		t.Fatalf("stale: %d, want 503", code)
	}
}

func TestNegativeMaxKeyStalenessRefused(t *testing.T) {
	t.Parallel()
	if _, err := verifier.New(verifier.Config{Issuer: "https://auth.example.com", Audience: "api://default", MaxKeyStaleness: -time.Second}); err == nil {
		t.Fatal("New accepted a negative MaxKeyStaleness")
	}
}

// countingTransport counts the requests a verifier sends.
type countingTransport struct{ n atomic.Int64 }

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return http.DefaultTransport.RoundTrip(r)
}
