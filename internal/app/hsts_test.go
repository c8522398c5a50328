package app

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestHSTS(t *testing.T) {
	t.Parallel()
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNotFound) })
	for maxAge, want := range map[time.Duration]string{0: "", time.Hour: "max-age=3600", 365 * 24 * time.Hour: "max-age=31536000"} {
		w := httptest.NewRecorder()
		hsts(ok, maxAge).ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/nowhere", nil))
		if got := w.Header().Get("Strict-Transport-Security"); got != want || w.Code != http.StatusNotFound {
			t.Errorf("max age %v: header %q (status %d), want %q on every answer", maxAge, got, w.Code, want)
		}
	}
}
