package oautherr

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/latchkey/latchkey/internal/reqlog"
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

func TestNote(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err          error
		code, reason string
	}{
		{ErrInvalidClient.WithDebug("secret mismatch"), "invalid_client", "secret mismatch"},
		{ErrInvalidScope.WithDescription("One or more scopes are not configured."), "invalid_scope", "One or more scopes are not configured."},
		{fmt.Errorf("wrapped: %w", ErrAccessDenied.WithDebug("no policy rule")), "access_denied", "no policy rule"},
		{errors.New("pq: password=hunter2"), "server_error", "internal error"},
	} {
		info := &reqlog.Info{}
		Note(reqlog.With(context.Background(), info), tc.err)
		if info.Error != tc.code || info.Reason != tc.reason {
			t.Errorf("Note(%v) = %q %q, want %q %q", tc.err, info.Error, info.Reason, tc.code, tc.reason)
		}
	}
	Note(context.Background(), ErrInvalidGrant) // no Info: nothing to do, no panic
}
