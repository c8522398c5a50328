package provision_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/latchkey/latchkey/internal/keys"
	"github.com/latchkey/latchkey/internal/provision"
	"github.com/latchkey/latchkey/internal/secrets"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/store/sqlite"
)

func newService(t *testing.T) (*provision.Service, *keys.Sealer) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	mk := make([]byte, keys.MasterKeySize)
	_, _ = rand.Read(mk)
	sealer, err := keys.NewSealer(mk)
	if err != nil {
		t.Fatal(err)
	}
	sec, err := secrets.NewHasher(mk)
	if err != nil {
		t.Fatal(err)
	}
	return &provision.Service{Store: st, Secrets: sec, Sealer: sealer}, sealer
}

func TestCreateClientAuthMethods(t *testing.T) {
	t.Parallel()
	s, sealer := newService(t)
	ctx := context.Background()
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	pub := jose.JSONWebKey{Key: &ec.PublicKey, KeyID: "k1", Use: "sig"}
	jwks, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{pub}})
	priv, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: ec, KeyID: "k1"}}})
	long := strings.Repeat("s", provision.MinJWTSecretLength)

	cases := []struct {
		name      string
		in        provision.ClientInput
		ok        bool
		secret    bool // a secret is returned
		sealed    bool
		errSubstr string
	}{
		{name: "default basic", in: provision.ClientInput{}, ok: true, secret: true},
		{name: "post", in: provision.ClientInput{AuthMethod: "client_secret_post"}, ok: true, secret: true},
		{name: "secret jwt, generated secret", in: provision.ClientInput{AuthMethod: "client_secret_jwt"}, ok: true, secret: true, sealed: true},
		{name: "secret jwt, given secret", in: provision.ClientInput{AuthMethod: "client_secret_jwt", Secret: long}, ok: true, secret: true, sealed: true},
		{name: "secret jwt, short secret", in: provision.ClientInput{AuthMethod: "client_secret_jwt", Secret: long[1:]}, errSubstr: "32 to 256"},
		{name: "private key jwt, inline", in: provision.ClientInput{AuthMethod: "private_key_jwt", JWKS: jwks}, ok: true},
		{name: "private key jwt, uri", in: provision.ClientInput{AuthMethod: "private_key_jwt", JWKSURI: "https://client.example.com/jwks.json"}, ok: true},
		{name: "private key jwt, loopback http uri", in: provision.ClientInput{AuthMethod: "private_key_jwt", JWKSURI: "http://127.0.0.1:8081/jwks"}, errSubstr: "https"},
		{name: "private key jwt, loopback https uri", in: provision.ClientInput{AuthMethod: "private_key_jwt", JWKSURI: "https://127.0.0.1:8081/jwks"}, errSubstr: "not a public"},
		{name: "private key jwt, metadata address", in: provision.ClientInput{AuthMethod: "private_key_jwt", JWKSURI: "https://169.254.169.254/latest"}, errSubstr: "not a public"},
		{name: "private key jwt, localhost", in: provision.ClientInput{AuthMethod: "private_key_jwt", JWKSURI: "https://localhost/jwks"}, errSubstr: "loopback"},
		{name: "private key jwt, http uri", in: provision.ClientInput{AuthMethod: "private_key_jwt", JWKSURI: "http://client.example.com/jwks"}, errSubstr: "https"},
		{name: "private key jwt, both", in: provision.ClientInput{AuthMethod: "private_key_jwt", JWKS: jwks, JWKSURI: "https://client.example.com/jwks"}, errSubstr: "not both"},
		{name: "private key jwt, neither", in: provision.ClientInput{AuthMethod: "private_key_jwt"}, errSubstr: "needs a JWKS"},
		{name: "private key jwt, private key", in: provision.ClientInput{AuthMethod: "private_key_jwt", JWKS: priv}, errSubstr: "not a public key"},
		{name: "private key jwt, secret", in: provision.ClientInput{AuthMethod: "private_key_jwt", JWKS: jwks, Secret: long}, errSubstr: "no client secret"},
		{name: "none", in: provision.ClientInput{AuthMethod: "none"}, ok: true},
		{name: "none with a secret", in: provision.ClientInput{AuthMethod: "none", Secret: long}, errSubstr: "no client secret"},
		{name: "none with client_credentials", in: provision.ClientInput{AuthMethod: "none", GrantTypes: []string{"client_credentials"}}, errSubstr: "client_credentials"},
		{name: "basic with a JWKS", in: provision.ClientInput{JWKS: jwks}, errSubstr: "only for private_key_jwt"},
		{name: "unknown method", in: provision.ClientInput{AuthMethod: "tls_client_auth"}, errSubstr: "not supported"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.in.Name = tc.name
			c, secret, err := s.CreateClient(ctx, tc.in)
			if !tc.ok {
				if !errors.Is(err, provision.ErrInvalid) || !strings.Contains(err.Error(), tc.errSubstr) {
					t.Fatalf("err %v, want ErrInvalid mentioning %q", err, tc.errSubstr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			secrets, err := s.Store.ListClientSecrets(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			if (secret != "") != tc.secret || (len(secrets) == 1) != tc.secret || len(secrets) > 1 {
				t.Fatalf("secret %q, records %+v; want a secret: %v", secret, secrets, tc.secret)
			}
			if tc.secret && (secrets[0].Status != store.StatusActive || !s.Secrets.Verify(secrets[0].Hash, secret) || !strings.HasPrefix(secrets[0].ID, "ocs")) {
				t.Fatalf("secret record %+v does not hold the secret", secrets[0])
			}
			if tc.in.Secret != "" && secret != tc.in.Secret {
				t.Fatalf("secret %q, want the one given", secret)
			}
			var sealed []byte
			if tc.secret {
				sealed = secrets[0].Sealed
			}
			if (len(sealed) > 0) != tc.sealed {
				t.Fatalf("sealed %d bytes; want sealed: %v", len(sealed), tc.sealed)
			}
			if tc.sealed {
				got, err := sealer.Open(sealed, []byte(c.ID))
				if err != nil || string(got) != secret {
					t.Fatalf("unsealed %q, %v", got, err)
				}
				if len(secret) < provision.MinJWTSecretLength {
					t.Fatalf("secret of %d characters", len(secret))
				}
			}
			stored, err := s.Store.GetClient(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			if string(stored.JWKS) != string(tc.in.JWKS) || stored.JWKSURI != tc.in.JWKSURI {
				t.Fatalf("stored %+v", stored)
			}
		})
	}
}

// TestCreateClientInsecureJWKSURI: the development setting admits http
// and loopback jwks_uri hosts, never the link-local metadata address.
func TestCreateClientInsecureJWKSURI(t *testing.T) {
	t.Parallel()
	s, _ := newService(t)
	s.AllowInsecureJWKSURI = true
	for u, ok := range map[string]bool{
		"http://127.0.0.1:8081/jwks":      true,
		"http://localhost:8081/jwks":      true,
		"https://10.1.2.3/jwks":           true,
		"http://169.254.169.254/latest":   false,
		"http://[fe80::1]/jwks":           false,
		"http://0.0.0.0/jwks":             false,
		"gopher://client.example.com/jwk": false,
	} {
		_, _, err := s.CreateClient(context.Background(), provision.ClientInput{Name: "dev", AuthMethod: "private_key_jwt", JWKSURI: u})
		if (err == nil) != ok {
			t.Errorf("%s: %v, want ok=%v", u, err, ok)
		}
	}
}
