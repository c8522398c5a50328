package metrics

import (
	"context"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/latchkey/latchkey/internal/buildinfo"
	"github.com/latchkey/latchkey/internal/events"
)

// TestHooksCountWithinFixedLabels: the guard's, the rotation loop's and
// the audit trail's hooks count, and a value from outside a fixed set
// becomes "other".
func TestHooksCountWithinFixedLabels(t *testing.T) {
	t.Parallel()
	m := New(buildinfo.Info{Version: "v1.0.0", Commit: "abc", GoVersion: "go1.26.8"})
	m.RateLimited("username")
	m.RateLimited("source")
	m.RateLimited("a-made-up-limit")
	m.KeyRotated("default")
	obs := m.Events()
	app := events.App("0oa1", "app")
	obs.Record(context.Background(), events.SessionStart(events.UnknownUser("x"), app, events.ReasonUnknownUser))
	obs.Record(context.Background(), events.SessionStart(events.UnknownUser("x"), app, "SOMETHING_NEW"))
	obs.Record(context.Background(), events.AccountLocked(events.User("00u1", "x", ""), 10))
	p := events.Party{ServerID: events.OrgServerID, App: app}
	obs.Record(context.Background(), events.TokenGrant(p, events.AccessToken, "jti", "client_credentials", nil))
	obs.Record(context.Background(), events.ReuseDetected(p, "rt", "fam"))

	for _, c := range []struct {
		got  float64
		want float64
		what string
	}{
		{testutil.ToFloat64(m.rateLimited.WithLabelValues("username")), 1, "username limit"},
		{testutil.ToFloat64(m.rateLimited.WithLabelValues("other")), 1, "unknown limit"},
		{testutil.ToFloat64(m.rotations.WithLabelValues("default")), 1, "rotations"},
		{testutil.ToFloat64(m.logins.WithLabelValues("unknown_user")), 1, "unknown user"},
		{testutil.ToFloat64(m.logins.WithLabelValues("other")), 1, "unknown reason"},
		{testutil.ToFloat64(m.lockouts), 1, "lockouts"},
		{testutil.ToFloat64(m.tokens.WithLabelValues("client_credentials", "org", "access_token")), 1, "org server token"},
		{testutil.ToFloat64(m.reuse), 1, "reuse on the org server"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
		}
	}
	want := `
# HELP latchkey_build_info Always 1: the version, commit and Go version of the running binary.
# TYPE latchkey_build_info gauge
latchkey_build_info{commit="abc",go_version="go1.26.8",version="v1.0.0"} 1
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want), "latchkey_build_info"); err != nil {
		t.Fatal(err)
	}
}
