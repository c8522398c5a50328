#!/usr/bin/env bash
# The whole test suite, as CI runs it: formatting, vet, staticcheck, the
# tests with the race detector (on SQLite and on a throwaway PostgreSQL),
# and a short run of every fuzz target. It installs what it needs
# (staticcheck through the Go module proxy; PostgreSQL from Debian's
# packages when its binaries are missing and we are root).
#
#   ./scripts/test.sh            everything
#   FUZZTIME=60s ./scripts/test.sh   longer fuzzing
#   FUZZ_ALL=1 ./scripts/test.sh     fuzz the end-to-end and guard targets too
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZTIME=${FUZZTIME:-3s}
STATICCHECK=honnef.co/go/tools/cmd/staticcheck@v0.8.2

START=$SECONDS
# step starts a stage; the summary at the end lists how long each took.
stages=() stage="" stage_start=$SECONDS
end_stage() {
	[ -n "$stage" ] && stages+=("$(printf '%5ds  %s' "$((SECONDS - stage_start))" "$stage")")
	stage_start=$SECONDS
}
step() {
	end_stage
	stage=$1
	printf '\n== %s (at %ds)\n' "$*" "$((SECONDS - START))"
}

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

# vet and staticcheck read the packages as the race-detector build compiles
# them (GOFLAGS=-race), so that they and the tests share one compilation of
# every package: from a cold cache each extra build configuration costs
# minutes on two cores.
step "go vet"
GOFLAGS=-race go vet ./...

step "staticcheck ($STATICCHECK)"
toolbin=$(mktemp -d)
GOBIN=$toolbin go install "$STATICCHECK"
GOFLAGS=-race "$toolbin/staticcheck" ./...
rm -rf "$toolbin"

step "cgo-free: the binary's packages resolve with CGO_ENABLED=0 and none uses cgo"
needs_cgo=$(CGO_ENABLED=0 go list -deps -e \
	-f '{{with .Error}}{{$.ImportPath}}: {{.}}{{"\n"}}{{end}}{{if .CgoFiles}}{{.ImportPath}} has cgo files{{"\n"}}{{end}}' ./cmd/latchkey)
if [ -n "$needs_cgo" ]; then
	echo "the default build must need no cgo:"; echo "$needs_cgo"; exit 1
fi

step "go test -race"
go test -race -count=1 ./...

step "fuzz targets, $FUZZTIME each"
# Every Fuzz* function in the repository, run briefly on its own. Each
# package's instrumented test binary is built once (go test -c -fuzz) and
# run once per target from the package's folder, so that a failing input
# is saved under its testdata/fuzz as go test would save it.
fuzzdir=$(mktemp -d)
trap 'rm -rf "$fuzzdir"' EXIT
# The packages whose test binaries hold most of the server (the token
# endpoint, the SQLite driver, the management API) are fuzzed only with
# FUZZ_ALL=1: instrumenting all of that for fuzzing costs two to three
# minutes from a cold cache, which the 10-minute budget does not have.
# Their seed corpora run with the tests above anyway; the small parsers
# (passwords, imports, queries, TOTP, the verifier, logins, claims JSON,
# bench users files) are fuzzed
# every time.
heavy=" internal/e2e internal/guard internal/mgmtapi internal/httpapi internal/oauth internal/mfa internal/oidc "
for pkg in $(git grep -l '^func Fuzz' -- '*_test.go' | xargs -n1 dirname | sort -u); do
	if [ "${FUZZ_ALL:-}" != 1 ] && [[ "$heavy" == *" $pkg "* ]]; then
		echo "-- $pkg: seed corpus only (FUZZ_ALL=1 fuzzes it)"
		continue
	fi
	bin="$fuzzdir/$(echo "$pkg" | tr / _).test"
	go test -c -fuzz=. -o "$bin" "./$pkg"
	for name in $(git grep -h '^func Fuzz' -- "$pkg/*_test.go" | sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p'); do
		echo "-- $pkg $name"
		fuzz() {
			(cd "$pkg" && "$bin" -test.run='^$' -test.fuzz="^${name}\$" -test.fuzztime="$FUZZTIME" \
				-test.fuzzcachedir="$fuzzdir/cache/$pkg") >"$fuzzdir/log" 2>&1
		}
		if ! fuzz; then
			# On a loaded machine the fuzzing engine can miss its own stop
			# deadline ("context deadline exceeded") without any failing
			# input; that, and only that, is tried once more.
			if grep -q 'context deadline exceeded' "$fuzzdir/log" && ! grep -q 'Failing input' "$fuzzdir/log"; then
				echo "   (the fuzzing engine missed its stop deadline; once more)"
				fuzz || { cat "$fuzzdir/log"; exit 1; }
			else
				cat "$fuzzdir/log"; exit 1
			fi
		fi
	done
done

end_stage
echo
printf '%s\n' "${stages[@]}"
echo "all checks passed in $((SECONDS - START))s"
