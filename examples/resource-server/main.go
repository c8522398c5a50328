// Command resource-server is a small API protected by Latchkey access tokens:
// GET /api/messages answers only to a request with a valid Bearer token that
// grants the required scope.
//
//	go run ./examples/resource-server --issuer http://127.0.0.1:8080/oauth2/default
//	curl -H "Authorization: Bearer $ACCESS_TOKEN" http://127.0.0.1:9090/api/messages
//
// Every flag can also be set by an environment variable (LATCHKEY_ISSUER,
// LATCHKEY_AUDIENCE, LATCHKEY_SCOPE, LISTEN_ADDR); flags win.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/latchkey/latchkey/verifier"
)

func main() {
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if err := run(os.Args[1:], os.Getenv, logger); err != nil {
		fmt.Fprintln(os.Stderr, "resource-server:", err)
		os.Exit(1)
	}
}

func run(args []string, getenv func(string) string, logger *slog.Logger) error {
	fs := flag.NewFlagSet("resource-server", flag.ContinueOnError)
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	issuer := fs.String("issuer", env("LATCHKEY_ISSUER", ""), "issuer URL, e.g. http://127.0.0.1:8080/oauth2/default (env LATCHKEY_ISSUER)")
	audience := fs.String("audience", env("LATCHKEY_AUDIENCE", "api://default"), "audience the tokens must carry (env LATCHKEY_AUDIENCE)")
	scope := fs.String("scope", env("LATCHKEY_SCOPE", "openid"), "scope GET /api/messages requires; a real API would use its own, e.g. messages:read (env LATCHKEY_SCOPE)")
	addr := fs.String("addr", env("LISTEN_ADDR", "127.0.0.1:9090"), "listen address (env LISTEN_ADDR)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *issuer == "" {
		return errors.New("--issuer (or LATCHKEY_ISSUER) is required")
	}

	v, err := verifier.New(verifier.Config{Issuer: *issuer, Audience: *audience})
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// Discovery is lazy; fetching now only makes a wrong --issuer visible at
	// start-up. The server starts anyway: the verifier retries on use.
	if err := v.Prefetch(ctx); err != nil {
		logger.Warn("cannot fetch the issuer's keys yet", "err", err)
	}

	srv := &http.Server{
		Addr:              *addr,
		Handler:           newHandler(v, *scope, logger),
		ReadHeaderTimeout: 10 * time.Second,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	logger.Info("resource server listening", "addr", *addr, "issuer", *issuer, "audience", *audience, "scope", *scope)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(shutdownCtx)
}

// newHandler protects /api/messages with the verifier middleware and a scope
// check; /healthz stays open.
func newHandler(v *verifier.Verifier, scope string, logger *slog.Logger) http.Handler {
	protect := func(h http.Handler) http.Handler {
		return verifier.Middleware(v, verifier.WithLogger(logger))(verifier.RequireScopes(scope)(h))
	}
	mux := http.NewServeMux()
	mux.Handle("GET /api/messages", protect(http.HandlerFunc(messages)))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})
	return mux
}

type message struct {
	ID   int    `json:"id"`
	Text string `json:"text"`
}

func messages(w http.ResponseWriter, r *http.Request) {
	claims, _ := verifier.ClaimsFromContext(r.Context()) // always there behind the middleware
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"user":   claims.Subject,
		"client": claims.ClientID,
		"scopes": claims.Scopes,
		"messages": []message{
			{ID: 1, Text: "Hello, " + claims.Subject + "."},
			{ID: 2, Text: "This message is only for holders of a valid access token."},
		},
	})
}
