package oauth

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/oautherr"
	"github.com/latchkey/latchkey/internal/store"
)

// fakeResolver answers from a table; unknown names do not resolve.
type fakeResolver map[string][]netip.Addr

func (r fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if a, ok := r[host]; ok {
		return a, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

// routedNet is the network a test controls: every dial it allows lands on
// one TLS test server, and it records the addresses it was asked for.
type routedNet struct {
	srv   *httptest.Server
	mu    sync.Mutex
	dials []string
}

func (n *routedNet) dial(ctx context.Context, network, address string) (net.Conn, error) {
	n.mu.Lock()
	n.dials = append(n.dials, address)
	n.mu.Unlock()
	var d net.Dialer
	return d.DialContext(ctx, "tcp", n.srv.Listener.Addr().String())
}

func (n *routedNet) dialed() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.dials...)
}

func addrs(ss ...string) []netip.Addr {
	var out []netip.Addr
	for _, s := range ss {
		out = append(out, netip.MustParseAddr(s))
	}
	return out
}

// TestRemoteJWKSRefusesNonPublicTargets: in the default (strict) mode, a
// jwks_uri reaches only public addresses over https, whatever the name
// resolves to, and redirects stay on the host and on https.
func TestRemoteJWKSRefusesNonPublicTargets(t *testing.T) {
	t.Parallel()
	set := string(publicJWKS(t, map[string]any{"a": &testRSAKey.PublicKey}))
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Host + r.URL.Path {
		case "redirect.example.com/other-host":
			http.Redirect(w, r, "https://internal.example.com/jwks", http.StatusFound)
		case "redirect.example.com/plain":
			http.Redirect(w, r, "http://redirect.example.com/jwks", http.StatusFound)
		case "redirect.example.com/same-host":
			http.Redirect(w, r, "/jwks", http.StatusFound)
		default:
			_, _ = w.Write([]byte(set))
		}
	}))
	t.Cleanup(srv.Close)
	resolver := fakeResolver{
		"jwks.example.com":     addrs("93.184.215.14"),
		"redirect.example.com": addrs("93.184.215.15"),
		"internal.example.com": addrs("93.184.215.16"),
		"rebind.example.com":   addrs("127.0.0.1"),
		"private.example.com":  addrs("10.1.2.3"),
		"metadata.example.com": addrs("169.254.169.254"),
		"mixed.example.com":    addrs("93.184.215.14", "192.168.1.1"),
		"mapped.example.com":   addrs("::ffff:127.0.0.1"),
	}
	for _, tc := range []struct {
		name, url string
		ok        bool
		wantDials []string // nil: no dial at all
	}{
		{"public https", "https://jwks.example.com/jwks", true, []string{"93.184.215.14:443"}},
		{"same-host redirect", "https://redirect.example.com/same-host", true, []string{"93.184.215.15:443"}},
		{"loopback", "https://127.0.0.1/jwks", false, nil},
		{"loopback IPv6", "https://[::1]/jwks", false, nil},
		{"private", "https://10.0.0.5/jwks", false, nil},
		{"private IPv6", "https://[fd12::1]/jwks", false, nil},
		{"link-local metadata", "https://169.254.169.254/latest/meta-data/", false, nil},
		{"link-local IPv6", "https://[fe80::1]/jwks", false, nil},
		{"CGNAT", "https://100.64.1.1/jwks", false, nil},
		{"unspecified", "https://0.0.0.0/jwks", false, nil},
		{"multicast", "https://224.0.0.251/jwks", false, nil},
		{"name resolving to loopback", "https://rebind.example.com/jwks", false, nil},
		{"name resolving to IPv4-mapped loopback", "https://mapped.example.com/jwks", false, nil},
		{"name resolving to private", "https://private.example.com/jwks", false, nil},
		{"name resolving to the metadata address", "https://metadata.example.com/jwks", false, nil},
		{"name with one private address among public ones", "https://mixed.example.com/jwks", false, nil},
		{"plain http", "http://jwks.example.com/jwks", false, nil},
		{"redirect to another host", "https://redirect.example.com/other-host", false, []string{"93.184.215.15:443"}},
		{"redirect to http", "https://redirect.example.com/plain", false, []string{"93.184.215.15:443"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			n := &routedNet{srv: srv}
			r := NewRemoteJWKS(RemoteJWKSConfig{Resolver: resolver, Dial: n.dial,
				RootCAs: srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs})
			_, err := r.keys(context.Background(), tc.url, "a")
			if (err == nil) != tc.ok {
				t.Fatalf("keys: %v, want ok=%v", err, tc.ok)
			}
			if got := n.dialed(); strings.Join(got, " ") != strings.Join(tc.wantDials, " ") {
				t.Fatalf("dialed %q, want %q", got, tc.wantDials)
			}
		})
	}
}

// TestDefaultDialerChecksTheConnectedAddress: the default dialer's Control
// refuses the address actually connected to, the last line against a
// resolver that answers differently the second time.
func TestDefaultDialerChecksTheConnectedAddress(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	d := &net.Dialer{Control: controlAddr(false)}
	if c, err := d.DialContext(context.Background(), "tcp", ln.Addr().String()); !errors.Is(err, ErrForbiddenAddress) {
		if c != nil {
			c.Close()
		}
		t.Fatalf("strict dial to loopback: %v, want ErrForbiddenAddress", err)
	}
	d = &net.Dialer{Control: controlAddr(true)}
	c, err := d.DialContext(context.Background(), "tcp", ln.Addr().String())
	if err != nil {
		t.Fatalf("development dial to loopback: %v", err)
	}
	c.Close()
}

// TestAssertionFetchesOnlyForItsClient: the JWKS URL is fetched only once
// an assertion parsed, passed the claim checks and named an active
// private_key_jwt client; anything else is refused without a request.
func TestAssertionFetchesOnlyForItsClient(t *testing.T) {
	t.Parallel()
	f := newAuthFixture(t)
	var fetches atomic.Int32
	jwks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		_, _ = w.Write(publicJWKS(t, map[string]any{"rsa1": f.rsaKey}))
	}))
	t.Cleanup(jwks.Close)
	ctx := context.Background()
	mk := func(method string) store.Client {
		c := store.Client{ID: ids.New(ids.Client), Name: method, TokenEndpointAuthMethod: method, JWKSURI: jwks.URL + "/jwks.json",
			GrantTypes: []string{"password"}, Status: store.StatusActive}
		if err := f.st.CreateClient(ctx, c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	pk := mk(AuthPrivateKeyJWT)
	basic := mk(AuthSecretBasic) // a record carrying a URL it must never use
	inactive := mk(AuthPrivateKeyJWT)
	if _, err := f.st.UpdateClient(ctx, inactive.ID, func(c store.Client) (store.Client, error) {
		c.Status = store.StatusInactive
		return c, nil
	}); err != nil {
		t.Fatal(err)
	}
	good := func(c map[string]any) string { return sign(t, jose.RS256, f.rsaKey, "rsa1", c) }
	for name, a := range map[string]string{
		"unparsable":             "not.a.jwt",
		"garbage":                strings.Repeat("x", 100),
		"unknown client":         good(claims(ids.New(ids.Client))),
		"sub is another client":  good(with(claims(pk.ID), "sub", basic.ID)),
		"wrong audience":         good(with(claims(pk.ID), "aud", "https://elsewhere.example.com/token")),
		"expired":                good(with(claims(pk.ID), "exp", 1000)),
		"client_secret_basic":    good(claims(basic.ID)),
		"inactive client":        good(claims(inactive.ID)),
		"HS256 for a key client": sign(t, jose.HS256, []byte(f.secret), "", claims(pk.ID)),
	} {
		if _, err := f.auth(assertionForm(a), ""); !errors.Is(err, oautherr.ErrInvalidClient) {
			t.Errorf("%s: %v, want invalid_client", name, err)
		}
		if n := fetches.Load(); n != 0 {
			t.Fatalf("%s: the JWKS URL was fetched %d times, want none", name, n)
		}
	}
	if _, err := f.auth(assertionForm(good(claims(pk.ID))), ""); err != nil {
		t.Fatal(err)
	}
	if n := fetches.Load(); n != 1 {
		t.Fatalf("a valid assertion fetched %d times, want once", n)
	}
}
