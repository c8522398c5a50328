package app

import (
	"context"
	"net"
	"net/http"
	"net/http/pprof"
	"time"
)

// pprofHandler serves net/http/pprof's index, profiles and traces under
// /debug/pprof/, on a mux of its own: the main listener never serves them
// (net/http/pprof also registers them on http.DefaultServeMux, which
// Latchkey serves nowhere).
func pprofHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// ServePprof serves the profiles of net/http/pprof on ln (config
// pprof_addr, serve --pprof-addr, a loopback address checked by
// config.Validate) until ctx is done. A CPU profile or a trace runs as
// long as its seconds parameter asks, so this listener has no write
// timeout.
func (a *App) ServePprof(ctx context.Context, ln net.Listener, shutdownTimeout time.Duration) error {
	srv := a.httpServer(pprofHandler())
	srv.WriteTimeout = 0
	return serveUntilDone(ctx, srv, shutdownTimeout, func() error { return srv.Serve(ln) })
}
