package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
)

func TestReadyz(t *testing.T) {
	t.Parallel()
	ok := func(context.Context) error { return nil }
	fail := func(context.Context) error { return errors.New("sealed with another key") }
	for _, tc := range []struct {
		name   string
		checks []Check
		code   int
		want   readinessReport
	}{
		{"all ok", []Check{{"store", ok}, {"master_key", ok}, {"signing_keys", ok}}, 200,
			readinessReport{"ok", map[string]string{"store": "ok", "master_key": "ok", "signing_keys": "ok"}}},
		{"store down", []Check{{"store", fail}, {"master_key", fail}, {"signing_keys", ok}}, 503,
			readinessReport{"store unavailable", map[string]string{"store": "failed", "master_key": "failed", "signing_keys": "ok"}}},
		{"signing keys unreadable", []Check{{"store", ok}, {"master_key", ok}, {"signing_keys", fail}}, 503,
			readinessReport{"signing_keys unavailable", map[string]string{"store": "ok", "master_key": "ok", "signing_keys": "failed"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := httptest.NewRecorder()
			writeReadiness(w, readiness(context.Background(), tc.checks, slog.New(slog.NewTextHandler(io.Discard, nil))))
			var got readinessReport
			if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			if w.Code != tc.code || !reflect.DeepEqual(got, tc.want) || w.Header().Get("Cache-Control") != "no-store" {
				t.Fatalf("%d %s; want %d %+v", w.Code, w.Body, tc.code, tc.want)
			}
			if w.Code != http.StatusOK && w.Body.String() == "" {
				t.Fatal("empty body")
			}
		})
	}
}
