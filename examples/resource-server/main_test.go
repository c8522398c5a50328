package main

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/latchkey/latchkey/verifier"
	"github.com/latchkey/latchkey/verifier/verifiertest"
)

func TestMessages(t *testing.T) {
	iss := verifiertest.NewIssuer(t)
	v, err := verifier.New(verifier.Config{Issuer: iss.Issuer(), Audience: iss.Audience()})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(newHandler(v, "messages:read", slog.New(slog.NewTextHandler(io.Discard, nil))))
	t.Cleanup(srv.Close)

	get := func(token string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/messages", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	if resp := get(""); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("no token: %d", resp.StatusCode)
	}
	if resp := get(iss.AccessToken()); resp.StatusCode != http.StatusForbidden {
		t.Errorf("without the scope: %d", resp.StatusCode)
	}
	resp := get(iss.AccessToken(verifiertest.WithScopes("openid", "messages:read"), verifiertest.WithSubject("ada@example.com")))
	var body struct {
		User     string    `json:"user"`
		Messages []message `json:"messages"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&body) != nil || body.User != "ada@example.com" || len(body.Messages) != 2 {
		t.Errorf("status %d, body %+v", resp.StatusCode, body)
	}
}

func TestRunNeedsIssuer(t *testing.T) {
	if err := run(nil, func(string) string { return "" }, slog.New(slog.NewTextHandler(io.Discard, nil))); err == nil {
		t.Error("run without an issuer succeeded")
	}
}
