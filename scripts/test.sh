#!/usr/bin/env bash
# The whole test suite, as CI runs it: formatting, vet, staticcheck, the
# tests with the race detector, and a short run of every fuzz target.
# It installs what it needs (staticcheck through the Go module proxy).
#
#   ./scripts/test.sh            everything
#   FUZZTIME=60s ./scripts/test.sh   longer fuzzing
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZTIME=${FUZZTIME:-8s}
STATICCHECK=honnef.co/go/tools/cmd/staticcheck@v0.8.2

step() { printf '\n== %s\n' "$*"; }

if ! command -v go >/dev/null; then
	echo "Go 1.26 or later is required: https://go.dev/dl/" >&2
	exit 1
fi
go version

step "go mod verify"
go mod verify

step "gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './tmpdeps/*'))
if [ -n "$unformatted" ]; then
	echo "gofmt would change:"; echo "$unformatted"; exit 1
fi

step "go vet"
go vet ./...

step "staticcheck ($STATICCHECK)"
go run "$STATICCHECK" ./...

step "go build (CGO_ENABLED=0: the default build needs no cgo)"
CGO_ENABLED=0 go build -o /dev/null ./cmd/latchkey

step "go test -race"
go test -race -count=1 ./...

step "fuzz targets, $FUZZTIME each"
# Every Fuzz* function in the repository, run briefly on its own.
git grep -l '^func Fuzz' -- '*_test.go' | while read -r file; do
	pkg="./$(dirname "$file")"
	for name in $(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' "$file"); do
		echo "-- $pkg $name"
		go test -run='^$' -fuzz="^${name}\$" -fuzztime="$FUZZTIME" "$pkg" >/tmp/latchkey-fuzz.log 2>&1 || {
			cat /tmp/latchkey-fuzz.log; exit 1; }
	done
done

echo
echo "all checks passed"
