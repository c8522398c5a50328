package guard

import (
	"net/http"
	"net/netip"
	"strings"
	"testing"
)

func TestResolve(t *testing.T) {
	proxies := Sources{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8:ffff::/48")}}
	cases := []struct {
		name     string
		src      Sources
		peer     string
		xff      []string
		vouching bool
		want     string
	}{
		{"no proxies: the peer", Sources{}, "192.0.2.1:5555", nil, false, "192.0.2.1"},
		{"untrusted peer's header is ignored", proxies, "192.0.2.1:5555", []string{"203.0.113.9"}, false, "192.0.2.1"},
		{"trusted proxy: right-most entry", proxies, "10.1.1.1:443", []string{"203.0.113.9"}, false, "203.0.113.9"},
		{"chain of trusted proxies", proxies, "10.1.1.1:443", []string{"198.51.100.1, 203.0.113.9, 10.2.2.2"}, false, "203.0.113.9"},
		{"spoofed left entries are not read", proxies, "10.1.1.1:443", []string{"1.1.1.1, 203.0.113.9"}, false, "203.0.113.9"},
		{"several header lines", proxies, "10.1.1.1:443", []string{"1.1.1.1", "203.0.113.9, 10.3.3.3"}, false, "203.0.113.9"},
		{"only trusted entries: the left-most of them", proxies, "10.1.1.1:443", []string{"10.9.9.9"}, false, "10.9.9.9"},
		{"garbage stops the walk", proxies, "10.1.1.1:443", []string{"203.0.113.9, bogus"}, false, "10.1.1.1"},
		{"no header behind a proxy", proxies, "10.1.1.1:443", nil, false, "10.1.1.1"},
		{"entry with a port", proxies, "10.1.1.1:443", []string{"203.0.113.9:1234"}, false, "203.0.113.9"},
		{"IPv6 behind an IPv6 proxy", proxies, "[2001:db8:ffff::1]:443", []string{"2001:db8:1::5"}, false, "2001:db8:1::5"},
		{"mapped IPv4 peer", Sources{}, "[::ffff:192.0.2.1]:80", nil, false, "192.0.2.1"},
		{"vouching client: the entry its server added", Sources{}, "192.0.2.50:5555", []string{"1.1.1.1, 203.0.113.9"}, true, "203.0.113.9"},
		{"vouching client behind a trusted proxy", proxies, "10.1.1.1:443", []string{"203.0.113.9, 192.0.2.50"}, true, "203.0.113.9"},
		{"vouching client without a header", Sources{}, "192.0.2.50:5555", nil, true, "192.0.2.50"},
		{"vouching client with garbage", Sources{}, "192.0.2.50:5555", []string{"nonsense"}, true, "192.0.2.50"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := &http.Request{RemoteAddr: c.peer, Header: http.Header{}}
			for _, v := range c.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			got, ok := c.src.Resolve(r, c.vouching)
			if !ok || got.String() != c.want {
				t.Errorf("Resolve = %v, %v; want %s", got, ok, c.want)
			}
		})
	}
	if _, ok := (Sources{}).Resolve(&http.Request{RemoteAddr: "not an address"}, false); ok {
		t.Error("an unreadable peer address resolved")
	}
}

func TestSourceKey(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.1":            "192.0.2.1",
		"2001:db8:1:2:3:4:5:6": "2001:db8:1:2::/64",
		"2001:db8:1:2::ffff":   "2001:db8:1:2::/64",
	} {
		if got := SourceKey(netip.MustParseAddr(in)); got != want {
			t.Errorf("SourceKey(%s) = %s, want %s", in, got, want)
		}
	}
	if SourceKey(netip.Addr{}) != "" {
		t.Error("the invalid address has a key")
	}
}

func TestParsePrefixes(t *testing.T) {
	got, err := ParsePrefixes([]string{"10.0.0.0/8", "192.0.2.7", "2001:db8::/32", "10.1.2.3/8"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"10.0.0.0/8", "192.0.2.7/32", "2001:db8::/32", "10.0.0.0/8"}
	for i := range want {
		if got[i].String() != want[i] {
			t.Errorf("prefix %d: %s, want %s", i, got[i], want[i])
		}
	}
	if _, err := ParsePrefixes([]string{"example.com"}); err == nil {
		t.Error("a host name was accepted as a proxy")
	}
}

// FuzzResolve: any peer address and X-Forwarded-For resolves without
// panicking, to the peer or to an address that appears in the header, and
// an untrusted peer that vouches for nobody is always its own source.
func FuzzResolve(f *testing.F) {
	f.Add("10.1.1.1:443", "203.0.113.9, 10.2.2.2", false)
	f.Add("192.0.2.1:1", "1.1.1.1", true)
	f.Add("[2001:db8:ffff::1]:443", "[2001:db8::5]:80,,, ,bogus", false)
	proxies := Sources{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8:ffff::/48")}}
	f.Fuzz(func(t *testing.T, peer, xff string, vouching bool) {
		r := &http.Request{RemoteAddr: peer, Header: http.Header{"X-Forwarded-For": {xff}}}
		got, ok := proxies.Resolve(r, vouching)
		if !ok {
			return
		}
		p, _ := parseHost(peer)
		if got == p {
			return
		}
		if !proxies.trusted(p) && !vouching {
			t.Fatalf("untrusted peer %q resolved to %v from its own header", peer, got)
		}
		if !strings.Contains(xff, strings.TrimPrefix(got.String(), "::ffff:")) && !strings.Contains(strings.ToLower(xff), got.String()) {
			// An address in the header may be spelled differently (zeros,
			// case, mapped form); it must at least parse from one entry.
			found := false
			for _, h := range forwardedHops([]string{xff}) {
				if h == got {
					found = true
				}
			}
			if !found {
				t.Fatalf("resolved %v, which is neither the peer nor in %q", got, xff)
			}
		}
	})
}
