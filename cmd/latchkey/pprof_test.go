package main

import (
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// TestServePprofAddr: --pprof-addr serves net/http/pprof on its own
// loopback listener only, and is refused anywhere else.
func TestServePprofAddr(t *testing.T) {
	for _, bad := range []string{"0.0.0.0:6060", "203.0.113.7:6060", "[::]:6060"} {
		root := newRootCmd(func(string) string { return "" })
		root.SetArgs([]string{"serve", "--dev", "--db", filepath.Join(t.TempDir(), "dev.db"), "--pprof-addr", bad})
		root.SetOut(io.Discard)
		root.SetErr(io.Discard)
		err := root.Execute()
		if err == nil || !strings.Contains(err.Error(), "loopback address only") {
			t.Errorf("serve --pprof-addr %s: %v, want a refusal naming loopback addresses", bad, err)
		}
	}

	addr, pprofAddr := freeAddr(t), freeAddr(t)
	_, stop := startDev(t, filepath.Join(t.TempDir(), "dev.db"), addr, "--pprof-addr", pprofAddr)
	defer stop()
	get := func(u string) (int, string) {
		t.Helper()
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("http://" + pprofAddr + "/debug/pprof/"); code != http.StatusOK || !strings.Contains(body, "goroutine") {
		t.Errorf("GET /debug/pprof/ on --pprof-addr: %d %.200s", code, body)
	}
	if code, _ := get("http://" + addr + "/debug/pprof/"); code != http.StatusNotFound {
		t.Errorf("GET /debug/pprof/ on the main listener: %d, want 404", code)
	}
}
