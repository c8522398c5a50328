package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestServeLogsStartAndStop: in the JSON format, serve writes a start line
// with the version, commit, Go version, store kind, base URL and listen
// addresses (never the master key), access lines with duration_ms as a
// number, and at shutdown a line with the reason and how long it took.
func TestServeLogsStartAndStop(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "latchkey-dev.db")
	addr, metricsAddr := freeAddr(t), freeAddr(t)
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	root := newRootCmd(func(k string) string {
		return map[string]string{"LATCHKEY_LOG_FORMAT": "json"}[k]
	})
	logs := &lockedBuffer{}
	cfgPath := filepath.Join(t.TempDir(), "latchkey.yaml")
	if err := os.WriteFile(cfgPath, []byte("metrics:\n  addr: "+metricsAddr+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	root.SetArgs([]string{"serve", "--dev", "--db", db, "--addr", addr, "--config", cfgPath})
	root.SetOut(&lockedBuffer{})
	root.SetErr(logs)
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(logs.String(), `"msg":"latchkey listening"`) {
		select {
		case err := <-done:
			t.Fatalf("serve ended: %v\n%s", err, logs.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no start line in 30 s:\n%s", logs.String())
		}
	}
	resp, err := http.Get("http://" + metricsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("metrics listener: %d", resp.StatusCode)
	}
	if resp, err = http.Get("http://" + addr + "/healthz"); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cancel(errors.New("terminated signal received"))
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}

	lines := map[string]map[string]any{}
	sc := bufio.NewScanner(strings.NewReader(logs.String()))
	for sc.Scan() {
		var l map[string]any
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("not JSON: %q", sc.Text())
		}
		if msg, _ := l["msg"].(string); msg == "latchkey listening" || msg == "latchkey stopped" || (msg == "request" && l["route"] == "GET /healthz") {
			lines[msg] = l
		}
	}
	start, stop, access := lines["latchkey listening"], lines["latchkey stopped"], lines["request"]
	if start == nil || stop == nil || access == nil {
		t.Fatalf("missing lines:\n%s", logs.String())
	}
	for k, want := range map[string]any{"version": "(devel)", "go_version": runtime.Version(), "store": "sqlite",
		"base_url": "http://" + addr, "addr": addr, "metrics_addr": metricsAddr} {
		if start[k] != want {
			t.Errorf("start line %s = %v, want %v", k, start[k], want)
		}
	}
	if c, _ := start["commit"].(string); c == "" {
		t.Errorf("start line has no commit: %v", start)
	}
	if _, ok := access["duration_ms"].(float64); !ok {
		t.Errorf("access line duration_ms is not a number: %v", access)
	}
	if stop["reason"] != "terminated signal received" {
		t.Errorf("stop line reason = %v", stop["reason"])
	}
	if ms, ok := stop["shutdown_ms"].(float64); !ok || ms <= 0 {
		t.Errorf("stop line shutdown_ms = %v", stop["shutdown_ms"])
	}
}
