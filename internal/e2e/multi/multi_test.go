package multi

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// expiredAssertionIDs is how many expired single-use ids the test plants
// for the instances' housekeeping to delete.
const expiredAssertionIDs = 7

// TestTwoInstances runs two `latchkey serve` processes over one database and
// checks through HTTP that they behave as one server (issue 9, item 2).
func TestTwoInstances(t *testing.T) {
	var oldActive, oldNext string
	c := newCluster(t, func(db *sql.DB) {
		// Make the default server's rotation due (its ACTIVE key has signed
		// for 100 days, its NEXT key published as long), so that A and B,
		// which both check at start, decide to rotate at the same moment.
		ctx := context.Background()
		back := (100 * 24 * time.Hour).Milliseconds()
		if _, err := db.ExecContext(ctx, `UPDATE signing_keys SET created_at = created_at - $1,
			activated_at = CASE WHEN activated_at <> 0 THEN activated_at - $1 ELSE 0 END
			WHERE auth_server_id = 'default'`, back); err != nil {
			t.Fatal(err)
		}
		oldActive, oldNext = keyWithStatus(t, db, "ACTIVE"), keyWithStatus(t, db, "NEXT")
		// Expired client-assertion ids, for both instances' first
		// housekeeping pass, which also runs at start.
		for i := range expiredAssertionIDs {
			if _, err := db.ExecContext(ctx, `INSERT INTO single_use (id, expires_at) VALUES ($1, $2)`,
				fmt.Sprintf("jti-expired-%d", i), time.Now().Add(-time.Hour).UnixMilli()); err != nil {
				t.Fatal(err)
			}
		}
	})
	a, b := c.a, c.b

	t.Run("two instances rotate once", func(t *testing.T) {
		if _, ok := within(10*time.Second, func() bool { return countKeys(t, c.db, "EXPIRED") > 0 }); !ok {
			t.Fatal("no rotation within 10 s of start though one was due")
		}
		checkOneRotation(t, c, oldActive, oldNext)
	})

	t.Run("housekeeping on both", func(t *testing.T) {
		var left int
		if _, ok := within(10*time.Second, func() bool {
			if err := c.db.QueryRow(`SELECT count(*) FROM single_use`).Scan(&left); err != nil {
				t.Fatal(err)
			}
			return left == 0
		}); !ok {
			t.Fatalf("%d expired assertion ids left 10 s after start", left)
		}
		time.Sleep(200 * time.Millisecond) // the slower instance's pass
		var rows float64
		for _, in := range []*instance{a, b} {
			for _, rec := range in.logLines() {
				msg, _ := rec["msg"].(string)
				if msg == "housekeeping: deleted expired tokens" {
					n, _ := rec["rows"].(float64)
					rows += n
				}
				if strings.HasPrefix(msg, "housekeeping:") && rec["level"] != "INFO" {
					t.Errorf("instance %s: %v", in.name, rec)
				}
			}
		}
		// Concurrent passes delete each row once between them.
		if rows != expiredAssertionIDs {
			t.Errorf("instances logged %v rows deleted, want %d", rows, expiredAssertionIDs)
		}
	})

	t.Run("a token from A verifies through B's JWKS", func(t *testing.T) {
		ctx := context.Background()
		cfg := oauth2.Config{ClientID: c.webID, ClientSecret: c.webSecret,
			Endpoint: oauth2.Endpoint{TokenURL: a.tokenURL(), AuthStyle: oauth2.AuthStyleInHeader},
			Scopes:   []string{"openid", "profile", "offline_access"}}
		tok, err := cfg.PasswordCredentialsToken(ctx, "ada@example.com", password)
		if err != nil {
			t.Fatal(err)
		}
		ks := oidc.NewRemoteKeySet(ctx, b.keysURL())
		idToken, _ := tok.Extra("id_token").(string)
		if _, err := oidc.NewVerifier(issuer, ks, &oidc.Config{ClientID: c.webID}).Verify(ctx, idToken); err != nil {
			t.Errorf("ID token from A through B's JWKS: %v", err)
		}
		at, err := oidc.NewVerifier(issuer, ks, &oidc.Config{ClientID: "api://default"}).Verify(ctx, tok.AccessToken)
		if err != nil {
			t.Errorf("access token from A through B's JWKS: %v", err)
		} else if at.Subject != "ada@example.com" {
			t.Errorf("access token sub %q", at.Subject)
		}
		// And the other way round, with a client-credentials token.
		cc := clientcredentials.Config{ClientID: c.webID, ClientSecret: c.webSecret, TokenURL: b.tokenURL(),
			Scopes: []string{"jobs:read"}, AuthStyle: oauth2.AuthStyleInHeader}
		ctok, err := cc.Token(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ksA := oidc.NewRemoteKeySet(ctx, a.keysURL())
		if _, err := oidc.NewVerifier(issuer, ksA, &oidc.Config{ClientID: "api://default"}).Verify(ctx, ctok.AccessToken); err != nil {
			t.Errorf("client-credentials token from B through A's JWKS: %v", err)
		}
	})

	t.Run("refresh rotated on A, replayed on B", func(t *testing.T) {
		ctx := context.Background()
		id, secret := c.strictID, c.strictSecret // leeway 2 s
		g := passwordGrant(t, a, id, secret, "ada@example.com", password, "openid offline_access")
		if g.status != http.StatusOK {
			t.Fatalf("password grant: %s", g)
		}
		rt0, at0 := g.str("refresh_token"), g.str("access_token")
		r1 := refreshOK(t, ctx, a, id, secret, rt0)
		// Inside the leeway, rt0's successor not yet used: B serves it as a
		// retry, and the successor A gave is revoked.
		r1b := refreshOK(t, ctx, b, id, secret, rt0)
		if active(t, b, id, secret, r1.str("refresh_token"), "refresh_token") {
			t.Error("the successor replaced by a retry on B is still active on B")
		}
		if !active(t, a, id, secret, r1b.str("refresh_token"), "refresh_token") {
			t.Error("the retry's refresh token from B is not active on A")
		}
		r2 := refreshOK(t, ctx, b, id, secret, r1b.str("refresh_token"))
		rotatedAt := time.Now() // r1b's rotation happened before this
		r3 := refreshOK(t, ctx, a, id, secret, r2.str("refresh_token"))
		// r1b inside the leeway, but its successor r2 already exchanged:
		// refused, the family untouched.
		if x, _ := refresh(ctx, a, id, secret, r1b.str("refresh_token")); x.status != http.StatusBadRequest || x.str("error") != "invalid_grant" {
			t.Errorf("rotated token replayed on A inside the leeway, successor used: %s, want 400 invalid_grant", x)
		}
		if !active(t, b, id, secret, r3.str("refresh_token"), "refresh_token") {
			t.Fatal("the family's current token died of a refused retry")
		}
		if time.Since(rotatedAt) > 1800*time.Millisecond {
			t.Fatalf("the steps inside the 2 s leeway took %v: the test cannot tell", time.Since(rotatedAt))
		}
		// After the leeway: reuse, the whole family revoked on both.
		time.Sleep(time.Until(rotatedAt.Add(2100 * time.Millisecond)))
		if x, _ := refresh(ctx, b, id, secret, r1b.str("refresh_token")); x.status != http.StatusBadRequest || x.str("error") != "invalid_grant" {
			t.Errorf("rotated token replayed on B after the leeway: %s, want 400 invalid_grant", x)
		}
		for _, in := range []*instance{a, b} {
			for _, tok := range []struct{ v, hint string }{
				{rt0, "refresh_token"}, {r1b.str("refresh_token"), "refresh_token"},
				{r2.str("refresh_token"), "refresh_token"}, {r3.str("refresh_token"), "refresh_token"},
				{at0, "access_token"}, {r1b.str("access_token"), "access_token"},
				{r2.str("access_token"), "access_token"}, {r3.str("access_token"), "access_token"},
			} {
				if active(t, in, id, secret, tok.v, tok.hint) {
					t.Errorf("after reuse on B, a %s of the family is active on %s", tok.hint, in.name)
				}
			}
		}
	})

	t.Run("a revocation on one is seen on the other at once", func(t *testing.T) {
		id, secret := c.webID, c.webSecret
		g := passwordGrant(t, a, id, secret, "ada@example.com", password, "openid offline_access")
		if g.status != http.StatusOK {
			t.Fatalf("password grant: %s", g)
		}
		revoke(t, a, id, secret, g.str("access_token"), "access_token")
		if active(t, b, id, secret, g.str("access_token"), "access_token") {
			t.Error("an access token revoked on A is active on B")
		}
		if !active(t, b, id, secret, g.str("refresh_token"), "refresh_token") {
			t.Error("revoking an access token on A ended its refresh token on B")
		}
		revoke(t, b, id, secret, g.str("refresh_token"), "refresh_token")
		if active(t, a, id, secret, g.str("refresh_token"), "refresh_token") {
			t.Error("a refresh token revoked on B is active on A")
		}
		cc := mustPost(t, b.tokenURL(), id, secret, url.Values{"grant_type": {"client_credentials"}, "scope": {"jobs:read"}})
		if cc.status != http.StatusOK {
			t.Fatalf("client credentials: %s", cc)
		}
		revoke(t, b, id, secret, cc.str("access_token"), "access_token")
		if active(t, a, id, secret, cc.str("access_token"), "access_token") {
			t.Error("a client-credentials token revoked on B is active on A")
		}
	})

	t.Run("concurrent refreshes of one token on both", func(t *testing.T) {
		// Leeway 30 s: each is served as a retry of the one before it; of
		// the refresh tokens returned exactly one is live.
		ctx := context.Background()
		id, secret := c.webID, c.webSecret
		g := passwordGrant(t, b, id, secret, "ada@example.com", password, "openid offline_access")
		if g.status != http.StatusOK {
			t.Fatalf("password grant: %s", g)
		}
		const n = 6
		answers := make([]answer, n)
		var wg sync.WaitGroup
		for i := range n {
			in := []*instance{a, b}[i%2]
			wg.Go(func() {
				x, err := refresh(ctx, in, id, secret, g.str("refresh_token"))
				if err != nil {
					t.Error(err)
				}
				answers[i] = x
			})
		}
		wg.Wait()
		live := 0
		for _, x := range answers {
			if x.status != http.StatusOK {
				t.Errorf("a concurrent refresh: %s, want 200", x)
				continue
			}
			if active(t, []*instance{a, b}[live%2], id, secret, x.str("refresh_token"), "refresh_token") {
				live++
			}
		}
		if live != 1 {
			t.Errorf("%d of the returned refresh tokens are active, want exactly 1", live)
		}
	})

	t.Run("refreshes on both racing a revocation", func(t *testing.T) {
		refreshRevokeRace(t, c)
	})

	t.Run("lockout counts failures on both", func(t *testing.T) {
		id, secret := c.webID, c.webSecret
		c.user(t, "locked@example.com")
		c.user(t, "control@example.com")
		// 9 failures, split between A and B, do not lock.
		for i := range 9 {
			in := []*instance{a, b}[i%2]
			if x := passwordGrant(t, in, id, secret, "control@example.com", "wrong password", "openid"); x.status != http.StatusBadRequest {
				t.Fatalf("wrong password on %s: %s", in.name, x)
			}
		}
		if x := passwordGrant(t, b, id, secret, "control@example.com", password, "openid"); x.status != http.StatusOK {
			t.Errorf("after 9 failures (5 on A, 4 on B) the right password is refused: %s", x)
		}
		// 10 failures, 5 on each: no instance saw 10, yet the login locks.
		for i := range 10 {
			in := []*instance{a, b}[i%2]
			if x := passwordGrant(t, in, id, secret, "locked@example.com", "wrong password", "openid"); x.status != http.StatusBadRequest {
				t.Fatalf("wrong password on %s: %s", in.name, x)
			}
		}
		for _, in := range []*instance{a, b} {
			x := passwordGrant(t, in, id, secret, "locked@example.com", password, "openid")
			if x.status != http.StatusBadRequest || x.str("error") != "invalid_grant" {
				t.Errorf("after 10 failures split across A and B, the right password on %s: %s, want 400 invalid_grant", in.name, x)
			}
		}
		out := c.cli(t, "", "events", "list", "--user", "locked@example.com", "--json")
		if !strings.Contains(out, "user.account.lock") {
			t.Errorf("no lock event in the audit trail:\n%s", tail(out, 20))
		}
	})

	t.Run("cache invalidation reaches the other instance", func(t *testing.T) {
		// cache.ttl is 1m: a change seen within the bound is NOTIFY's doing.
		const bound = 2 * time.Second
		id, secret := c.webID, c.webSecret
		ccOn := func(in *instance, scope string) answer {
			return mustPost(t, in.tokenURL(), id, secret, url.Values{"grant_type": {"client_credentials"}, "scope": {scope}})
		}
		for _, in := range []*instance{a, b} { // both caches hold the scopes
			if x := ccOn(in, "late:read"); x.status != http.StatusBadRequest || x.str("error") != "invalid_scope" {
				t.Fatalf("an unknown scope on %s: %s, want 400 invalid_scope", in.name, x)
			}
		}
		c.cli(t, "", "scopes", "create", "--authserver", "default", "--name", "late:read")
		for _, in := range []*instance{b, a} {
			took, ok := within(bound, func() bool { return ccOn(in, "late:read").status == http.StatusOK })
			if !ok {
				t.Errorf("a scope created with the CLI is not served by %s within %v", in.name, bound)
			}
			t.Logf("scope created by the CLI: served by %s %v after the command ended", in.name, took)
		}
		c.cli(t, "", "scopes", "delete", "--authserver", "default", "--name", "late:read")
		for _, in := range []*instance{b, a} {
			took, ok := within(bound, func() bool { return ccOn(in, "late:read").status == http.StatusBadRequest })
			if !ok {
				t.Errorf("a scope deleted with the CLI is still served by %s after %v", in.name, bound)
			}
			t.Logf("scope deleted by the CLI: refused by %s %v after the command ended", in.name, took)
		}
	})

	t.Run("no errors logged, still one rotation", func(t *testing.T) {
		checkOneRotation(t, c, oldActive, oldNext)
		for _, in := range []*instance{a, b} {
			if !in.running() {
				t.Errorf("instance %s exited", in.name)
			}
			for _, rec := range in.logLines() {
				if rec["level"] == "ERROR" {
					t.Errorf("instance %s logged an error: %v", in.name, rec)
				}
			}
		}
	})
}

// refreshRevokeRace: goroutines refresh one family on A and B while the
// family is revoked on B; afterwards no token the family ever issued is
// active on either instance, and no refresh that started after the
// revocation answered succeeded.
func refreshRevokeRace(t *testing.T, c *cluster) {
	ctx := context.Background()
	id, secret := c.webID, c.webSecret
	a, b := c.a, c.b
	g := passwordGrant(t, a, id, secret, "ada@example.com", password, "openid offline_access")
	if g.status != http.StatusOK {
		t.Fatalf("password grant: %s", g)
	}
	var (
		mu        sync.Mutex
		current   = g.str("refresh_token")
		rts       = []string{current}
		ats       = []string{g.str("access_token")}
		ok, after int
		revokedAt time.Time // zero until the revocation answered
	)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := range 6 {
		in := []*instance{a, b}[i%2]
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				mu.Lock()
				rt, revoked := current, !revokedAt.IsZero()
				mu.Unlock()
				x, err := refresh(ctx, in, id, secret, rt)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				switch {
				case x.status == http.StatusOK:
					ok++
					rts = append(rts, x.str("refresh_token"))
					ats = append(ats, x.str("access_token"))
					current = x.str("refresh_token")
					if revoked {
						after++
					}
				case x.status != http.StatusBadRequest || x.str("error") != "invalid_grant":
					t.Errorf("a refresh on %s during the race: %s", in.name, x)
				}
				mu.Unlock()
			}
		})
	}
	time.Sleep(150 * time.Millisecond)
	mu.Lock()
	victim := rts[len(rts)/2] // some token of the family, maybe rotated
	mu.Unlock()
	revoke(t, b, id, secret, victim, "refresh_token")
	mu.Lock()
	revokedAt = time.Now()
	mu.Unlock()
	time.Sleep(150 * time.Millisecond)
	close(stop)
	wg.Wait()
	t.Logf("%d refreshes succeeded before the revocation, %d refresh tokens issued", ok, len(rts))
	if ok == 0 {
		t.Error("no refresh succeeded before the revocation: the race was not run")
	}
	if after > 0 {
		t.Errorf("%d refreshes that started after the revocation answered succeeded", after)
	}
	for _, in := range []*instance{a, b} {
		for _, rt := range rts {
			if active(t, in, id, secret, rt, "refresh_token") {
				t.Errorf("a refresh token of the revoked family is active on %s", in.name)
			}
		}
		for _, at := range ats {
			if active(t, in, id, secret, at, "access_token") {
				t.Errorf("an access token of the revoked family is active on %s", in.name)
			}
		}
	}
}

// refreshOK is refresh for a test that expects it to work.
func refreshOK(t testing.TB, ctx context.Context, in *instance, id, secret, rt string) answer {
	t.Helper()
	x, err := refresh(ctx, in, id, secret, rt)
	if err != nil {
		t.Fatal(err)
	}
	if x.status != http.StatusOK {
		t.Fatalf("refresh at %s: %s", in.name, x)
	}
	return x
}

// keyWithStatus is the kid of the default server's only key in status.
func keyWithStatus(t testing.TB, db *sql.DB, status string) string {
	t.Helper()
	var kids []string
	rows, err := db.Query(`SELECT id FROM signing_keys WHERE auth_server_id = 'default' AND status = $1`, status)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var kid string
		if err := rows.Scan(&kid); err != nil {
			t.Fatal(err)
		}
		kids = append(kids, kid)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(kids) != 1 {
		t.Fatalf("default server: %d %s keys %v, want 1", len(kids), status, kids)
	}
	return kids[0]
}

func countKeys(t testing.TB, db *sql.DB, status string) int {
	t.Helper()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM signing_keys WHERE auth_server_id = 'default' AND status = $1`, status).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// checkOneRotation: the default server's keys went through exactly one
// rotation since (oldActive, oldNext), and one instance logged it.
func checkOneRotation(t *testing.T, c *cluster, oldActive, oldNext string) {
	t.Helper()
	if n := countKeys(t, c.db, "EXPIRED"); n != 1 {
		t.Errorf("default server: %d EXPIRED keys, want 1 (one rotation)", n)
	}
	if kid := keyWithStatus(t, c.db, "ACTIVE"); kid != oldNext {
		t.Errorf("ACTIVE key %s, want the former NEXT key %s", kid, oldNext)
	}
	if kid := keyWithStatus(t, c.db, "EXPIRED"); kid != oldActive {
		t.Errorf("EXPIRED key %s, want the former ACTIVE key %s", kid, oldActive)
	}
	if kid := keyWithStatus(t, c.db, "NEXT"); kid == oldNext || kid == oldActive {
		t.Errorf("NEXT key %s is an old one", kid)
	}
	var logged []string
	for _, in := range []*instance{c.a, c.b} {
		for _, rec := range in.logLines() {
			if rec["msg"] == "signing keys rotated" && rec["authserver"] == "default" {
				logged = append(logged, in.name)
			}
		}
	}
	if len(logged) != 1 {
		t.Errorf("rotations logged by %v, want exactly one instance once", logged)
	}
	// Both instances publish the new keys.
	for _, in := range []*instance{c.a, c.b} {
		resp, err := httpClient.Get(in.keysURL())
		if err != nil {
			t.Fatal(err)
		}
		var jwks struct {
			Keys []struct {
				Kid string `json:"kid"`
			} `json:"keys"`
		}
		err = jsonDecode(resp, &jwks)
		if err != nil {
			t.Fatal(err)
		}
		var kids []string
		for _, k := range jwks.Keys {
			kids = append(kids, k.Kid)
		}
		if !slices.Contains(kids, oldActive) || !slices.Contains(kids, oldNext) || len(kids) != 3 {
			t.Errorf("JWKS of %s: %v, want the three keys of one rotation", in.name, kids)
		}
	}
}
