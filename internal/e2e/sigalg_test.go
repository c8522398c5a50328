package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/latchkey/latchkey/internal/cputime"
	"github.com/latchkey/latchkey/internal/provision"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/store/cache"
	"github.com/latchkey/latchkey/verifier"
)

// setSigningAlg changes the signing algorithm of the default server the way
// the CLI and the management API do (a NEXT key of alg is published).
func (e *env) setSigningAlg(alg string) {
	e.t.Helper()
	ctx := context.Background()
	a, err := e.app.Store.GetAuthServer(ctx, "default")
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.app.Provision.UpdateAuthServer(ctx, "default", provision.AuthServerInput{Name: a.Name, Description: a.Description,
		Audience: a.Audience, KeyRotationMode: a.KeyRotationMode, SigningAlg: alg}); err != nil {
		e.t.Fatal(err)
	}
}

// switchAlg sets the default server's signing algorithm and rotates, so
// that a key of alg signs from now on.
func (e *env) switchAlg(alg string) {
	e.t.Helper()
	e.setSigningAlg(alg)
	if r, err := e.app.Keys.Rotate(context.Background(), "default"); err != nil || r.Active.Alg != alg {
		e.t.Fatalf("rotate to %s: %+v, %v", alg, r, err)
	}
}

// headerOf decodes a JWT's header.
func headerOf(t *testing.T, raw string) map[string]any {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(strings.Split(raw, ".")[0])
	var h map[string]any
	if err != nil || json.Unmarshal(b, &h) != nil {
		t.Fatalf("header of %q: %v", raw, err)
	}
	return h
}

// discoveryAlgs returns id_token_signing_alg_values_supported.
func (e *env) discoveryAlgs() []string {
	e.t.Helper()
	r := e.get(e.issuer + "/.well-known/openid-configuration")
	var doc struct {
		Algs []string `json:"id_token_signing_alg_values_supported"`
	}
	if r.status != http.StatusOK || json.Unmarshal([]byte(r.raw), &doc) != nil {
		e.t.Fatalf("discovery: %d %s", r.status, r.raw)
	}
	return doc.Algs
}

// jwksAlgs maps each published kid to "kty alg crv".
func (e *env) jwksAlgs() map[string]string {
	e.t.Helper()
	r := e.get(e.issuer + "/v1/keys")
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if r.status != http.StatusOK || json.Unmarshal([]byte(r.raw), &set) != nil {
		e.t.Fatalf("/v1/keys: %d %s", r.status, r.raw)
	}
	out := map[string]string{}
	for _, k := range set.Keys {
		if k["use"] != "sig" {
			e.t.Errorf("key %v: use %v", k["kid"], k["use"])
		}
		crv, _ := k["crv"].(string)
		out[k["kid"].(string)] = strings.TrimSpace(k["kty"].(string) + " " + k["alg"].(string) + " " + crv)
	}
	return out
}

// idAndAccess gets an ID and an access token with the password grant.
func (e *env) idAndAccess() (id, access string) {
	e.t.Helper()
	r := e.post(e.tokenURL, e.passwordForm("openid profile").Encode(), map[string]string{"Authorization": basic(e.clientID, e.clientSecret)})
	if r.status != http.StatusOK {
		e.t.Fatalf("password grant: %d %s", r.status, r.raw)
	}
	return r.body["id_token"].(string), r.body["access_token"].(string)
}

// goOIDCVerify verifies an ID token and its at_hash with go-oidc, through
// a fresh discovery and JWKS.
func (e *env) goOIDCVerify(idToken, accessToken string) error {
	ctx := context.Background()
	p, err := oidc.NewProvider(ctx, e.issuer)
	if err != nil {
		return err
	}
	tok, err := p.Verifier(&oidc.Config{ClientID: e.clientID}).Verify(ctx, idToken)
	if err != nil {
		return err
	}
	return tok.VerifyAccessToken(accessToken)
}

// TestSigningAlgs: a server switched from RS256 to ES256 or EdDSA signs
// both tokens with the new key; go-oidc verifies the ID token and its
// at_hash through discovery, the verifier library the access token,
// introspection and client credentials work; the RS256 tokens issued
// before stay valid until their key is withdrawn.
func TestSigningAlgs(t *testing.T) {
	for _, tt := range []struct{ alg, jwk string }{
		{store.AlgES256, "EC ES256 P-256"},
		{store.AlgEdDSA, "OKP EdDSA Ed25519"},
	} {
		t.Run(tt.alg, func(t *testing.T) {
			e := newEnv(t)
			ctx := context.Background()
			oldID, oldAccess := e.idAndAccess()
			oldKid := headerOf(t, oldAccess)["kid"].(string)
			if got := e.discoveryAlgs(); !slices.Equal(got, []string{"RS256"}) {
				t.Fatalf("discovery algs before: %v", got)
			}

			// The change publishes a NEXT key of the new algorithm at
			// once; RS256 still signs.
			e.setSigningAlg(tt.alg)
			if got := e.discoveryAlgs(); !slices.Equal(got, []string{"RS256", tt.alg}) {
				t.Fatalf("discovery algs after the change: %v, want RS256 (signing) then %s (NEXT)", got, tt.alg)
			}
			jwks := e.jwksAlgs()
			var nextKid string
			for kid, desc := range jwks {
				if desc == tt.jwk {
					nextKid = kid
				}
			}
			if nextKid == "" || jwks[oldKid] != "RSA RS256" || len(jwks) != 3 {
				t.Fatalf("JWKS after the change: %v; want the RS256 ACTIVE key, the withdrawn RS256 NEXT key and a %s key", jwks, tt.jwk)
			}
			if _, access := e.idAndAccess(); headerOf(t, access)["kid"] != oldKid {
				t.Fatal("the change of algorithm changed the signing key before a rotation")
			}

			// A resource server that accepts both algorithms caches the
			// JWKS with the new key in it.
			transport := &countingTransport{}
			v, err := verifier.New(verifier.Config{Issuer: e.issuer, Audience: "api://default",
				Algorithms: []string{"RS256", tt.alg}, HTTPClient: &http.Client{Transport: transport}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := v.Verify(ctx, oldAccess); err != nil {
				t.Fatalf("RS256 token: %v", err)
			}
			fetches := transport.jwks.Load()

			if r, err := e.app.Keys.Rotate(ctx, "default"); err != nil || r.Active.ID != nextKid {
				t.Fatalf("rotation: %+v, %v; want %s to sign", r, err, nextKid)
			}
			id, access := e.idAndAccess()
			for name, tok := range map[string]string{"ID token": id, "access token": access} {
				if h := headerOf(t, tok); h["alg"] != tt.alg || h["kid"] != nextKid || h["typ"] != "JWT" {
					t.Errorf("%s header %v, want alg %s kid %s", name, h, tt.alg, nextKid)
				}
			}
			if err := e.goOIDCVerify(id, access); err != nil {
				t.Errorf("go-oidc, %s ID token and at_hash: %v", tt.alg, err)
			}
			if err := e.goOIDCVerify(oldID, oldAccess); err != nil {
				t.Errorf("go-oidc, the RS256 ID token after the rotation: %v", err)
			}
			claims, err := v.Verify(ctx, access)
			if err != nil || claims.Subject != e.username {
				t.Fatalf("verifier, %s access token: %+v, %v", tt.alg, claims, err)
			}
			if _, err := v.Verify(ctx, oldAccess); err != nil {
				t.Errorf("verifier, the RS256 access token after the rotation: %v", err)
			}
			if n := transport.jwks.Load(); n != fetches {
				t.Errorf("the verifier fetched the JWKS %d more times: the %s key was not published ahead", n-fetches, tt.alg)
			}
			strict, err := verifier.New(verifier.Config{Issuer: e.issuer, Audience: "api://default"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := strict.Verify(ctx, access); !errors.Is(err, verifier.ErrAlgorithm) {
				t.Errorf("a verifier left at RS256 took the %s token: %v", tt.alg, err)
			}

			// Introspection, for the new token and the old one.
			for name, tok := range map[string]string{"new": access, "old": oldAccess} {
				r := e.post(e.issuer+"/v1/introspect", url.Values{"token": {tok}, "token_type_hint": {"access_token"}}.Encode(),
					map[string]string{"Authorization": basic(e.clientID, e.clientSecret)})
				if r.status != http.StatusOK || r.body["active"] != true || r.body["username"] != e.username {
					t.Errorf("introspection of the %s token: %d %s", name, r.status, r.raw)
				}
			}

			// Client credentials.
			if _, err := e.app.Provision.PutScope(ctx, provision.ScopeInput{AuthServerID: "default", Name: "jobs"}); err != nil {
				t.Fatal(err)
			}
			c, secret, err := e.app.Provision.CreateClient(ctx, provision.ClientInput{Name: "m2m", GrantTypes: []string{"client_credentials"}})
			if err != nil {
				t.Fatal(err)
			}
			r := e.post(e.tokenURL, "grant_type=client_credentials&scope=jobs", map[string]string{"Authorization": basic(c.ID, secret)})
			if r.status != http.StatusOK {
				t.Fatalf("client credentials: %d %s", r.status, r.raw)
			}
			cc := r.body["access_token"].(string)
			if claims, err := v.Verify(ctx, cc); err != nil || claims.ClientID != c.ID || headerOf(t, cc)["alg"] != tt.alg {
				t.Errorf("client credentials token: %+v, %v", claims, err)
			}

			// Withdrawing the RS256 keys (their publication window over)
			// ends the RS256 tokens, and discovery lists only the new alg.
			if _, err := e.app.Keys.Prune(ctx, "default", 1); err != nil {
				t.Fatal(err)
			}
			if got := e.discoveryAlgs(); !slices.Equal(got, []string{tt.alg}) {
				t.Errorf("discovery algs after the RS256 keys left: %v", got)
			}
			fresh, err := verifier.New(verifier.Config{Issuer: e.issuer, Audience: "api://default", Algorithms: []string{"RS256", tt.alg}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := fresh.Verify(ctx, oldAccess); !errors.Is(err, verifier.ErrUnknownKey) {
				t.Errorf("the RS256 token after its key was withdrawn: %v, want ErrUnknownKey", err)
			}
			if _, err := fresh.Verify(ctx, access); err != nil {
				t.Errorf("the %s token: %v", tt.alg, err)
			}
		})
	}
}

// BenchmarkGrantAlg is the client credentials grant (one signature) and
// the password grant (two signatures, cheap hashing as in
// BenchmarkPasswordGrant) through the real handler, per signing algorithm
// of the default server.
func BenchmarkGrantAlg(b *testing.B) {
	for _, grant := range []string{"client_credentials", "password"} {
		for _, alg := range store.SigningAlgs {
			b.Run("grant="+grant+"/alg="+alg, func(b *testing.B) {
				e := benchEnv(b, cache.DefaultTTL)
				if alg != store.AlgRS256 {
					e.switchAlg(alg)
				}
				ctx := context.Background()
				body, auth := e.passwordForm("openid profile email").Encode(), basic(e.clientID, e.clientSecret)
				if grant == "client_credentials" {
					if _, err := e.app.Provision.PutScope(ctx, provision.ScopeInput{AuthServerID: "default", Name: "jobs"}); err != nil {
						b.Fatal(err)
					}
					c, secret, err := e.app.Provision.CreateClient(ctx, provision.ClientInput{Name: "m2m", GrantTypes: []string{"client_credentials"}})
					if err != nil {
						b.Fatal(err)
					}
					body, auth = "grant_type=client_credentials&scope=jobs", basic(c.ID, secret)
				}
				w := serveBench(b, e.app.Handler, "/oauth2/default/v1/token", body, auth)
				var tok map[string]any
				_ = json.Unmarshal(w.Body.Bytes(), &tok)
				if raw, _ := tok["access_token"].(string); !strings.Contains(string(mustDecodeHeader(b, raw)), `"alg":"`+alg+`"`) {
					b.Fatalf("token not signed with %s: %s", alg, w.Body.String())
				}
				b.ReportAllocs()
				start := cputime.Process()
				for b.Loop() {
					serveBench(b, e.app.Handler, "/oauth2/default/v1/token", body, auth)
				}
				cputime.ReportProcess(b, start)
			})
		}
	}
}

func mustDecodeHeader(b *testing.B, raw string) []byte {
	h, err := base64.RawURLEncoding.DecodeString(strings.Split(raw, ".")[0])
	if err != nil {
		b.Fatal(err)
	}
	return h
}
