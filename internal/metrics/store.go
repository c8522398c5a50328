package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/latchkey/latchkey/internal/store"
)

// Store returns inner with its hot-path methods timed in
// latchkey_store_operation_duration_seconds, labelled with the method's
// name. Every other method is inner's own, untimed. Put it below the
// cache, so that it times the database and not the cache's hits.
func (m *Metrics) Store(inner store.Store) store.Store {
	return &timedStore{Store: inner, m: m}
}

// timedStore times the methods a token request calls; it embeds the
// store so that every other method (and any added later) passes through.
type timedStore struct {
	store.Store
	m *Metrics
}

// since observes the time since start under op.
func (s *timedStore) since(op string, start time.Time) {
	s.m.storeTime.With(prometheus.Labels{"operation": op}).Observe(time.Since(start).Seconds())
}

func (s *timedStore) Ping(ctx context.Context) error {
	defer s.since("Ping", time.Now())
	return s.Store.Ping(ctx)
}

func (s *timedStore) GetAuthServer(ctx context.Context, id string) (store.AuthServer, error) {
	defer s.since("GetAuthServer", time.Now())
	return s.Store.GetAuthServer(ctx, id)
}

func (s *timedStore) GetClient(ctx context.Context, id string) (store.Client, error) {
	defer s.since("GetClient", time.Now())
	return s.Store.GetClient(ctx, id)
}

func (s *timedStore) GetUser(ctx context.Context, id string) (store.User, error) {
	defer s.since("GetUser", time.Now())
	return s.Store.GetUser(ctx, id)
}

func (s *timedStore) GetUserByLogin(ctx context.Context, login string) (store.User, error) {
	defer s.since("GetUserByLogin", time.Now())
	return s.Store.GetUserByLogin(ctx, login)
}

func (s *timedStore) UpdateUser(ctx context.Context, id string, fn func(store.User) (store.User, error)) (store.User, error) {
	defer s.since("UpdateUser", time.Now())
	return s.Store.UpdateUser(ctx, id, fn)
}

func (s *timedStore) ListKeys(ctx context.Context, authServerID string) ([]store.SigningKey, error) {
	defer s.since("ListKeys", time.Now())
	return s.Store.ListKeys(ctx, authServerID)
}

func (s *timedStore) ListUserGroups(ctx context.Context, userID string) ([]store.Group, error) {
	defer s.since("ListUserGroups", time.Now())
	return s.Store.ListUserGroups(ctx, userID)
}

func (s *timedStore) CreateRefreshToken(ctx context.Context, t store.RefreshToken) error {
	defer s.since("CreateRefreshToken", time.Now())
	return s.Store.CreateRefreshToken(ctx, t)
}

func (s *timedStore) GetRefreshToken(ctx context.Context, id string) (store.RefreshToken, error) {
	defer s.since("GetRefreshToken", time.Now())
	return s.Store.GetRefreshToken(ctx, id)
}

func (s *timedStore) UseRefreshToken(ctx context.Context, id string, fn func(cur store.RefreshToken, successor *store.RefreshToken) (store.RefreshUse, error)) (store.RefreshToken, error) {
	defer s.since("UseRefreshToken", time.Now())
	return s.Store.UseRefreshToken(ctx, id, fn)
}

func (s *timedStore) RevokeFamily(ctx context.Context, familyID string, at time.Time) error {
	defer s.since("RevokeFamily", time.Now())
	return s.Store.RevokeFamily(ctx, familyID, at)
}

func (s *timedStore) RecordToken(ctx context.Context, r store.TokenRecord) error {
	defer s.since("RecordToken", time.Now())
	return s.Store.RecordToken(ctx, r)
}

func (s *timedStore) GetTokenRecord(ctx context.Context, jti string) (store.TokenRecord, error) {
	defer s.since("GetTokenRecord", time.Now())
	return s.Store.GetTokenRecord(ctx, jti)
}

func (s *timedStore) UseOnce(ctx context.Context, key string, expiresAt time.Time) error {
	defer s.since("UseOnce", time.Now())
	return s.Store.UseOnce(ctx, key, expiresAt)
}

func (s *timedStore) UpdateLoginCounters(ctx context.Context, loginKey, source string, fn func(shared, pair store.LoginCounter) (store.LoginCounter, store.LoginCounter, error)) error {
	defer s.since("UpdateLoginCounters", time.Now())
	return s.Store.UpdateLoginCounters(ctx, loginKey, source, fn)
}

func (s *timedStore) GetLoginCounters(ctx context.Context, loginKey, source string) (shared, pair store.LoginCounter, err error) {
	defer s.since("GetLoginCounters", time.Now())
	return s.Store.GetLoginCounters(ctx, loginKey, source)
}

func (s *timedStore) AppendEvents(ctx context.Context, evs []store.StoredEvent) error {
	defer s.since("AppendEvents", time.Now())
	return s.Store.AppendEvents(ctx, evs)
}
