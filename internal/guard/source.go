package guard

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// maxForwardedHops bounds how much of X-Forwarded-For is read: the walk is
// from the right, and no real chain of proxies is longer.
const maxForwardedHops = 32

// Sources resolves the address a request is attributed to. The zero value
// trusts nobody: the peer address is the source.
type Sources struct {
	// TrustedProxies are the networks whose X-Forwarded-For is believed
	// (Okta's trusted proxies): the source is the right-most entry that is
	// not itself a trusted proxy.
	TrustedProxies []netip.Prefix
}

// Resolve returns the source of r. vouchingClient is true when the request
// was authenticated as a confidential client that the operator trusts to
// send its end user's address (as Auth0's "trust token endpoint IP
// header"): the entry that client added to X-Forwarded-For, the right-most
// one after any trusted proxies, is then the source. Anyone else's
// X-Forwarded-For changes nothing. ok is false when not even the peer
// address can be read.
func (s Sources) Resolve(r *http.Request, vouchingClient bool) (netip.Addr, bool) {
	peer, ok := parseHost(r.RemoteAddr)
	if !ok {
		return netip.Addr{}, false
	}
	if !s.trusted(peer) && !vouchingClient {
		return peer, true
	}
	hops := forwardedHops(r.Header.Values("X-Forwarded-For"))
	// hops is right to left; the peer is the right-most hop of all.
	cur := peer
	i := 0
	for s.trusted(cur) && i < len(hops) {
		if !hops[i].IsValid() {
			return cur, true // garbage before a trusted hop: stop at what is known
		}
		cur = hops[i]
		i++
	}
	if vouchingClient && i < len(hops) && hops[i].IsValid() {
		// cur is the client's own server; it vouches for the hop before it.
		cur = hops[i]
	}
	return cur, true
}

func (s Sources) trusted(a netip.Addr) bool {
	for _, p := range s.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// forwardedHops parses X-Forwarded-For values into addresses, right-most
// first, at most maxForwardedHops of them; an entry that is not an address
// is kept as the invalid Addr so that the walk stops there.
func forwardedHops(values []string) []netip.Addr {
	var hops []netip.Addr
	for i := len(values) - 1; i >= 0 && len(hops) < maxForwardedHops; i-- {
		v := values[i]
		for len(v) > 0 && len(hops) < maxForwardedHops {
			var entry string
			if j := strings.LastIndexByte(v, ','); j >= 0 {
				entry, v = v[j+1:], v[:j]
			} else {
				entry, v = v, ""
			}
			entry = strings.TrimSpace(entry)
			if entry == "" {
				continue
			}
			a, _ := parseHost(entry)
			hops = append(hops, a)
		}
	}
	return hops
}

// parseHost reads an address with or without a port ("192.0.2.1",
// "192.0.2.1:443", "[2001:db8::1]:443", "2001:db8::1"), dropping any zone.
func parseHost(s string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().WithZone(""), true
	}
	host, _, err := net.SplitHostPort(s)
	if err != nil {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap().WithZone(""), true
}

// SourceKey is the form of an address that limits and lockouts count by:
// an IPv4 address as it is, an IPv6 address by its /64 network, which is
// what one subscriber is usually given (counting single IPv6 addresses
// would let one attacker rotate through 2^64 of them).
func SourceKey(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	if a.Is4() {
		return a.String()
	}
	p, _ := a.Prefix(64)
	return p.String()
}
