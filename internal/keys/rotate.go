package keys

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/latchkey/latchkey/internal/store"
)

const (
	// DefaultRotationInterval is how long a key signs when the
	// authorization server does not say (CONTRACT section 6: 90 days).
	DefaultRotationInterval = 90 * 24 * time.Hour
	// MinNextPublication is the least time a NEXT key is published before
	// automatic rotation lets it sign (CONTRACT section 6: two weeks). It is
	// also the shortest rotation interval honoured: because a rotation
	// publishes the following NEXT key, a key is published one full interval
	// before it signs.
	MinNextPublication = 14 * 24 * time.Hour
	// MaxAccessTokenLifetime is the longest access-token lifetime a policy
	// may set (CONTRACT section 3: 1440 minutes).
	MaxAccessTokenLifetime = 24 * time.Hour
	// ClockSkew is the margin added to the publication window of an EXPIRED
	// key for clocks that disagree and for instances that still sign with
	// the old key until their cache is rechecked (30 seconds).
	ClockSkew = 5 * time.Minute
	// DefaultPublishExpiredFor is how long an EXPIRED key stays in the JWKS
	// by default: PublishWindow of the default one-hour ID-token lifetime.
	DefaultPublishExpiredFor = MaxAccessTokenLifetime + time.Hour + ClockSkew
)

// PublishWindow is how long an EXPIRED key must stay published so that
// every token it signed expires first: the longest access-token lifetime,
// plus the ID-token lifetime, plus ClockSkew.
func PublishWindow(idTokenLifetime time.Duration) time.Duration {
	return MaxAccessTokenLifetime + idTokenLifetime + ClockSkew
}

// Ensure gives the authorization server an ACTIVE and a NEXT key, creating
// whichever is missing. It is safe to call from several instances at once:
// exactly one key of each results.
func (m *Manager) Ensure(ctx context.Context, authServerID string) error {
	ks, err := m.store.ListKeys(ctx, authServerID)
	if err != nil {
		return fmt.Errorf("keys: list keys of %s: %w", authServerID, err)
	}
	if active, next := roles(ks); active != nil && next != nil {
		return nil
	}
	alg, err := m.serverAlg(ctx, authServerID)
	if err != nil {
		return err
	}
	_, err = m.ensure(ctx, authServerID, alg, ks)
	return err
}

// ensure completes ks, a recent read of the server's keys, with an ACTIVE
// and a NEXT key of algorithm alg, and returns the keys afterwards.
func (m *Manager) ensure(ctx context.Context, authServerID, alg string, ks []store.SigningKey) ([]store.SigningKey, error) {
	active, next := roles(ks)
	if active != nil && next != nil {
		return ks, nil
	}
	// Generate outside the transaction: RSA generation is slow and must not
	// hold the database's write lock.
	var freshActive, freshNext store.SigningKey
	var err error
	if active == nil {
		if freshActive, err = m.Generate(authServerID, alg, store.KeyActive); err != nil {
			return nil, err
		}
	}
	if next == nil {
		if freshNext, err = m.Generate(authServerID, alg, store.KeyNext); err != nil {
			return nil, err
		}
	}
	added := false
	out, err := m.store.UpdateKeys(ctx, authServerID, func(ks []store.SigningKey) ([]store.SigningKey, error) {
		active, next := roles(ks)
		var add []store.SigningKey
		if active == nil && freshActive.ID != "" {
			add = append(add, freshActive)
		}
		if next == nil && freshNext.ID != "" {
			add = append(add, freshNext)
		}
		added = len(add) > 0 // the store may run the closure more than once
		return add, nil
	})
	if err != nil {
		return nil, fmt.Errorf("keys: ensure keys of %s: %w", authServerID, err)
	}
	m.noteActive(authServerID, out)
	if added {
		m.notify(ctx, authServerID)
	}
	return out, nil
}

// Rotation is the outcome of Rotate or RotateIfDue.
type Rotation struct {
	// Rotated is false when nothing changed: the rotation was not due, or
	// another instance rotated first. Active and Next are the keys in
	// place afterwards either way.
	Rotated bool
	Active  store.SigningKey
	Next    store.SigningKey
	// Expired is the key that was ACTIVE before, when Rotated.
	Expired store.SigningKey
}

// Rotate forces a rotation of the authorization server's keys: NEXT becomes
// ACTIVE, ACTIVE becomes EXPIRED, and a new NEXT is made, in one store
// transaction. The rotation applies to the ACTIVE key read when Rotate
// starts: if another instance rotates in between, Rotate leaves its result
// alone and reports Rotated false, so two instances rotating at once
// rotate once. A server without a NEXT key (made before NEXT keys existed)
// gets a new ACTIVE key that signs at once. ErrNoActiveKey if the server
// has no ACTIVE key.
func (m *Manager) Rotate(ctx context.Context, authServerID string) (Rotation, error) {
	ks, err := m.store.ListKeys(ctx, authServerID)
	if err != nil {
		return Rotation{}, fmt.Errorf("keys: list keys of %s: %w", authServerID, err)
	}
	active, next := roles(ks)
	if active == nil {
		return Rotation{}, fmt.Errorf("%w for authorization server %s", ErrNoActiveKey, authServerID)
	}
	want := active.ID
	alg, err := m.serverAlg(ctx, authServerID)
	if err != nil {
		return Rotation{}, err
	}
	return m.rotate(ctx, authServerID, alg, next == nil, func(active, _ *store.SigningKey, _ time.Time) bool {
		return active.ID == want
	})
}

// RotateIfDue rotates the server's keys if its rotation mode is AUTO (or
// unset) and its ACTIVE key has signed for its rotation interval (0 means
// DefaultRotationInterval; less than MinNextPublication counts as
// MinNextPublication), provided the NEXT key has been published for at
// least MinNextPublication. The condition is checked again inside the
// store transaction, so instances calling it at once rotate once. A server
// missing its ACTIVE or NEXT key gets it instead, whatever its mode, and a
// server whose NEXT key is not of its signing algorithm gets a new NEXT key
// (ApplySigningAlg) instead of a rotation, whatever its mode.
func (m *Manager) RotateIfDue(ctx context.Context, server store.AuthServer) (Rotation, error) {
	ks, err := m.store.ListKeys(ctx, server.ID)
	if err != nil {
		return Rotation{}, fmt.Errorf("keys: list keys of %s: %w", server.ID, err)
	}
	alg := SigningAlg(server)
	if active, next := roles(ks); active == nil || next == nil {
		if ks, err = m.ensure(ctx, server.ID, alg, ks); err != nil {
			return Rotation{}, err
		}
		return current(ks), nil
	} else if next.Alg != alg {
		if ks, err = m.replaceNext(ctx, server.ID, alg); err != nil {
			return Rotation{}, err
		}
		return current(ks), nil
	}
	if server.KeyRotationMode == store.RotationManual {
		return current(ks), nil
	}
	interval := RotationInterval(server)
	due := func(active, next *store.SigningKey, now time.Time) bool {
		return next != nil &&
			!now.Before(active.ActivatedAt.Add(interval)) &&
			!now.Before(next.CreatedAt.Add(MinNextPublication))
	}
	if active, next := roles(ks); !due(active, next, m.now()) {
		return current(ks), nil
	}
	return m.rotate(ctx, server.ID, alg, false, due)
}

// RotationInterval is how long a key of server signs before automatic
// rotation: KeyRotationInterval, DefaultRotationInterval when unset, and
// never less than MinNextPublication.
func RotationInterval(server store.AuthServer) time.Duration {
	d := server.KeyRotationInterval
	if d <= 0 {
		d = DefaultRotationInterval
	}
	return max(d, MinNextPublication)
}

// current returns the roles of ks as a Rotation that did not happen.
func current(ks []store.SigningKey) Rotation {
	var r Rotation
	if active, next := roles(ks); active != nil {
		r.Active = *active
		if next != nil {
			r.Next = *next
		}
	}
	return r
}

// rotate rotates in one UpdateKeys transaction if cond, evaluated on the
// keys inside it, holds. The new NEXT key is of algorithm alg. When
// noNext, a key to promote is generated too.
func (m *Manager) rotate(ctx context.Context, authServerID, alg string, noNext bool, cond func(active, next *store.SigningKey, now time.Time) bool) (Rotation, error) {
	fresh, err := m.Generate(authServerID, alg, store.KeyNext)
	if err != nil {
		return Rotation{}, err
	}
	var spare store.SigningKey
	if noNext {
		if spare, err = m.Generate(authServerID, alg, store.KeyNext); err != nil {
			return Rotation{}, err
		}
	}
	var r Rotation
	ks, err := m.store.UpdateKeys(ctx, authServerID, func(ks []store.SigningKey) ([]store.SigningKey, error) {
		r = Rotation{} // the store may run the closure more than once
		now := m.now().UTC()
		active, next := roles(ks)
		if active == nil {
			return nil, fmt.Errorf("%w for authorization server %s", ErrNoActiveKey, authServerID)
		}
		if !cond(active, next, now) {
			return nil, nil
		}
		promoted := spare
		if next != nil {
			promoted = *next
		}
		if promoted.ID == "" {
			return nil, fmt.Errorf("keys: rotate %s: no NEXT key to promote", authServerID)
		}
		var out []store.SigningKey
		for _, k := range ks {
			// Every ACTIVE key expires, so that a store that somehow held
			// two gets back to one.
			if k.Status == store.KeyActive {
				k.Status, k.ExpiredAt = store.KeyExpired, now
				if k.ID == active.ID {
					r.Expired = k
				}
				out = append(out, k)
			}
		}
		promoted.Status, promoted.ActivatedAt = store.KeyActive, now
		r.Rotated = true
		return append(out, promoted, fresh), nil
	})
	if err != nil {
		if errors.Is(err, ErrNoActiveKey) {
			return Rotation{}, err
		}
		return Rotation{}, fmt.Errorf("keys: rotate keys of %s: %w", authServerID, err)
	}
	m.noteActive(authServerID, ks)
	if r.Rotated {
		m.notify(ctx, authServerID)
	}
	c := current(ks)
	r.Active, r.Next = c.Active, c.Next
	return r, nil
}

// ApplySigningAlg makes the server's keys follow its signing algorithm
// after a change of SigningAlg: when the NEXT key is of another algorithm,
// a new NEXT key of SigningAlg(server) is published and the old NEXT key,
// which never signed anything, becomes EXPIRED (published until Prune
// deletes it). The ACTIVE key keeps signing with its own algorithm until
// the next rotation promotes the new key, so every token issued stays
// verifiable, and resource servers see the new key (and go-oidc clients
// its algorithm in discovery) one full publication period before it
// signs: a forced rotation (Rotate) makes it sign at once. A server missing
// its ACTIVE or NEXT key gets them, of the new algorithm. It reports
// whether it changed anything.
func (m *Manager) ApplySigningAlg(ctx context.Context, server store.AuthServer) (bool, error) {
	alg := SigningAlg(server)
	ks, err := m.store.ListKeys(ctx, server.ID)
	if err != nil {
		return false, fmt.Errorf("keys: list keys of %s: %w", server.ID, err)
	}
	active, next := roles(ks)
	if active == nil || next == nil {
		_, err := m.ensure(ctx, server.ID, alg, ks)
		return err == nil, err
	}
	if next.Alg == alg {
		return false, nil
	}
	_, err = m.replaceNext(ctx, server.ID, alg)
	return err == nil, err
}

// replaceNext publishes a new NEXT key of algorithm alg in place of a NEXT
// key of another algorithm, which becomes EXPIRED, in one transaction that
// checks the roles again, so instances doing it at once replace it once.
func (m *Manager) replaceNext(ctx context.Context, authServerID, alg string) ([]store.SigningKey, error) {
	fresh, err := m.Generate(authServerID, alg, store.KeyNext)
	if err != nil {
		return nil, err
	}
	ks, err := m.store.UpdateKeys(ctx, authServerID, func(ks []store.SigningKey) ([]store.SigningKey, error) {
		_, next := roles(ks)
		switch {
		case next == nil:
			return []store.SigningKey{fresh}, nil
		case next.Alg == alg:
			return nil, nil
		}
		old := *next
		old.Status, old.ExpiredAt = store.KeyExpired, m.now().UTC()
		return []store.SigningKey{old, fresh}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("keys: replace the NEXT key of %s: %w", authServerID, err)
	}
	m.noteActive(authServerID, ks)
	m.notify(ctx, authServerID) // the JWKS and discovery (its algorithms) are rebuilt
	return ks, nil
}

// Prune deletes the server's EXPIRED keys whose publication window has
// passed: window after they stopped signing (DefaultPublishExpiredFor when
// window <= 0). It returns the kids deleted. An EXPIRED key without an
// expiry time is kept, since nothing shows its tokens are gone.
func (m *Manager) Prune(ctx context.Context, authServerID string, window time.Duration) ([]string, error) {
	if window <= 0 {
		window = DefaultPublishExpiredFor
	}
	ks, err := m.store.ListKeys(ctx, authServerID)
	if err != nil {
		return nil, fmt.Errorf("keys: list keys of %s: %w", authServerID, err)
	}
	now := m.now()
	var deleted []string
	defer func() {
		if len(deleted) > 0 {
			m.notify(ctx, authServerID)
		}
	}()
	for _, k := range ks {
		// EXPIRED is a final state, so a key read as EXPIRED is still
		// EXPIRED when it is deleted: no transaction is needed.
		if k.Status != store.KeyExpired || k.ExpiredAt.IsZero() || now.Before(k.ExpiredAt.Add(window)) {
			continue
		}
		err := m.store.DeleteKey(ctx, authServerID, k.ID)
		if err != nil && !errors.Is(err, store.ErrNotFound) { // another instance pruned it first
			return deleted, fmt.Errorf("keys: delete expired key %s of %s: %w", k.ID, authServerID, err)
		}
		m.mu.Lock()
		delete(m.signers, k.ID)
		m.mu.Unlock()
		deleted = append(deleted, k.ID)
	}
	return deleted, nil
}
