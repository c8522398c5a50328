package verifier_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/latchkey/latchkey/verifier"
)

func ExampleMiddleware() {
	v, err := verifier.New(verifier.Config{Issuer: "https://auth.example.com/oauth2/default", Audience: "api://default"})
	if err != nil {
		fmt.Println(err)
		return
	}
	mux := http.NewServeMux()
	mux.Handle("GET /api/messages", verifier.Middleware(v)(verifier.RequireScopes("messages:read")(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			claims, _ := verifier.ClaimsFromContext(r.Context())
			fmt.Fprintf(w, "hello %s\n", claims.Subject)
		}))))

	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/messages", nil))
	fmt.Println(rec.Code, rec.Header().Get("WWW-Authenticate"))
	// Output:
	// 401 Bearer realm="api://default"
}
