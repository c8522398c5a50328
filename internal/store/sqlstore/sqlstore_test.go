package sqlstore

import (
	"database/sql"
	"testing"
	"time"
)

func TestMillis(t *testing.T) {
	cases := []struct {
		in   time.Time
		ms   int64
		back time.Time
	}{
		{time.Time{}, 0, time.Time{}},
		{time.Date(2024, 3, 9, 14, 30, 15, 123_456_789, time.UTC), 1709994615123, time.Date(2024, 3, 9, 14, 30, 15, 123_000_000, time.UTC)},
		{time.Date(2024, 3, 9, 15, 30, 15, 123_000_000, time.FixedZone("CET", 3600)), 1709994615123, time.Date(2024, 3, 9, 14, 30, 15, 123_000_000, time.UTC)},
		{time.Date(1969, 7, 20, 20, 17, 40, 0, time.UTC), -14182940000, time.Date(1969, 7, 20, 20, 17, 40, 0, time.UTC)},
	}
	for _, c := range cases {
		ms := millis(c.in)
		if ms != c.ms {
			t.Errorf("millis(%v) = %d, want %d", c.in, ms, c.ms)
		}
		back := fromMillis(ms)
		if !back.Equal(c.back) || back.IsZero() != c.back.IsZero() || (!back.IsZero() && back.Location() != time.UTC) {
			t.Errorf("fromMillis(%d) = %v, want %v in UTC", ms, back, c.back)
		}
	}
}

func TestNewValidates(t *testing.T) {
	db := new(sql.DB) // never used: New must refuse before touching it
	unique := func(error) bool { return false }
	if _, err := New(nil, db, Dialect{IsUniqueViolation: unique}); err == nil {
		t.Error("New with a nil write pool succeeded")
	}
	if _, err := New(db, nil, Dialect{IsUniqueViolation: unique}); err == nil {
		t.Error("New with a nil read pool succeeded")
	}
	if _, err := New(db, db, Dialect{Name: "x"}); err == nil {
		t.Error("New without IsUniqueViolation succeeded")
	}
	if _, err := New(db, db, Dialect{IsUniqueViolation: unique}); err != nil {
		t.Errorf("New: %v", err)
	}
}
