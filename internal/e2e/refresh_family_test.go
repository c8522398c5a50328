package e2e

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/provision"
)

// answer is the refresh and access token of one token endpoint answer.
type answer struct{ refresh, access string }

func (e *refreshEnv) answerOf(what string, r response) answer {
	e.t.Helper()
	rt, _ := r.body["refresh_token"].(string)
	at, _ := r.body["access_token"].(string)
	if r.status != 200 || rt == "" || at == "" {
		e.t.Fatalf("%s: %d %s, want a refresh and an access token", what, r.status, r.raw)
	}
	return answer{refresh: rt, access: at}
}

// active reports what introspection says of tok, asked by the client the
// tokens were issued to (which may see its refresh tokens).
func (e *refreshEnv) active(tok string) bool {
	e.t.Helper()
	r := e.introspect(e.basicCaller(), tok, "")
	if r.status != 200 {
		e.t.Fatalf("introspect: %d %s", r.status, r.raw)
	}
	return r.body["active"] == true
}

// wantLive fails the test unless introspection says both tokens of each
// answer are active (live) or both inactive (!live).
func (e *refreshEnv) wantLive(what string, live bool, answers ...answer) {
	e.t.Helper()
	for i, a := range answers {
		if got := e.active(a.refresh); got != live {
			e.t.Fatalf("%s: refresh token %d active %v, want %v", what, i, got, live)
		}
		if got := e.active(a.access); got != live {
			e.t.Fatalf("%s: access token %d active %v, want %v", what, i, got, live)
		}
	}
}

// wantInvalidGrant fails the test unless r is the refresh grant's refusal.
func wantInvalidGrant(t *testing.T, what string, r response) {
	t.Helper()
	if r.status != 400 || r.body["error"] != "invalid_grant" || r.body["error_description"] != "The refresh token is invalid or expired." {
		t.Fatalf("%s: %d %s, want 400 invalid_grant", what, r.status, r.raw)
	}
}

// TestRefreshRetryReplacesSuccessor: a retry inside the leeway is served,
// and its successor replaces the one the lost answer carried, which is
// revoked with its access token, so one refresh token of the family is
// live at any moment. A replay after the leeway revokes everything.
func TestRefreshRetryReplacesSuccessor(t *testing.T) {
	e := newRefreshEnv(t, nil) // ROTATE, 30 s leeway
	login := e.answerOf("login", e.login("openid offline_access"))
	first := e.answerOf("refresh", e.refresh(login.refresh, ""))

	e.clock.Advance(10 * time.Second)
	retry := e.answerOf("retry inside the leeway", e.refresh(login.refresh, ""))
	e.wantLive("the answer the retry replaced", false, first)
	e.wantLive("the retry's answer", true, retry)
	if !e.active(login.access) || e.active(login.refresh) {
		t.Fatal("login answer: want its access token active (nothing replaced it) and its refresh token rotated")
	}
	// The replaced successor was never known to be delivered: refused
	// without harm to the family.
	wantInvalidGrant(t, "the replaced successor", e.refresh(first.refresh, ""))
	e.wantLive("the retry's answer after the replaced successor was tried", true, retry)

	// Another retry inside the leeway (still counted from the rotation)
	// replaces the previous retry's answer in turn.
	e.clock.Advance(15 * time.Second)
	again := e.answerOf("second retry", e.refresh(login.refresh, ""))
	e.wantLive("the first retry's answer", false, retry)
	e.wantLive("the second retry's answer", true, again)

	// 35 s after the rotation: reuse; the whole family goes.
	e.clock.Advance(10 * time.Second)
	wantInvalidGrant(t, "replay after the leeway", e.refresh(login.refresh, ""))
	e.wantLive("the family after reuse", false, again)
	if e.active(login.access) {
		t.Fatal("the login's access token survived the family's revocation")
	}
	wantInvalidGrant(t, "the current token after reuse", e.refresh(again.refresh, ""))
}

// TestRefreshRetryAfterSuccessorUsed: inside the leeway, a rotated token
// whose successor has been used is not a retry (the answer arrived): it is
// refused, and the family, not yet proven stolen, stays. After the
// leeway, the same replay revokes the family.
func TestRefreshRetryAfterSuccessorUsed(t *testing.T) {
	e := newRefreshEnv(t, nil)
	a := e.login("openid offline_access").body["refresh_token"].(string)
	b := e.answerOf("refresh a", e.refresh(a, ""))
	e.clock.Advance(5 * time.Second)
	c := e.answerOf("refresh b", e.refresh(b.refresh, ""))
	e.clock.Advance(5 * time.Second)
	wantInvalidGrant(t, "a after its successor was used", e.refresh(a, ""))
	e.wantLive("the current answer", true, c)
	e.clock.Advance(25 * time.Second)
	wantInvalidGrant(t, "a after the leeway", e.refresh(a, ""))
	e.wantLive("the family after reuse", false, b, c)
}

// refreshAtOnce sends n refreshes of rt at once and returns the answers.
func (e *refreshEnv) refreshAtOnce(rt string, n int) []response {
	out := make([]response, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			out[i] = e.refresh(rt, "")
		})
	}
	close(start)
	wg.Wait()
	return out
}

// TestConcurrentRefreshesLeaveOneLive: with a leeway, concurrent refreshes
// of one token are served one after the other, each a retry of the one
// before: all succeed, and of the tokens they return exactly one refresh
// token and the access token that came with it are live.
func TestConcurrentRefreshesLeaveOneLive(t *testing.T) {
	e := newRefreshEnv(t, nil)
	login := e.answerOf("login", e.login("openid offline_access"))
	const n = 10
	live := 0
	for i, r := range e.refreshAtOnce(login.refresh, n) {
		a := e.answerOf(fmt.Sprintf("concurrent refresh %d", i), r)
		rt, at := e.active(a.refresh), e.active(a.access)
		if rt != at {
			t.Fatalf("answer %d: refresh token active %v, its access token %v", i, rt, at)
		}
		if rt {
			live++
		}
	}
	if live != 1 {
		t.Fatalf("after %d concurrent refreshes %d refresh tokens are live, want 1", n, live)
	}
	// The family is intact: the login's access token lives on.
	if !e.active(login.access) {
		t.Fatal("the login's access token was revoked")
	}
}

// TestConcurrentRefreshWithoutLeeway: with a leeway of 0 every second use
// of a rotated token is reuse, concurrent or not. Exactly one concurrent
// refresh is answered with tokens, the others get invalid_grant, and their
// reuse revokes the family, the winner's new tokens included. A single
// refresh at a time keeps the family.
func TestConcurrentRefreshWithoutLeeway(t *testing.T) {
	zero := time.Duration(0)
	e := newRefreshEnv(t, func(in *provision.ClientInput) { in.RefreshLeeway = &zero })
	login := e.answerOf("login", e.login("openid offline_access"))
	one := e.answerOf("a single refresh", e.refresh(login.refresh, ""))
	e.wantLive("a single refresh without leeway", true, one)

	const n = 8
	var won []answer
	for i, r := range e.refreshAtOnce(one.refresh, n) {
		if r.status == 200 {
			won = append(won, e.answerOf("the winner", r))
			continue
		}
		wantInvalidGrant(t, fmt.Sprintf("concurrent refresh %d", i), r)
	}
	if len(won) != 1 {
		t.Fatalf("%d of %d concurrent refreshes succeeded, want exactly 1", len(won), n)
	}
	e.wantLive("the winner's tokens after the others' reuse", false, won[0])
	e.wantLive("the family after reuse", false, one)
	if e.active(login.access) {
		t.Fatal("the login's access token survived the family's revocation")
	}
}
