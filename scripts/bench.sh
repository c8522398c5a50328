#!/usr/bin/env bash
# scripts/bench.sh reproduces the tables of docs/performance.md's "Over HTTP,
# with latchkey bench (issue 13)" section: Latchkey's token endpoint, JWKS and discovery measured
# with `latchkey bench` against a real `latchkey serve` on loopback, each
# grant against its floor (BenchmarkFloor: its signatures and hash on every
# core, measured before and after the runs), the CPU time per request of the
# server and of the load generator, memory and start-to-ready time from
# /proc, and (with `go`) the in-process benchmarks.
#
#   scripts/bench.sh            # http and memory (measured: 9.5 minutes, about
#                               # 5 of them the 100,000 refresh-token families)
#   scripts/bench.sh go         # the go test -bench figures only
#   scripts/bench.sh all        # both
#
# Environment: DURATION per measurement (default 10s), CONCURRENCY (16),
# FAMILIES (refresh-token families and users for the memory figure, default
# 100000; 0 skips that part, which takes most of the time), OUT (results
# directory, default ./bench-out). Everything talks to 127.0.0.1 only; every
# run is bounded by DURATION or a request count; the servers are stopped at
# the end. Results: one JSON file per run in $OUT and
# a summary on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."

what=${1:-http}
DURATION=${DURATION:-10s}
CONCURRENCY=${CONCURRENCY:-16}
FAMILIES=${FAMILIES:-100000}
OUT=${OUT:-$PWD/bench-out}
mkdir -p "$OUT"

machine() {
	echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(go version | cut -d' ' -f3-4), $(date -u +%Y-%m-%dT%H:%MZ)"
	echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
}

run_go() {
	machine | tee "$OUT/go-machine.txt"
	go test -run '^$' -bench . -benchmem -count 3 ./verifier | tee "$OUT/go-verifier.txt"
	go test -run '^$' -bench 'BenchmarkSign' -benchmem -count 3 ./internal/keys | tee "$OUT/go-keys.txt"
	go test -run '^$' -bench 'BenchmarkSignRS256|BenchmarkOverhead$|BenchmarkGrantAlg|BenchmarkJWKS|BenchmarkDiscovery' \
		-benchmem -count 3 -timeout 60m ./internal/e2e | tee "$OUT/go-e2e.txt"
}

tmp=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

lk="$tmp/latchkey"
port_base=$((20000 + RANDOM % 20000))

# rss PID: resident and peak resident size of a process, in MiB.
rss() {
	awk '/^VmRSS:/ {r=$2} /^VmHWM:/ {h=$2} END {printf "rss %.1f MiB, peak %.1f MiB", r/1024, h/1024}' "/proc/$1/status"
}

# start NAME CONFIG: a server on its own database and port; sets $base and
# $pid and prints the start-to-ready time (launch to the first 200 of
# /readyz, polled every 5 ms).
start() {
	local name=$1 config=$2
	local port=$((port_base + ${#pids[@]}))
	base="http://127.0.0.1:$port"
	local t0
	t0=$(date +%s%N)
	"$lk" --config "$config" --db "$tmp/$name.db" serve --dev --addr "127.0.0.1:$port" --log-level warn >"$tmp/$name.log" 2>&1 &
	pid=$!
	pids+=("$pid")
	for _ in $(seq 1 4000); do
		if curl -fso /dev/null "$base/readyz"; then
			echo "$name: ready $(( ($(date +%s%N) - t0) / 1000000 )) ms after launch; $(rss "$pid")"
			return
		fi
		sleep 0.005
	done
	echo "$name: not ready after 20 s" >&2
	cat "$tmp/$name.log" >&2
	exit 1
}

# client NAME: a client allowed the three grants, and the custom scope jobs;
# sets $client_id and writes the secret to $tmp/NAME.secret.
client() {
	local name=$1 json
	json=$("$lk" --db "$tmp/$name.db" clients create --name bench --grant-types password,refresh_token,client_credentials --json)
	client_id=$(sed -n 's/.*"client_id": *"\([^"]*\)".*/\1/p' <<<"$json" | head -1)
	sed -n 's/.*"client_secret": *"\([^"]*\)".*/\1/p' <<<"$json" | head -1 >"$tmp/$name.secret"
	"$lk" --db "$tmp/$name.db" scopes create --authserver default --name jobs >/dev/null
}

# users NAME N: N users with the password Bench-Pass-1234, hashed with the
# server's argon2id: the first through the configured hash, the others
# imported with the same stored hash (a copy: nothing to compute).
users() {
	local name=$1 n=$2 hash
	printf 'login,password\nbench0@example.com,Bench-Pass-1234\n' >"$tmp/$name-seed.csv"
	"$lk" --config "$tmp/$name.yaml" --db "$tmp/$name.db" import users "$tmp/$name-seed.csv" >/dev/null
	hash=$("$lk" --db "$tmp/$name.db" export --out - 2>/dev/null | grep '"bench0@example.com"' | sed -n 's/.*"value": *"\(\$argon2id[^"]*\)".*/\1/p')
	{
		echo "login,password_hash_algorithm,password_hash_value"
		for i in $(seq 1 "$((n - 1))"); do echo "bench$i@example.com,ARGON2ID,\"$hash\""; done
	} >"$tmp/$name-users.csv"
	"$lk" --db "$tmp/$name.db" import users --batch 5000 "$tmp/$name-users.csv" >/dev/null 2>&1
	for i in $(seq 0 "$((n - 1))"); do echo "bench$i@example.com:Bench-Pass-1234"; done >"$tmp/$name-users.txt"
}

# ticks PID: the CPU time (user and system) a process has used, in clock
# ticks.
ticks() {
	awk '{print $14 + $15}' "/proc/$1/stat"
}

# bench NAME ARGS…: one latchkey bench run, its JSON kept as $OUT/NAME.json
# and summed up on one line, with the CPU time per request (warm-up
# included) of the server ($pid) and of the load generator. With
# SHARED=1 (a run beside another) the server's CPU is not attributed.
bench() {
	local name=$1 s0 s1 gen TIMEFORMAT='%U %S'
	shift
	s0=$(ticks "$pid")
	gen=$({ time "$lk" bench --json "$@" >"$OUT/$name.json"; } 2>&1 | tail -1)
	s1=$(ticks "$pid")
	awk -v n="$name" -v server=$(((s1 - s0) * 1000 / $(getconf CLK_TCK))) -v gen="$gen" -v shared="${SHARED:-0}" '
		/"requests_per_second"/ {gsub(/[,]/, ""); rps=$2}
		/"requests"/ {gsub(/[,]/, ""); reqs=$2} /"warmup_requests"/ {gsub(/[,]/, ""); warm=$2}
		/"p50"/ {gsub(/[,]/, ""); p50=$2} /"p90"/ {gsub(/[,]/, ""); p90=$2}
		/"p99"/ {gsub(/[,]/, ""); p99=$2} /"max"/ {gsub(/[,]/, ""); mx=$2}
		END {
			printf "%-34s %9.1f req/s  p50 %7.2f  p90 %7.2f  p99 %7.2f  max %7.2f ms\n", n, rps, p50, p90, p99, mx
			split(gen, g, " "); total = reqs + warm
			if (total > 0 && shared != 1)
				printf "    CPU per request: server %.3f ms, load generator %.3f ms\n", server / total, (g[1] + g[2]) * 1000 / total
		}' "$OUT/$name.json"
	grep -A6 '"status"' "$OUT/$name.json" | tr -d ' \n' | sed 's/^/    /; s/$/\n/'
}

# floor LABEL: BenchmarkFloor (each grant's signatures and hash on every
# core, nothing else) into $OUT/floor-LABEL.txt.
floor() {
	go test -run '^$' -bench 'BenchmarkFloor' -benchtime 2s ./internal/e2e | tee "$OUT/floor-$1.txt" | grep '^BenchmarkFloor'
}

# share RUN FLOOR: RUN's succeeded grants a second as a share of the
# floor's grants/s, the mean of the two floor measurements.
share() {
	local rps f
	rps=$(awk '/"succeeded_per_second"/ {gsub(/,/, ""); print $2}' "$OUT/$1.json")
	f=$(cat "$OUT/floor-before.txt" "$OUT/floor-after.txt" | awk -v g="grant=$2-" 'index($1, g) == 16 {s += $(NF-1); n++} END {if (n) print s / n}')
	awk -v n="$1" -v r="$rps" -v f="$f" 'BEGIN {if (f > 0) printf "%-20s %9.1f grants/s of a floor of %9.1f: %5.1f %%\n", n, r, f, 100 * r / f}'
}

config() { # NAME MEMORY_KIB ITERATIONS
	cat >"$tmp/$1.yaml" <<EOF
password:
  memory_kib: $2
  iterations: $3
login_protection:
  rate_limits:
    source:
      requests: 0
EOF
}

run_http() {
	go build -o "$lk" ./cmd/latchkey
	machine | tee "$OUT/http-machine.txt"
	echo "== the floor, before the runs (BenchmarkFloor)"
	floor before
	token_args() { echo --token-url "$base/oauth2/default/v1/token" --client-id "$client_id" --client-secret-file "$tmp/$1.secret"; }

	echo "== cheap argon2id (m=768 KiB, t=1)"
	config cheap 768 1
	start cheap "$tmp/cheap.yaml"
	client cheap
	users cheap 1000
	echo "cheap: idle after setup: $(rss "$pid")"
	# shellcheck disable=SC2046
	bench password-cheap $(token_args cheap) --users-file "$tmp/cheap-users.txt" -c "$CONCURRENCY" -d "$DURATION" --warmup 2s
	# shellcheck disable=SC2046
	bench client-credentials $(token_args cheap) --grant client_credentials --scope jobs -c "$CONCURRENCY" -d "$DURATION" --warmup 2s
	# shellcheck disable=SC2046
	bench refresh $(token_args cheap) --grant refresh_token --users-file "$tmp/cheap-users.txt" -c "$CONCURRENCY" -d "$DURATION" --warmup 2s
	bench keys --get "$base/oauth2/default/v1/keys" -c 64 -d "$DURATION" --warmup 1s
	etag=$(curl -fsI "$base/oauth2/default/v1/keys" | sed -n 's/^[Ee][Tt]ag: *//p' | tr -d '\r')
	bench keys-304 --get "$base/oauth2/default/v1/keys" --header "If-None-Match: $etag" -c 64 -d "$DURATION" --warmup 1s
	bench discovery --get "$base/oauth2/default/.well-known/openid-configuration" -c 64 -d "$DURATION" --warmup 1s
	echo "cheap: after the runs: $(rss "$pid")"

	echo "== default argon2id (19 MiB, t=2)"
	config default 19456 2
	start default "$tmp/default.yaml"
	client default
	users default 1000
	# shellcheck disable=SC2046
	bench password-default $(token_args default) --users-file "$tmp/default-users.txt" -c "$CONCURRENCY" -d "$DURATION" --warmup 2s
	echo "default: after the password runs: $(rss "$pid")"
	# A spray: unknown users (each costs the same dummy hash) at ten times
	# the hashing capacity, open loop, while the JWKS is fetched at 200/s.
	local cap
	cap=$(awk '/"succeeded_per_second"/ {gsub(/,/, ""); printf "%d", $2 * 10}' "$OUT/password-default.json")
	for i in $(seq 1 50000); do echo "spray$i@example.com:Wrong-Pass-$i"; done >"$tmp/spray.txt"
	# shellcheck disable=SC2046
	SHARED=1 bench spray $(token_args default) --users-file "$tmp/spray.txt" --rate "$cap" -c 256 -d "$DURATION" >"$tmp/spray.out" &
	local spray=$!
	sleep 1
	SHARED=1 bench keys-during-spray --get "$base/oauth2/default/v1/keys" --rate 200 -c 16 -d "$DURATION"
	wait "$spray"
	cat "$tmp/spray.out"
	echo "default: after the spray at $cap/s: $(rss "$pid")"

	echo "== the floor, after the runs (BenchmarkFloor)"
	floor after
	echo "== each grant against its floor (the mean of the two)"
	share password-cheap 'password/hash=768KiB,t=1'
	share password-default 'password/hash=19MiB,t=2'
	share client-credentials client_credentials
	share refresh refresh

	if [ "$FAMILIES" -eq 0 ]; then
		return
	fi
	echo "== memory with $FAMILIES users and $FAMILIES refresh-token families (cheap argon2id)"
	config big 768 1
	start big "$tmp/big.yaml"
	client big
	users big "$FAMILIES"
	echo "big: $FAMILIES users imported: $(rss "$pid")"
	# shellcheck disable=SC2046
	"$lk" bench --json $(token_args big) --users-file "$tmp/big-users.txt" --scope 'openid offline_access' -c "$CONCURRENCY" -n "$FAMILIES" >"$OUT/families.json"
	echo "big: after $FAMILIES password grants with offline_access: $(rss "$pid")"
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	start big "$tmp/big.yaml"
	echo "big: restarted on that database (the ready line above is the start-to-ready time with $FAMILIES users and families)"
}

case $what in
go) run_go ;;
http) run_http ;;
all) run_http && run_go ;;
*)
	echo "usage: scripts/bench.sh [http|go|all]" >&2
	exit 2
	;;
esac
