package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/latchkey/latchkey/verifier/verifiertest"
)

func runVerify(t *testing.T, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	cmd := newVerifyCmd()
	var out, errOut bytes.Buffer
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetIn(strings.NewReader(stdin))
	cmd.SilenceUsage = true
	cmd.SilenceErrors = true
	err = cmd.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

func TestVerifyCmd(t *testing.T) {
	iss := verifiertest.NewIssuer(t)
	token := iss.AccessToken(verifiertest.WithScopes("openid", "messages:read"), verifiertest.WithSubject("ada@example.com"))
	base := []string{"--issuer", iss.Issuer(), "--audience", iss.Audience()}

	t.Run("valid token prints the claims", func(t *testing.T) {
		out, errOut, err := runVerify(t, token+"\n", append(base, "--cid", iss.ClientID(), "--scope", "messages:read")...)
		if err != nil || errOut != "" {
			t.Fatalf("err %v, stderr %q", err, errOut)
		}
		var claims map[string]any
		if err := json.Unmarshal([]byte(out), &claims); err != nil {
			t.Fatalf("stdout is not JSON: %v\n%s", err, out)
		}
		if claims["sub"] != "ada@example.com" || claims["iss"] != iss.Issuer() || claims["cid"] != iss.ClientID() {
			t.Errorf("claims = %v", claims)
		}
		if !strings.Contains(out, "\n  \"") {
			t.Errorf("output is not indented:\n%s", out)
		}
	})
	t.Run("token from stdin", func(t *testing.T) {
		out, _, err := runVerify(t, token+"\n", append(base, "-")...)
		if err != nil || !strings.Contains(out, `"sub": "ada@example.com"`) {
			t.Errorf("err %v, out %s", err, out)
		}
	})
	t.Run("token as an argument warns", func(t *testing.T) {
		out, errOut, err := runVerify(t, "", append(base, token)...)
		if err != nil || !strings.Contains(out, `"sub": "ada@example.com"`) || !strings.Contains(errOut, "process list") {
			t.Errorf("err %v, out %s, stderr %q", err, out, errOut)
		}
	})
	rejected := []struct {
		name, reason string
		token        string
		args         []string
	}{
		{"missing scope", "scp check failed", token, append(base, "--scope", "admin")},
		{"other client", "cid check failed", token, append(base, "--cid", "0oaother")},
		{"wrong audience", "aud check failed", token, []string{"--issuer", iss.Issuer(), "--audience", "api://other"}},
		{"expired", "exp check failed", iss.AccessToken(verifiertest.WithLifetime(-time.Hour)), base},
		{"garbage", "format check failed", "garbage", base},
	}
	for _, tt := range rejected {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, err := runVerify(t, tt.token+"\n", tt.args...)
			var ee exitError
			if !errors.As(err, &ee) || ee.code != 1 {
				t.Fatalf("err = %v, want exit status 1", err)
			}
			if out != "" || !strings.HasPrefix(errOut, "token rejected: "+tt.reason) {
				t.Errorf("stdout %q, stderr %q", out, errOut)
			}
		})
	}
	t.Run("issuer down", func(t *testing.T) {
		down := verifiertest.NewIssuer(t)
		down.SetDown(true)
		_, errOut, err := runVerify(t, down.AccessToken()+"\n", "--issuer", down.Issuer())
		var ee exitError
		if !errors.As(err, &ee) || ee.code != 2 || !strings.HasPrefix(errOut, "cannot check the token: ") {
			t.Errorf("err %v, stderr %q", err, errOut)
		}
	})
	t.Run("flags", func(t *testing.T) {
		if _, _, err := runVerify(t, token+"\n"); err == nil || !strings.Contains(err.Error(), "issuer") {
			t.Errorf("without --issuer: err = %v", err)
		}
		if _, _, err := runVerify(t, "", append(base, "-")...); err == nil {
			t.Error("empty stdin accepted")
		}
		cmd := newVerifyCmd()
		cmd.Flags().VisitAll(func(f *pflag.Flag) {
			if f.Usage == "" {
				t.Errorf("flag --%s has no help text", f.Name)
			}
		})
	})
}
