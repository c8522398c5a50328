package httpapi

import (
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/latchkey/latchkey/internal/apierr"
)

// Fixed parts of a CORS answer (Fetch standard, "CORS protocol").
const (
	// corsAllowHeaders are the request headers a trusted page may send:
	// the ones Okta's SDKs send.
	corsAllowHeaders = "Authorization, Content-Type, Accept, X-Requested-With, X-Okta-User-Agent-Extended"
	// corsExposeHeaders are the answer headers a trusted page may read
	// beyond the CORS-safelisted ones.
	corsExposeHeaders = "X-Rate-Limit-Limit, X-Rate-Limit-Remaining, X-Rate-Limit-Reset, WWW-Authenticate"
	// corsMaxAge is how long, in seconds, a browser may cache a preflight.
	corsMaxAge = 3600
)

// cors answers cross-origin requests from the configured trusted origins
// on the routes it wraps, and only from them. It never allows credentials
// (cookies): every endpoint it wraps is public or takes a bearer token or
// client credentials in the request. It is safe for concurrent use.
type cors struct {
	trusted map[string]bool // origins in lower case
}

// newCORS returns the policy for origins, validated by the config
// ("https://app.example.com", no path).
func newCORS(origins []string) *cors {
	c := &cors{trusted: make(map[string]bool, len(origins))}
	for _, o := range origins {
		c.trusted[strings.ToLower(o)] = true
	}
	return c
}

// allowed reports whether origin, an Origin header's value, is trusted. An
// origin is only a scheme, a host and a port, all case-insensitive here, so
// the match is on the whole value in ASCII lower case: no prefix, suffix or
// wildcard match, and "null" matches nothing. Browsers send hosts in ASCII
// (punycode); any other byte refuses the origin, so that no Unicode case
// folding can turn one origin into another.
func (c *cors) allowed(origin string) bool {
	if origin == "" {
		return false
	}
	for i := range len(origin) {
		if b := origin[i]; b <= ' ' || b >= utf8.RuneSelf {
			return false
		}
	}
	return c.trusted[strings.ToLower(origin)]
}

// wrap adds the CORS answer headers to h's answers to a trusted origin.
// Vary: Origin goes on every answer, so that a cache never serves one
// origin's answer to another.
func (c *cors) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hdr := w.Header()
		hdr.Add("Vary", "Origin")
		if origin := r.Header.Get("Origin"); c.allowed(origin) {
			hdr.Set("Access-Control-Allow-Origin", origin)
			hdr.Set("Access-Control-Expose-Headers", corsExposeHeaders)
		}
		h.ServeHTTP(w, r)
	})
}

// preflight answers OPTIONS on a route that serves methods: 204 with the
// CORS headers for a trusted origin, 403 in Okta's error shape for any
// other origin, and 204 with Allow for an OPTIONS that is no preflight
// (no Origin).
func (c *cors) preflight(methods ...string) http.Handler {
	allow := strings.Join(methods, ", ")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hdr := w.Header()
		hdr.Add("Vary", "Origin")
		origin := r.Header.Get("Origin")
		switch {
		case origin == "":
			hdr.Set("Allow", allow+", OPTIONS")
		case c.allowed(origin):
			hdr.Set("Access-Control-Allow-Origin", origin)
			hdr.Set("Access-Control-Allow-Methods", allow)
			hdr.Set("Access-Control-Allow-Headers", corsAllowHeaders)
			hdr.Set("Access-Control-Max-Age", strconv.Itoa(corsMaxAge))
		default:
			apierr.Write(w, http.StatusForbidden, "E0000006", "You do not have permission to perform the requested action")
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}
