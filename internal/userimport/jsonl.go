package userimport

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/latchkey/latchkey/internal/password"
)

// MaxLineBytes is the longest line read; a longer one is a LineError and
// reading goes on after it.
const MaxLineBytes = 64 << 10

// Reader yields the records of an import file one by one.
type Reader interface {
	// Next returns the next record; a *LineError for a line it could not
	// read (call Next again for the following one); io.EOF at the end; any
	// other error when the input itself failed.
	Next() (Record, error)
}

// JSONL reads JSON lines: one user per line, blank lines skipped.
type JSONL struct {
	r    *bufio.Reader
	line int
}

// NewJSONL returns a Reader of JSON lines from r.
func NewJSONL(r io.Reader) *JSONL { return &JSONL{r: bufio.NewReaderSize(r, 64<<10)} }

// Next implements Reader.
func (j *JSONL) Next() (Record, error) {
	for {
		raw, tooLong, err := j.readLine()
		if err != nil && (len(raw) == 0 && !tooLong || !errors.Is(err, io.EOF)) {
			return Record{}, err
		}
		j.line++
		if tooLong {
			return Record{}, lineErr(j.line, "", "longer than %d bytes", MaxLineBytes)
		}
		if len(bytes.TrimSpace(raw)) == 0 {
			continue
		}
		rec, lerr := ParseLine(raw, j.line)
		if lerr != nil {
			return Record{}, lerr
		}
		return rec, nil
	}
}

// readLine returns the next line without its end; tooLong when it passed
// MaxLineBytes (the rest of it is discarded).
func (j *JSONL) readLine() (line []byte, tooLong bool, err error) {
	var buf []byte
	for {
		chunk, err := j.r.ReadSlice('\n')
		if len(buf)+len(chunk) > MaxLineBytes+2 {
			tooLong = true
			buf = buf[:0]
		} else {
			buf = append(buf, chunk...)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		buf = bytes.TrimSuffix(bytes.TrimSuffix(buf, []byte("\n")), []byte("\r"))
		if err == nil {
			return buf, tooLong, nil
		}
		return buf, tooLong, err
	}
}

// oktaUser is the part of Okta's user object an import reads; other
// members (id, _links, …, custom profile attributes) are ignored.
type oktaUser struct {
	Status  string `json:"status"`
	Profile *struct {
		Login     string `json:"login"`
		Email     string `json:"email"`
		FirstName string `json:"firstName"`
		LastName  string `json:"lastName"`
		Locale    string `json:"locale"`
		ZoneInfo  string `json:"zoneInfo"`
		Timezone  string `json:"timezone"`
	} `json:"profile"`
	Credentials *struct {
		Password *struct {
			Value *string         `json:"value"`
			Hash  json.RawMessage `json:"hash"`
		} `json:"password"`
	} `json:"credentials"`
	GroupIDs []string `json:"groupIds"`
}

// keycloakUser is Keycloak's exported user representation (an entry of a
// realm export's "users").
type keycloakUser struct {
	Username    string                        `json:"username"`
	Email       string                        `json:"email"`
	FirstName   string                        `json:"firstName"`
	LastName    string                        `json:"lastName"`
	Enabled     *bool                         `json:"enabled"`
	Credentials []password.KeycloakCredential `json:"credentials"`
}

// ParseLine reads one JSON line: Okta's user object, or Keycloak's user
// representation when it has a "username" member. line is its number,
// for errors.
func ParseLine(raw []byte, line int) (Record, *LineError) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		return Record{}, lineErr(line, "", "not a JSON object: %s", jsonReason(err))
	}
	if _, ok := top["username"]; ok {
		return parseKeycloak(raw, line)
	}
	var u oktaUser
	if err := json.Unmarshal(raw, &u); err != nil {
		return Record{}, lineErr(line, "", "%s", jsonReason(err))
	}
	if u.Profile == nil {
		return Record{}, lineErr(line, "", "profile is required")
	}
	p := u.Profile
	rec := Record{Line: line, Login: p.Login, Email: p.Email, FirstName: p.FirstName, LastName: p.LastName,
		Locale: p.Locale, ZoneInfo: p.ZoneInfo, Status: strings.ToUpper(u.Status), GroupIDs: u.GroupIDs}
	if rec.ZoneInfo == "" {
		rec.ZoneInfo = p.Timezone
	}
	if c := u.Credentials; c != nil && c.Password != nil {
		if v := c.Password.Value; v != nil {
			if *v == "" {
				return Record{}, lineErr(line, rec.Login, "credentials.password.value is empty")
			}
			rec.Password = *v
		}
		if len(c.Password.Hash) > 0 && string(c.Password.Hash) != "null" {
			enc, err := decodeHash(c.Password.Hash)
			if err != nil {
				return Record{}, lineErr(line, rec.Login, "credentials.%v", err)
			}
			rec.Hash = enc
		}
	}
	if err := rec.check(); err != nil {
		return Record{}, err
	}
	return rec, nil
}

// decodeHash reads Okta's hash object strictly (a misspelt member is an
// error, not a default) and converts it.
func decodeHash(raw json.RawMessage) (string, error) {
	var h password.OktaHash
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&h); err != nil {
		return "", fmt.Errorf("password.hash: %s", jsonReason(err))
	}
	return password.FromOktaHash(h)
}

func parseKeycloak(raw []byte, line int) (Record, *LineError) {
	var u keycloakUser
	if err := json.Unmarshal(raw, &u); err != nil {
		return Record{}, lineErr(line, "", "%s", jsonReason(err))
	}
	rec := Record{Line: line, Login: u.Username, Email: u.Email, FirstName: u.FirstName, LastName: u.LastName}
	if u.Enabled != nil && !*u.Enabled {
		rec.Status = "SUSPENDED"
	}
	for _, c := range u.Credentials {
		if c.Type != "password" {
			continue
		}
		if rec.Hash != "" {
			return Record{}, lineErr(line, rec.Login, "more than one password credential")
		}
		enc, err := password.FromKeycloakCredential(c)
		if err != nil {
			return Record{}, lineErr(line, rec.Login, "credentials: %v", err)
		}
		rec.Hash = enc
	}
	if err := rec.check(); err != nil {
		return Record{}, err
	}
	return rec, nil
}

// jsonReason describes a JSON error without quoting the input.
func jsonReason(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("invalid JSON at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("%s must be %s, not %s", te.Field, te.Type, te.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "unknown member " + clip(strings.TrimPrefix(err.Error(), "json: unknown field "))
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "truncated JSON"
	}
	return "invalid JSON"
}
