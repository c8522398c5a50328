// Package buildinfo says which build of Latchkey is running: its version,
// the commit it was built from and the Go toolchain, as the Go linker
// recorded them (runtime/debug.ReadBuildInfo). `latchkey version`, the
// start log line and the latchkey_build_info metric all read it here, so
// they always agree.
package buildinfo

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// Info is what a binary knows about its own build.
type Info struct {
	// Version is the main module's version: a tag such as v1.2.0 when
	// built with `go install …@v1.2.0`, "(devel)" when built from a
	// checkout.
	Version string `json:"version"`
	// Commit is the VCS revision (vcs.revision), "unknown" when the build
	// recorded none (-buildvcs=false, or no repository).
	Commit string `json:"commit"`
	// Modified reports uncommitted changes in the checkout (vcs.modified).
	Modified bool `json:"modified"`
	// GoVersion is the toolchain that built the binary, e.g. go1.26.8.
	GoVersion string `json:"go_version"`
}

// Read returns the running binary's Info.
func Read() Info {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return Info{Version: "(devel)", Commit: "unknown", GoVersion: runtime.Version()}
	}
	return fromBuildInfo(bi)
}

func fromBuildInfo(bi *debug.BuildInfo) Info {
	info := Info{Version: bi.Main.Version, Commit: "unknown", GoVersion: bi.GoVersion}
	if info.Version == "" {
		info.Version = "(devel)"
	}
	if info.GoVersion == "" {
		info.GoVersion = runtime.Version()
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			if s.Value != "" {
				info.Commit = s.Value
			}
		case "vcs.modified":
			info.Modified = s.Value == "true"
		}
	}
	return info
}

// WriteText writes info in the stable text form of `latchkey version`:
// one "key: value" line each for version, commit, modified and go.
func (info Info) WriteText(w io.Writer) error {
	_, err := fmt.Fprintf(w, "version: %s\ncommit: %s\nmodified: %t\ngo: %s\n", info.Version, info.Commit, info.Modified, info.GoVersion)
	return err
}

// WriteJSON writes info as one JSON object and a newline.
func (info Info) WriteJSON(w io.Writer) error {
	return json.NewEncoder(w).Encode(info)
}
