package main

import (
	"encoding/json"
	"runtime"
	"strings"
	"testing"
)

// TestVersion: `latchkey version` and `latchkey --version` print the same
// stable text, and --json the same values as an object.
func TestVersion(t *testing.T) {
	t.Parallel()
	text, _, err := runCLIEnv(nil, "", "version")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "version: ") || !strings.HasPrefix(lines[1], "commit: ") ||
		!strings.HasPrefix(lines[2], "modified: ") || lines[3] != "go: "+runtime.Version() {
		t.Fatalf("version printed %q", text)
	}
	flag, _, err := runCLIEnv(nil, "", "--version")
	if err != nil || flag != text {
		t.Fatalf("--version printed %q (%v), want %q", flag, err, text)
	}
	js, _, err := runCLIEnv(nil, "", "version", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Version   string `json:"version"`
		Commit    string `json:"commit"`
		GoVersion string `json:"go_version"`
	}
	if err := json.Unmarshal([]byte(js), &v); err != nil || v.GoVersion != runtime.Version() {
		t.Fatalf("version --json printed %q (%v)", js, err)
	}
}
