package mgmtapi

import (
	"net/http"
	"time"

	"github.com/latchkey/latchkey/internal/oktaapi"
	"github.com/latchkey/latchkey/internal/store"
)

// routesAuthServerPolicies registers a server's access policies and their
// rules, with their lifecycles.
func (a *API) routesAuthServerPolicies(one string) {
	pols := one + "/policies"
	pol := pols + "/{policyId}"
	a.handle("GET "+pols, scopeAuthzRead, a.listPolicies)
	a.handle("POST "+pols, scopeAuthzManage, a.createPolicy)
	a.handle("GET "+pol, scopeAuthzRead, a.getPolicy)
	a.handle("PUT "+pol, scopeAuthzManage, a.replacePolicy)
	a.handle("DELETE "+pol, scopeAuthzManage, a.deletePolicy)
	a.handle("POST "+pol+"/lifecycle/activate", scopeAuthzManage, a.policyStatus(store.StatusActive))
	a.handle("POST "+pol+"/lifecycle/deactivate", scopeAuthzManage, a.policyStatus(store.StatusInactive))

	rules := pol + "/rules"
	rule := rules + "/{ruleId}"
	a.handle("GET "+rules, scopeAuthzRead, a.listRules)
	a.handle("POST "+rules, scopeAuthzManage, a.createRule)
	a.handle("GET "+rule, scopeAuthzRead, a.getRule)
	a.handle("PUT "+rule, scopeAuthzManage, a.replaceRule)
	a.handle("DELETE "+rule, scopeAuthzManage, a.deleteRule)
	a.handle("POST "+rule+"/lifecycle/activate", scopeAuthzManage, a.ruleStatus(store.StatusActive))
	a.handle("POST "+rule+"/lifecycle/deactivate", scopeAuthzManage, a.ruleStatus(store.StatusInactive))
}

func minutes(n int) time.Duration { return time.Duration(n) * time.Minute }

func (a *API) policyJSON(p store.Policy) policyJSON {
	links := a.lifecycleLinks(p.Status, "authorizationServers", p.AuthServerID, "policies", p.ID)
	links["rules"] = Link{Href: a.href("authorizationServers", p.AuthServerID, "policies", p.ID, "rules")}
	return policyJSON{AuthServerPolicy: oktaapi.FromAuthServerPolicy(p), Links: links}
}

func (a *API) listPolicies(w http.ResponseWriter, r *http.Request) error {
	s, err := a.authServer(r)
	if err != nil {
		return err
	}
	all, err := a.cfg.Store.ListPolicies(r.Context(), s.ID)
	if err != nil {
		return err
	}
	out := make([]policyJSON, len(all))
	for i, p := range all {
		out[i] = a.policyJSON(p)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) createPolicy(w http.ResponseWriter, r *http.Request) error {
	s, err := a.authServer(r)
	if err != nil {
		return err
	}
	var body policyIn
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	in, err := body.input(s.ID, "")
	if err != nil {
		return err
	}
	p, err := a.cfg.Provision.CreatePolicy(r.Context(), in)
	if err == nil && body.Status == store.StatusInactive {
		p, err = a.cfg.Provision.SetPolicyStatus(r.Context(), s.ID, p.ID, store.StatusInactive)
	}
	if err != nil {
		return authzError(err, s.ID, kindAuthServer, "policy")
	}
	writeJSON(w, http.StatusCreated, a.policyJSON(p))
	return nil
}

func (a *API) policy(r *http.Request) (store.AuthServer, store.Policy, error) {
	s, err := a.authServer(r)
	if err != nil {
		return s, store.Policy{}, err
	}
	id := r.PathValue("policyId")
	p, err := a.cfg.Provision.Policy(r.Context(), s.ID, id)
	return s, p, authzError(err, id, kindPolicy, "policy")
}

func (a *API) getPolicy(w http.ResponseWriter, r *http.Request) error {
	_, p, err := a.policy(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a.policyJSON(p))
	return nil
}

// replacePolicy replaces a policy; a status in the body is applied too.
func (a *API) replacePolicy(w http.ResponseWriter, r *http.Request) error {
	s, p, err := a.policy(r)
	if err != nil {
		return err
	}
	var body policyIn
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	in, err := body.input(s.ID, p.ID)
	if err != nil {
		return err
	}
	p, err = a.cfg.Provision.UpdatePolicy(r.Context(), in)
	if err == nil && body.Status != "" {
		p, err = a.cfg.Provision.SetPolicyStatus(r.Context(), s.ID, p.ID, body.Status)
	}
	if err != nil {
		return authzError(err, in.ID, kindPolicy, "policy")
	}
	writeJSON(w, http.StatusOK, a.policyJSON(p))
	return nil
}

func (a *API) deletePolicy(w http.ResponseWriter, r *http.Request) error {
	s, p, err := a.policy(r)
	if err != nil {
		return err
	}
	if err := a.cfg.Provision.DeletePolicy(r.Context(), s.ID, p.ID); err != nil {
		return authzError(err, p.ID, kindPolicy, "policy")
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) policyStatus(status string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		s, p, err := a.policy(r)
		if err != nil {
			return err
		}
		if _, err := a.cfg.Provision.SetPolicyStatus(r.Context(), s.ID, p.ID, status); err != nil {
			return authzError(err, p.ID, kindPolicy, "policy")
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

func (a *API) ruleJSON(rl store.PolicyRule) ruleJSON {
	return ruleJSON{Rule: oktaapi.FromRule(rl),
		Links: a.lifecycleLinks(rl.Status, "authorizationServers", rl.AuthServerID, "policies", rl.PolicyID, "rules", rl.ID)}
}

func (a *API) listRules(w http.ResponseWriter, r *http.Request) error {
	s, p, err := a.policy(r)
	if err != nil {
		return err
	}
	all, err := a.cfg.Provision.Rules(r.Context(), s.ID, p.ID)
	if err != nil {
		return authzError(err, p.ID, kindPolicy, "policy")
	}
	out := make([]ruleJSON, len(all))
	for i, rl := range all {
		out[i] = a.ruleJSON(rl)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) createRule(w http.ResponseWriter, r *http.Request) error {
	s, p, err := a.policy(r)
	if err != nil {
		return err
	}
	var body ruleIn
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	in, err := body.input(s.ID, p.ID, "", nil)
	if err != nil {
		return err
	}
	rl, err := a.cfg.Provision.CreateRule(r.Context(), in)
	if err == nil && body.Status == store.StatusInactive {
		rl, err = a.cfg.Provision.SetRuleStatus(r.Context(), s.ID, p.ID, rl.ID, store.StatusInactive)
	}
	if err != nil {
		return authzError(err, p.ID, kindPolicy, "policyRule")
	}
	writeJSON(w, http.StatusCreated, a.ruleJSON(rl))
	return nil
}

func (a *API) rule(r *http.Request) (store.AuthServer, store.Policy, store.PolicyRule, error) {
	s, p, err := a.policy(r)
	if err != nil {
		return s, p, store.PolicyRule{}, err
	}
	id := r.PathValue("ruleId")
	rl, err := a.cfg.Provision.Rule(r.Context(), s.ID, p.ID, id)
	return s, p, rl, authzError(err, id, kindRule, "policyRule")
}

func (a *API) getRule(w http.ResponseWriter, r *http.Request) error {
	_, _, rl, err := a.rule(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a.ruleJSON(rl))
	return nil
}

// replaceRule replaces a rule; a status in the body is applied too.
func (a *API) replaceRule(w http.ResponseWriter, r *http.Request) error {
	s, p, rl, err := a.rule(r)
	if err != nil {
		return err
	}
	var body ruleIn
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	in, err := body.input(s.ID, p.ID, rl.ID, &rl)
	if err != nil {
		return err
	}
	rl, err = a.cfg.Provision.UpdateRule(r.Context(), in)
	if err == nil && body.Status != "" {
		rl, err = a.cfg.Provision.SetRuleStatus(r.Context(), s.ID, p.ID, rl.ID, body.Status)
	}
	if err != nil {
		return authzError(err, in.ID, kindRule, "policyRule")
	}
	writeJSON(w, http.StatusOK, a.ruleJSON(rl))
	return nil
}

func (a *API) deleteRule(w http.ResponseWriter, r *http.Request) error {
	s, p, rl, err := a.rule(r)
	if err != nil {
		return err
	}
	if err := a.cfg.Provision.DeleteRule(r.Context(), s.ID, p.ID, rl.ID); err != nil {
		return authzError(err, rl.ID, kindRule, "policyRule")
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) ruleStatus(status string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		s, p, rl, err := a.rule(r)
		if err != nil {
			return err
		}
		if _, err := a.cfg.Provision.SetRuleStatus(r.Context(), s.ID, p.ID, rl.ID, status); err != nil {
			return authzError(err, rl.ID, kindRule, "policyRule")
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}
