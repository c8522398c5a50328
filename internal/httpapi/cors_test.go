package httpapi

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

var testOrigins = []string{"https://app.example.com", "http://localhost:3000", "HTTPS://Admin.Example.COM:8443"}

func TestCORSAllowed(t *testing.T) {
	t.Parallel()
	c := newCORS(testOrigins)
	for origin, want := range map[string]bool{
		"https://app.example.com": true, "HTTPS://APP.EXAMPLE.COM": true, "http://localhost:3000": true,
		"https://admin.example.com:8443": true,
		"":                               false, "null": false, "*": false, "https://app.example.com/": false,
		"http://app.example.com": false, "https://app.example.com:443": false, "https://app.example.com.evil.com": false,
		"https://evil.app.example.com": false, "http://localhost:3001": false, "http://localhost": false,
		"https://admin.example.com": false, "https://app.example.co": false,
	} {
		if got := c.allowed(origin); got != want {
			t.Errorf("allowed(%q) = %v, want %v", origin, got, want)
		}
	}
	if newCORS(nil).allowed("https://app.example.com") {
		t.Error("no trusted origins allowed one")
	}
}

// FuzzCORSOrigin checks origin matching: an origin is trusted only when it
// equals a configured one but for case, and the CORS headers appear exactly
// then, echoing the request's origin.
func FuzzCORSOrigin(f *testing.F) {
	for _, s := range []string{"https://app.example.com", "https://APP.example.com", "https://app.example.com.evil", "null", "",
		"http://localhost:3000/", "https://admin.example.com:8443", "https://app.example.com\x00", "https://app.example.com ", "http://localhost:3000\u212a"} {
		f.Add(s)
	}
	c := newCORS(testOrigins)
	h := c.wrap(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	pre := c.preflight(http.MethodGet)
	f.Fuzz(func(t *testing.T, origin string) {
		want := false
		for _, o := range testOrigins {
			want = want || asciiEqualFold(o, origin)
		}
		if got := c.allowed(origin); got != want {
			t.Fatalf("allowed(%q) = %v, want %v", origin, got, want)
		}
		r := httptest.NewRequest(http.MethodGet, "/oauth2/v1/keys", nil)
		r.Header["Origin"] = []string{origin}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if acao := w.Header().Get("Access-Control-Allow-Origin"); (acao != "") != want || (want && acao != origin) {
			t.Fatalf("origin %q: Access-Control-Allow-Origin %q", origin, acao)
		}
		if w.Header().Get("Access-Control-Allow-Credentials") != "" {
			t.Fatal("credentials allowed")
		}
		r.Method = http.MethodOptions
		w = httptest.NewRecorder()
		pre.ServeHTTP(w, r)
		switch {
		case want && w.Code != http.StatusNoContent, !want && origin != "" && w.Code != http.StatusForbidden:
			t.Fatalf("preflight from %q: %d", origin, w.Code)
		}
	})
}

// asciiEqualFold is the test's own statement of the match: byte by byte,
// equal but for ASCII letter case.
func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	lower := func(c byte) byte {
		if 'A' <= c && c <= 'Z' {
			return c + 'a' - 'A'
		}
		return c
	}
	for i := range len(a) {
		if lower(a[i]) != lower(b[i]) {
			return false
		}
	}
	return true
}

func TestCORSPreflight(t *testing.T) {
	t.Parallel()
	pre := newCORS(testOrigins).preflight(http.MethodGet, http.MethodPost)
	for _, tc := range []struct {
		origin string
		status int
		acao   string
	}{
		{"https://app.example.com", http.StatusNoContent, "https://app.example.com"},
		{"https://evil.example.com", http.StatusForbidden, ""},
		{"", http.StatusNoContent, ""},
	} {
		r := httptest.NewRequest(http.MethodOptions, "/oauth2/v1/userinfo", nil)
		if tc.origin != "" {
			r.Header.Set("Origin", tc.origin)
			r.Header.Set("Access-Control-Request-Method", "POST")
		}
		w := httptest.NewRecorder()
		pre.ServeHTTP(w, r)
		h := w.Header()
		if w.Code != tc.status || h.Get("Access-Control-Allow-Origin") != tc.acao || h.Get("Vary") != "Origin" {
			t.Errorf("%q: %d %v", tc.origin, w.Code, h)
		}
		if tc.acao != "" && (h.Get("Access-Control-Allow-Methods") != "GET, POST" || h.Get("Access-Control-Max-Age") != "3600" ||
			!strings.Contains(h.Get("Access-Control-Allow-Headers"), "X-Okta-User-Agent-Extended")) {
			t.Errorf("%q: %v", tc.origin, h)
		}
		if tc.origin == "" && h.Get("Allow") != "GET, POST, OPTIONS" {
			t.Errorf("plain OPTIONS: %v", h)
		}
	}
}
