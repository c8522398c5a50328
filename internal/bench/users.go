package bench

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// UsersFormat is the layout of a users file.
type UsersFormat int

// The users file layouts.
const (
	// UsersColon is one "username:password" a line, split at the first
	// colon (a password may hold colons, a username may not). Blank lines
	// and lines starting with # are skipped; a line ending in \r\n is
	// read without the \r; nothing else is trimmed.
	UsersColon UsersFormat = iota
	// UsersCSV is RFC 4180 CSV: username and password in the first two
	// columns (more columns are ignored), quoted when they hold a comma or
	// a quote. A first row whose first field is "username" or "login" is a
	// header and skipped; rows starting with # are skipped.
	UsersCSV
)

// MaxUserLine bounds one line (or CSV row) of a users file.
const MaxUserLine = 64 << 10

// FormatForPath is the layout a file's name implies: CSV for a name ending
// in .csv (any case), colon lines otherwise.
func FormatForPath(path string) UsersFormat {
	if strings.HasSuffix(strings.ToLower(path), ".csv") {
		return UsersCSV
	}
	return UsersColon
}

// ReadUsersFile reads the users of a file, its layout chosen by
// FormatForPath.
func ReadUsersFile(path string) ([]User, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	users, err := ParseUsers(f, FormatForPath(path))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return users, nil
}

// ParseUsers reads users in the given layout. Errors name the line, never
// its content (a password may be on it). A file without users is an error.
func ParseUsers(r io.Reader, format UsersFormat) ([]User, error) {
	var users []User
	var err error
	if format == UsersCSV {
		users, err = parseCSV(r)
	} else {
		users, err = parseColon(r)
	}
	if err != nil {
		return nil, err
	}
	if len(users) == 0 {
		return nil, errors.New("no users in the file")
	}
	return users, nil
}

func parseColon(r io.Reader) ([]User, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), MaxUserLine)
	var users []User
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSuffix(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, pw, ok := strings.Cut(line, ":")
		if !ok {
			return nil, fmt.Errorf("line %d: want username:password", n)
		}
		if err := checkUser(name, pw); err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		users = append(users, User{Username: name, Password: pw})
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("line %d: longer than %d bytes", n+1, MaxUserLine)
		}
		return nil, err
	}
	return users, nil
}

func parseCSV(r io.Reader) ([]User, error) {
	cr := csv.NewReader(&boundedLines{r: bufio.NewReader(r)})
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	var users []User
	for first := true; ; first = false {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return users, nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, fmt.Errorf("line %d: %w", pe.Line, pe.Err) // pe.Err names no content
			}
			return nil, err
		}
		line, _ := cr.FieldPos(0) // only after a record was read: it panics otherwise
		if first && len(rec) > 0 {
			if h := strings.ToLower(strings.TrimSpace(rec[0])); h == "username" || h == "login" {
				continue
			}
		}
		if len(rec) < 2 {
			return nil, fmt.Errorf("line %d: want username,password", line)
		}
		if err := checkUser(rec[0], rec[1]); err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		users = append(users, User{Username: rec[0], Password: rec[1]})
	}
}

func checkUser(name, pw string) error {
	switch {
	case name == "":
		return errors.New("empty username")
	case pw == "":
		return errors.New("empty password")
	case strings.ContainsAny(name, "\x00\n\r") || strings.ContainsRune(pw, 0):
		return errors.New("a control character in the username or password")
	}
	return nil
}

// boundedLines passes its reader through but fails on a line longer than
// MaxUserLine, so that a file without line breaks cannot fill the memory.
type boundedLines struct {
	r   *bufio.Reader
	run int // bytes since the last line break
}

func (b *boundedLines) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	for _, c := range p[:n] {
		if c == '\n' {
			b.run = 0
		} else if b.run++; b.run > MaxUserLine {
			return 0, fmt.Errorf("a line longer than %d bytes", MaxUserLine)
		}
	}
	return n, err
}
