package keys

import (
	"context"
	"crypto"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/latchkey/latchkey/internal/cputime"
	"github.com/latchkey/latchkey/internal/store"
)

// createServer stores an authorization server with the given signing
// algorithm.
func (f *fixture) createServer(t *testing.T, id, alg string) store.AuthServer {
	t.Helper()
	a := store.AuthServer{ID: id, Name: id, Audience: "api://" + id, Status: store.StatusActive,
		KeyRotationMode: store.RotationAuto, SigningAlg: alg, CreatedAt: t0, UpdatedAt: t0}
	if err := f.store.CreateAuthServer(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	return a
}

// setAlg changes the stored signing algorithm of a server.
func (f *fixture) setAlg(t *testing.T, id, alg string) store.AuthServer {
	t.Helper()
	a, err := f.store.UpdateAuthServer(context.Background(), id, func(a store.AuthServer) (store.AuthServer, error) {
		a.SigningAlg = alg
		return a, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestKeysOfEachAlg: a server's keys are of its algorithm; the JWKS entry
// has exactly the members RFC 7517/7518/8037 give that key type; tokens
// carry the algorithm in their header and verify against the JWKS.
func TestKeysOfEachAlg(t *testing.T) {
	for _, tt := range []struct {
		alg, kty string
		members  []string
		sigLen   int // bytes of the signature
	}{
		{store.AlgRS256, "RSA", []string{"alg", "e", "kid", "kty", "n", "use"}, 256},
		{store.AlgES256, "EC", []string{"alg", "crv", "kid", "kty", "use", "x", "y"}, 64},
		{store.AlgEdDSA, "OKP", []string{"alg", "crv", "kid", "kty", "use", "x"}, 64},
	} {
		t.Run(tt.alg, func(t *testing.T) {
			f := newFixture(t)
			ctx := context.Background()
			f.createServer(t, "aus1", tt.alg)
			if err := f.m.Ensure(ctx, "aus1"); err != nil {
				t.Fatal(err)
			}
			ks := f.keys(t, "aus1")
			for _, k := range ks {
				if k.Alg != tt.alg {
					t.Errorf("%s key %s has alg %q, want %q", k.Status, k.ID, k.Alg, tt.alg)
				}
				var members map[string]any
				if err := json.Unmarshal(k.PublicJWK, &members); err != nil {
					t.Fatal(err)
				}
				var names []string
				for n := range members {
					names = append(names, n)
				}
				slices.Sort(names)
				if !slices.Equal(names, tt.members) {
					t.Errorf("public JWK %s has members %v, want %v", k.PublicJWK, names, tt.members)
				}
				if members["kty"] != tt.kty || members["alg"] != tt.alg || members["use"] != "sig" || members["kid"] != k.ID {
					t.Errorf("public JWK %s: want kty %s, alg %s, use sig, kid %s", k.PublicJWK, tt.kty, tt.alg, k.ID)
				}
				switch tt.alg {
				case store.AlgES256:
					if members["crv"] != "P-256" {
						t.Errorf("crv %v, want P-256", members["crv"])
					}
				case store.AlgEdDSA:
					if members["crv"] != "Ed25519" {
						t.Errorf("crv %v, want Ed25519", members["crv"])
					}
				}
				// The kid is the RFC 7638 thumbprint of the public key.
				var jwk jose.JSONWebKey
				if err := jwk.UnmarshalJSON(k.PublicJWK); err != nil {
					t.Fatal(err)
				}
				thumb, err := jwk.Thumbprint(crypto.SHA256)
				if err != nil {
					t.Fatal(err)
				}
				if want := base64.RawURLEncoding.EncodeToString(thumb); k.ID != want {
					t.Errorf("kid %s, want the thumbprint %s", k.ID, want)
				}
			}
			jwksKids(t, f.m, "aus1")
			token, _ := sign(t, f.m, "aus1")
			if !verifies(t, f.m, "aus1", token) {
				t.Fatal("token does not verify against the JWKS")
			}
			hdr, _, _ := strings.Cut(token, ".")
			raw, _ := base64.RawURLEncoding.DecodeString(hdr)
			var h map[string]any
			if err := json.Unmarshal(raw, &h); err != nil {
				t.Fatal(err)
			}
			if h["alg"] != tt.alg || h["typ"] != "JWT" || h["kid"] == "" || len(h) != 3 {
				t.Errorf("header %s, want {alg: %s, kid, typ: JWT}", raw, tt.alg)
			}
			sig, err := base64.RawURLEncoding.DecodeString(token[strings.LastIndexByte(token, '.')+1:])
			if err != nil || len(sig) != tt.sigLen {
				t.Errorf("signature of %d bytes (%v), want %d", len(sig), err, tt.sigLen)
			}
			// A second Manager (another instance) unseals and signs with
			// the same key.
			if token2, kid := sign(t, f.instance(t), "aus1"); !verifies(t, f.m, "aus1", token2) || kid != h["kid"] {
				t.Error("another instance's token does not verify with the same kid")
			}
		})
	}
}

func TestGenerateUnknownAlg(t *testing.T) {
	f := newFixture(t)
	for _, alg := range []string{"HS256", "none", "ES384", "rs256"} {
		if _, err := f.m.Generate("default", alg, store.KeyNext); !errors.Is(err, ErrUnknownAlg) {
			t.Errorf("Generate(%q): %v, want ErrUnknownAlg", alg, err)
		}
	}
}

// TestSignerRefusesKeyOfAnotherAlg: a record whose alg does not fit its
// key (an RSA key labelled ES256) is refused instead of signing tokens no
// verifier accepts.
func TestSignerRefusesKeyOfAnotherAlg(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	k, err := f.m.Generate("default", store.AlgRS256, store.KeyActive)
	if err != nil {
		t.Fatal(err)
	}
	k.Alg = store.AlgES256
	if err := f.store.CreateKey(ctx, k); err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.ActiveSigner(ctx, "default"); err == nil || !strings.Contains(err.Error(), `cannot sign "ES256"`) {
		t.Fatalf("ActiveSigner: %v, want a refusal", err)
	}
}

// TestAlgChange follows a server from RS256 to ES256: the NEXT key is
// replaced at once, the ACTIVE key keeps signing RS256 until the rotation,
// and the RS256 tokens keep verifying until their keys are pruned.
func TestAlgChange(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.createServer(t, "aus1", store.AlgRS256)
	if err := f.m.Ensure(ctx, "aus1"); err != nil {
		t.Fatal(err)
	}
	active0, next0 := roleKids(t, f.keys(t, "aus1"))
	before, _ := sign(t, f.m, "aus1")

	f.clock.Advance(time.Hour)
	srv := f.setAlg(t, "aus1", store.AlgES256)
	changed, err := f.m.ApplySigningAlg(ctx, srv)
	if err != nil || !changed {
		t.Fatalf("ApplySigningAlg: %v, %v; want a change", changed, err)
	}
	ks := f.keys(t, "aus1")
	active1, next1 := roleKids(t, ks)
	if active1 != active0 || next1 == next0 {
		t.Fatalf("after the change ACTIVE %s NEXT %s; want ACTIVE %s kept and a new NEXT", active1, next1, active0)
	}
	for _, k := range ks {
		switch k.ID {
		case next1:
			if k.Alg != store.AlgES256 || !k.CreatedAt.Equal(t0.Add(time.Hour)) {
				t.Errorf("new NEXT key: alg %s created %v", k.Alg, k.CreatedAt)
			}
		case next0:
			if k.Status != store.KeyExpired || !k.ExpiredAt.Equal(t0.Add(time.Hour)) || k.Alg != store.AlgRS256 {
				t.Errorf("old NEXT key: %s expired %v alg %s; want EXPIRED now, RS256", k.Status, k.ExpiredAt, k.Alg)
			}
		}
	}
	if _, kid := sign(t, f.m, "aus1"); kid != active0 {
		t.Errorf("signs with %s, want the RS256 ACTIVE key %s until the rotation", kid, active0)
	}
	if !verifies(t, f.m, "aus1", before) {
		t.Error("an RS256 token stopped verifying at the change")
	}
	assertAlgs(t, f.m, "aus1", store.AlgRS256, store.AlgES256)
	if changed, err := f.instance(t).ApplySigningAlg(ctx, srv); err != nil || changed {
		t.Errorf("second ApplySigningAlg: %v, %v; want nothing to do", changed, err)
	}

	r, err := f.m.Rotate(ctx, "aus1")
	if err != nil || !r.Rotated || r.Active.ID != next1 || r.Next.Alg != store.AlgES256 {
		t.Fatalf("Rotate: %+v, %v; want the ES256 key %s to sign and an ES256 NEXT", r, err, next1)
	}
	after, kid := sign(t, f.m, "aus1")
	if kid != next1 || !verifies(t, f.m, "aus1", after) {
		t.Errorf("after the rotation signed with %s (want %s), verifies %v", kid, next1, verifies(t, f.m, "aus1", after))
	}
	if !verifies(t, f.m, "aus1", before) {
		t.Error("an RS256 token stopped verifying at the rotation")
	}
	assertAlgs(t, f.m, "aus1", store.AlgES256, store.AlgRS256)

	f.clock.Advance(DefaultPublishExpiredFor)
	deleted, err := f.m.Prune(ctx, "aus1", 0)
	if err != nil || !slices.Equal(sorted(deleted...), sorted(active0, next0)) {
		t.Fatalf("Prune: %v, %v; want the RS256 keys %s %s", deleted, err, active0, next0)
	}
	if verifies(t, f.m, "aus1", before) {
		t.Error("the RS256 token still verifies after its key was withdrawn")
	}
	assertAlgs(t, f.m, "aus1", store.AlgES256)
}

// TestAlgChangeConcurrent: instances applying one change at once replace
// the NEXT key once.
func TestAlgChangeConcurrent(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.createServer(t, "aus1", store.AlgRS256)
	if err := f.m.Ensure(ctx, "aus1"); err != nil {
		t.Fatal(err)
	}
	srv := f.setAlg(t, "aus1", store.AlgEdDSA)
	ms := []*Manager{f.m, f.instance(t), f.instance(t)}
	errs := make([]error, len(ms))
	var wg sync.WaitGroup
	for i, m := range ms {
		wg.Go(func() { _, errs[i] = m.ApplySigningAlg(ctx, srv) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	ks := f.keys(t, "aus1")
	_, next := roleKids(t, ks)
	if n := len(byStatus(ks)[store.KeyExpired]); n != 1 || len(ks) != 3 {
		t.Errorf("keys %v, want ACTIVE, NEXT and one EXPIRED", byStatus(ks))
	}
	for _, k := range ks {
		if k.ID == next && k.Alg != store.AlgEdDSA {
			t.Errorf("NEXT alg %s, want EdDSA", k.Alg)
		}
	}
}

// TestRotateIfDueFollowsAlg: the rotation loop gives a server whose NEXT
// key is of another algorithm (a change made while ApplySigningAlg failed,
// or by an older instance) a NEXT key of its algorithm, and rotates to it
// only after it has been published for MinNextPublication.
func TestRotateIfDueFollowsAlg(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.createServer(t, "aus1", store.AlgRS256)
	if err := f.m.Ensure(ctx, "aus1"); err != nil {
		t.Fatal(err)
	}
	srv := f.setAlg(t, "aus1", store.AlgEdDSA)
	f.clock.Advance(DefaultRotationInterval) // the rotation is due
	r, err := f.m.RotateIfDue(ctx, srv)
	if err != nil || r.Rotated || r.Next.Alg != store.AlgEdDSA || r.Active.Alg != store.AlgRS256 {
		t.Fatalf("RotateIfDue: %+v, %v; want no rotation and an EdDSA NEXT key", r, err)
	}
	f.clock.Advance(MinNextPublication - time.Second)
	if r, err := f.m.RotateIfDue(ctx, srv); err != nil || r.Rotated {
		t.Fatalf("RotateIfDue before the new key was published for two weeks: %+v, %v", r, err)
	}
	f.clock.Advance(time.Second)
	r, err = f.m.RotateIfDue(ctx, srv)
	if err != nil || !r.Rotated || r.Active.Alg != store.AlgEdDSA || r.Next.Alg != store.AlgEdDSA {
		t.Fatalf("RotateIfDue: %+v, %v; want the EdDSA key to sign", r, err)
	}
}

func assertAlgs(t *testing.T, m *Manager, as string, want ...string) {
	t.Helper()
	got, err := m.Algs(context.Background(), as)
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("Algs: %v, %v; want %v", got, err, want)
	}
}

// BenchmarkSign is the cost of one token signature per algorithm: the
// signing floor of every grant.
func BenchmarkSign(b *testing.B) {
	payload := []byte(`{"ver":1,"jti":"AT.0123456789abcdefghijklmnopqrstuvwxyzABCD","iss":"https://auth.example.com/oauth2/default",` +
		`"aud":"api://default","iat":1700000000,"exp":1700003600,"cid":"0oa1234567890abcdefg","scp":["openid","profile"],"sub":"ada@example.com"}`)
	for _, alg := range store.SigningAlgs {
		b.Run("alg="+alg, func(b *testing.B) {
			f := newFixture(b)
			ctx := context.Background()
			if err := f.store.CreateAuthServer(ctx, store.AuthServer{ID: "aus1", SigningAlg: alg}); err != nil {
				b.Fatal(err)
			}
			if err := f.m.Ensure(ctx, "aus1"); err != nil {
				b.Fatal(err)
			}
			s, err := f.m.ActiveSigner(ctx, "aus1")
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			start := cputime.Process()
			for b.Loop() {
				if _, err := s.Sign(payload); err != nil {
					b.Fatal(err)
				}
			}
			cputime.ReportProcess(b, start)
		})
	}
}
