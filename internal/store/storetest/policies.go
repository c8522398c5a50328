package storetest

import (
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/store"
)

var policyTests = []test{
	{"ScopesRoundTripOrdered", testScopes},
	{"PutScopeReplaces", testScopeReplace},
	{"DeleteScope", testScopeDelete},
	{"ClaimsRoundTripOrdered", testClaims},
	{"PutClaimReplacesDeleteClaim", testClaimReplaceDelete},
	{"PoliciesRoundTripOrdered", testPolicies},
	{"RulesRoundTripOrdered", testRules},
	{"PutRuleNeedsPolicy", testRuleNeedsPolicy},
	{"PutRuleReplacesDeleteRule", testRuleReplaceDelete},
	{"DeletePolicyDeletesRules", testPolicyDelete},
}

func newScope(as, name string) store.Scope {
	return store.Scope{AuthServerID: as, Name: name, Description: "Scope " + name,
		MetadataPublish: "ALL_CLIENTS", CreatedAt: t0}
}

func putScopes(t *testing.T, s store.Store, scopes ...store.Scope) {
	t.Helper()
	for _, c := range scopes {
		must(t, "PutScope "+c.Name, s.PutScope(ctx(t), c))
	}
}

func listScopes(t *testing.T, s store.Store, as string) []store.Scope {
	t.Helper()
	got, err := s.ListScopes(ctx(t), as)
	must(t, "ListScopes "+as, err)
	return got
}

func testScopes(t *testing.T, s store.Store) {
	openid := newScope("default", "openid")
	openid.System, openid.Default = true, true
	write := newScope("default", "api:write")
	write.MetadataPublish = "NO_CLIENTS"
	bare := store.Scope{AuthServerID: "default", Name: "Zeta"} // upper case sorts first, byte-wise
	read := newScope("default", "api:read")
	other := newScope("aus2", "api:read")
	other.Description = "another server's"
	putScopes(t, s, openid, write, other, bare, read)
	sameList(t, "ListScopes", listScopes(t, s, "default"), []store.Scope{bare, read, write, openid})
	sameList(t, "ListScopes aus2", listScopes(t, s, "aus2"), []store.Scope{other})
	sameList(t, "ListScopes of an unknown server", listScopes(t, s, "aus404"), nil)
}

func testScopeReplace(t *testing.T, s store.Store) {
	orig := newScope("default", "api:read")
	other := newScope("aus2", "api:read")
	putScopes(t, s, orig, other)
	repl := store.Scope{AuthServerID: "default", Name: "api:read", Description: "replaced",
		Default: true, MetadataPublish: "NO_CLIENTS", System: true, CreatedAt: t0.Add(time.Hour)}
	putScopes(t, s, repl)
	sameList(t, "ListScopes after replacing", listScopes(t, s, "default"), []store.Scope{repl})
	sameList(t, "ListScopes of the other server", listScopes(t, s, "aus2"), []store.Scope{other})
}

func testScopeDelete(t *testing.T, s store.Store) {
	openid := newScope("default", "openid")
	openid.System = true
	read := newScope("default", "api:read")
	other := newScope("aus2", "api:read")
	putScopes(t, s, openid, read, other)
	must(t, "DeleteScope", s.DeleteScope(ctx(t), "default", "api:read"))
	wantErr(t, "DeleteScope again", s.DeleteScope(ctx(t), "default", "api:read"), store.ErrNotFound)
	wantErr(t, "DeleteScope of a system scope", s.DeleteScope(ctx(t), "default", "openid"), store.ErrConflict)
	wantErr(t, "DeleteScope in another case", s.DeleteScope(ctx(t), "default", "OPENID"), store.ErrNotFound)
	sameList(t, "ListScopes after DeleteScope", listScopes(t, s, "default"), []store.Scope{openid})
	sameList(t, "ListScopes of the other server", listScopes(t, s, "aus2"), []store.Scope{other})
}

func newClaim(as, id, name string) store.Claim {
	return store.Claim{
		ID: id, AuthServerID: as, Name: name,
		ClaimType: store.ClaimResource, ValueType: store.ClaimExpression, Value: "user.email",
		Scopes: []string{"email", "api:read"}, Status: store.StatusActive,
		CreatedAt: t0, UpdatedAt: t0.Add(time.Minute),
	}
}

func putClaims(t *testing.T, s store.Store, claims ...store.Claim) {
	t.Helper()
	for _, c := range claims {
		must(t, "PutClaim "+c.ID, s.PutClaim(ctx(t), c))
	}
}

func listClaims(t *testing.T, s store.Store, as string) []store.Claim {
	t.Helper()
	got, err := s.ListClaims(ctx(t), as)
	must(t, "ListClaims "+as, err)
	return got
}

func testClaims(t *testing.T, s store.Store) {
	email := newClaim("default", "ocl3", "email")
	groupsB := newClaim("default", "ocl2", "groups")
	groupsB.ClaimType, groupsB.ValueType, groupsB.Value, groupsB.GroupFilterType = store.ClaimIdentity, store.ClaimGroups, "^admins-.*$", "REGEX"
	groupsB.AlwaysIncludeInToken = true
	groupsA := newClaim("default", "ocl9", "groups")
	groupsA.Scopes = nil // any scope
	groupsA.Value = `"quoted \" value ✓"`
	groupsA.Status = store.StatusInactive
	other := newClaim("aus2", "ocl3", "email") // same id, another server
	other.Value = "user.login"
	putClaims(t, s, groupsA, other, email, groupsB)
	sameList(t, "ListClaims", listClaims(t, s, "default"), []store.Claim{email, groupsB, groupsA})
	sameList(t, "ListClaims aus2", listClaims(t, s, "aus2"), []store.Claim{other})
	sameList(t, "ListClaims of an unknown server", listClaims(t, s, "aus404"), nil)
}

func testClaimReplaceDelete(t *testing.T, s store.Store) {
	a := newClaim("default", "ocl1", "a")
	b := newClaim("default", "ocl2", "b")
	other := newClaim("aus2", "ocl1", "a")
	putClaims(t, s, a, b, other)
	repl := store.Claim{ID: "ocl1", AuthServerID: "default", Name: "z", ClaimType: store.ClaimIdentity,
		ValueType: store.ClaimGroups, Value: "Everyone", GroupFilterType: "EQUALS", Status: store.StatusInactive}
	putClaims(t, s, repl)
	sameList(t, "ListClaims after replacing", listClaims(t, s, "default"), []store.Claim{b, repl})
	must(t, "DeleteClaim", s.DeleteClaim(ctx(t), "default", "ocl1"))
	wantErr(t, "DeleteClaim again", s.DeleteClaim(ctx(t), "default", "ocl1"), store.ErrNotFound)
	wantErr(t, "DeleteClaim of an unknown id", s.DeleteClaim(ctx(t), "default", "ocl404"), store.ErrNotFound)
	sameList(t, "ListClaims after DeleteClaim", listClaims(t, s, "default"), []store.Claim{b})
	sameList(t, "ListClaims of the other server", listClaims(t, s, "aus2"), []store.Claim{other})
}

func newPolicy(as, id string, priority int) store.Policy {
	return store.Policy{
		ID: id, AuthServerID: as, Name: "Policy " + id, Description: "for tests",
		Priority: priority, Status: store.StatusActive, ClientIDs: []string{store.AllClients},
		CreatedAt: t0, UpdatedAt: t0.Add(time.Second),
	}
}

func putPolicies(t *testing.T, s store.Store, policies ...store.Policy) {
	t.Helper()
	for _, p := range policies {
		must(t, "PutPolicy "+p.ID, s.PutPolicy(ctx(t), p))
	}
}

func listPolicies(t *testing.T, s store.Store, as string) []store.Policy {
	t.Helper()
	got, err := s.ListPolicies(ctx(t), as)
	must(t, "ListPolicies "+as, err)
	return got
}

func testPolicies(t *testing.T, s store.Store) {
	first := newPolicy("default", "00p-z", 1)
	tieA := newPolicy("default", "00p-a", 2)
	tieA.ClientIDs = []string{"0oa1", "0oa2"}
	tieB := newPolicy("default", "00p-b", 2)
	tieB.ClientIDs = nil
	last := newPolicy("default", "00p-last", 10)
	other := newPolicy("aus2", "00p-other", 1)
	putPolicies(t, s, last, tieB, other, first, tieA)
	sameList(t, "ListPolicies", listPolicies(t, s, "default"), []store.Policy{first, tieA, tieB, last})
	sameList(t, "ListPolicies aus2", listPolicies(t, s, "aus2"), []store.Policy{other})
	sameList(t, "ListPolicies of an unknown server", listPolicies(t, s, "aus404"), nil)

	// Replacing moves the policy in the order and keeps its rules.
	rule := newRule("default", "00p-z", "0pr1", 1)
	putRules(t, s, rule)
	moved := newPolicy("default", "00p-z", 5)
	moved.Status, moved.Name = store.StatusInactive, "moved"
	putPolicies(t, s, moved)
	sameList(t, "ListPolicies after replacing", listPolicies(t, s, "default"), []store.Policy{tieA, tieB, moved, last})
	sameList(t, "ListRules of the replaced policy", listRules(t, s, "00p-z"), []store.PolicyRule{rule})
}

func newRule(as, policy, id string, priority int) store.PolicyRule {
	return store.PolicyRule{
		ID: id, PolicyID: policy, AuthServerID: as, Name: "Rule " + id, Priority: priority,
		Status: store.StatusActive, GrantTypes: []string{"password", "refresh_token"},
		Scopes: []string{"*"}, GroupIDs: []string{store.Everyone},
		AccessTokenLifetime:  time.Hour,
		RefreshTokenLifetime: 0,
		RefreshTokenWindow:   7 * 24 * time.Hour,
		RequireMFA:           priority%2 == 1,
		CreatedAt:            t0, UpdatedAt: t0.Add(time.Second),
	}
}

func putRules(t *testing.T, s store.Store, rules ...store.PolicyRule) {
	t.Helper()
	for _, r := range rules {
		must(t, "PutRule "+r.ID, s.PutRule(ctx(t), r))
	}
}

func listRules(t *testing.T, s store.Store, policy string) []store.PolicyRule {
	t.Helper()
	got, err := s.ListRules(ctx(t), policy)
	must(t, "ListRules "+policy, err)
	return got
}

func testRules(t *testing.T, s store.Store) {
	putPolicies(t, s, newPolicy("default", "00p1", 1), newPolicy("default", "00p2", 2))
	first := newRule("default", "00p1", "0pr-z", 1)
	tieA := newRule("default", "00p1", "0pr-a", 2)
	tieA.UserIDs, tieA.GroupIDs = []string{"00u1", "00u2"}, []string{"00g1"}
	tieA.Scopes = []string{"openid", "api:read"}
	tieB := newRule("default", "00p1", "0pr-b", 2)
	tieB.GrantTypes, tieB.Scopes, tieB.GroupIDs = nil, nil, nil
	tieB.AccessTokenLifetime = 5*time.Minute + 1500*time.Millisecond
	tieB.RefreshTokenLifetime = 90 * 24 * time.Hour
	tieB.RefreshTokenWindow = 0
	other := newRule("default", "00p2", "0pr-z", 1) // same id, another policy
	other.Name = "other policy's"
	putRules(t, s, tieB, other, first, tieA)
	sameList(t, "ListRules", listRules(t, s, "00p1"), []store.PolicyRule{first, tieA, tieB})
	sameList(t, "ListRules 00p2", listRules(t, s, "00p2"), []store.PolicyRule{other})
	sameList(t, "ListRules of an unknown policy", listRules(t, s, "00p404"), nil)
}

func testRuleNeedsPolicy(t *testing.T, s store.Store) {
	putPolicies(t, s, newPolicy("aus2", "00p1", 1))
	wantErr(t, "PutRule of an unknown policy", s.PutRule(ctx(t), newRule("default", "00p404", "0pr1", 1)), store.ErrNotFound)
	wantErr(t, "PutRule of another server's policy", s.PutRule(ctx(t), newRule("default", "00p1", "0pr1", 1)), store.ErrNotFound)
	sameList(t, "ListRules after refused puts", listRules(t, s, "00p1"), nil)
	sameList(t, "ListRules of the unknown policy", listRules(t, s, "00p404"), nil)
}

func testRuleReplaceDelete(t *testing.T, s store.Store) {
	putPolicies(t, s, newPolicy("default", "00p1", 1))
	a, b := newRule("default", "00p1", "0pr1", 1), newRule("default", "00p1", "0pr2", 2)
	putRules(t, s, a, b)
	repl := store.PolicyRule{ID: "0pr1", PolicyID: "00p1", AuthServerID: "default", Name: "replaced",
		Priority: 3, Status: store.StatusInactive, UserIDs: []string{"00u1"},
		AccessTokenLifetime: 24 * time.Hour, RefreshTokenWindow: time.Hour}
	putRules(t, s, repl)
	sameList(t, "ListRules after replacing", listRules(t, s, "00p1"), []store.PolicyRule{b, repl})
	must(t, "DeleteRule", s.DeleteRule(ctx(t), "00p1", "0pr2"))
	wantErr(t, "DeleteRule again", s.DeleteRule(ctx(t), "00p1", "0pr2"), store.ErrNotFound)
	wantErr(t, "DeleteRule of another policy", s.DeleteRule(ctx(t), "00p2", "0pr1"), store.ErrNotFound)
	sameList(t, "ListRules after DeleteRule", listRules(t, s, "00p1"), []store.PolicyRule{repl})
}

func testPolicyDelete(t *testing.T, s store.Store) {
	gone, kept := newPolicy("default", "00p1", 1), newPolicy("default", "00p2", 2)
	putPolicies(t, s, gone, kept)
	r1, r2 := newRule("default", "00p1", "0pr1", 1), newRule("default", "00p1", "0pr2", 2)
	keptRule := newRule("default", "00p2", "0pr3", 1)
	putRules(t, s, r1, r2, keptRule)
	wantErr(t, "DeletePolicy on another server", s.DeletePolicy(ctx(t), "aus2", "00p1"), store.ErrNotFound)
	sameList(t, "ListRules after the refused DeletePolicy", listRules(t, s, "00p1"), []store.PolicyRule{r1, r2})
	must(t, "DeletePolicy", s.DeletePolicy(ctx(t), "default", "00p1"))
	wantErr(t, "DeletePolicy again", s.DeletePolicy(ctx(t), "default", "00p1"), store.ErrNotFound)
	sameList(t, "ListPolicies after DeletePolicy", listPolicies(t, s, "default"), []store.Policy{kept})
	sameList(t, "ListRules of the deleted policy", listRules(t, s, "00p1"), nil)
	sameList(t, "ListRules of the other policy", listRules(t, s, "00p2"), []store.PolicyRule{keptRule})
	// A policy made again under the old id starts without rules.
	putPolicies(t, s, gone)
	sameList(t, "ListRules of the policy made again", listRules(t, s, "00p1"), nil)
}
