package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestSystemdUnit: examples/latchkey.service has the hardening the README
// promises and passes systemd-analyze verify where systemd is installed.
func TestSystemdUnit(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../examples/latchkey.service")
	if err != nil {
		t.Fatal(err)
	}
	unit := string(b)
	for _, want := range []string{
		"\nDynamicUser=yes\n", "\nNoNewPrivileges=yes\n", "\nProtectSystem=strict\n", "\nReadWritePaths=/var/lib/latchkey\n",
		"\nPrivateTmp=yes\n", "\nProtectHome=yes\n", "\nCapabilityBoundingSet=\n", "\nRestrictAddressFamilies=",
		"\nSystemCallFilter=@system-service\n", "\nLoadCredential=master-key:", "--master-key-file %d/master-key",
	} {
		if !strings.Contains(unit, want) {
			t.Errorf("the unit lacks %q", strings.TrimSpace(want))
		}
	}
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		t.Skip("systemd-analyze is not installed: the unit was checked for its hardening keys only, not verified")
	}
	// verify wants ExecStart's binary to exist: any executable stands in.
	path := filepath.Join(t.TempDir(), "latchkey.service")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(unit, "/usr/local/bin/latchkey", "/bin/true")), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("systemd-analyze", "verify", path).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// TestDockerfile: the image is built from a static binary (CGO_ENABLED=0,
// -trimpath) and runs as a non-root user; where a Docker daemon answers,
// the image builds and its binary runs.
func TestDockerfile(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	df := string(b)
	for _, re := range []string{
		`(?m)^FROM golang:1\.26 AS build$`, `CGO_ENABLED=0 go build -trimpath`, `(?m)^FROM gcr\.io/distroless/static`,
		`(?m)^USER 65532:65532$`, `(?m)^EXPOSE 8080$`, `--chown=65532:65532 .* /data`,
	} {
		if !regexp.MustCompile(re).MatchString(df) {
			t.Errorf("the Dockerfile does not match %s", re)
		}
	}
	if regexp.MustCompile(`(?m)^USER (root|0)\b`).MatchString(df) {
		t.Error("the Dockerfile runs as root")
	}
	if _, err := exec.LookPath("docker"); err != nil {
		t.Skip("docker is not installed: the Dockerfile was checked as text only, not built")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := exec.CommandContext(ctx, "docker", "version", "--format", "{{.Server.Version}}").Run(); err != nil {
		t.Skip("no Docker daemon answers: the Dockerfile was checked as text only, not built")
	}
	if testing.Short() {
		t.Skip("-short: the Dockerfile was checked as text only, not built")
	}
	tag := "latchkey-test:" + strings.ToLower(filepath.Base(t.TempDir()))
	if out, err := exec.Command("docker", "build", "-t", tag, "../..").CombinedOutput(); err != nil {
		t.Fatalf("docker build: %v\n%s", err, out)
	}
	defer exec.Command("docker", "image", "rm", "-f", tag).Run()
	out, err := exec.Command("docker", "run", "--rm", tag, "version").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "version:") {
		t.Fatalf("docker run %s version: %v\n%s", tag, err, out)
	}
}
