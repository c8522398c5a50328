package verifier

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"reflect"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/latchkey/latchkey/verifier/verifiertest"
)

// The plain-token path of Verify (compact.go) must answer every token as
// the general path (encoding/json and go-jose) does: these tests hold the
// two side by side.

// TestVerifySignatureMatchesGoJose: for every key kind and algorithm,
// including every mismatch (an RSA key for ES256, a P-384 key for ES256,
// an Ed25519 key for RS256…), verifySignature accepts exactly what
// go-jose's Verify accepts.
func TestVerifySignatureMatchesGoJose(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p521, _ := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	edPub, edPriv, _ := ed25519.GenerateKey(rand.Reader)
	signers := []struct {
		alg  jose.SignatureAlgorithm
		priv any
	}{
		{jose.RS256, rsaKey}, {jose.RS384, rsaKey}, {jose.RS512, rsaKey},
		{jose.PS256, rsaKey}, {jose.PS384, rsaKey}, {jose.PS512, rsaKey},
		{jose.ES256, p256}, {jose.ES384, p384}, {jose.ES512, p521}, {jose.EdDSA, edPriv},
	}
	publics := map[string]any{"rsa": &rsaKey.PublicKey, "p256": &p256.PublicKey, "p384": &p384.PublicKey,
		"p521": &p521.PublicKey, "ed25519": edPub, "nil rsa": (*rsa.PublicKey)(nil), "short ed25519": ed25519.PublicKey{}}
	algs := []jose.SignatureAlgorithm{jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512,
		jose.ES256, jose.ES384, jose.ES512, jose.EdDSA, jose.HS256, "none"}
	for _, s := range signers {
		signer, err := jose.NewSigner(jose.SigningKey{Algorithm: s.alg, Key: s.priv}, nil)
		if err != nil {
			t.Fatal(err)
		}
		jws, err := signer.Sign([]byte(`{"iss":"x"}`))
		if err != nil {
			t.Fatal(err)
		}
		token, _ := jws.CompactSerialize()
		h, rest, _ := strings.Cut(token, ".")
		p, sigPart, _ := strings.Cut(rest, ".")
		sig, _ := base64.RawURLEncoding.DecodeString(sigPart)
		for _, alg := range algs {
			// The same token as if its header named alg.
			hdr := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"` + string(alg) + `"}`))
			forged := hdr + "." + p + "." + sigPart
			if alg == s.alg {
				forged = h + "." + p + "." + sigPart
			}
			for name, pub := range publics {
				want := goJoseVerifies(forged, alg, pub)
				input := forged[:strings.LastIndexByte(forged, '.')]
				got := verifySignature(pub, alg, input, sig) == nil
				if got != want {
					t.Errorf("signed %s, header %s, %s key: verifySignature %v, go-jose %v", s.alg, alg, name, got, want)
				}
				if got && (alg != s.alg || name == "nil rsa") {
					t.Errorf("signed %s, header %s, %s key: accepted", s.alg, alg, name)
				}
			}
		}
	}
}

func goJoseVerifies(token string, alg jose.SignatureAlgorithm, pub any) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	jws, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{alg})
	if err != nil {
		return false
	}
	_, err = jws.Verify(pub)
	return err == nil
}

// generalClaims is parseClaims as it was: encoding/json, then the typed
// claims and Extra.
func generalClaims(payload []byte) (*Claims, error) {
	raw, err := decodeObject(payload)
	if err != nil {
		return nil, err
	}
	c, err := claimsFrom(func(name string) (any, bool) { v, ok := raw[name]; return v, ok })
	if err != nil {
		return nil, err
	}
	for k, v := range raw {
		if !knownClaims[k] {
			if c.Extra == nil {
				c.Extra = map[string]any{}
			}
			c.Extra[k] = v
		}
	}
	return c, nil
}

// FuzzPlainClaims: when parsePlainClaims takes a payload, it decodes it as
// encoding/json does: the same claims, the same Extra, the same error.
func FuzzPlainClaims(f *testing.F) {
	for _, s := range []string{
		`{"ver":1,"jti":"AT.x","iss":"https://a/oauth2/default","aud":"api://default","iat":1700000000,"exp":1700003600,` +
			`"cid":"c","uid":"00u1","scp":["openid","email"],"sub":"u@example.com","auth_time":1700000000}`,
		`{"iss":"a","iss":"b","scope":"x y","groups":["g1","g2"],"n":-1.5e3,"t":true,"f":false,"z":null}`,
		`{"aud":["a","b"],"scp":"openid profile","nbf":1.5,"ver":2147483648}`,
		`{"iss":1,"aud":null,"exp":"x","scp":3,"ver":1.5}`, `{}`, ` { } `, `{"a":1} }`, `{"a":1}]`, `{"a":01}`, `{"a":1.}`,
		`{"a":-}`, `{"a":1e}`, `{"a":"\u0041"}`, `{"a":"é"}`, `{"a":{"b":1}}`, `{"a":[1]}`, `{"a":[]}`, `[]`, `null`, ``,
		`{"a":1,}`, `{,}`, `{"a" 1}`, `{"scope":"a b","scp":null}`, `{"exp":1e11,"iat":100000000001}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		got, gotErr, plain := parsePlainClaims(payload)
		if !plain {
			return
		}
		want, wantErr := generalClaims(payload)
		if (gotErr == nil) != (wantErr == nil) || gotErr != nil && gotErr.Error() != wantErr.Error() {
			t.Fatalf("%q: error %v, encoding/json's %v", payload, gotErr, wantErr)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q:\n%#v\nencoding/json's\n%#v", payload, got, want)
		}
	})
}

// FuzzVerifyPaths: Verify (which reads plain tokens itself) and
// verifyGeneral (go-jose for every token) answer every token alike: the
// same claims, or the same check and sentinel.
func FuzzVerifyPaths(f *testing.F) {
	iss := verifiertest.NewIssuer(f)
	v, err := New(Config{Issuer: iss.Issuer(), Audience: iss.Audience(), RequiredScopes: []string{"openid"}})
	if err != nil {
		f.Fatal(err)
	}
	if err := v.Prefetch(context.Background()); err != nil {
		f.Fatal(err)
	}
	valid := iss.AccessToken()
	parts := strings.Split(valid, ".")
	kid := iss.KeyID()
	hdr := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	for _, s := range []string{
		valid,
		parts[0] + "." + parts[1] + "." + parts[2][:len(parts[2])-1] + "B",
		hdr(`{"alg":"RS256","kid":"`+kid+`","typ":"JWT","cty":"x"}`) + "." + parts[1] + "." + parts[2],
		hdr(`{"alg":"RS256","kid":"`+kid+`","ALG":"HS256"}`) + "." + parts[1] + "." + parts[2],
		hdr(`{"alg":"RS256","kid":"`+kid+`","kid":"x"}`) + "." + parts[1] + "." + parts[2],
		hdr(`{"alg":"RS256","kid":"`+kid+`","crit":["exp"]}`) + "." + parts[1] + "." + parts[2],
		hdr(`{"alg":"ES256","kid":"`+kid+`"}`) + "." + parts[1] + "." + parts[2],
		hdr(`{"alg":"RS256"}`) + "." + parts[1] + "." + parts[2],
		hdr(`{"alg":"RS256","kid":"`+kid+`"} `) + "." + parts[1] + "." + parts[2],
		hdr(` {"alg" : "RS256" , "kid":"`+kid+`"}`) + "." + parts[1] + "." + parts[2],
		hdr(`{"alg":"RS\u0032\u0035\u0036","kid":"`+kid+`"}`) + "." + parts[1] + "." + parts[2],
		parts[0] + "." + parts[1] + "\n." + parts[2],
		parts[0] + "." + hdr(`{"iss":"x"}`) + "." + parts[2],
		parts[0] + ".." + parts[2], parts[0] + "." + parts[1] + ".", "..", "a.b.c",
	} {
		f.Add(s)
	}
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, token string) {
		if checkCompactForm(token) != nil {
			return
		}
		got, gotErr := v.Verify(ctx, token)
		want, wantErr := v.verifyGeneral(ctx, token)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: claims %+v, the general path's %+v", token, got, want)
		}
		if (gotErr == nil) != (wantErr == nil) {
			t.Fatalf("%q: error %v, the general path's %v", token, gotErr, wantErr)
		}
		if gotErr == nil {
			return
		}
		var g, w *ValidationError
		if !errors.As(gotErr, &g) || !errors.As(wantErr, &w) || g.Check != w.Check || !errors.Is(gotErr, w.Err) {
			t.Fatalf("%q: error %v, the general path's %v", token, gotErr, wantErr)
		}
	})
}
