package e2e

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

// contractErrors are the error codes the token endpoint may answer with.
var contractErrors = []string{"invalid_request", "invalid_client", "invalid_grant", "unauthorized_client",
	"unsupported_grant_type", "invalid_scope", "access_denied", "temporarily_unavailable"}

// FuzzTokenEndpoint throws arbitrary bodies, headers and queries at the real
// handler: every answer is a success or an error in the contract's shape,
// never a 500 or a panic, and never echoes the password.
func FuzzTokenEndpoint(f *testing.F) {
	e := newEnv(f)
	good := basic(e.clientID, e.clientSecret)
	f.Add(e.passwordForm("openid").Encode(), good, "application/x-www-form-urlencoded", "")
	f.Add(e.passwordForm("openid profile email").Encode(), good, "application/x-www-form-urlencoded; charset=UTF-8", "")
	f.Add("grant_type=password&username=ada%40example.com&password=x&scope=openid&scope=email", good, "application/x-www-form-urlencoded", "")
	f.Add("grant_type=password&username=%00&password=%ff%fe&scope=%20", "Basic Og==", "application/x-www-form-urlencoded", "client_id=1")
	f.Add("client_id="+e.postClientID+"&client_secret="+e.postSecret+"&grant_type=password&username=ada%40example.com&password=x&scope=openid", "", "application/x-www-form-urlencoded", "")
	f.Add("{}", good, "application/json", "")
	f.Fuzz(func(t *testing.T, body, auth, contentType, query string) {
		r := httptest.NewRequest(http.MethodPost, "/oauth2/default/v1/token", strings.NewReader(body))
		r.URL.RawQuery = query
		r.Header.Set("Content-Type", contentType)
		r.Header.Set("Authorization", auth)
		w := httptest.NewRecorder()
		e.app.Handler.ServeHTTP(w, r)
		var b map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &b); err != nil {
			t.Fatalf("status %d, body is not JSON: %q", w.Code, w.Body.String())
		}
		switch w.Code {
		case http.StatusOK:
			if b["token_type"] != "Bearer" || b["access_token"] == nil {
				t.Fatalf("200 without tokens: %v", b)
			}
		case http.StatusBadRequest, http.StatusUnauthorized, http.StatusRequestEntityTooLarge, http.StatusServiceUnavailable:
			code, _ := b["error"].(string)
			if !slices.Contains(contractErrors, code) || b["error_description"] == "" {
				t.Fatalf("status %d with a non-contract body %v", w.Code, b)
			}
		default:
			t.Fatalf("status %d: %s", w.Code, w.Body.String())
		}
		if w.Header().Get("Cache-Control") != "no-store" {
			t.Fatal("no Cache-Control: no-store")
		}
	})
}
