package e2e

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/app"
	"github.com/latchkey/latchkey/internal/guard"
	"github.com/latchkey/latchkey/internal/provision"
	"github.com/latchkey/latchkey/internal/store"
)

// held are tokens a user holds: a refresh family with its access token
// (recorded), and a plain access token (never recorded) with its ID token.
type held struct {
	refresh, familyAccess, access, id string
}

// hold logs the env's user in twice with password pw: once with a refresh
// token, once without.
func (e *refreshEnv) hold(pw string) held {
	e.t.Helper()
	f := e.passwordForm("openid offline_access")
	f.Set("password", pw)
	r := e.post(e.tokenURL, f.Encode(), e.auth())
	if r.status != http.StatusOK {
		e.t.Fatalf("login with a refresh token: %d %s", r.status, r.raw)
	}
	h := held{refresh: r.body["refresh_token"].(string), familyAccess: r.body["access_token"].(string)}
	f.Set("scope", "openid")
	r = e.post(e.tokenURL, f.Encode(), e.auth())
	if r.status != http.StatusOK {
		e.t.Fatalf("login: %d %s", r.status, r.raw)
	}
	h.access, h.id = r.body["access_token"].(string), r.body["id_token"].(string)
	return h
}

func (e *refreshEnv) caller() caller { return caller{id: e.clientID, secret: e.clientSecret} }

// wantAlive checks every held token introspects active and userinfo
// answers; the refresh token is not used, so it stays as it is.
func (e *refreshEnv) wantAlive(what string, h held) {
	e.t.Helper()
	for name, tok := range map[string]string{"refresh": h.refresh, "family access": h.familyAccess, "access": h.access, "id": h.id} {
		wantActive(e.t.(*testing.T), what+": "+name+" token", e.introspect(e.caller(), tok, ""))
	}
	if r := e.userinfo(http.MethodGet, "", h.access, ""); r.status != http.StatusOK {
		e.t.Fatalf("%s: userinfo %d %s", what, r.status, r.raw)
	}
}

// wantDead checks every held token introspects inactive, userinfo refuses
// the access tokens and the refresh grant refuses the refresh token.
func (e *refreshEnv) wantDead(what string, h held) {
	e.t.Helper()
	t := e.t.(*testing.T)
	for name, tok := range map[string]string{"refresh": h.refresh, "family access": h.familyAccess, "access": h.access, "id": h.id} {
		wantInactive(t, what+": "+name+" token", e.introspect(e.caller(), tok, ""))
	}
	for _, tok := range []string{h.access, h.familyAccess} {
		if r := e.userinfo(http.MethodGet, "", tok, ""); r.status != http.StatusUnauthorized {
			t.Fatalf("%s: userinfo %d %s, want 401", what, r.status, r.raw)
		}
	}
	if r := e.refresh(h.refresh, ""); r.status != http.StatusBadRequest || r.body["error"] != "invalid_grant" {
		t.Fatalf("%s: refresh grant %d %s, want 400 invalid_grant", what, r.status, r.raw)
	}
}

// step moves the clock a second on, so that tokens issued before an
// operation and after it have different iat seconds.
func (e *refreshEnv) step() { e.clock.Advance(time.Second) }

// TestLifecycleRevokesTokens: each lifecycle operation that ends access
// kills every token held before it, at once, through HTTP; the operation
// that gives access back does not bring them back, while new logins work.
func TestLifecycleRevokesTokens(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name string
		end  func(p *provision.Service, login string) error
		back func(p *provision.Service, login string) error // nil: no way back
	}{
		{"suspend then unsuspend",
			func(p *provision.Service, l string) error { _, err := p.SuspendUser(ctx, l); return err },
			func(p *provision.Service, l string) error { _, err := p.UnsuspendUser(ctx, l); return err }},
		{"deactivate then reactivate",
			func(p *provision.Service, l string) error { _, err := p.DeactivateUser(ctx, l); return err },
			func(p *provision.Service, l string) error { _, err := p.ReactivateUser(ctx, l); return err }},
		{"expire-password then set-password",
			func(p *provision.Service, l string) error { _, err := p.ExpirePassword(ctx, l); return err },
			nil},
		{"deactivate then delete",
			func(p *provision.Service, l string) error {
				if _, err := p.DeactivateUser(ctx, l); err != nil {
					return err
				}
				_, err := p.DeleteUser(ctx, l)
				return err
			}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := newRefreshEnv(t, nil)
			before := e.hold(e.password)
			e.wantAlive("before", before)
			e.step()
			if err := c.end(e.app.Provision, e.username); err != nil {
				t.Fatal(err)
			}
			e.wantDead("after "+c.name, before)
			if c.back != nil {
				if err := c.back(e.app.Provision, e.username); err != nil {
					t.Fatal(err)
				}
				e.step()
				e.wantDead("after access came back", before)
				after := e.hold(e.password)
				e.wantAlive("a new login", after)
				if r := e.refresh(after.refresh, ""); r.status != http.StatusOK {
					t.Fatalf("refresh of a new family: %d %s", r.status, r.raw)
				}
			}
		})
	}
}

// TestSetPasswordEndsOldFamilies: an operator's new password revokes the
// families started with the old one and every earlier token, even when the
// user stays ACTIVE throughout; the old password no longer logs in, and a
// PASSWORD_EXPIRED user is ACTIVE again with the new one.
func TestSetPasswordEndsOldFamilies(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newRefreshEnv(t, nil)
	before := e.hold(e.password)
	e.step()
	if _, err := e.app.Provision.ExpirePassword(ctx, e.username); err != nil {
		t.Fatal(err)
	}
	if r := e.post(e.tokenURL, e.passwordForm("openid").Encode(), e.auth()); r.status != http.StatusBadRequest || r.body["error_description"] != "Password has expired." {
		t.Fatalf("login with an expired password: %d %s", r.status, r.raw)
	}
	const next = "a brand new passphrase"
	u, err := e.app.Provision.SetPassword(ctx, e.userID, next)
	if err != nil || u.Status != store.UserActive {
		t.Fatalf("SetPassword: %v %+v", err, u)
	}
	e.wantDead("after set-password", before)
	e.step()
	if r := e.post(e.tokenURL, e.passwordForm("openid").Encode(), e.auth()); r.status != http.StatusBadRequest || r.body["error"] != "invalid_grant" {
		t.Fatalf("login with the old password: %d %s", r.status, r.raw)
	}
	second := e.hold(next)
	e.wantAlive("logged in with the new password", second)

	// An ACTIVE user's password set again: the families of the second
	// password end too.
	e.step()
	if _, err := e.app.Provision.SetPassword(ctx, e.userID, "yet another passphrase"); err != nil {
		t.Fatal(err)
	}
	e.wantDead("after a second set-password", second)
}

// TestSameSecondLoginAfterRevocation: with the real clock, a login in the
// same second as the revocation still gets tokens that work (the mint
// waits for the next second rather than issue a token born dead).
func TestSameSecondLoginAfterRevocation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	re := &refreshEnv{env: e}
	cl, secret, err := e.app.Provision.CreateClient(ctx, provision.ClientInput{Name: "refreshing", GrantTypes: []string{"password", "refresh_token"}})
	if err != nil {
		t.Fatal(err)
	}
	e.clientID, e.clientSecret = cl.ID, secret
	before := re.hold(e.password)
	if _, err := e.app.Provision.SuspendUser(ctx, e.userID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.app.Provision.UnsuspendUser(ctx, e.userID); err != nil {
		t.Fatal(err)
	}
	after := re.hold(e.password)
	re.wantAlive("a login right after unsuspend", after)
	re.wantDead("tokens from before the suspension", before)
}

// TestLockoutRevokes: the login guard's lockout revokes the tokens the user
// held; unlocking does not bring them back, and new logins work.
func TestLockoutRevokes(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	e := newEnvWith(t, app.Options{Now: clock.Now}, func(a *app.App) {
		a.OAuth.Guard = guard.New(lockoutOnly(), guard.Deps{Store: a.Store, Now: clock.Now})
	})
	cl, secret, err := e.app.Provision.CreateClient(context.Background(), provision.ClientInput{Name: "refreshing", GrantTypes: []string{"password", "refresh_token"}})
	if err != nil {
		t.Fatal(err)
	}
	e.clientID, e.clientSecret = cl.ID, secret
	re := &refreshEnv{env: e, clock: clock}
	before := re.hold(e.password)
	re.step()
	for range 10 {
		f := url.Values{"grant_type": {"password"}, "username": {e.username}, "password": {"a wrong guess"}, "scope": {"openid"}}
		wantInvalidCredentials(t, "wrong password", e.post(e.tokenURL, f.Encode(), re.auth()))
	}
	if s := e.userStatus(); s != store.UserLockedOut {
		t.Fatalf("status %s, want LOCKED_OUT", s)
	}
	re.wantDead("after the lockout", before)
	if _, err := e.app.Provision.UnlockUser(context.Background(), e.username); err != nil {
		t.Fatal(err)
	}
	re.step()
	re.wantDead("after unlock", before)
	re.wantAlive("a login after unlock", re.hold(e.password))
}
