package config

import (
	"strings"
	"testing"
)

func TestMetricsAddr(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		addr, wantErr string
	}{
		{"", ""},
		{"127.0.0.1:9090", ""},
		{":9090", ""},
		{"9090", `metrics.addr "9090": want host:port`},
		{"127.0.0.1:8080", "is addr"},
	} {
		c := Default()
		c.Metrics.Addr = tc.addr
		err := c.Validate()
		if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("metrics.addr %q: err %v, want %q", tc.addr, err, tc.wantErr)
		}
	}
}

func TestPprofAddr(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		addr, wantErr string
	}{
		{"", ""},
		{"127.0.0.1:6060", ""},
		{"127.0.0.1:0", ""},
		{"127.1.2.3:6060", ""},
		{"[::1]:6060", ""},
		{"localhost:6060", ""},
		{"LocalHost:6060", ""},
		{"0.0.0.0:6060", `pprof_addr "0.0.0.0:6060": profiles are served on a loopback address only`},
		{"203.0.113.7:6060", "loopback address only"},
		{"[::]:6060", "loopback address only"},
		{"[::ffff:8.8.8.8]:6060", "loopback address only"},
		{":6060", "loopback address only"}, // every interface
		{"pprof.example.com:6060", "loopback address only"},
		{"localhost.example.com:6060", "loopback address only"},
		{"6060", "want host:port"},
		{"127.0.0.1:8080", "address of another listener"},
	} {
		c := Default()
		c.PprofAddr = tc.addr
		err := c.Validate()
		if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("pprof_addr %q: err %v, want %q", tc.addr, err, tc.wantErr)
		}
	}
}
