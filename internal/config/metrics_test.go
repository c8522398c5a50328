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
