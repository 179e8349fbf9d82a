#!/usr/bin/env bash
# deploy/conform-real.sh - run `partcopy conform` against real S3 servers
# nobody here wrote (MinIO, versitygw, moto, Ceph RGW), both profiles, and check every
# clause verdict against testdata/expected/<server>-<profile>.json.
#
#   deploy/conform-real.sh [check|update] [server...]
#
# check (default): exit 1 when any verdict differs from its expectation, or an
#                  expectation lists a failing clause without a confirmed reason.
# update:          rewrite the expectation files from this run (reasons of
#                  unchanged verdicts are kept; new ones are marked TODO).
#
# Servers are installed (pinned versions, cached in .cache/), started on
# loopback, configured, and stopped with their data removed afterwards,
# also on failure or Ctrl-C. A server that cannot be installed or started
# fails the run; it is never skipped. Reports land in build/real/.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
MODE=${1:-check}
case "$MODE" in
check | update) shift || true ;;
*) MODE=check ;;
esac
SERVERS=("$@")
[ ${#SERVERS[@]} -gt 0 ] || SERVERS=(minio versitygw moto rgw)
PROFILES=(${PARTCOPY_REAL_PROFILES:-s3 obs})
OUT=${PARTCOPY_REAL_OUT:-$ROOT/build/real}
BINDIR=$(mktemp -d "${TMPDIR:-/tmp}/partcopy-bin.XXXXXX")
BIN=$BINDIR/partcopy

say() { echo "conform-real: $*"; }
die() {
	echo "conform-real: $*" >&2
	exit 2
}

go build -o "$BIN" ./cmd/partcopy || die "cannot build partcopy"
mkdir -p "$OUT"
for s in "${SERVERS[@]}"; do
	bash deploy/servers.sh install "$s" || die "cannot install $s"
done

STATE=""
cleanup() {
	rm -rf "$BINDIR"
	if [ -n "$STATE" ] && [ -d "$STATE" ]; then
		bash deploy/servers.sh stop "$STATE" >/dev/null 2>&1 || true
		rm -rf "$STATE"
	fi
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM

# config_yaml writes partcopy's options file from the env file the server's
# start wrote (secrets stay out of argv and out of the logs).
config_yaml() {
	local f=$1
	(
		umask 077
		{
			echo "endpoint: \"$PARTCOPY_ENDPOINT\""
			echo "region: \"${PARTCOPY_REGION:-us-east-1}\""
			echo "access-key: \"$PARTCOPY_ACCESS_KEY\""
			echo "secret-key: \"$PARTCOPY_SECRET_KEY\""
			[ -z "${PARTCOPY_CA_CERT:-}" ] || echo "ca-cert: \"$PARTCOPY_CA_CERT\""
			if [ -n "${PARTCOPY_ALT_ACCESS_KEY:-}" ]; then
				echo "alt-access-key: \"$PARTCOPY_ALT_ACCESS_KEY\""
				echo "alt-secret-key: \"$PARTCOPY_ALT_SECRET_KEY\""
			fi
			[ -z "${PARTCOPY_ALT_PRINCIPAL:-}" ] || echo "alt-principal: \"$PARTCOPY_ALT_PRINCIPAL\""
			[ -z "${PARTCOPY_ALT_GRANT_CMD:-}" ] || echo "alt-grant-cmd: \"$PARTCOPY_ALT_GRANT_CMD\""
			if [ -n "${PARTCOPY_TEMP_ACCESS_KEY:-}" ]; then
				echo "temp-access-key: \"$PARTCOPY_TEMP_ACCESS_KEY\""
				echo "temp-secret-key: \"$PARTCOPY_TEMP_SECRET_KEY\""
				echo "temp-session-token: \"$PARTCOPY_SESSION_TOKEN\""
			fi
			[ -z "${PARTCOPY_KMS_KEY_ID:-}" ] || echo "kms-key-id: \"$PARTCOPY_KMS_KEY_ID\""
			[ "${PARTCOPY_NO_KMS:-}" != "true" ] || echo "no-kms: true"
			[ -z "${PARTCOPY_COLD_CLASS:-}" ] || echo "cold-class: \"$PARTCOPY_COLD_CLASS\""
			[ -z "${PARTCOPY_MIN_PART_SIZE:-}" ] || echo "min-part-size: \"$PARTCOPY_MIN_PART_SIZE\""
			echo "implementation: \"${PARTCOPY_SERVER_NAME}@${PARTCOPY_SERVER_VERSION:-unknown}\""
			# moto reads a whole source into memory for every part copy: the
			# 5 GiB specs (D22) would need ~10 GiB of RAM and take long, so
			# they run on MinIO and versitygw only (D22 is unsupported here).
			[ "$PARTCOPY_SERVER_NAME" != moto ] || echo "skip-large: true"
		} >"$f"
	)
}

failures=0
passes=0
for s in "${SERVERS[@]}"; do
	STATE=$(mktemp -d "${TMPDIR:-/tmp}/partcopy-$s.XXXXXX")
	say "starting $s"
	bash deploy/servers.sh start "$s" "$STATE" || die "cannot start $s (log: $STATE/server.log)"
	for p in "${PROFILES[@]}"; do
		# Temporary credentials that expire within a run (RGW's last 1 h)
		# are fetched anew for each profile.
		bash deploy/servers.sh refresh "$STATE" || die "cannot refresh $s's temporary credentials"
		(
			set -a
			# shellcheck disable=SC1091
			. "$STATE/env"
			set +a
			config_yaml "$STATE/partcopy.yaml"
		)
		dir=$OUT/$s-$p
		rm -rf "$dir"
		say "$s, profile $p -> $dir"
		start=$(date +%s)
		rc=0
		"$BIN" conform --config "$STATE/partcopy.yaml" --profile "$p" --out "$dir" --timeout 40m || rc=$?
		say "$s/$p: partcopy conform exit $rc after $(($(date +%s) - start)) s"
		# 0 and 1 are verdicts (1: the server fails some clause); anything
		# else means the run itself broke.
		[ "$rc" -le 1 ] || die "$s/$p: partcopy conform could not run (exit $rc)"
		exp=testdata/expected/$s-$p.json
		if [ "$MODE" = update ]; then
			ver=$(. "$STATE/env" && echo "${PARTCOPY_SERVER_VERSION:-}")
			"$BIN" report expect --update --server "$s" --server-version "$ver" "$exp" "$dir/conformance.json"
		else
			[ -f "$exp" ] || die "no expectation file $exp: run 'deploy/conform-real.sh update $s' and confirm every reason"
			if "$BIN" report expect "$exp" "$dir/conformance.json"; then
				passes=$((passes + 1))
			else
				failures=$((failures + 1))
			fi
		fi
	done
	say "stopping $s"
	bash deploy/servers.sh stop "$STATE" || die "cannot stop $s"
	rm -rf "$STATE"
	STATE=""
done
if [ "$failures" -gt 0 ]; then
	echo "conform-real: $failures server/profile run(s) changed verdicts" >&2
else
	say "all verdicts as expected (${SERVERS[*]}; profiles ${PROFILES[*]})"
fi
if [ "$MODE" = check ]; then
	# One server/profile expectation check = one test, in the plain form CI
	# reads, as the last line.
	echo "conform-real: $passes passed, $failures failed"
fi
[ "$failures" -eq 0 ]
