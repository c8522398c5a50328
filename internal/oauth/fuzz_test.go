package oauth

import (
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/latchkey/latchkey/internal/oautherr"
)

func FuzzParseForm(f *testing.F) {
	for _, s := range []string{
		"grant_type=password&username=a%40b.c&password=p&scope=openid",
		"a=1&a=2", "%zz", "=&=&", "scope=openid+profile&scope=", "a=%00", strings.Repeat("x=y&", 100),
	} {
		f.Add(s, "application/x-www-form-urlencoded", "")
	}
	f.Add("a=b", "text/plain", "client_secret=x")
	f.Add("a=b", "application/x-www-form-urlencoded; charset=utf-8", "%zz")
	f.Fuzz(func(t *testing.T, body, contentType, query string) {
		r := httptest.NewRequest(http.MethodPost, "/oauth2/default/v1/token", strings.NewReader(body))
		r.URL.RawQuery = query
		r.Header.Set("Content-Type", contentType)
		vals, err := ParseForm(r)
		if err != nil {
			var oe *oautherr.Error
			if !errors.As(err, &oe) || oe.Code != "invalid_request" || oe.Status >= 500 {
				t.Fatalf("error is not a contract invalid_request: %v", err)
			}
			return
		}
		for k, vs := range vals {
			if len(vs) != 1 || vs[0] == "" {
				t.Fatalf("parameter %q has values %q", k, vs)
			}
		}
	})
}

func FuzzBasicCredentials(f *testing.F) {
	enc := func(s string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(s)) }
	for _, s := range []string{enc("id:secret"), enc("id%3A:se%2Bcret"), enc(":"), enc("nocolon"), enc("%zz:x"), "Basic", "Basic ", "Bearer x", "basic aWQ6cw==", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		id, secret, present, err := BasicCredentials(header)
		if err == nil && present && id == "" {
			t.Fatal("accepted an empty client id")
		}
		if !present && (id != "" || secret != "" || err != nil) {
			t.Fatal("absent header produced credentials or an error")
		}
	})
}

func TestParseFormParamBound(t *testing.T) {
	t.Parallel()
	params := func(n int) string {
		ps := make([]string, n)
		for i := range ps {
			ps[i] = "p" + strconv.Itoa(i) + "=v"
		}
		return strings.Join(ps, "&")
	}
	for _, tc := range []struct {
		body, query string
		ok          bool
	}{
		{body: params(MaxFormParams), ok: true},
		{body: params(MaxFormParams + 1)},
		{body: strings.Repeat("a&", 17000)},
		{body: "a=b", query: params(MaxFormParams + 1)},
	} {
		r := httptest.NewRequest(http.MethodPost, "/oauth2/default/v1/token", strings.NewReader(tc.body))
		r.URL.RawQuery = tc.query
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		vals, err := ParseForm(r)
		if tc.ok && (err != nil || len(vals) != MaxFormParams) {
			t.Fatalf("%d parameters: %v", len(vals), err)
		}
		var oe *oautherr.Error
		if !tc.ok && (!errors.As(err, &oe) || oe.Status != http.StatusBadRequest || oe.Description != "The request has more than 64 parameters.") {
			t.Fatalf("too many parameters: %v", err)
		}
	}
}

// FuzzBasicClientID checks the parser of Basic base64(client_id): it never
// accepts a header BasicCredentials accepts (an id and a secret), never an
// empty id, and what it accepts round-trips.
func FuzzBasicClientID(f *testing.F) {
	enc := func(s string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(s)) }
	for _, s := range []string{enc("0oa1public"), enc("id:secret"), enc("id:"), enc(":"), enc(""), enc("my%3Aclient"), enc("%zz"),
		enc("a+b"), "Basic", "Basic ", "Bearer x", "basic MG9hMQ==", "Basic MG9hMQ", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		id, ok := BasicClientID(header)
		if !ok {
			if id != "" {
				t.Fatal("refused header produced an id")
			}
			return
		}
		if id == "" {
			t.Fatal("accepted an empty client id")
		}
		if _, _, _, err := BasicCredentials(header); err == nil {
			t.Fatalf("%q is both id-only and id:secret", header)
		}
		again, ok := BasicClientID("Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id))))
		if !ok || again != id {
			t.Fatalf("%q does not round-trip: %q %v", id, again, ok)
		}
	})
}

func TestBasicClientID(t *testing.T) {
	t.Parallel()
	enc := func(s string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(s)) }
	for header, want := range map[string]string{
		enc("0oa1public"): "0oa1public", "basic " + base64.StdEncoding.EncodeToString([]byte("x")): "x", enc("my%3Aclient"): "my:client",
		enc("id:secret"): "", enc("id:"): "", enc(""): "", enc("%zz"): "", "Bearer " + base64.StdEncoding.EncodeToString([]byte("x")): "", "": "",
	} {
		if got, ok := BasicClientID(header); got != want || ok != (want != "") {
			t.Errorf("BasicClientID(%q) = %q, %v; want %q", header, got, ok, want)
		}
	}
}

func TestBasicCredentialsDecodesFormEncoding(t *testing.T) {
	t.Parallel()
	// RFC 6749 section 2.3.1: id and secret are form-urlencoded before base64.
	id, secret, ok, err := BasicCredentials("Basic " + base64.StdEncoding.EncodeToString([]byte("my%3Aclient:p%40ss+word%2B")))
	if err != nil || !ok || id != "my:client" || secret != "p@ss word+" {
		t.Fatalf("got %q %q %v %v", id, secret, ok, err)
	}
}

// FuzzClientAssertion feeds arbitrary client assertions (and client_id
// parameters) to client authentication: every one must be refused with a
// contract invalid_client or invalid_request error, never accepted, never
// a panic or a server error.
func FuzzClientAssertion(f *testing.F) {
	fx := newAuthFixture(f)
	id := fx.secretJWT.ID
	expired := with(claims(id), "exp", time.Now().Add(-time.Hour).Unix())
	for _, s := range []string{
		sign(f, jose.HS256, []byte(fx.secret), "", expired),
		sign(f, jose.HS256, []byte(fx.secret), "", with(claims(id), "aud", "https://elsewhere")),
		sign(f, jose.RS256, fx.rsaKey, "rsa1", expired),
		sign(f, jose.ES256, fx.ecKey, "ec1", with(claims(fx.keyJWT.ID), "exp", "soon")),
		unsigned(claims(id)),
		"", "a.b.c", "..", "eyJhbGciOiJIUzI1NiJ9..", "eyJhbGciOiJub25lIn0.e30.", strings.Repeat("A", 9000),
	} {
		f.Add(s, "")
		f.Add(s, id)
	}
	f.Fuzz(func(t *testing.T, assertion, clientID string) {
		form := assertionForm(assertion)
		if clientID != "" {
			form.Set("client_id", clientID)
		}
		if assertion == "" {
			form.Del("client_assertion")
		}
		c, err := fx.auth(form, "")
		var oe *oautherr.Error
		if err == nil {
			t.Fatalf("accepted as client %q", c.ID)
		}
		if !errors.As(err, &oe) || (oe.Code != "invalid_client" && oe.Code != "invalid_request") || oe.Status >= 500 {
			t.Fatalf("error is not a contract invalid_client/invalid_request: %v", err)
		}
	})
}
