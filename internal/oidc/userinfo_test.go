package oidc

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/oautherr"
)

func TestBearerToken(t *testing.T) {
	t.Parallel()
	const form = "application/x-www-form-urlencoded"
	cases := []struct {
		name, method, target, auth, contentType, body string
		want                                          string
		err                                           error // nil: want is the token
	}{
		{"header", "GET", "/", "Bearer abc", "", "", "abc", nil},
		{"scheme is case-insensitive", "GET", "/", "bearer abc", "", "", "abc", nil},
		{"extra spaces", "GET", "/", "Bearer   abc  ", "", "", "abc", nil},
		{"form body", "POST", "/", "", form, "access_token=abc", "abc", nil},
		{"form body with charset", "POST", "/", "", form + "; charset=utf-8", "access_token=abc&x=1", "abc", nil},
		{"JSON body is not read", "POST", "/", "", "application/json", `{"access_token":"abc"}`, "", errNoToken},
		{"body of a GET is not read", "GET", "/", "", form, "access_token=abc", "", errNoToken},
		{"nothing", "GET", "/", "", "", "", "", errNoToken},
		{"another scheme", "GET", "/", "Basic YTpi", "", "", "", errNoToken},
		{"empty bearer", "GET", "/", "Bearer ", "", "", "", oautherr.ErrInvalidRequest},
		{"query", "GET", "/?access_token=abc", "", "", "", "", oautherr.ErrInvalidRequest},
		{"query with header", "GET", "/?access_token=abc", "Bearer abc", "", "", "", oautherr.ErrInvalidRequest},
		{"header and body", "POST", "/", "Bearer abc", form, "access_token=abc", "", oautherr.ErrInvalidRequest},
		{"repeated in body", "POST", "/", "", form, "access_token=a&access_token=b", "", oautherr.ErrInvalidRequest},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, tc.target, strings.NewReader(tc.body))
			if tc.auth != "" {
				r.Header.Set("Authorization", tc.auth)
			}
			if tc.contentType != "" {
				r.Header.Set("Content-Type", tc.contentType)
			}
			got, err := bearerToken(r)
			if tc.err == nil {
				if err != nil || got != tc.want {
					t.Fatalf("got %q, %v; want %q", got, err, tc.want)
				}
				return
			}
			if tc.err == errNoToken && err != errNoToken {
				t.Fatalf("err = %v, want the no-token error", err)
			}
			if !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
		})
	}
}

func TestChallenge(t *testing.T) {
	t.Parallel()
	u := &UserInfo{Realm: `Latch"key`}
	cases := []struct {
		err  *oautherr.Error
		want string
	}{
		{errNoToken, `Bearer realm="Latchkey"`},
		{oautherr.ErrInvalidToken.WithDescription("bad\r\n\"x\"\\"), `Bearer realm="Latchkey", error="invalid_token", error_description="badx"`},
		{oautherr.ErrInsufficientScope.WithDescription(descNeedsOpenID), `Bearer realm="Latchkey", error="insufficient_scope", error_description="The access token must provide access to the 'openid' scope.", scope="openid"`},
	}
	for _, tc := range cases {
		if got := u.challenge(tc.err); got != tc.want {
			t.Errorf("challenge(%v)\n got %s\nwant %s", tc.err, got, tc.want)
		}
	}
	if http.StatusForbidden != oautherr.ErrInsufficientScope.Status {
		t.Fatal("insufficient_scope must be 403 (RFC 6750 section 3.1)")
	}
}
