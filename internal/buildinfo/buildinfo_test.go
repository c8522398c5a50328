package buildinfo

import (
	"bytes"
	"encoding/json"
	"runtime/debug"
	"testing"
)

func TestFromBuildInfo(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		bi   debug.BuildInfo
		want Info
	}{
		{"checkout", debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123abcd"}, {Key: "vcs.modified", Value: "true"}}},
			Info{Version: "(devel)", Commit: "0123abcd", Modified: true, GoVersion: "go1.26.8"}},
		{"tagged", debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.0"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "feed"}, {Key: "vcs.modified", Value: "false"}}},
			Info{Version: "v1.2.0", Commit: "feed", GoVersion: "go1.26.8"}},
		{"no vcs", debug.BuildInfo{GoVersion: "go1.26.8"},
			Info{Version: "(devel)", Commit: "unknown", GoVersion: "go1.26.8"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := fromBuildInfo(&tc.bi); got != tc.want {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestFormats(t *testing.T) {
	t.Parallel()
	info := Info{Version: "(devel)", Commit: "0123abcd", Modified: true, GoVersion: "go1.26.8"}
	var text bytes.Buffer
	if err := info.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if want := "version: (devel)\ncommit: 0123abcd\nmodified: true\ngo: go1.26.8\n"; text.String() != want {
		t.Fatalf("text %q, want %q", text.String(), want)
	}
	var js bytes.Buffer
	if err := info.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back["version"] != "(devel)" || back["commit"] != "0123abcd" || back["modified"] != true || back["go_version"] != "go1.26.8" {
		t.Fatalf("json %s", js.String())
	}
}

func TestReadHasAGoVersion(t *testing.T) {
	t.Parallel()
	if info := Read(); info.GoVersion == "" || info.Version == "" || info.Commit == "" {
		t.Fatalf("Read() = %+v", info)
	}
}
