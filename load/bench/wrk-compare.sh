#!/usr/bin/env bash
# wrk-compare.sh: the copy rate partcopy's load generator sustains on one
# core against a do-nothing endpoint, next to wrk's on the same endpoint.
#
#   load/bench/wrk-compare.sh            # 3 rounds of 10 s each, 64 connections/workers
#   DURATION=30s CONNS=128 ROUNDS=5 load/bench/wrk-compare.sh
#
# The two clients take turns, ROUNDS times; the ratio is of the best round
# of each, which is what a shared, noisy machine can measure fairly.
#
# The endpoint (load/nulls3) runs on core 1, the client on core 0
# (taskset; GOMAXPROCS=1 for the Go programs). partcopy runs closed loop
# with SigV4 signing, the D02 classification of every body and HdrHistogram
# recording on; wrk sends a fixed request and only counts responses. Needs
# wrk (Debian: apt-get install -y wrk), taskset and 2 cores.
set -euo pipefail
DURATION=${DURATION:-10s}
CONNS=${CONNS:-64}
ROUNDS=${ROUNDS:-3}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
TMP=$(mktemp -d)
SERVER_PID=
cleanup() {
	if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; fi
	rm -rf "$TMP"
}
trap cleanup EXIT

command -v wrk >/dev/null || { echo "wrk-compare: wrk is not installed (apt-get install -y wrk)" >&2; exit 2; }
command -v taskset >/dev/null || { echo "wrk-compare: taskset is not installed (util-linux)" >&2; exit 2; }

(cd "$ROOT" && go build -o "$TMP/nulls3d" ./load/bench/nulls3d && go build -o "$TMP/partcopy" ./cmd/partcopy)

GOMAXPROCS=1 taskset -c 1 "$TMP/nulls3d" -addr 127.0.0.1:0 >"$TMP/addr" &
SERVER_PID=$!
for _ in $(seq 50); do [ -s "$TMP/addr" ] && break; sleep 0.1; done
URL=$(head -1 "$TMP/addr")
[ -n "$URL" ] || { echo "wrk-compare: the endpoint did not start" >&2; exit 2; }

echo "endpoint $URL (core 1); clients on core 0; $CONNS connections; $ROUNDS rounds of $DURATION each"

BEST_WRK=0
BEST_GEN=0
for round in $(seq "$ROUNDS"); do
	taskset -c 0 wrk -t1 -c"$CONNS" -d"$DURATION" -s "$HERE/copy.lua" "$URL" >"$TMP/wrk.txt"
	WRK=$(awk '/^Requests\/sec:/ {print $2}' "$TMP/wrk.txt")

	GOMAXPROCS=1 taskset -c 0 "$TMP/partcopy" load --endpoint "$URL" \
		--access-key BENCHACCESSKEY --secret-key bench-secret-key-not-a-secret \
		--concurrency "$CONNS" --duration "$DURATION" --source-size 1KiB \
		--out "$TMP/report" >"$TMP/partcopy.txt" 2>"$TMP/partcopy.err"
	GEN=$(awk '/^Copies\/sec:/ {print $2}' "$TMP/partcopy.txt")
	P99=$(awk '$1=="total" {print $3}' "$TMP/partcopy.txt")

	echo "round $round: wrk $WRK requests/s, partcopy $GEN copies/s (p99 $P99)"
	BEST_WRK=$(awk -v a="$BEST_WRK" -v b="$WRK" 'BEGIN { print (b > a ? b : a) }')
	BEST_GEN=$(awk -v a="$BEST_GEN" -v b="$GEN" 'BEGIN { print (b > a ? b : a) }')
done

echo "best: wrk $BEST_WRK requests/s, partcopy $BEST_GEN copies/s"
awk -v g="$BEST_GEN" -v w="$BEST_WRK" 'BEGIN { printf "ratio partcopy/wrk: %.2f\n", g / w }'
