package provision

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/latchkey/latchkey/internal/events"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/store"
)

// FindUser returns the user an operator named by id ("00u…") or by login.
func (s *Service) FindUser(ctx context.Context, idOrLogin string) (store.User, error) {
	if len(idOrLogin) == ids.Length && strings.HasPrefix(idOrLogin, ids.User) {
		u, err := s.Store.GetUser(ctx, idOrLogin)
		if err == nil || !errors.Is(err, store.ErrNotFound) {
			return u, err
		}
	}
	u, err := s.Store.GetUserByLogin(ctx, idOrLogin)
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, fmt.Errorf("%w: no user with id or login %q", store.ErrNotFound, idOrLogin)
	}
	return u, err
}

// UnlockUser ends a lockout (Okta's unlock): the login guard's failure
// counts and locks of the user's login are cleared, known sources stay
// known, and a LOCKED_OUT user is ACTIVE again. Unlocking a user who is not
// locked clears the counts and changes nothing else.
func (s *Service) UnlockUser(ctx context.Context, idOrLogin string) (store.User, error) {
	u, err := s.FindUser(ctx, idOrLogin)
	if err != nil {
		return store.User{}, err
	}
	now := s.now()
	if err := s.Store.ResetLoginCounters(ctx, store.NormalizeLogin(u.Login), now); err != nil {
		return store.User{}, fmt.Errorf("provision: unlock %s: %w", u.ID, err)
	}
	if u.Status != store.UserLockedOut {
		return u, nil
	}
	defer func() {
		if s.Events != nil {
			s.Events.Record(ctx, events.AccountUnlockedByAdmin(events.System(), events.User(u.ID, u.Login, "")))
		}
	}()
	u, err = s.Store.UpdateUser(ctx, u.ID, func(cur store.User) (store.User, error) {
		if cur.Status == store.UserLockedOut {
			cur.Status, cur.UpdatedAt = store.UserActive, now
		}
		return cur, nil
	})
	if err != nil {
		return store.User{}, fmt.Errorf("provision: unlock %s: %w", u.ID, err)
	}
	return u, nil
}
