package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/provision"
)

// The JWKS and discovery documents are served from bytes encoded once per
// change (internal/oidc/prepared.go): these tests check what a client of
// them sees, on every route they are served at.

// docRoutes are the URLs of the prepared documents, with the
// Cache-Control each carries.
func docRoutes(e *env) map[string]string {
	const jwks, disc = "max-age=3600, must-revalidate", "max-age=86400, must-revalidate"
	return map[string]string{
		e.issuer + "/v1/keys":                                                jwks,
		e.srv.URL + "/oauth2/v1/keys":                                        jwks,
		e.issuer + "/.well-known/openid-configuration":                       disc,
		e.issuer + "/.well-known/oauth-authorization-server":                 disc,
		e.srv.URL + "/.well-known/openid-configuration":                      disc,
		e.srv.URL + "/.well-known/oauth-authorization-server":                disc,
		e.srv.URL + "/.well-known/oauth-authorization-server/oauth2/default": disc,
	}
}

func (e *env) getWith(method, u string, header map[string]string) response {
	e.t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return e.do(req)
}

func TestPreparedDocsConditionalRequests(t *testing.T) {
	e := newEnv(t)
	for u, cacheControl := range docRoutes(e) {
		t.Run(strings.TrimPrefix(u, e.srv.URL), func(t *testing.T) {
			first := e.get(u)
			etag := first.header.Get("ETag")
			if first.status != http.StatusOK || first.header.Get("Content-Type") != "application/json" {
				t.Fatalf("GET: %d %q %s", first.status, first.header.Get("Content-Type"), first.raw)
			}
			if len(etag) < 3 || etag[0] != '"' || etag[len(etag)-1] != '"' {
				t.Fatalf("ETag %q is not a strong entity tag", etag)
			}
			if got := first.header.Get("Cache-Control"); got != cacheControl {
				t.Errorf("Cache-Control %q, want %q", got, cacheControl)
			}
			if got := first.header.Get("Content-Length"); got != strconv.Itoa(len(first.raw)) {
				t.Errorf("Content-Length %q for a body of %d bytes", got, len(first.raw))
			}
			if again := e.get(u); again.header.Get("ETag") != etag || again.raw != first.raw {
				t.Errorf("second GET: ETag %q body changed %v; want %q and the same body", again.header.Get("ETag"), again.raw != first.raw, etag)
			}

			for _, inm := range []string{etag, "W/" + etag, "*", `"nope", ` + etag, ` "nope" ,` + etag + ` `} {
				r := e.getWith(http.MethodGet, u, map[string]string{"If-None-Match": inm})
				if r.status != http.StatusNotModified || r.raw != "" {
					t.Errorf("If-None-Match %s: %d with %d bytes, want 304 and no body", inm, r.status, len(r.raw))
				}
				if r.header.Get("ETag") != etag || r.header.Get("Cache-Control") != cacheControl {
					t.Errorf("If-None-Match %s: 304 with ETag %q Cache-Control %q, want those of the 200", inm, r.header.Get("ETag"), r.header.Get("Cache-Control"))
				}
			}
			for _, inm := range []string{`"nope"`, "W/" + strings.Trim(etag, `"`), strings.Trim(etag, `"`), `"nope", garbage ` + etag} {
				r := e.getWith(http.MethodGet, u, map[string]string{"If-None-Match": inm})
				if r.status != http.StatusOK || r.raw != first.raw || r.header.Get("ETag") != etag {
					t.Errorf("If-None-Match %s: %d, want 200 with the document", inm, r.status)
				}
			}

			head := e.getWith(http.MethodHead, u, nil)
			if head.status != http.StatusOK || head.raw != "" || head.header.Get("ETag") != etag ||
				head.header.Get("Content-Length") != strconv.Itoa(len(first.raw)) || head.header.Get("Content-Type") != "application/json" {
				t.Errorf("HEAD: %d, %d bytes, ETag %q, Content-Length %q; want GET's headers without the body",
					head.status, len(head.raw), head.header.Get("ETag"), head.header.Get("Content-Length"))
			}
			if r := e.getWith(http.MethodHead, u, map[string]string{"If-None-Match": etag}); r.status != http.StatusNotModified {
				t.Errorf("HEAD with a matching If-None-Match: %d, want 304", r.status)
			}
		})
	}
}

// TestPreparedDocsFollowChanges: a rotation changes the JWKS and its ETag
// at once, a published scope changes discovery; the old ETag then gets the
// new document.
func TestPreparedDocsFollowChanges(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	keysURL := e.issuer + "/v1/keys"
	discURL := e.issuer + "/.well-known/openid-configuration"
	before, disc := e.get(keysURL), e.get(discURL)

	r, err := e.app.Keys.Rotate(ctx, "default")
	if err != nil || !r.Rotated {
		t.Fatalf("rotate: %+v %v", r, err)
	}
	after := e.getWith(http.MethodGet, keysURL, map[string]string{"If-None-Match": before.header.Get("ETag")})
	if after.status != http.StatusOK || after.header.Get("ETag") == before.header.Get("ETag") {
		t.Fatalf("JWKS after rotation with the old ETag: %d, ETag %q (before %q); want 200 and a new ETag",
			after.status, after.header.Get("ETag"), before.header.Get("ETag"))
	}
	if !strings.Contains(after.raw, `"kid":"`+r.Next.ID+`"`) {
		t.Errorf("the new NEXT key %s is not in the JWKS after rotation: %s", r.Next.ID, after.raw)
	}
	// The body is what encoding the key set gives, as it always was.
	set, err := e.app.Keys.JWKS(ctx, "default")
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	enc := json.NewEncoder(&want)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(set); err != nil {
		t.Fatal(err)
	}
	if after.raw != want.String() {
		t.Errorf("JWKS body\n%s\nwant\n%s", after.raw, want.String())
	}
	// Discovery did not change with the keys.
	if d := e.get(discURL); d.header.Get("ETag") != disc.header.Get("ETag") {
		t.Errorf("discovery ETag changed with a key rotation: %q, was %q", d.header.Get("ETag"), disc.header.Get("ETag"))
	}

	if _, err := e.app.Provision.CreateScope(ctx, provision.ScopeInput{AuthServerID: "default", Name: "reports:read", Publish: true}); err != nil {
		t.Fatal(err)
	}
	d := e.getWith(http.MethodGet, discURL, map[string]string{"If-None-Match": disc.header.Get("ETag")})
	if d.status != http.StatusOK || d.header.Get("ETag") == disc.header.Get("ETag") || !strings.Contains(d.raw, `"reports:read"`) {
		t.Errorf("discovery after a published scope was made: %d ETag %q (before %q), scope listed %v",
			d.status, d.header.Get("ETag"), disc.header.Get("ETag"), strings.Contains(d.raw, `"reports:read"`))
	}
}
