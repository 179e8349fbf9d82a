#!/usr/bin/env bash
# generators.sh: CPU time per request of partcopy's load generator next to
# wrk, vegeta and a bare net/http + aws-sdk-go-v2 signer loop, against the
# do-nothing endpoint (load/bench/nulls3d), over plain HTTP and TLS.
#
#   load/bench/generators.sh                      # 4 rounds of 10 s, 16 connections, http and https
#   ROUNDS=2 DURATION=5s SCHEMES=http load/bench/generators.sh
#
# Every generator runs closed loop with CONNS connections, pinned to core 0
# (taskset; GOMAXPROCS=1 for the Go programs); the endpoint runs on core 1.
# The figure is CPU time (user + system, the kernel's rusage of the
# generator process, all threads) divided by the requests it completed
# (successful copies for partcopy), so it holds on a machine shared with
# other work, where requests per second would not. Rounds interleave the
# generators (the order rotates each round); the table gives the median
# and the min-max of the rounds, and each median against wrk's.
#
#   wrk            C event loop; sends a fixed request, counts responses (copy.lua)
#   vegeta         Go, net/http; no signing, no body check (vegeta attack -rate=0)
#   sdk-loop       Go, net/http + aws-sdk-go-v2's v4 signer, reads the body (sdkloop/)
#   partcopy-fast  partcopy load --client fast: SigV4, the D02 body rule, HdrHistogram
#   partcopy-s3call  the same through s3call's net/http client (--client s3call)
#
# partcopy's figure includes its whole process: start-up, setup (bucket,
# source object, uploads), the end-of-run reports; --complete-every is set
# high so that every request measured is a copy.
#
# Needs taskset and 2 cores. wrk comes from Debian (installed here when
# missing and running as root); vegeta is built with `go install` into
# the cache (CACHE, default ~/.cache/partcopy) when it is not on PATH; a
# generator that is missing is left out, and the table says so.
set -euo pipefail
DURATION=${DURATION:-10s}
CONNS=${CONNS:-16}
ROUNDS=${ROUNDS:-4}
SCHEMES=${SCHEMES:-"http https"}
GENERATORS=${GENERATORS:-"wrk vegeta sdk-loop partcopy-fast partcopy-s3call"}
VEGETA_VERSION=${VEGETA_VERSION:-v12.13.0}
CACHE=${CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/partcopy}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
TMP=$(mktemp -d)
SERVER_PID=
cleanup() {
	if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
	rm -rf "$TMP"
}
trap cleanup EXIT
say() { echo "generators: $*" >&2; }

command -v taskset >/dev/null || { say "taskset is not installed (util-linux)"; exit 2; }
[ "$(nproc)" -ge 2 ] || { say "needs 2 cores (generator on core 0, endpoint on core 1)"; exit 2; }
if ! command -v wrk >/dev/null; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		say "installing wrk (apt-get)"
		apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null 2>&1 && apt-get install -y wrk >/dev/null 2>&1; } || say "could not install wrk"
	else
		say "wrk is missing (sudo apt-get install -y wrk): left out"
	fi
fi
VEGETA=$(command -v vegeta || true)
if [ -z "$VEGETA" ] && [ -x "$CACHE/bin/vegeta" ]; then VEGETA=$CACHE/bin/vegeta; fi
if [ -z "$VEGETA" ]; then
	say "building vegeta $VEGETA_VERSION into $CACHE/bin"
	if GOBIN="$CACHE/bin" go install "github.com/tsenart/vegeta/v12@$VEGETA_VERSION" >/dev/null 2>&1; then
		VEGETA=$CACHE/bin/vegeta
	else
		say "could not build vegeta: left out"
	fi
fi

(cd "$ROOT" && go build -o "$TMP/nulls3d" ./load/bench/nulls3d && go build -o "$TMP/partcopy" ./cmd/partcopy &&
	go build -o "$TMP/sdkloop" ./load/bench/sdkloop && go build -o "$TMP/cpurun" ./load/bench/cpurun)

have() {
	case $1 in
	wrk) command -v wrk >/dev/null ;;
	vegeta) [ -n "$VEGETA" ] ;;
	*) true ;;
	esac
}

# run GEN URL CA: one measured run; prints "requests cpu_seconds".
run() {
	local gen=$1 url=$2 ca=$3 out=$TMP/out.txt cpu=$TMP/cpu.txt n
	local pin=(taskset -c 0 env GOMAXPROCS=1 "$TMP/cpurun" -o "$cpu" --)
	local cacert=()
	[ -n "$ca" ] && cacert=(--ca-cert "$ca")
	case $gen in
	wrk)
		"${pin[@]}" wrk -t1 -c"$CONNS" -d"$DURATION" -s "$HERE/copy.lua" "$url" >"$out" 2>&1
		n=$(awk '/requests in/ {print $1}' "$out")
		bad=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$out")
		n=$((n - ${bad:-0}))
		;;
	vegeta)
		printf 'PUT %s/bench-bucket/dst/00000001?partNumber=1&uploadId=null-upload-id\nX-Amz-Copy-Source: /bench-bucket/src/000\n' "$url" >"$TMP/targets"
		local roots=()
		[ -n "$ca" ] && roots=(-root-certs "$ca")
		"${pin[@]}" "$VEGETA" attack -targets "$TMP/targets" -rate 0 -max-workers "$CONNS" -workers "$CONNS" \
			-connections "$CONNS" -duration "$DURATION" -http2=false "${roots[@]}" -output "$TMP/vegeta.bin" >"$out" 2>&1
		"$VEGETA" report -type json "$TMP/vegeta.bin" >"$TMP/vegeta.json"
		n=$(grep -o '"200":[0-9]*' "$TMP/vegeta.json" | head -1 | cut -d: -f2)
		;;
	sdk-loop)
		"${pin[@]}" "$TMP/sdkloop" -endpoint "$url" -c "$CONNS" -d "$DURATION" "${cacert[@]}" >"$out" 2>&1
		n=$(awk '/^requests/ {print $4}' "$out")
		;;
	partcopy-fast | partcopy-s3call)
		rm -rf "$TMP/report"
		"${pin[@]}" "$TMP/partcopy" load --endpoint "$url" "${cacert[@]}" \
			--access-key BENCHACCESSKEY --secret-key bench-secret-key-not-a-secret \
			--concurrency "$CONNS" --duration "$DURATION" --source-size 1KiB --complete-every 1000000 \
			--client "${gen#partcopy-}" --out "$TMP/report" >"$out" 2>&1
		n=$(grep -o '"succeeded": *[0-9]*' "$TMP/report/load.json" | head -1 | grep -o '[0-9]*$')
		grep -q "client ${gen#partcopy-}" "$out" || { say "$gen: the run did not use the ${gen#partcopy-} client"; cat "$out" >&2; exit 1; }
		;;
	esac
	if [ -z "${n:-}" ] || [ "$n" -le 0 ]; then
		say "$gen against $url completed no request:"
		cat "$out" >&2
		exit 1
	fi
	echo "$n $(awk '{print $1 + $2}' "$cpu")"
}

RESULTS=$TMP/results.txt
: >"$RESULTS"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg); $ROUNDS rounds of $DURATION, $CONNS connections, generators on core 0, endpoint on core 1"
for scheme in $SCHEMES; do
	ca=
	args=()
	if [ "$scheme" = https ]; then
		ca=$TMP/ca.pem
		args=(-tls -ca-out "$ca")
	fi
	rm -f "$TMP/addr"
	GOMAXPROCS=1 taskset -c 1 "$TMP/nulls3d" -addr 127.0.0.1:0 "${args[@]}" >"$TMP/addr" &
	SERVER_PID=$!
	for _ in $(seq 50); do [ -s "$TMP/addr" ] && break; sleep 0.1; done
	url=$(head -1 "$TMP/addr")
	[ -n "$url" ] || { say "the endpoint did not start"; exit 2; }
	read -r -a gens <<<"$GENERATORS"
	for round in $(seq "$ROUNDS"); do
		k=${#gens[@]}
		for i in $(seq 0 $((k - 1))); do
			gen=${gens[$(((i + round - 1) % k))]}
			have "$gen" || continue
			res=$(run "$gen" "$url" "$ca")
			read -r n cpu <<<"$res"
			us=$(awk -v c="$cpu" -v n="$n" 'BEGIN { printf "%.2f", c * 1e6 / n }')
			echo "$scheme round $round: $gen $n requests, $cpu s CPU, $us us/request"
			echo "$scheme $gen $us" >>"$RESULTS"
		done
	done
	kill "$SERVER_PID" 2>/dev/null || true
	wait "$SERVER_PID" 2>/dev/null || true
	SERVER_PID=
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
for scheme in $SCHEMES; do
	echo "$scheme: CPU us per request (median, min-max of $ROUNDS rounds), median against wrk's"
	echo "| generator | CPU us/request | min-max | vs wrk |"
	echo "|---|---|---|---|"
	wrkmed=$(awk -v s="$scheme" '$1 == s && $2 == "wrk" {print $3}' "$RESULTS" | sort -g | awk '{a[NR]=$1} END {if (NR) print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}')
	for gen in $GENERATORS; do
		vals=$(awk -v s="$scheme" -v g="$gen" '$1 == s && $2 == g {print $3}' "$RESULTS" | sort -g)
		if [ -z "$vals" ]; then
			echo "| $gen | (not run) | | |"
			continue
		fi
		echo "$vals" | awk -v g="$gen" -v w="${wrkmed:-0}" '{a[NR]=$1} END {
			m = (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)
			r = (w > 0 ? sprintf("%.2f", m / w) : "-")
			printf "| %s | %.1f | %.1f-%.1f | %s |\n", g, m, a[1], a[NR], r }'
	done
	echo
done
