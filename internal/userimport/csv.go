package userimport

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/latchkey/latchkey/internal/password"
)

// Columns are the CSV columns an import reads, by header name (see
// docs/import.md). Only login is required; the order is free.
var Columns = []string{
	"login", "email", "firstName", "lastName", "locale", "zoneInfo", "status", "groupIds",
	"password",
	"password_hash_algorithm", "password_hash_value", "password_hash_salt", "password_hash_salt_order",
	"password_hash_work_factor", "password_hash_digest_algorithm", "password_hash_iteration_count",
	"password_hash_key_size",
}

// CSV reads CSV with a header row naming Columns.
type CSV struct {
	r    *csv.Reader
	cols []string
}

// NewCSV reads the header from r and returns a Reader of the rows that
// follow. An unknown, repeated or missing required column is an error.
func NewCSV(r io.Reader) (*CSV, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("CSV header: %w", err)
	}
	cols, err := checkHeader(header)
	if err != nil {
		return nil, err
	}
	cr.FieldsPerRecord = len(cols)
	return &CSV{r: cr, cols: cols}, nil
}

func checkHeader(header []string) ([]string, error) {
	cols := make([]string, len(header))
	seen := map[string]bool{}
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		known := false
		for _, c := range Columns {
			if strings.EqualFold(h, c) {
				h, known = c, true
			}
		}
		if !known {
			return nil, fmt.Errorf("CSV header: unknown column %q (columns: %s)", clip(h), strings.Join(Columns, ", "))
		}
		if seen[h] {
			return nil, fmt.Errorf("CSV header: column %q appears twice", h)
		}
		seen[h] = true
		cols[i] = h
	}
	if !seen["login"] {
		return nil, errors.New("CSV header: the login column is required")
	}
	return cols, nil
}

// Next implements Reader.
func (c *CSV) Next() (Record, error) {
	for {
		row, err := c.r.Read()
		if errors.Is(err, io.EOF) {
			return Record{}, io.EOF
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return Record{}, lineErr(pe.StartLine, "", "%v", pe.Err)
		}
		if err != nil {
			return Record{}, err
		}
		line, _ := c.r.FieldPos(0)
		if len(row) == 1 && strings.TrimSpace(row[0]) == "" && len(c.cols) > 1 {
			continue
		}
		rec, lerr := ParseRow(c.cols, row, line)
		if lerr != nil {
			return Record{}, lerr
		}
		return rec, nil
	}
}

// ParseRow reads one CSV row under the header cols (names from Columns).
func ParseRow(cols, row []string, line int) (Record, *LineError) {
	if len(cols) != len(row) {
		return Record{}, lineErr(line, "", "%d fields, the header has %d", len(row), len(cols))
	}
	rec := Record{Line: line}
	var h password.OktaHash
	var hashGiven bool
	for i, col := range cols {
		v := row[i]
		if strings.HasPrefix(col, "password_hash_") && v != "" {
			hashGiven = true
		}
		var err error
		switch col {
		case "login":
			rec.Login = v
		case "email":
			rec.Email = v
		case "firstName":
			rec.FirstName = v
		case "lastName":
			rec.LastName = v
		case "locale":
			rec.Locale = v
		case "zoneInfo":
			rec.ZoneInfo = v
		case "status":
			rec.Status = strings.ToUpper(strings.TrimSpace(v))
		case "groupIds":
			for _, g := range strings.Split(v, ";") {
				if g = strings.TrimSpace(g); g != "" {
					rec.GroupIDs = append(rec.GroupIDs, g)
				}
			}
		case "password":
			rec.Password = v
		case "password_hash_algorithm":
			h.Algorithm = v
		case "password_hash_value":
			h.Value = v
		case "password_hash_salt":
			h.Salt = v
		case "password_hash_salt_order":
			h.SaltOrder = v
		case "password_hash_digest_algorithm":
			h.DigestAlgorithm = v
		case "password_hash_work_factor":
			h.WorkFactor, err = number(v)
		case "password_hash_iteration_count":
			h.IterationCount, err = number(v)
		case "password_hash_key_size":
			h.KeySize, err = number(v)
		default:
			err = errors.New("is not a column")
		}
		if err != nil {
			return Record{}, lineErr(line, rec.Login, "%s %v", col, err)
		}
	}
	if hashGiven {
		enc, err := password.FromOktaHash(h)
		if err != nil {
			return Record{}, lineErr(line, rec.Login, "%v", err)
		}
		rec.Hash = enc
	}
	if err := rec.check(); err != nil {
		return Record{}, err
	}
	return rec, nil
}

func number(v string) (int, error) {
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 0 {
		return 0, errors.New("must be a whole number")
	}
	return n, nil
}
