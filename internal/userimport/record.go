package userimport

import (
	"fmt"
	"strings"
)

// Record is one user read from an import file.
type Record struct {
	Line      int // 1-based line of the file (of the row, for CSV)
	Login     string
	Email     string
	FirstName string
	LastName  string
	Locale    string
	ZoneInfo  string
	// Status is the user's status as given ("" means ACTIVE).
	Status string
	// Password is a plaintext password to hash; Hash an already encoded
	// hash (package password). At most one is set; neither means a user
	// without a password.
	Password string
	Hash     string
	GroupIDs []string
}

// LineError is a line that could not be read; Reason says why. It never
// quotes a password or a hash.
type LineError struct {
	Line   int
	Login  string // when the line got as far as naming one
	Reason string
}

func (e *LineError) Error() string {
	if e.Login != "" {
		return fmt.Sprintf("line %d (%s): %s", e.Line, e.Login, e.Reason)
	}
	return fmt.Sprintf("line %d: %s", e.Line, e.Reason)
}

func lineErr(line int, login, format string, args ...any) *LineError {
	return &LineError{Line: line, Login: clip(login), Reason: fmt.Sprintf(format, args...)}
}

// clip shortens s for an error message.
func clip(s string) string {
	s = strings.ToValidUTF8(s, "?")
	if r := []rune(s); len(r) > 64 {
		return string(r[:64]) + "…"
	}
	return s
}

// maxGroups bounds the groups one line may name.
const maxGroups = 100

func (r *Record) check() *LineError {
	r.Login = strings.TrimSpace(r.Login)
	if r.Login == "" {
		return lineErr(r.Line, "", "profile.login is required")
	}
	if r.Password != "" && r.Hash != "" {
		return lineErr(r.Line, r.Login, "credentials.password has both a value and a hash")
	}
	if len(r.GroupIDs) > maxGroups {
		return lineErr(r.Line, r.Login, "more than %d groupIds", maxGroups)
	}
	for _, g := range r.GroupIDs {
		if g == "" || len(g) > 64 {
			return lineErr(r.Line, r.Login, "a groupIds entry is empty or longer than 64 characters")
		}
	}
	return nil
}
