package oauth

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// A client's jwks_uri is a URL an outsider chose that Latchkey fetches from
// inside its network: a server-side request forgery target. The transport
// built here connects only to public addresses, checked after DNS on the
// address actually dialled (so a name cannot rebind around the check), and
// follows redirects only on the same host over https.

// Resolver looks up the addresses of a host name. *net.Resolver satisfies
// it; tests inject their own. It must be safe for concurrent use.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// DialFunc opens a connection to an IP address and port already checked.
type DialFunc func(ctx context.Context, network, address string) (net.Conn, error)

// ErrForbiddenAddress is wrapped by a fetch refused because the host
// resolves to an address that is not public (loopback, private, link-local,
// multicast, unspecified, shared, reserved or documentation ranges).
var ErrForbiddenAddress = errors.New("address is not a public unicast address")

// nonPublic are ranges netip's predicates do not cover that must not be
// reached from a jwks_uri: shared (CGNAT), IETF protocol assignments,
// documentation, benchmarking, reserved and the IPv6 ranges that embed or
// translate an IPv4 address.
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"),
	netip.MustParsePrefix("64:ff9b:1::/48"),
	netip.MustParsePrefix("100::/64"),
	netip.MustParsePrefix("2001::/23"),
	netip.MustParsePrefix("2001:db8::/32"),
	netip.MustParsePrefix("2002::/16"),
	netip.MustParsePrefix("3fff::/20"),
}

// checkAddr refuses an address a jwks_uri must not reach. allowLocal (the
// development setting) lets loopback and private addresses through, never
// link-local (the cloud metadata address), multicast or unspecified.
func checkAddr(ip netip.Addr, allowLocal bool) error {
	ip = ip.Unmap()
	if allowLocal && (ip.IsLoopback() || ip.IsPrivate()) {
		return nil
	}
	if !ip.IsValid() || !ip.IsGlobalUnicast() || ip.IsPrivate() || ip.IsLoopback() {
		return fmt.Errorf("%s: %w", ip, ErrForbiddenAddress)
	}
	for _, p := range nonPublic {
		if p.Contains(ip) {
			return fmt.Errorf("%s: %w", ip, ErrForbiddenAddress)
		}
	}
	return nil
}

// guardedDialer resolves, checks and dials; see newJWKSTransport.
type guardedDialer struct {
	resolver   Resolver
	dial       DialFunc
	allowLocal bool
}

// DialContext resolves the host of address, refuses it if any of its
// addresses is not public (a name that answers with one private address
// is suspect as a whole), then dials the checked addresses in turn.
func (d *guardedDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	var addrs []netip.Addr
	if ip, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{ip}
	} else {
		ipNet := "ip"
		switch network {
		case "tcp4":
			ipNet = "ip4"
		case "tcp6":
			ipNet = "ip6"
		}
		if addrs, err = d.resolver.LookupNetIP(ctx, ipNet, host); err != nil {
			return nil, err
		}
		if len(addrs) == 0 {
			return nil, fmt.Errorf("%s: no addresses", host)
		}
	}
	for _, ip := range addrs {
		if err := checkAddr(ip, d.allowLocal); err != nil {
			return nil, fmt.Errorf("dial %s: %w", host, err)
		}
	}
	var errs []error
	for _, ip := range addrs {
		c, err := d.dial(ctx, network, net.JoinHostPort(ip.Unmap().String(), port))
		if err == nil {
			return c, nil
		}
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}

// controlAddr is the default dialer's last word: it checks the address the
// socket is about to connect to, whatever resolved it.
func controlAddr(allowLocal bool) func(network, address string, _ syscall.RawConn) error {
	return func(network, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("dial %s: %w", address, err)
		}
		return checkAddr(ap.Addr(), allowLocal)
	}
}

// newJWKSTransport returns the transport of RemoteJWKS: no proxy (a proxy
// would dial for us, past the check), the guarded dialer, and the given
// root CAs (nil: the system's).
func newJWKSTransport(cfg RemoteJWKSConfig) *http.Transport {
	resolver := cfg.Resolver
	if resolver == nil {
		resolver = net.DefaultResolver
	}
	dial := cfg.Dial
	if dial == nil {
		dial = (&net.Dialer{Timeout: cfg.Timeout, Control: controlAddr(cfg.AllowInsecure)}).DialContext
	}
	d := &guardedDialer{resolver: resolver, dial: dial, allowLocal: cfg.AllowInsecure}
	return &http.Transport{
		Proxy:                  nil,
		DialContext:            d.DialContext,
		TLSClientConfig:        &tls.Config{RootCAs: cfg.RootCAs, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:    cfg.Timeout,
		ResponseHeaderTimeout:  cfg.Timeout,
		MaxIdleConns:           16,
		IdleConnTimeout:        90 * time.Second,
		MaxResponseHeaderBytes: 16 << 10,
	}
}

// checkRedirect follows at most 3 redirects, each to the same host and
// over https (or, with allowInsecure, over the scheme first used).
func checkRedirect(allowInsecure bool) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if len(via) >= 3 {
			return errors.New("more than 3 redirects")
		}
		first := via[0].URL
		if !sameHost(req.URL, first) {
			return fmt.Errorf("redirect to another host (%s)", truncate(req.URL.Host, 100))
		}
		if req.URL.Scheme != "https" && !(allowInsecure && req.URL.Scheme == first.Scheme) {
			return fmt.Errorf("redirect to a %s URL", truncate(req.URL.Scheme, 16))
		}
		return nil
	}
}

func sameHost(a, b *url.URL) bool {
	return strings.EqualFold(a.Hostname(), b.Hostname()) && a.Port() == b.Port()
}
