package e2e

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/latchkey/latchkey/internal/app"
	"github.com/latchkey/latchkey/verifier"
)

// accessToken gets an access token with the password grant and returns it
// with the kid of its header.
func (e *env) accessToken() (token, kid string) {
	e.t.Helper()
	r := e.post(e.tokenURL, e.passwordForm("openid").Encode(), map[string]string{"Authorization": basic(e.clientID, e.clientSecret)})
	if r.status != http.StatusOK {
		e.t.Fatalf("token: %d %s", r.status, r.raw)
	}
	token, _ = r.body["access_token"].(string)
	jws, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		e.t.Fatal(err)
	}
	return token, jws.Signatures[0].Protected.KeyID
}

// jwksKids returns the kids /v1/keys publishes.
func (e *env) jwksKids() []string {
	e.t.Helper()
	r := e.get(e.issuer + "/v1/keys")
	var set jose.JSONWebKeySet
	if r.status != http.StatusOK || json.Unmarshal([]byte(r.raw), &set) != nil {
		e.t.Fatalf("/v1/keys: %d %s", r.status, r.raw)
	}
	var kids []string
	for _, k := range set.Keys {
		kids = append(kids, k.KeyID)
	}
	slices.Sort(kids)
	return kids
}

// countingTransport counts the requests for the JWKS.
type countingTransport struct{ jwks atomic.Int32 }

func (c *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if strings.HasSuffix(req.URL.Path, "/v1/keys") {
		c.jwks.Add(1)
	}
	return http.DefaultTransport.RoundTrip(req)
}

// TestKeyRotation: tokens minted before a rotation still verify after it
// (through the public verifier); tokens minted after are signed with the
// key that was NEXT, which a resource server already had cached, so it
// does not even refetch the JWKS.
func TestKeyRotation(t *testing.T) {
	// The server's clock runs a little behind, so moving it on by the
	// signer's recheck period keeps tokens valid for the real-time verifier.
	clock := &testClock{now: time.Now().Add(-10 * time.Minute)}
	e := newEnvWith(t, app.Options{Now: clock.Now}, nil)
	ctx := context.Background()

	before, active := e.accessToken()
	published := e.jwksKids()
	if len(published) != 2 || !slices.Contains(published, active) {
		t.Fatalf("JWKS before rotation: %v, want the ACTIVE key %s and a NEXT key", published, active)
	}
	next := published[0]
	if next == active {
		next = published[1]
	}

	transport := &countingTransport{}
	cached, err := verifier.New(verifier.Config{Issuer: e.issuer, Audience: "api://default", HTTPClient: &http.Client{Transport: transport}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cached.Verify(ctx, before); err != nil {
		t.Fatalf("token before rotation: %v", err)
	}

	// Rotate from another process on the same store, as `latchkey keys
	// rotate` does.
	other, err := app.Open(ctx, e.cfg, app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := other.Keys.Rotate(ctx, "default")
	other.Close()
	if err != nil {
		t.Fatal(err)
	}
	if !r.Rotated || r.Active.ID != next || r.Expired.ID != active {
		t.Fatalf("rotation: %+v", r)
	}
	// The running server picks the rotation up within its recheck period.
	clock.Advance(30 * time.Second)

	after, kid := e.accessToken()
	if kid != next {
		t.Fatalf("token after rotation signed with %s, want the former NEXT key %s", kid, next)
	}
	if got, want := e.jwksKids(), slices.Sorted(slices.Values([]string{active, next, r.Next.ID})); !slices.Equal(got, want) {
		t.Errorf("JWKS after rotation: %v, want %v (EXPIRED, ACTIVE, NEXT)", got, want)
	}
	fetches := transport.jwks.Load()
	for name, tok := range map[string]string{"before": before, "after": after} {
		if _, err := cached.Verify(ctx, tok); err != nil {
			t.Errorf("cached verifier, token minted %s rotation: %v", name, err)
		}
		fresh, err := verifier.New(verifier.Config{Issuer: e.issuer, Audience: "api://default"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fresh.Verify(ctx, tok); err != nil {
			t.Errorf("fresh verifier, token minted %s rotation: %v", name, err)
		}
	}
	if n := transport.jwks.Load(); n != fetches {
		t.Errorf("the cached verifier fetched the JWKS again (%d times): the new signing key was not published ahead", n-fetches)
	}

	// A rotation by the serving instance itself is used at once.
	r2, err := e.app.Keys.Rotate(ctx, "default")
	if err != nil {
		t.Fatal(err)
	}
	if _, kid := e.accessToken(); kid != r.Next.ID || r2.Active.ID != r.Next.ID {
		t.Errorf("after a local rotation signed with %s, want %s", kid, r.Next.ID)
	}
}

// rotationSignal is a slog handler that reports rotation log records.
type rotationSignal struct {
	slog.Handler
	rotated chan<- slog.Record
}

func (h rotationSignal) Enabled(context.Context, slog.Level) bool { return true }

func (h rotationSignal) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == "signing keys rotated" {
		select {
		case h.rotated <- r:
		default:
		}
	}
	return h.Handler.Handle(ctx, r)
}

// TestRunKeyRotation: the serving instance's background loop rotates the
// keys once they are due.
func TestRunKeyRotation(t *testing.T) {
	clock := &testClock{now: time.Now()}
	rotated := make(chan slog.Record, 1)
	logger := slog.New(rotationSignal{Handler: slog.DiscardHandler, rotated: rotated})
	e := newEnvWith(t, app.Options{Now: clock.Now, Logger: logger}, nil)
	_, active := e.accessToken()

	clock.Advance(90 * 24 * time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); e.app.RunKeyRotation(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	select {
	case rec := <-rotated:
		var server, expired string
		rec.Attrs(func(a slog.Attr) bool {
			switch a.Key {
			case "authserver":
				server = a.Value.String()
			case "expired":
				expired = a.Value.String()
			}
			return true
		})
		if server != "default" || expired != active {
			t.Errorf("rotation logged for %q expiring %q, want default and %s", server, expired, active)
		}
	case <-time.After(time.Minute):
		t.Fatal("no rotation within a minute of the keys being due")
	}
	if _, kid := e.accessToken(); kid == active {
		t.Errorf("still signing with %s after the rotation", kid)
	}
	if n := len(e.jwksKids()); n != 3 {
		t.Errorf("%d keys published after one rotation, want 3", n)
	}
}
