package events

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"time"
)

// Event is one audit record, marshalled exactly as Okta's System Log
// LogEvent. Fields that Okta leaves null are written as empty strings.
type Event struct {
	UUID           string       `json:"uuid"`
	Published      time.Time    `json:"published"`
	EventType      string       `json:"eventType"`
	Version        string       `json:"version"`
	Severity       Severity     `json:"severity"`
	DisplayMessage string       `json:"displayMessage"`
	Actor          Actor        `json:"actor"`
	Client         Client       `json:"client"`
	Outcome        Outcome      `json:"outcome"`
	Target         []Target     `json:"target"`
	Transaction    Transaction  `json:"transaction"`
	DebugContext   DebugContext `json:"debugContext"`
}

// Version is the LogEvent schema version Okta writes.
const Version = "0"

// publishedLayout is Okta's timestamp: UTC with milliseconds, e.g.
// 2024-03-09T14:30:15.123Z.
const publishedLayout = "2006-01-02T15:04:05.000Z07:00"

// MarshalJSON writes published with millisecond precision in UTC, as Okta
// does, and target as an array even when there is none.
func (e Event) MarshalJSON() ([]byte, error) {
	type plain Event
	if e.Target == nil {
		e.Target = []Target{}
	}
	if e.DebugContext.DebugData == nil {
		e.DebugContext.DebugData = map[string]string{}
	}
	return json.Marshal(struct {
		plain
		Published string `json:"published"`
	}{plain(e), e.Published.UTC().Format(publishedLayout)})
}

// Severity is how much an event matters, in Okta's four levels.
type Severity string

// Okta's severities.
const (
	SeverityDebug Severity = "DEBUG"
	SeverityInfo  Severity = "INFO"
	SeverityWarn  Severity = "WARN"
	SeverityError Severity = "ERROR"
)

// Actor is who or what performed the action (Okta's LogActor).
type Actor struct {
	ID          string `json:"id"`
	Type        string `json:"type"`
	AlternateID string `json:"alternateId"`
	DisplayName string `json:"displayName"`
}

// Target is an entity the action was performed on (Okta's LogTarget).
type Target struct {
	ID          string `json:"id"`
	Type        string `json:"type"`
	AlternateID string `json:"alternateId"`
	DisplayName string `json:"displayName"`
}

// Client is where the request came from (Okta's LogClient).
type Client struct {
	IPAddress string    `json:"ipAddress"`
	UserAgent UserAgent `json:"userAgent"`
}

// UserAgent is the request's user agent (Okta's LogUserAgent).
type UserAgent struct {
	RawUserAgent string `json:"rawUserAgent"`
}

// Outcome is the result of the action (Okta's LogOutcome).
type Outcome struct {
	Result string `json:"result"`
	Reason string `json:"reason"`
}

// Transaction ties the events of one request together (Okta's
// LogTransaction): type WEB and the request id.
type Transaction struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

// DebugContext holds details of the event (Okta's LogDebugContext). Its
// values are strings, as Okta writes them, and never secrets.
type DebugContext struct {
	DebugData map[string]string `json:"debugData"`
}

// Outcome results, as Okta names them.
const (
	ResultSuccess   = "SUCCESS"
	ResultFailure   = "FAILURE"
	ResultSkipped   = "SKIPPED"
	ResultAllow     = "ALLOW"
	ResultDeny      = "DENY"
	ResultChallenge = "CHALLENGE"
	ResultUnknown   = "UNKNOWN"
)

// Transaction types.
const (
	TransactionWeb = "WEB" // an HTTP request
	TransactionJob = "JOB" // background work
)

// Actor and target types, as Okta names them.
const (
	TypeUser            = "User"
	TypeApp             = "PublicClientApp"
	TypeSystem          = "SystemPrincipal"
	TypeAuthServer      = "AuthorizationServer"
	TypeAccessToken     = "access_token"
	TypeIDToken         = "id_token"
	TypeRefreshToken    = "refresh_token"
	TypeRefreshFamily   = "refresh_token_family"
	TypeRateLimitBucket = "RateLimit"
)

// newUUID returns a time-ordered (version 7, RFC 9562) UUID for an event
// published at t: 48 bits of Unix milliseconds, then 74 random bits. Okta's
// event uuids are time-based too (version 1). Ids that grow with time are
// appended at the end of the store's id index instead of at random places
// in it, which keeps the audit trail's writes to a few pages per batch.
func newUUID(t time.Time) string {
	var b [16]byte
	_, _ = rand.Read(b[6:]) // never fails (crypto/rand)
	ms := uint64(t.UnixMilli())
	b[0], b[1], b[2] = byte(ms>>40), byte(ms>>32), byte(ms>>24)
	b[3], b[4], b[5] = byte(ms>>16), byte(ms>>8), byte(ms)
	b[6] = b[6]&0x0f | 0x70
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}
