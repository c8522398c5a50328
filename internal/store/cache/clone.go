package cache

import (
	"slices"

	"github.com/latchkey/latchkey/internal/store"
)

// A returned record is the caller's to keep (store.Store), so the cache
// stores a copy and returns copies: a caller that sorts or appends to a
// slice it got never changes what others read.

// same copies a record without slices or maps.
func same[T any](v T) T { return v }

// cloneSlice copies a list and each of its records.
func cloneSlice[T any](each func(T) T) func([]T) []T {
	return func(in []T) []T {
		if in == nil {
			return nil
		}
		out := make([]T, len(in))
		for i, v := range in {
			out[i] = each(v)
		}
		return out
	}
}

func cloneClient(c store.Client) store.Client {
	c.GrantTypes = slices.Clone(c.GrantTypes)
	c.JWKS = slices.Clone(c.JWKS)
	return c
}

func cloneClientSecret(cs store.ClientSecret) store.ClientSecret {
	cs.Sealed = slices.Clone(cs.Sealed)
	return cs
}

func cloneClaim(c store.Claim) store.Claim {
	c.Scopes = slices.Clone(c.Scopes)
	return c
}

func clonePolicy(p store.Policy) store.Policy {
	p.ClientIDs = slices.Clone(p.ClientIDs)
	return p
}

func cloneRule(r store.PolicyRule) store.PolicyRule {
	r.GrantTypes = slices.Clone(r.GrantTypes)
	r.Scopes = slices.Clone(r.Scopes)
	r.UserIDs = slices.Clone(r.UserIDs)
	r.GroupIDs = slices.Clone(r.GroupIDs)
	return r
}
