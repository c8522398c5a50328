package httpapi

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/oautherr"
)

type observed struct {
	mu     sync.Mutex
	routes []string
	status []int
}

func (o *observed) ObserveRequest(route string, status int, _ time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.routes = append(o.routes, route)
	o.status = append(o.status, status)
}

// TestAccessLogJSON: in the JSON format the access log line carries the
// route pattern, duration_ms as a number and, for a refusal, the error
// code and the reason the OAuth layer noted; the observer sees the
// pattern, never the raw path.
func TestAccessLogJSON(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth2/{server}/v1/token", func(w http.ResponseWriter, r *http.Request) {
		err := oautherr.ErrInvalidClient.WithDebug("secret mismatch")
		oautherr.Note(r.Context(), err)
		oautherr.Write(w, err)
	})
	var buf bytes.Buffer
	obs := &observed{}
	h := withAccessLog(mux, slog.New(slog.NewJSONHandler(&buf, nil)), obs)
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/oauth2/aus123/v1/token", nil))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/oauth2/aus123/v1/token", nil))

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 lines:\n%s", buf.String())
	}
	var refused map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &refused); err != nil {
		t.Fatal(err)
	}
	if _, isNumber := refused["duration_ms"].(float64); !isNumber {
		t.Errorf("duration_ms is not a number: %s", lines[0])
	}
	for k, want := range map[string]any{"route": "POST /oauth2/{server}/v1/token", "path": "/oauth2/aus123/v1/token",
		"status": float64(401), "error": "invalid_client", "reason": "secret mismatch"} {
		if refused[k] != want {
			t.Errorf("%s = %v, want %v in %s", k, refused[k], want, lines[0])
		}
	}
	var unmatched map[string]any
	if err := json.Unmarshal([]byte(lines[1]), &unmatched); err != nil {
		t.Fatal(err)
	}
	if unmatched["route"] != "unmatched" || unmatched["status"] != float64(405) || unmatched["error"] != nil {
		t.Errorf("405 line %s", lines[1])
	}
	if strings.Join(obs.routes, ",") != "POST /oauth2/{server}/v1/token,unmatched" || obs.status[0] != 401 || obs.status[1] != 405 {
		t.Errorf("observed %v %v", obs.routes, obs.status)
	}
}

// TestAccessLogTextMilliseconds: the text format writes duration_ms as a
// plain number too.
func TestAccessLogTextMilliseconds(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	h := withAccessLog(http.NotFoundHandler(), slog.New(slog.NewTextHandler(&buf, nil)), nil)
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/x", nil))
	line := buf.String()
	i := strings.Index(line, " duration_ms=")
	if i < 0 {
		t.Fatalf("no duration_ms in %q", line)
	}
	v := strings.Fields(line[i+len(" duration_ms="):])[0]
	if strings.ContainsAny(v, "smµ") {
		t.Fatalf("duration_ms=%s has a unit", v)
	}
	if got := Milliseconds(1500 * time.Microsecond); got != 1.5 {
		t.Fatalf("Milliseconds(1.5ms) = %v", got)
	}
}
