package userimport

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
)

// Formats of an import file.
const (
	FormatJSONL = "jsonl"
	FormatCSV   = "csv"
)

// DetectFormat names the format of a file by its extension: .csv is CSV,
// .jsonl, .ndjson and .json are JSON lines. "" means it cannot tell.
func DetectFormat(name string) string {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv":
		return FormatCSV
	case ".jsonl", ".ndjson", ".json":
		return FormatJSONL
	}
	return ""
}

// Open returns the Reader of format for r.
func Open(r io.Reader, format string) (Reader, error) {
	switch format {
	case FormatJSONL:
		return NewJSONL(r), nil
	case FormatCSV:
		return NewCSV(r)
	}
	return nil, fmt.Errorf("unknown format %q (jsonl or csv)", format)
}
