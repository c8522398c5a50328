package yamlkeys_test

import (
	"reflect"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/latchkey/latchkey/internal/yamlkeys"
)

type limit struct {
	Requests int    `yaml:"requests"`
	Window   string `yaml:"window"`
}

type inner struct {
	Lockout    map[string]limit `yaml:"lockout"`
	RateLimits []limit          `yaml:"rate_limits"`
}

type doc struct {
	Addr    string `yaml:"addr"`
	Secret  string `yaml:"-"`
	Inner   inner  `yaml:"login_protection"`
	Ptr     *limit `yaml:"ptr,omitempty"`
	Untaged string
}

func TestCheck(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, yaml, want string }{
		{"valid", "addr: x\nlogin_protection:\n  rate_limits: [{requests: 1}]\nptr: {window: 1s}\nuntaged: y\n", ""},
		{"top level", "addr: x\nSecret: y\n", `line 2: unknown key "Secret" at the top level; valid keys: addr, login_protection, ptr, untaged`},
		{"nested", "login_protection:\n  lockot: {}\n", `line 2: unknown key "lockot" in login_protection; valid keys: lockout, rate_limits`},
		{"in a sequence", "login_protection:\n  rate_limits:\n    - {requests: 1}\n    - {request: 2}\n",
			`line 4: unknown key "request" in login_protection.rate_limits[1]; valid keys: requests, window`},
		{"in a map", "login_protection:\n  lockout:\n    a: {windw: 1s}\n", `line 3: unknown key "windw" in login_protection.lockout.a; valid keys: requests, window`},
		{"through a pointer", "ptr:\n  x: 1\n", `line 2: unknown key "x" in ptr; valid keys: requests, window`},
		{"through an alias", "a: &l {requests: 1, nope: 2}\n", `line 1: unknown key "a" at the top level; valid keys: addr, login_protection, ptr, untaged`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var n yaml.Node
			if err := yaml.Unmarshal([]byte(tc.yaml), &n); err != nil {
				t.Fatal(err)
			}
			err := yamlkeys.Check(&n, reflect.TypeFor[doc]())
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}
