package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Examples in the README and docs/ that are meant to be pasted are marked
// by the info string of their fence, and run here as pasted:
//
//	```yaml apply    a setup document: latchkey apply --file FILE, and the
//	                 same block as a configuration file (serve applies its
//	                 setup: section at every start)
//	```yaml config   a configuration file, or part of one: latchkey
//	                 --config FILE apply
//
// A renderer shows both as YAML (the first word is the language).

// docExample is one marked fenced block.
type docExample struct {
	file, marker, body string
	line               int
}

// docExamples returns the marked blocks of the README and docs/*.md.
func docExamples(t *testing.T) []docExample {
	t.Helper()
	files, err := filepath.Glob("../../docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	var out []docExample
	for _, f := range append(files, "../../README.md") {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(string(b), "\n")
		for i := 0; i < len(lines); i++ {
			marker, ok := strings.CutPrefix(lines[i], "```yaml ")
			if !ok {
				continue
			}
			start := i
			var body strings.Builder
			for i++; i < len(lines) && !strings.HasPrefix(lines[i], "```"); i++ {
				body.WriteString(lines[i] + "\n")
			}
			out = append(out, docExample{file: filepath.Base(f), marker: strings.TrimSpace(marker), body: body.String(), line: start + 1})
		}
	}
	return out
}

// TestDocExamplesRunAsPasted runs every marked example through the real
// command.
func TestDocExamplesRunAsPasted(t *testing.T) {
	t.Parallel()
	seen := map[string]int{}
	for _, ex := range docExamples(t) {
		seen[ex.marker]++
		t.Run(ex.file+":"+strconv.Itoa(ex.line), func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "example.yaml")
			if err := os.WriteFile(path, []byte(ex.body), 0o600); err != nil {
				t.Fatal(err)
			}
			db := keysDB(t)
			switch ex.marker {
			case "apply":
				if out, err := runCLI(t, "", "apply", "--db", db, "--file", path); err != nil {
					t.Fatalf("latchkey apply --file (%s line %d): %v\n%s", ex.file, ex.line, err, out)
				}
				out, err := runCLI(t, "", "apply", "--db", db, "--file", path)
				if err != nil || strings.TrimSpace(out) != "setup applied" {
					t.Fatalf("applying it again changed something: %v\n%s", err, out)
				}
				fallthrough // the same block is also a configuration file
			case "config":
				if out, err := runCLI(t, "", "--config", path, "apply", "--db", db); err != nil {
					t.Fatalf("latchkey --config (%s line %d) apply: %v\n%s", ex.file, ex.line, err, out)
				}
			default:
				t.Fatalf("%s line %d: unknown example marker %q (apply or config)", ex.file, ex.line, ex.marker)
			}
		})
	}
	if seen["apply"] == 0 || seen["config"] == 0 {
		t.Fatalf("found examples %v; want the apply example of docs/authorization-servers.md and the README's configuration", seen)
	}
}
