package events

import (
	"net"
	"net/http"
	"strconv"
	"strings"
)

// User is the actor or target that a user is.
func User(id, login, displayName string) Actor {
	return Actor{ID: id, Type: TypeUser, AlternateID: login, DisplayName: displayName}
}

// UnknownUser is the actor of a login attempt for a login no user has.
func UnknownUser(login string) Actor {
	return Actor{ID: "unknown", Type: TypeUser, AlternateID: login, DisplayName: "unknown"}
}

// App is the actor or target that an OAuth client is.
func App(clientID, name string) Actor {
	return Actor{ID: clientID, Type: TypeApp, AlternateID: clientID, DisplayName: name}
}

// System is the actor of what the server does on its own (an automatic
// unlock) or on an operator's command.
func System() Actor {
	return Actor{ID: "latchkey", Type: TypeSystem, AlternateID: "system@latchkey", DisplayName: "Latchkey"}
}

// AsTarget turns an actor into a target.
func (a Actor) AsTarget() Target { return Target(a) }

// FromRequest returns what the request says about its client: the peer's
// address (the fallback Record uses when no resolved source is in the
// context) and the user agent.
func FromRequest(r *http.Request) Client {
	ip := r.RemoteAddr
	if host, _, err := net.SplitHostPort(ip); err == nil {
		ip = host
	}
	return Client{IPAddress: ip, UserAgent: UserAgent{RawUserAgent: truncate(r.UserAgent(), 512)}}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

func newEvent(eventType string, sev Severity, msg string, actor Actor, result, reason string, targets ...Target) Event {
	return Event{EventType: eventType, Version: Version, Severity: sev, DisplayMessage: msg, Actor: actor,
		Outcome: Outcome{Result: result, Reason: reason}, Target: targets, DebugContext: DebugContext{DebugData: map[string]string{}}}
}

// SessionStart records a password login for the app: reason "" is a
// success, any other (ReasonInvalidCredentials, ReasonLockedOut, …) a
// failure. user is UnknownUser(login) when no user has the login.
func SessionStart(user, app Actor, reason string) Event {
	result := ResultSuccess
	if reason != "" {
		result = ResultFailure
	}
	return newEvent(TypeSessionStart, SeverityInfo, "User login to Latchkey", user, result, reason, app.AsTarget())
}

// AuthViaMFA records a second-factor verification of factor ("otp", …) by
// user through app: reason "" is a success.
func AuthViaMFA(user, app Actor, factor, reason string) Event {
	result := ResultSuccess
	if reason != "" {
		result = ResultFailure
	}
	e := newEvent(TypeAuthViaMFA, SeverityInfo, "Authentication of user via MFA", user, result, reason, app.AsTarget())
	e.DebugContext.DebugData["factor"] = factor
	return e
}

// AccountLocked records that user was locked out after failures failed
// logins.
func AccountLocked(user Actor, failures int) Event {
	e := newEvent(TypeAccountLock, SeverityWarn, "Max sign in attempts exceeded", user, ResultSuccess, ReasonLockedOut, user.AsTarget())
	e.DebugContext.DebugData["failedAttempts"] = strconv.Itoa(failures)
	return e
}

// AccountUnlocked records that user's lockout ended on its own.
func AccountUnlocked(user Actor) Event {
	return newEvent(TypeAccountUnlock, SeverityInfo, "Unlock user account", System(), ResultSuccess, "", user.AsTarget())
}

// AccountUnlockedByAdmin records that admin (System() for the CLI) lifted
// user's lockout.
func AccountUnlockedByAdmin(admin, user Actor) Event {
	return newEvent(TypeAccountUnlockByAdmin, SeverityInfo, "Unlock user account by admin", admin, ResultSuccess, "", user.AsTarget())
}

// RateLimit describes a rate limit that refused a request.
type RateLimit struct {
	// Bucket names the limit, e.g. "token:client" or "token:source".
	Bucket string
	// Limit is the number of requests allowed per Window.
	Limit  int
	Window string // e.g. "1s", "1m"
}

// OrgRateLimitViolation records that a per-client or per-source limit
// refused a request of app.
func OrgRateLimitViolation(app Actor, l RateLimit) Event {
	e := newEvent(TypeOrgRateLimitViolation, SeverityWarn, "Rate limit violation", app, ResultDeny, ReasonRateLimited,
		Target{ID: l.Bucket, Type: TypeRateLimitBucket, AlternateID: l.Bucket, DisplayName: l.Bucket})
	rateLimitData(e.DebugContext.DebugData, l)
	return e
}

// UserRateLimitViolation records that a limit on one user's logins (per
// username) refused a request. user is UnknownUser(login) when no user has
// the login.
func UserRateLimitViolation(user, app Actor, l RateLimit) Event {
	e := newEvent(TypeOperationRateLimitViolation, SeverityWarn, "Operation rate limit violation", user, ResultDeny, ReasonRateLimited,
		app.AsTarget(), Target{ID: l.Bucket, Type: TypeRateLimitBucket, AlternateID: l.Bucket, DisplayName: l.Bucket})
	rateLimitData(e.DebugContext.DebugData, l)
	return e
}

func rateLimitData(d map[string]string, l RateLimit) {
	d["rateLimitBucket"] = l.Bucket
	d["rateLimit"] = strconv.Itoa(l.Limit)
	d["rateLimitWindow"] = l.Window
}

// Overloaded records that a request of app was refused because the server
// had no capacity for it (what: "password hashing", …), answered 503.
func Overloaded(app Actor, what string) Event {
	e := newEvent(TypeConcurrencyLimitViolation, SeverityWarn, "Concurrency limit violation", app, ResultDeny, ReasonOverloaded)
	e.DebugContext.DebugData["resource"] = what
	return e
}

// Party is who took part in a token event: the authorization server, the
// client app and, for tokens of a user, the user (zero for client
// credentials).
type Party struct {
	ServerID string
	App      Actor
	User     Actor
}

func (p Party) targets(extra ...Target) []Target {
	var t []Target
	if p.User.ID != "" {
		t = append(t, p.User.AsTarget())
	}
	return append(t, extra...)
}

func (p Party) event(t string, sev Severity, msg, result, reason string, extra ...Target) Event {
	e := newEvent(TokenEventType(t, p.ServerID), sev, msg, p.App, result, reason, p.targets(extra...)...)
	e.DebugContext.DebugData["authorizationServerId"] = p.ServerID
	return e
}

// TokenKind is the kind of a token an event names.
type TokenKind string

// Token kinds.
const (
	AccessToken  TokenKind = TypeAccessToken
	IDToken      TokenKind = TypeIDToken
	RefreshToken TokenKind = TypeRefreshToken
)

var grantTypes = map[TokenKind]string{AccessToken: TypeAccessTokenGrant, IDToken: TypeIDTokenGrant, RefreshToken: TypeRefreshTokenGrant}

// kindNames are the names of token kinds in display messages.
var kindNames = map[TokenKind]string{AccessToken: "OAuth 2.0 access token", IDToken: "OIDC ID token", RefreshToken: "OAuth 2.0 refresh token"}

// TokenGrant records that a token of kind was issued to p.App through
// grantType with scopes. id is the token's jti (access and ID tokens) or
// the hash id the store keeps a refresh token under, never its value.
func TokenGrant(p Party, kind TokenKind, id, grantType string, scopes []string) Event {
	e := p.event(grantTypes[kind], SeverityInfo, kindNames[kind]+" is granted", ResultSuccess, "",
		Target{ID: id, Type: string(kind), AlternateID: id, DisplayName: string(kind)})
	e.DebugContext.DebugData["grantType"] = grantType
	e.DebugContext.DebugData["grantedScopes"] = strings.Join(scopes, " ")
	return e
}

// ReuseDetected records that the rotated refresh token refreshID of
// family familyID was presented again after the leeway.
func ReuseDetected(p Party, refreshID, familyID string) Event {
	e := p.event(TypeTokenDetectReuse, SeverityWarn, "OAuth 2.0 refresh token reuse detected", ResultFailure, ReasonReuseDetected,
		Target{ID: refreshID, Type: TypeRefreshToken, AlternateID: refreshID, DisplayName: TypeRefreshToken})
	e.DebugContext.DebugData["familyId"] = familyID
	return e
}

// FamilyRevoked records that the refresh token family familyID and the
// access tokens issued from it were revoked, for reason (ReasonReuseDetected
// or ReasonRevoked).
func FamilyRevoked(p Party, familyID, reason string) Event {
	sev := SeverityInfo
	if reason == ReasonReuseDetected {
		sev = SeverityWarn
	}
	e := p.event(TypeFamilyRevoke, sev, "OAuth 2.0 refresh token family revoked", ResultSuccess, reason,
		Target{ID: familyID, Type: TypeRefreshFamily, AlternateID: familyID, DisplayName: TypeRefreshFamily})
	e.DebugContext.DebugData["familyId"] = familyID
	return e
}

// TokenRevoked records that p.App revoked its token of kind (by jti or
// refresh token hash id) at the revocation endpoint.
func TokenRevoked(p Party, kind TokenKind, id string) Event {
	return p.event(TypeTokenRevoke, SeverityInfo, "OAuth 2.0 token revocation request", ResultSuccess, "",
		Target{ID: id, Type: string(kind), AlternateID: id, DisplayName: string(kind)})
}
