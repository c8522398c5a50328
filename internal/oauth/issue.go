package oauth

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/latchkey/latchkey/internal/events"
	"github.com/latchkey/latchkey/internal/policy"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/token"
)

// issuance is what a grant asks issue to mint.
type issuance struct {
	user     *store.User // nil for client credentials
	decision policy.Decision
	authTime time.Time
	// familyID and refresh are set when a refresh token goes with the
	// answer: the access token is recorded under the family so that
	// revoking the family revokes it.
	familyID string
	refresh  string
	// refreshID is the store id (a hash) of refresh when it is a new
	// token, for the audit trail; empty when refresh is the one presented.
	refreshID string
	// amr is the ID token's amr; nil means ["pwd"].
	amr []string
}

// issue mints the access token (and the ID token when openid was granted to
// a user), records the access token for its refresh family, records a grant
// event for each token issued, and builds the RFC 6749 section 5.1 answer.
func (s *Server) issue(ctx context.Context, req *tokenRequest, in issuance) (*tokenResponse, error) {
	issued, err := s.mint(ctx, req, in)
	if err != nil {
		return nil, err
	}
	if in.familyID != "" {
		// The family's first token went out with it: its id is the family's.
		rec := accessRecord(req, issued)
		rec.FamilyID, rec.RefreshID = in.familyID, in.familyID
		if err := s.Store.RecordToken(ctx, rec); err != nil {
			return nil, errorf("oauth: record access token: %w", err)
		}
	}
	s.recordGrant(ctx, req, in, issued)
	return answer(in, issued), nil
}

// recordGrant records the audit event of each token issued.
func (s *Server) recordGrant(ctx context.Context, req *tokenRequest, in issuance, issued token.Issued) {
	d := in.decision
	p := party(req.server, req.client, in.user)
	s.record(ctx, req.r, events.TokenGrant(p, events.AccessToken, issued.AccessJTI, req.grant, d.Scopes))
	if issued.IDToken != "" {
		s.record(ctx, req.r, events.TokenGrant(p, events.IDToken, issued.IDJTI, req.grant, d.Scopes))
	}
	if in.refreshID != "" {
		s.record(ctx, req.r, events.TokenGrant(p, events.RefreshToken, in.refreshID, req.grant, d.Scopes))
	}
}

// mint signs the tokens of in.
func (s *Server) mint(ctx context.Context, req *tokenRequest, in issuance) (token.Issued, error) {
	d := in.decision
	issued, err := s.Minter.Mint(ctx, token.Request{
		AuthServerID: req.server.ID, Issuer: req.server.Issuer, Audience: req.server.Audience,
		ClientID: req.client.ID, User: in.user, Scopes: d.Scopes,
		AccessTTL: d.Lifetimes.Access, IDTTL: d.Lifetimes.ID, AuthTime: in.authTime, AMR: in.amr,
		IDToken:     in.user != nil && slices.Contains(d.Scopes, policy.ScopeOpenID),
		ExtraAccess: d.AccessClaims, ExtraID: d.IDClaims,
	})
	if err != nil {
		return token.Issued{}, errorf("oauth: mint tokens: %w", err)
	}
	return issued, nil
}

// accessRecord is the record of the access token issued, without its family.
func accessRecord(req *tokenRequest, issued token.Issued) store.TokenRecord {
	return store.TokenRecord{JTI: issued.AccessJTI, ClientID: req.client.ID, ExpiresAt: issued.AccessExp}
}

// answer is the RFC 6749 section 5.1 answer with the tokens issued.
func answer(in issuance, issued token.Issued) *tokenResponse {
	d := in.decision
	return &tokenResponse{TokenType: "Bearer", ExpiresIn: int64(d.Lifetimes.Access.Seconds()), AccessToken: issued.AccessToken,
		Scope: strings.Join(d.Scopes, " "), RefreshToken: in.refresh, IDToken: issued.IDToken}
}

// wantsRefresh reports whether a refresh token goes with the answer:
// offline_access was granted and the client may use the refresh grant.
func wantsRefresh(c store.Client, scopes []string) bool {
	return slices.Contains(scopes, policy.ScopeOfflineAccess) && slices.Contains(c.GrantTypes, policy.GrantRefreshToken)
}

// newFamily stores the first refresh token of a new family and returns its
// value and family id.
func (s *Server) newFamily(ctx context.Context, req *tokenRequest, user store.User, d policy.Decision, authTime time.Time) (value, familyID string, err error) {
	return s.newFamilyAMR(ctx, req, user, d, authTime, nil)
}

// newFamilyAMR is newFamily for a login that authenticated by amr (nil: a
// password alone): the family keeps it, and the ID tokens its refreshes
// mint carry it.
func (s *Server) newFamilyAMR(ctx context.Context, req *tokenRequest, user store.User, d policy.Decision, authTime time.Time, amr []string) (value, familyID string, err error) {
	value, id := token.NewRefreshValue()
	now := s.now().UTC()
	rt := store.RefreshToken{ID: id, FamilyID: id, AuthServerID: req.server.ID, ClientID: req.client.ID, UserID: user.ID,
		Scopes: d.Scopes, AuthTime: authTime, IssuedAt: now, IdleWindow: d.Lifetimes.RefreshWindow, AMR: amr}
	if d.Lifetimes.Refresh > 0 {
		rt.ExpiresAt = now.Add(d.Lifetimes.Refresh)
	}
	if err := s.Store.CreateRefreshToken(ctx, rt); err != nil {
		return "", "", errorf("oauth: store refresh token: %w", err)
	}
	return value, id, nil
}
