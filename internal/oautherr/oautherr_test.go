package oautherr

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestDecorationKeepsIdentityAndSentinel(t *testing.T) {
	t.Parallel()
	e := ErrInvalidGrant.WithDescription("x %d", 1).WithDebug("secret detail").WithHeader("X-A", "b")
	if !errors.Is(e, ErrInvalidGrant) || errors.Is(e, ErrInvalidClient) {
		t.Fatal("errors.Is does not compare codes")
	}
	if !errors.Is(fmt.Errorf("wrapped: %w", e), ErrInvalidGrant) {
		t.Fatal("errors.Is fails through wrapping")
	}
	if ErrInvalidGrant.Description != "The credentials provided were invalid." || ErrInvalidGrant.Header != nil || ErrInvalidGrant.Debug != "" {
		t.Fatal("sentinel was mutated")
	}
}

func TestWrite(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	Write(rec, ErrInvalidClient.WithDebug("db password=hunter2").WithHeader("WWW-Authenticate", `Basic realm="x"`))
	if rec.Code != http.StatusUnauthorized {
		t.Fatalf("status %d", rec.Code)
	}
	for k, v := range map[string]string{"Content-Type": "application/json", "Cache-Control": "no-store", "Pragma": "no-cache", "WWW-Authenticate": `Basic realm="x"`} {
		if got := rec.Header().Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	var b map[string]string
	if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil {
		t.Fatal(err)
	}
	if b["error"] != "invalid_client" || b["error_description"] != ErrInvalidClient.Description || len(b) != 2 {
		t.Fatalf("body %v", b)
	}
}

func TestWriteUnknownErrorHidesDetail(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	Write(rec, errors.New("pq: connection to 10.0.0.1 refused"))
	if rec.Code != 500 {
		t.Fatalf("status %d", rec.Code)
	}
	var b map[string]string
	_ = json.Unmarshal(rec.Body.Bytes(), &b)
	if b["error"] != "server_error" || b["error_description"] != ErrServerError.Description {
		t.Fatalf("body %v", b)
	}
}
