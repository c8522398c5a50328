package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/latchkey/latchkey/internal/store"
)

const scopeCols = `auth_server_id, name, description, is_default, metadata_publish, is_system, created_at`

func scanScope(sc scanner) (store.Scope, error) {
	var c store.Scope
	var created int64
	err := sc.Scan(&c.AuthServerID, &c.Name, &c.Description, &c.Default, &c.MetadataPublish, &c.System, &created)
	c.CreatedAt = fromMillis(created)
	return c, err
}

// PutScope implements store.Store: it creates or replaces the scope named
// c.Name of c.AuthServerID, every field included.
func (s *Store) PutScope(ctx context.Context, c store.Scope) error {
	op := "put scope " + quote(c.Name) + " of " + quote(c.AuthServerID)
	if err := s.checkIDs(op, c.AuthServerID, c.Name); err != nil {
		return err
	}
	_, err := s.write.ExecContext(ctx,
		`INSERT INTO scopes (`+scopeCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (auth_server_id, name) DO UPDATE SET description = excluded.description,
			is_default = excluded.is_default, metadata_publish = excluded.metadata_publish,
			is_system = excluded.is_system, created_at = excluded.created_at`,
		c.AuthServerID, c.Name, c.Description, c.Default, c.MetadataPublish, c.System, millis(c.CreatedAt))
	if err != nil {
		return s.execErr(op, err)
	}
	return nil
}

// ListScopes implements store.Store: ordered by name.
func (s *Store) ListScopes(ctx context.Context, authServerID string) ([]store.Scope, error) {
	out, err := readAll(ctx, s, scanScope,
		`SELECT `+scopeCols+` FROM scopes WHERE auth_server_id = $1 ORDER BY name`, authServerID)
	if err != nil {
		return nil, s.errf("list scopes of %s: %w", quote(authServerID), err)
	}
	return out, nil
}

// DeleteScope implements store.Store: ErrNotFound if the server has no
// such scope, ErrConflict if it is a System scope.
func (s *Store) DeleteScope(ctx context.Context, authServerID, name string) error {
	op := "delete scope " + quote(name) + " of " + quote(authServerID)
	return s.inTx(ctx, op, func(tx *sql.Tx) error {
		var system bool
		err := tx.QueryRowContext(ctx,
			`SELECT is_system FROM scopes WHERE auth_server_id = $1 AND name = $2`+s.d.ForUpdate,
			authServerID, name).Scan(&system)
		if err != nil {
			return s.queryErr(op, err)
		}
		if system {
			return s.errf("%s: %w: a system scope cannot be deleted", op, store.ErrConflict)
		}
		res, err := tx.ExecContext(ctx,
			`DELETE FROM scopes WHERE auth_server_id = $1 AND name = $2`, authServerID, name)
		return s.oneRow(op, res, err)
	})
}

const claimCols = `auth_server_id, id, name, claim_type, value_type, claim_value, group_filter_type, scopes,
	always_include, status, created_at, updated_at`

func scanClaim(sc scanner) (store.Claim, error) {
	var c store.Claim
	var scopes string
	var created, updated int64
	err := sc.Scan(&c.AuthServerID, &c.ID, &c.Name, &c.ClaimType, &c.ValueType, &c.Value, &c.GroupFilterType,
		&scopes, &c.AlwaysIncludeInToken, &c.Status, &created, &updated)
	if err != nil {
		return store.Claim{}, err
	}
	if c.Scopes, err = fromListJSON(scopes); err != nil {
		return store.Claim{}, fmt.Errorf("claim %q: scopes: %w", c.ID, err)
	}
	c.CreatedAt, c.UpdatedAt = fromMillis(created), fromMillis(updated)
	return c, nil
}

// PutClaim implements store.Store: it creates or replaces the claim c.ID of
// c.AuthServerID, every field included.
func (s *Store) PutClaim(ctx context.Context, c store.Claim) error {
	op := "put claim " + quote(c.ID) + " of " + quote(c.AuthServerID)
	if err := s.checkIDs(op, c.AuthServerID, c.ID); err != nil {
		return err
	}
	scopes, err := listJSON(c.Scopes)
	if err != nil {
		return s.errf("%s: %w", op, err)
	}
	_, err = s.write.ExecContext(ctx,
		`INSERT INTO claims (`+claimCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
		ON CONFLICT (auth_server_id, id) DO UPDATE SET name = excluded.name,
			claim_type = excluded.claim_type, value_type = excluded.value_type,
			claim_value = excluded.claim_value, group_filter_type = excluded.group_filter_type,
			scopes = excluded.scopes, always_include = excluded.always_include, status = excluded.status,
			created_at = excluded.created_at, updated_at = excluded.updated_at`,
		c.AuthServerID, c.ID, c.Name, c.ClaimType, c.ValueType, c.Value, c.GroupFilterType, scopes,
		c.AlwaysIncludeInToken, c.Status, millis(c.CreatedAt), millis(c.UpdatedAt))
	if err != nil {
		return s.execErr(op, err)
	}
	return nil
}

// ListClaims implements store.Store: ordered by name, then id.
func (s *Store) ListClaims(ctx context.Context, authServerID string) ([]store.Claim, error) {
	out, err := readAll(ctx, s, scanClaim,
		`SELECT `+claimCols+` FROM claims WHERE auth_server_id = $1 ORDER BY name, id`, authServerID)
	if err != nil {
		return nil, s.errf("list claims of %s: %w", quote(authServerID), err)
	}
	return out, nil
}

// DeleteClaim implements store.Store.
func (s *Store) DeleteClaim(ctx context.Context, authServerID, id string) error {
	op := "delete claim " + quote(id) + " of " + quote(authServerID)
	res, err := s.write.ExecContext(ctx,
		`DELETE FROM claims WHERE auth_server_id = $1 AND id = $2`, authServerID, id)
	return s.oneRow(op, res, err)
}

const policyCols = `auth_server_id, id, name, description, priority, status, client_ids, created_at, updated_at`

func scanPolicy(sc scanner) (store.Policy, error) {
	var p store.Policy
	var clients string
	var created, updated int64
	err := sc.Scan(&p.AuthServerID, &p.ID, &p.Name, &p.Description, &p.Priority, &p.Status, &clients,
		&created, &updated)
	if err != nil {
		return store.Policy{}, err
	}
	if p.ClientIDs, err = fromListJSON(clients); err != nil {
		return store.Policy{}, fmt.Errorf("policy %q: client_ids: %w", p.ID, err)
	}
	p.CreatedAt, p.UpdatedAt = fromMillis(created), fromMillis(updated)
	return p, nil
}

// PutPolicy implements store.Store: it creates or replaces the policy p.ID
// of p.AuthServerID, every field included; its rules stay.
func (s *Store) PutPolicy(ctx context.Context, p store.Policy) error {
	op := "put policy " + quote(p.ID) + " of " + quote(p.AuthServerID)
	if err := s.checkIDs(op, p.AuthServerID, p.ID); err != nil {
		return err
	}
	clients, err := listJSON(p.ClientIDs)
	if err != nil {
		return s.errf("%s: %w", op, err)
	}
	_, err = s.write.ExecContext(ctx,
		`INSERT INTO policies (`+policyCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (auth_server_id, id) DO UPDATE SET name = excluded.name,
			description = excluded.description, priority = excluded.priority, status = excluded.status,
			client_ids = excluded.client_ids, created_at = excluded.created_at,
			updated_at = excluded.updated_at`,
		p.AuthServerID, p.ID, p.Name, p.Description, p.Priority, p.Status, clients,
		millis(p.CreatedAt), millis(p.UpdatedAt))
	if err != nil {
		return s.execErr(op, err)
	}
	return nil
}

// ListPolicies implements store.Store: ordered by priority, then id.
func (s *Store) ListPolicies(ctx context.Context, authServerID string) ([]store.Policy, error) {
	out, err := readAll(ctx, s, scanPolicy,
		`SELECT `+policyCols+` FROM policies WHERE auth_server_id = $1 ORDER BY priority, id`, authServerID)
	if err != nil {
		return nil, s.errf("list policies of %s: %w", quote(authServerID), err)
	}
	return out, nil
}

// DeletePolicy implements store.Store: the policy and its rules go in one
// transaction.
func (s *Store) DeletePolicy(ctx context.Context, authServerID, id string) error {
	op := "delete policy " + quote(id) + " of " + quote(authServerID)
	return s.inTx(ctx, op, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx,
			`DELETE FROM policies WHERE auth_server_id = $1 AND id = $2`, authServerID, id)
		if err := s.oneRow(op, res, err); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx,
			`DELETE FROM policy_rules WHERE auth_server_id = $1 AND policy_id = $2`, authServerID, id)
		if err != nil {
			return s.execErr(op+": rules", err)
		}
		return nil
	})
}

const ruleCols = `policy_id, id, auth_server_id, name, priority, status, grant_types, scopes, user_ids,
	group_ids, access_token_lifetime, refresh_token_lifetime, refresh_token_window, require_mfa, created_at, updated_at`

func scanRule(sc scanner) (store.PolicyRule, error) {
	var r store.PolicyRule
	var grants, scopes, users, groups string
	var access, refresh, window, mfa, created, updated int64
	err := sc.Scan(&r.PolicyID, &r.ID, &r.AuthServerID, &r.Name, &r.Priority, &r.Status, &grants, &scopes,
		&users, &groups, &access, &refresh, &window, &mfa, &created, &updated)
	if err != nil {
		return store.PolicyRule{}, err
	}
	for _, l := range []struct {
		name string
		json string
		dst  *[]string
	}{
		{"grant_types", grants, &r.GrantTypes},
		{"scopes", scopes, &r.Scopes},
		{"user_ids", users, &r.UserIDs},
		{"group_ids", groups, &r.GroupIDs},
	} {
		if *l.dst, err = fromListJSON(l.json); err != nil {
			return store.PolicyRule{}, fmt.Errorf("rule %q: %s: %w", r.ID, l.name, err)
		}
	}
	r.AccessTokenLifetime = fromMillisDuration(access)
	r.RefreshTokenLifetime = fromMillisDuration(refresh)
	r.RefreshTokenWindow = fromMillisDuration(window)
	r.RequireMFA = mfa != 0
	r.CreatedAt, r.UpdatedAt = fromMillis(created), fromMillis(updated)
	return r, nil
}

// ruleArgs are the values of ruleCols, in order.
func ruleArgs(r store.PolicyRule) ([]any, error) {
	args := []any{r.PolicyID, r.ID, r.AuthServerID, r.Name, r.Priority, r.Status}
	for _, l := range [][]string{r.GrantTypes, r.Scopes, r.UserIDs, r.GroupIDs} {
		j, err := listJSON(l)
		if err != nil {
			return nil, err
		}
		args = append(args, j)
	}
	return append(args, durationMillis(r.AccessTokenLifetime), durationMillis(r.RefreshTokenLifetime),
		durationMillis(r.RefreshTokenWindow), boolInt(r.RequireMFA), millis(r.CreatedAt), millis(r.UpdatedAt)), nil
}

// boolInt is a flag as an INTEGER/BIGINT column holds it.
func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// PutRule implements store.Store: it creates or replaces the rule r.ID of
// policy r.PolicyID, every field included. ErrNotFound unless
// r.AuthServerID has that policy.
func (s *Store) PutRule(ctx context.Context, r store.PolicyRule) error {
	op := "put rule " + quote(r.ID) + " of policy " + quote(r.PolicyID)
	if err := s.checkIDs(op, r.AuthServerID, r.PolicyID, r.ID); err != nil {
		return err
	}
	args, err := ruleArgs(r)
	if err != nil {
		return s.errf("%s: %w", op, err)
	}
	return s.inTx(ctx, op, func(tx *sql.Tx) error {
		// Locking the policy keeps a concurrent DeletePolicy from leaving
		// this rule behind.
		var one int
		err := tx.QueryRowContext(ctx,
			`SELECT 1 FROM policies WHERE auth_server_id = $1 AND id = $2`+s.d.ForUpdate,
			r.AuthServerID, r.PolicyID).Scan(&one)
		if err != nil {
			return s.queryErr(op+": policy of "+quote(r.AuthServerID), err)
		}
		_, err = tx.ExecContext(ctx,
			`INSERT INTO policy_rules (`+ruleCols+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
			ON CONFLICT (policy_id, id) DO UPDATE SET auth_server_id = excluded.auth_server_id,
				name = excluded.name, priority = excluded.priority, status = excluded.status,
				grant_types = excluded.grant_types, scopes = excluded.scopes, user_ids = excluded.user_ids,
				group_ids = excluded.group_ids, access_token_lifetime = excluded.access_token_lifetime,
				refresh_token_lifetime = excluded.refresh_token_lifetime,
				refresh_token_window = excluded.refresh_token_window, require_mfa = excluded.require_mfa,
				created_at = excluded.created_at,
				updated_at = excluded.updated_at`,
			args...)
		if err != nil {
			return s.execErr(op, err)
		}
		return nil
	})
}

// ListRules implements store.Store: ordered by priority, then id.
func (s *Store) ListRules(ctx context.Context, policyID string) ([]store.PolicyRule, error) {
	out, err := readAll(ctx, s, scanRule,
		`SELECT `+ruleCols+` FROM policy_rules WHERE policy_id = $1 ORDER BY priority, id`, policyID)
	if err != nil {
		return nil, s.errf("list rules of policy %s: %w", quote(policyID), err)
	}
	return out, nil
}

// DeleteRule implements store.Store.
func (s *Store) DeleteRule(ctx context.Context, policyID, id string) error {
	op := "delete rule " + quote(id) + " of policy " + quote(policyID)
	res, err := s.write.ExecContext(ctx,
		`DELETE FROM policy_rules WHERE policy_id = $1 AND id = $2`, policyID, id)
	return s.oneRow(op, res, err)
}
