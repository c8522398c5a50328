package storecopy

import (
	"context"
	"fmt"

	"github.com/latchkey/latchkey/internal/store"
)

// kinds are every kind of record, in the order they are copied: a record
// comes after those it refers to (keys and policies after their servers,
// memberships after groups and users, assignments after clients, access
// token records after the refresh tokens whose revocation they follow).
var kinds = []kind{
	kindOf[metaValue]{"meta values", walkMeta, each(putMeta)},
	kindOf[store.AuthServer]{"authorization servers", walkAuthServers, each(method(store.Store.CreateAuthServer))},
	kindOf[store.SigningKey]{"signing keys", perServer(store.Store.ListKeys), each(method(store.Store.CreateKey))},
	kindOf[store.Scope]{"scopes", perServer(store.Store.ListScopes), each(method(store.Store.PutScope))},
	kindOf[store.Claim]{"claims", perServer(store.Store.ListClaims), each(method(store.Store.PutClaim))},
	kindOf[store.Policy]{"policies", perServer(store.Store.ListPolicies), each(method(store.Store.PutPolicy))},
	kindOf[store.PolicyRule]{"policy rules", walkRules, each(method(store.Store.PutRule))},
	kindOf[store.Group]{"groups", walkGroups, each(method(store.Store.CreateGroup))},
	kindOf[userRecord]{"users", walkUsers, each(putUser)},
	kindOf[membership]{"group memberships", walkMemberships, each(putMembership)},
	kindOf[store.Client]{"clients", walkClients, each(method(store.Store.CreateClient))},
	kindOf[assignment]{"client assignments", walkAssignments, each(putAssignment)},
	kindOf[store.ClientGrant]{"client grants", walkClientGrants, each(method(store.Store.CreateClientGrant))},
	kindOf[store.ClientSecret]{"client secrets", walkClientSecrets, each(putClientSecret)},
	kindOf[store.Factor]{"user factors", walkFactors, each(putFactor)},
	kindOf[store.APIToken]{"API tokens", walkAPITokens, each(method(store.Store.CreateAPIToken))},
	kindOf[store.RefreshToken]{"refresh tokens", walkRefreshTokens, each(method(store.Store.CreateRefreshToken))},
	kindOf[store.TokenRecord]{"token records", walkTokenRecords, each(method(store.Store.RecordToken))},
	kindOf[store.SingleUse]{"single-use ids", walkSingleUse, each(putSingleUse)},
	kindOf[loginCounters]{"login counters", walkLoginCounters, each(putLoginCounters)},
	kindOf[store.StoredEvent]{"audit events", walkEvents, appendEvents},
}

type metaValue struct {
	Name  string
	Value []byte
}

func walkMeta(ctx context.Context, s store.Store, emit func([]metaValue) error) error {
	names, err := s.ListMetaNames(ctx)
	if err != nil || len(names) == 0 {
		return err
	}
	vals := make([]metaValue, len(names))
	for i, n := range names {
		v, err := s.GetMeta(ctx, n)
		if err != nil {
			return err
		}
		vals[i] = metaValue{n, v}
	}
	return emit(vals)
}

func putMeta(ctx context.Context, s store.Store, m metaValue) error {
	got, err := s.InitMeta(ctx, m.Name, m.Value)
	if err != nil {
		return err
	}
	if string(got) != string(m.Value) {
		return fmt.Errorf("meta %q: the target holds another value", m.Name)
	}
	return nil
}

func walkAuthServers(ctx context.Context, s store.Store, emit func([]store.AuthServer) error) error {
	as, err := s.ListAuthServers(ctx)
	if err != nil || len(as) == 0 {
		return err
	}
	return emit(as)
}

// perServer walks what list returns for each authorization server.
func perServer[T any](list func(store.Store, context.Context, string) ([]T, error)) func(context.Context, store.Store, func([]T) error) error {
	return func(ctx context.Context, s store.Store, emit func([]T) error) error {
		return walkAuthServers(ctx, s, func(servers []store.AuthServer) error {
			for _, a := range servers {
				recs, err := list(s, ctx, a.ID)
				if err != nil {
					return err
				}
				if len(recs) > 0 {
					if err := emit(recs); err != nil {
						return err
					}
				}
			}
			return nil
		})
	}
}

func walkRules(ctx context.Context, s store.Store, emit func([]store.PolicyRule) error) error {
	return perServer(store.Store.ListPolicies)(ctx, s, func(policies []store.Policy) error {
		for _, p := range policies {
			rules, err := s.ListRules(ctx, p.ID)
			if err != nil {
				return err
			}
			if len(rules) > 0 {
				if err := emit(rules); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

func walkGroups(ctx context.Context, s store.Store, emit func([]store.Group) error) error {
	return pages(func(p store.Page) ([]store.Group, error) { return s.ListGroups(ctx, p) },
		func(g store.Group) string { return g.ID }, emit)
}

// userRecord is a user with its whole password history, oldest first.
type userRecord struct {
	User    store.User
	History []store.PasswordChange
}

func walkUsers(ctx context.Context, s store.Store, emit func([]userRecord) error) error {
	return pages(func(p store.Page) ([]store.User, error) { return s.ListUsers(ctx, p) },
		func(u store.User) string { return u.ID },
		func(users []store.User) error {
			recs := make([]userRecord, len(users))
			for i, u := range users {
				h, err := s.ListPasswordChanges(ctx, u.ID)
				if err != nil {
					return err
				}
				recs[i] = userRecord{u, h}
			}
			return emit(recs)
		})
}

// putUser creates the user and rebuilds its password history the way it
// grew: created with its oldest recorded password, then changed to each
// later one at the time the one before was replaced, and finally given
// its own record. The store offers no other way to write history.
func putUser(ctx context.Context, s store.Store, r userRecord) error {
	u, h := r.User, r.History
	first := u
	if len(h) > 0 {
		first.PasswordHash = h[0].Hash
	}
	if err := s.CreateUser(ctx, first); err != nil {
		return err
	}
	if len(h) == 0 {
		return nil
	}
	for i, c := range h {
		next := u.PasswordHash
		if i+1 < len(h) {
			next = h[i+1].Hash
		}
		_, err := s.ChangePassword(ctx, u.ID, len(h), func(cur store.User) (store.User, error) {
			cur.PasswordHash, cur.PasswordChangedAt = next, c.ReplacedAt
			return cur, nil
		})
		if err != nil {
			return err
		}
	}
	_, err := s.UpdateUser(ctx, u.ID, func(store.User) (store.User, error) { return u, nil })
	return err
}

type membership struct{ GroupID, UserID string }

func walkMemberships(ctx context.Context, s store.Store, emit func([]membership) error) error {
	return walkGroups(ctx, s, func(groups []store.Group) error {
		for _, g := range groups {
			err := pages(func(p store.Page) ([]string, error) { return s.ListGroupMembers(ctx, g.ID, p) },
				func(id string) string { return id },
				func(users []string) error {
					ms := make([]membership, len(users))
					for i, u := range users {
						ms[i] = membership{g.ID, u}
					}
					return emit(ms)
				})
			if err != nil {
				return err
			}
		}
		return nil
	})
}

func putMembership(ctx context.Context, s store.Store, m membership) error {
	return s.AddGroupMember(ctx, m.GroupID, m.UserID)
}

func walkClients(ctx context.Context, s store.Store, emit func([]store.Client) error) error {
	return pages(func(p store.Page) ([]store.Client, error) { return s.ListClients(ctx, p) },
		func(c store.Client) string { return c.ID }, emit)
}

type assignment struct{ ClientID, PrincipalID string }

func walkAssignments(ctx context.Context, s store.Store, emit func([]assignment) error) error {
	return walkClients(ctx, s, func(clients []store.Client) error {
		for _, c := range clients {
			ids, err := s.ListClientAssignments(ctx, c.ID)
			if err != nil {
				return err
			}
			if len(ids) == 0 {
				continue
			}
			as := make([]assignment, len(ids))
			for i, id := range ids {
				as[i] = assignment{c.ID, id}
			}
			if err := emit(as); err != nil {
				return err
			}
		}
		return nil
	})
}

func putAssignment(ctx context.Context, s store.Store, a assignment) error {
	return s.AssignClient(ctx, a.ClientID, a.PrincipalID)
}

func walkClientGrants(ctx context.Context, s store.Store, emit func([]store.ClientGrant) error) error {
	return walkClients(ctx, s, func(clients []store.Client) error {
		for _, c := range clients {
			gs, err := s.ListClientGrants(ctx, c.ID)
			if err != nil {
				return err
			}
			if len(gs) == 0 {
				continue
			}
			if err := emit(gs); err != nil {
				return err
			}
		}
		return nil
	})
}

func walkClientSecrets(ctx context.Context, s store.Store, emit func([]store.ClientSecret) error) error {
	return walkClients(ctx, s, func(clients []store.Client) error {
		for _, c := range clients {
			cs, err := s.ListClientSecrets(ctx, c.ID)
			if err != nil {
				return err
			}
			if len(cs) == 0 {
				continue
			}
			if err := emit(cs); err != nil {
				return err
			}
		}
		return nil
	})
}

// putClientSecret adds one secret to its client's; one already there
// (the same id) is a conflict, as for the other kinds.
func putClientSecret(ctx context.Context, s store.Store, cs store.ClientSecret) error {
	_, err := s.UpdateClientSecrets(ctx, cs.ClientID, func(old []store.ClientSecret) ([]store.ClientSecret, error) {
		for _, o := range old {
			if o.ID == cs.ID {
				return nil, fmt.Errorf("client secret %s: %w", cs.ID, store.ErrConflict)
			}
		}
		return append(old, cs), nil
	})
	return err
}

func walkFactors(ctx context.Context, s store.Store, emit func([]store.Factor) error) error {
	return pages(func(p store.Page) ([]store.User, error) { return s.ListUsers(ctx, p) },
		func(u store.User) string { return u.ID }, func(users []store.User) error {
			for _, u := range users {
				fs, err := s.ListFactors(ctx, u.ID)
				if err != nil {
					return err
				}
				if len(fs) == 0 {
					continue
				}
				if err := emit(fs); err != nil {
					return err
				}
			}
			return nil
		})
}

// putFactor adds one factor to its user's; one already there (the same
// id) is a conflict, as for the other kinds.
func putFactor(ctx context.Context, s store.Store, f store.Factor) error {
	_, err := s.UpdateFactors(ctx, f.UserID, func(old []store.Factor) ([]store.Factor, error) {
		for _, o := range old {
			if o.ID == f.ID {
				return nil, fmt.Errorf("factor %s: %w", f.ID, store.ErrConflict)
			}
		}
		return append(old, f), nil
	})
	return err
}

func walkAPITokens(ctx context.Context, s store.Store, emit func([]store.APIToken) error) error {
	return pages(func(p store.Page) ([]store.APIToken, error) { return s.ListAPITokens(ctx, p) },
		func(t store.APIToken) string { return t.ID }, emit)
}

func walkRefreshTokens(ctx context.Context, s store.Store, emit func([]store.RefreshToken) error) error {
	return pages(func(p store.Page) ([]store.RefreshToken, error) { return s.ListRefreshTokens(ctx, p) },
		func(r store.RefreshToken) string { return r.ID }, emit)
}

func walkTokenRecords(ctx context.Context, s store.Store, emit func([]store.TokenRecord) error) error {
	return pages(func(p store.Page) ([]store.TokenRecord, error) { return s.ListTokenRecords(ctx, p) },
		func(r store.TokenRecord) string { return r.JTI }, emit)
}

func walkSingleUse(ctx context.Context, s store.Store, emit func([]store.SingleUse) error) error {
	return pages(func(p store.Page) ([]store.SingleUse, error) { return s.ListSingleUse(ctx, p) },
		func(u store.SingleUse) string { return u.ID }, emit)
}

func putSingleUse(ctx context.Context, s store.Store, u store.SingleUse) error {
	return s.UseOnce(ctx, u.ID, u.ExpiresAt)
}

// loginCounters are the counters of one login, the shared one first.
// Counters with nothing in them are left out: they mean what no counter
// means, and a store creates an empty shared counter beside any other.
type loginCounters struct {
	Key      string
	Counters []store.LoginCounter
}

func walkLoginCounters(ctx context.Context, s store.Store, emit func([]loginCounters) error) error {
	return pages(func(p store.Page) ([]string, error) { return s.ListLoginKeys(ctx, p) },
		func(k string) string { return k },
		func(keys []string) error {
			var recs []loginCounters
			for _, k := range keys {
				cs, err := s.ListLoginCounters(ctx, k)
				if err != nil {
					return err
				}
				var kept []store.LoginCounter
				for _, c := range cs {
					if c.Failures != 0 || !c.LockedUntil.IsZero() || !c.LastSuccessAt.IsZero() || !c.UpdatedAt.IsZero() {
						kept = append(kept, c)
					}
				}
				if len(kept) > 0 {
					recs = append(recs, loginCounters{k, kept})
				}
			}
			if len(recs) == 0 {
				return nil
			}
			return emit(recs)
		})
}

func putLoginCounters(ctx context.Context, s store.Store, r loginCounters) error {
	for _, c := range r.Counters {
		err := s.UpdateLoginCounters(ctx, r.Key, c.Source, func(shared, _ store.LoginCounter) (store.LoginCounter, store.LoginCounter, error) {
			if c.Source == "" {
				return c, c, nil
			}
			return shared, c, nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// walkEvents reads the audit trail oldest first. ListEvents pages by time
// only, so each page starts at the last page's last instant and skips the
// events of that instant already read; a page that is all one instant is
// read again twice as long.
func walkEvents(ctx context.Context, s store.Store, emit func([]store.StoredEvent) error) error {
	f := store.EventFilter{Limit: pageSize}
	seen := map[string]bool{} // ids of the events read at f.Since
	for {
		evs, err := s.ListEvents(ctx, f)
		if err != nil {
			return err
		}
		var fresh []store.StoredEvent
		for _, e := range evs {
			if !seen[e.ID] {
				fresh = append(fresh, e)
			}
		}
		if len(fresh) > 0 {
			if err := emit(fresh); err != nil {
				return err
			}
		}
		if len(evs) < f.Limit {
			return nil
		}
		last := evs[len(evs)-1].Published
		if !last.Equal(f.Since) {
			f.Since, seen = last, map[string]bool{}
		} else {
			f.Limit *= 2
		}
		for _, e := range evs {
			if e.Published.Equal(last) {
				seen[e.ID] = true
			}
		}
	}
}

func appendEvents(ctx context.Context, s store.Store, evs []store.StoredEvent) error {
	return s.AppendEvents(ctx, evs)
}
