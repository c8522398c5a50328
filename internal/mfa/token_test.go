package mfa

import (
	"bytes"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/keys"
)

func sealer(t testing.TB, b byte) *keys.Sealer {
	t.Helper()
	s, err := keys.NewSealer(bytes.Repeat([]byte{b}, keys.MasterKeySize))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestTokenRoundTripAndRefusals(t *testing.T) {
	t.Parallel()
	s := sealer(t, 1)
	now := time.Unix(1_700_000_000, 0)
	p := NewPending("default", "0oa1", "00u1", []string{"openid"}, now, now)
	tok, err := Seal(s, p)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Open(s, tok, now.Add(TokenTTL-time.Second))
	if err != nil || got.ID != p.ID || got.ClientID != "0oa1" || got.UserID != "00u1" || !slices.Equal(got.Scopes, p.Scopes) || !got.AuthTime.Equal(now) {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	altered := []byte(tok)
	altered[len(altered)/2] ^= 1
	for name, c := range map[string]struct {
		tok string
		s   *keys.Sealer
		at  time.Time
	}{
		"expired":     {tok, s, now.Add(TokenTTL)},
		"another key": {tok, sealer(t, 2), now},
		"altered":     {string(altered), s, now},
		"empty":       {"", s, now},
		"not base64":  {"!!!", s, now},
		"too long":    {string(bytes.Repeat([]byte("A"), MaxTokenLength+1)), s, now},
	} {
		if _, err := Open(c.s, c.tok, c.at); !errors.Is(err, ErrToken) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// FuzzOpen: an mfa_token from outside never panics and is never accepted
// unless this key sealed it.
func FuzzOpen(f *testing.F) {
	s := sealer(f, 1)
	now := time.Unix(1_700_000_000, 0)
	tok, _ := Seal(s, NewPending("default", "0oa1", "00u1", nil, now, now))
	for _, seed := range []string{tok, "", "AQ", tok[:len(tok)-2]} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		p, err := Open(s, in, now)
		// Only the seeds' tokens were sealed with this key (and a fuzz
		// worker seals its own): anything accepted must be one of them.
		if err == nil && (p.UserID != "00u1" || p.ClientID != "0oa1") {
			t.Fatalf("accepted a token this key did not seal: %q -> %+v", in, p)
		}
	})
}
