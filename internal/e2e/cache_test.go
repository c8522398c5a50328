package e2e

import (
	"context"
	"net/http"
	"testing"

	"github.com/latchkey/latchkey/internal/app"
	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/store/cache"
	"github.com/latchkey/latchkey/internal/store/sqlite"
)

// TestCacheAcrossInstances runs two servers over one database that share
// an invalidator, as instances over PostgreSQL share its notifications: a
// change made through one is seen by the other's next request, with no
// time passing. A change to a user made where no notification comes from
// (a store of its own, as the CLI's on SQLite) is seen at once too, since
// users are never cached.
func TestCacheAcrossInstances(t *testing.T) {
	inv := cache.NewLocal()
	// Six logins of one user within a second: the per-username limit is off.
	e := newEnvConfig(t, func(c *config.Config) { c.LoginProtection.RateLimits.Username.Requests = 0 }, app.Options{Invalidator: inv}, nil)
	srvB, _ := startAppWith(t, e.cfg, app.Options{Invalidator: inv})
	ctx := context.Background()
	grantOnB := func() response {
		t.Helper()
		return e.post(srvB.URL+"/oauth2/default/v1/token", e.passwordForm("openid").Encode(),
			map[string]string{"Authorization": basic(e.clientID, e.clientSecret)})
	}
	want := func(what string, r response, status int, code string) {
		t.Helper()
		if r.status != status || (code != "" && r.body["error"] != code) {
			t.Fatalf("%s: %d %s; want %d %s", what, r.status, r.raw, status, code)
		}
	}
	setClient := func(status string) {
		t.Helper()
		_, err := e.app.Store.UpdateClient(ctx, e.clientID, func(c store.Client) (store.Client, error) {
			c.Status = status
			return c, nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}

	want("a grant on B, which caches the client", grantOnB(), http.StatusOK, "")
	setClient(store.StatusInactive)
	want("a grant on B after A deactivated the client", grantOnB(), http.StatusUnauthorized, "invalid_client")
	setClient(store.StatusActive)
	want("a grant on B after A reactivated the client", grantOnB(), http.StatusOK, "")

	everyone, err := e.app.Store.GetGroupByName(ctx, store.EveryoneGroupName)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.app.Store.UnassignClient(ctx, e.clientID, everyone.ID); err != nil {
		t.Fatal(err)
	}
	want("a grant on B after A unassigned Everyone", grantOnB(), http.StatusBadRequest, "access_denied")
	if err := e.app.Store.AssignClient(ctx, e.clientID, everyone.ID); err != nil {
		t.Fatal(err)
	}
	want("a grant on B after A assigned Everyone again", grantOnB(), http.StatusOK, "")

	cli, err := sqlite.Open(ctx, e.cfg.DB)
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	_, err = cli.UpdateUser(ctx, e.userID, func(u store.User) (store.User, error) {
		u.Status = store.UserSuspended
		return u, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want("a grant on B after another process suspended the user", grantOnB(), http.StatusBadRequest, "invalid_grant")
}
