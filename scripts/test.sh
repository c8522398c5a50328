#!/usr/bin/env bash
# The whole test suite, as CI runs it: formatting, vet, staticcheck, the
# tests with the race detector (on SQLite and on a throwaway PostgreSQL),
# and a short run of every fuzz target. It installs what it needs
# (staticcheck through the Go module proxy; PostgreSQL from Debian's
# packages when its binaries are missing and we are root).
#
#   ./scripts/test.sh            everything
#   FUZZTIME=60s ./scripts/test.sh   longer fuzzing
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZTIME=${FUZZTIME:-5s}
STATICCHECK=honnef.co/go/tools/cmd/staticcheck@v0.8.2

START=$SECONDS
step() { printf '\n== %s (at %ds)\n' "$*" "$((SECONDS - START))"; }

if ! command -v go >/dev/null; then
	echo "Go 1.26 or later is required: https://go.dev/dl/" >&2
	exit 1
fi
go version

# pg_bindir prints the directory of the PostgreSQL server binaries (initdb
# and postgres), looking where package pgtest looks.
pg_bindir() {
	local d
	for d in "${LATCHKEY_PG_BINDIR:-}" "$(pg_config --bindir 2>/dev/null)" \
		$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -rn) \
		"$(dirname "$(command -v postgres 2>/dev/null || echo /nonexistent/x)")"; do
		if [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/postgres" ]; then
			echo "$d"; return 0
		fi
	done
	return 1
}

step "PostgreSQL (the tests start a throwaway server of their own)"
if [ "${LATCHKEY_SKIP_POSTGRES:-}" = 1 ]; then
	echo "LATCHKEY_SKIP_POSTGRES=1 is for running go test without PostgreSQL;" >&2
	echo "this script runs every test: unset it." >&2
	exit 1
fi
if ! bindir=$(pg_bindir); then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		echo "no PostgreSQL binaries found: installing Debian's postgresql package"
		apt-get update
		DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql
	else
		echo "PostgreSQL's server binaries (initdb, postgres) are needed and were not found." >&2
		echo "Install them (Debian/Ubuntu: sudo apt-get install postgresql), or set LATCHKEY_PG_BINDIR," >&2
		echo "or run the SQLite tests alone: LATCHKEY_SKIP_POSTGRES=1 go test ./..." >&2
		exit 1
	fi
	bindir=$(pg_bindir) || { echo "PostgreSQL installed but initdb/postgres still not found" >&2; exit 1; }
fi
export LATCHKEY_PG_BINDIR=$bindir
"$bindir/postgres" --version

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
echo "all checks passed in $((SECONDS - START))s"
