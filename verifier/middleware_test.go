package verifier_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/latchkey/latchkey/verifier"
	"github.com/latchkey/latchkey/verifier/verifiertest"
)

func TestMiddleware(t *testing.T) {
	t.Parallel()
	iss, v, _ := setup(t, verifier.Config{})
	var seen *verifier.Claims
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, ok := verifier.ClaimsFromContext(r.Context())
		if !ok {
			t.Error("no claims in the context")
		}
		seen = c
		w.WriteHeader(http.StatusNoContent)
	})
	h := verifier.Middleware(v)(verifier.RequireScopes("messages:read")(app))

	const realm = `Bearer realm="api://default"`
	withScope := iss.AccessToken(verifiertest.WithScopes("openid", "messages:read"), verifiertest.WithSubject("ada"))
	tests := []struct {
		name       string
		target     string
		auth       []string
		wantStatus int
		wantHeader string
		wantError  string
	}{
		{"no token", "/api/messages", nil, 401, realm, ""},
		{"other scheme", "/api/messages", []string{"Basic YTpi"}, 401, realm, ""},
		{"bad token", "/api/messages", []string{"Bearer garbage"}, 401,
			realm + `, error="invalid_token", error_description="The access token is malformed."`, "invalid_token"},
		{"expired token", "/api/messages", []string{"Bearer " + iss.AccessToken(verifiertest.WithLifetime(-time.Hour))}, 401,
			realm + `, error="invalid_token", error_description="The access token is expired."`, "invalid_token"},
		{"insufficient scope", "/api/messages", []string{"Bearer " + iss.AccessToken()}, 403,
			realm + `, error="insufficient_scope", error_description="The access token lacks a required scope.", scope="messages:read"`, "insufficient_scope"},
		{"empty bearer", "/api/messages", []string{"Bearer "}, 400,
			realm + `, error="invalid_request", error_description="The Bearer token is empty."`, "invalid_request"},
		{"two headers", "/api/messages", []string{"Bearer " + withScope, "Bearer " + withScope}, 400,
			realm + `, error="invalid_request", error_description="The request has more than one Authorization header."`, "invalid_request"},
		{"token in the query", "/api/messages?access_token=" + withScope, nil, 400,
			realm + `, error="invalid_request", error_description="Access tokens are not accepted in the query string; use the Authorization header."`, "invalid_request"},
		{"token in the query and header", "/api/messages?access_token=x", []string{"Bearer " + withScope}, 400,
			realm + `, error="invalid_request", error_description="Access tokens are not accepted in the query string; use the Authorization header."`, "invalid_request"},
		{"valid", "/api/messages", []string{"Bearer " + withScope}, 204, "", ""},
		{"lower-case scheme", "/api/messages", []string{"bearer " + withScope}, 204, "", ""},
		{"upper-case scheme", "/api/messages", []string{"BEARER " + withScope}, 204, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seen = nil
			req := httptest.NewRequest(http.MethodGet, tt.target, nil)
			for _, a := range tt.auth {
				req.Header.Add("Authorization", a)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", rec.Code, tt.wantStatus, rec.Body)
			}
			if got := rec.Header().Get("WWW-Authenticate"); got != tt.wantHeader {
				t.Errorf("WWW-Authenticate =\n  %s\nwant\n  %s", got, tt.wantHeader)
			}
			if tt.wantError != "" {
				var body map[string]string
				if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body["error"] != tt.wantError {
					t.Errorf("body %q, want error %q", rec.Body, tt.wantError)
				}
			}
			if tt.wantStatus == 204 && (seen == nil || seen.Subject != "ada") {
				t.Errorf("handler saw claims %+v", seen)
			}
			if tt.wantStatus != 204 && seen != nil {
				t.Error("the handler ran for a refused request")
			}
		})
	}
}

func TestMiddlewareConfigScopesAndRealm(t *testing.T) {
	t.Parallel()
	iss, v, _ := setup(t, verifier.Config{RequiredScopes: []string{"a", "b"}})
	h := verifier.Middleware(v, verifier.WithRealm(`my "api"`))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("Authorization", "Bearer "+iss.AccessToken(verifiertest.WithScopes("a")))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	want := `Bearer realm="my api", error="insufficient_scope", error_description="The access token lacks a required scope.", scope="a b"`
	if rec.Code != 403 || rec.Header().Get("WWW-Authenticate") != want {
		t.Errorf("got %d %q, want 403 %q", rec.Code, rec.Header().Get("WWW-Authenticate"), want)
	}
}

func TestMiddlewareIssuerUnreachable(t *testing.T) {
	t.Parallel()
	iss, v, _ := setup(t, verifier.Config{})
	iss.SetDown(true)
	h := verifier.Middleware(v)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("handler ran")
	}))
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("Authorization", "Bearer "+iss.AccessToken())
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("WWW-Authenticate") != "" {
		t.Errorf("got %d %q, want 503 without a challenge", rec.Code, rec.Header().Get("WWW-Authenticate"))
	}
}

func TestRequireScopesWithoutMiddleware(t *testing.T) {
	t.Parallel()
	h := verifier.RequireScopes("x")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("handler ran")
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if rec.Code != http.StatusInternalServerError {
		t.Errorf("status = %d, want 500", rec.Code)
	}

	// With claims put in the context by hand (as a handler's own test would).
	ok := verifier.RequireScopes("x")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req = req.WithContext(verifier.ContextWithClaims(context.Background(), &verifier.Claims{Scopes: []string{"x"}}))
	rec = httptest.NewRecorder()
	ok.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Errorf("status = %d, want 200", rec.Code)
	}
}
