#!/usr/bin/env bash
# deploy/servers.sh - install, start, configure and stop the real S3 servers
# that partcopy's conformance suite runs against (MinIO, versitygw, moto,
# Ceph RGW).
#
#   servers.sh install <minio|versitygw|moto|rgw|all>
#   servers.sh start <minio|versitygw|moto|rgw> <statedir>
#   servers.sh start-all <basedir>          # <basedir>/{minio,versitygw,moto,rgw}
#   servers.sh env [--path] <statedir>      # show env (secrets masked) / its path
#   servers.sh grant <statedir> <bucket> <none|read|write|readwrite|s3:Act,...>
#   servers.sh verify <statedir>            # raw-request smoke check (boto3)
#   servers.sh refresh <statedir>           # new temporary credentials if they expire soon
#   servers.sh stop <statedir>              # kill process group, remove data
#   servers.sh stop-all <basedir>
#
# Every failure ends with one line "servers.sh: ..." on stderr and a non-zero
# exit: a server that cannot be installed or started fails the run, it is
# never skipped. Secrets go only into <statedir>/env (mode 0600) and to the
# servers through environment variables, never to stdout/stderr.
set -euo pipefail

DEPLOY_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$DEPLOY_DIR/.." && pwd)
# Outside the clone by default, so fresh clones on one machine (CI) reuse the
# pinned binaries; a binary is reused only when it is exactly the pinned version.
CACHE=${PARTCOPY_CACHE:-${XDG_CACHE_HOME:-${HOME:-$REPO_ROOT}/.cache}/partcopy}
case "$CACHE" in /*) ;; *) CACHE=$PWD/$CACHE ;; esac
# s3tool.py (mc for MinIO's grants) must find the same cache.
export PARTCOPY_CACHE=$CACHE
BIN=$CACHE/bin
TOOL=$DEPLOY_DIR/s3tool.py

# Pinned versions: change them only together with a re-run of `verify`.
MINIO_MODULE=github.com/minio/minio
MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c
# mc is only used for MinIO's admin API (users, IAM policies); its newest
# module version builds with go 1.26.
MC_MODULE=github.com/minio/mc
MC_VERSION=v0.0.0-20250313080218-cf909e1063a9
VGW_MODULE=github.com/versity/versitygw
VGW_PKG=github.com/versity/versitygw/cmd/versitygw
VGW_VERSION=v1.8.0
# Ceph comes from the distribution's packages (Debian bookworm: 16.2.15,
# "pacific"): apt is the supported way to get the daemons. The version is
# whatever the distribution ships; PARTCOPY_SERVER_VERSION records it.
RGW_PACKAGES=(radosgw ceph-mon ceph-osd ceph-common)
RGW_PROGRAMS=(radosgw radosgw-admin ceph-mon ceph-osd ceph monmaptool uuidgen)
# A cold cluster (mon, OSD mkfs, pools, radosgw) takes ~25 s on 2 idle cores.
RGW_START_TIMEOUT=${PARTCOPY_START_TIMEOUT:-240}
# The OSD's BlueStore file: sparse, so this is a ceiling, not a reservation.
# The 5 GiB specs (D22) need ~12 GiB of it at their peak.
RGW_OSD_BYTES=$((64 << 30))

START_TIMEOUT=${PARTCOPY_START_TIMEOUT:-60}
REGION=us-east-1

die() {
	echo "servers.sh: $*" >&2
	exit 1
}

usage() {
	sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

need() {
	command -v "$1" >/dev/null 2>&1 || die "$1 not found in PATH ($2)"
}

# ---------------------------------------------------------------- install --

# built_version BINARY MODULE prints the module version BINARY was built from,
# or nothing. It is how installs stay idempotent: the cached binary is reused
# only when it is exactly the pinned version.
built_version() {
	[ -x "$1" ] || return 0
	go version -m "$1" 2>/dev/null | awk -v m="$2" '$1 == "mod" && $2 == m { print $3 }'
}

# go_install NAME MODULE PKG VERSION builds PKG@VERSION into $BIN/NAME.
go_install() {
	local name=$1 module=$2 pkg=$3 version=$4
	if [ "$(built_version "$BIN/$name" "$module")" = "$version" ]; then
		echo "install: $name $version already in $BIN"
		return 0
	fi
	need go "needed to build $name"
	mkdir -p "$BIN" "$CACHE/logs"
	local tmp log start
	tmp=$(mktemp -d "$BIN/.install-$name.XXXXXX")
	log=$CACHE/logs/install-$name.log
	start=$(date +%s)
	echo "install: building $pkg@$version (log: $log)"
	if ! GOBIN=$tmp go install "$pkg@$version" >"$log" 2>&1; then
		# go install refuses modules whose go.mod has replace/exclude
		# directives; building inside the downloaded module keeps the exact
		# pinned version and its own go.sum.
		if grep -q "replace\|exclude" "$log"; then
			echo "install: go install refused $name ($(tail -n1 "$log")); building inside the module"
			local dir
			dir=$(go mod download -json "$module@$version" 2>>"$log" |
				python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])') ||
				{ rm -rf "$tmp"; die "install $name: go mod download $module@$version failed (see $log)"; }
			local rel=${pkg#"$module"}
			if ! (cd "$dir" && GOFLAGS="${GOFLAGS:-} -mod=mod" go build -o "$tmp/$name" ".$rel") >>"$log" 2>&1; then
				rm -rf "$tmp"
				die "install $name: build of $module@$version failed: $(tail -n1 "$log")"
			fi
		else
			rm -rf "$tmp"
			die "install $name: go install $pkg@$version failed: $(tail -n1 "$log")"
		fi
	fi
	mv -f "$tmp/$name" "$BIN/$name"
	rm -rf "$tmp"
	[ "$(built_version "$BIN/$name" "$module")" = "$version" ] ||
		die "install $name: built binary does not report $module $version"
	echo "install: $name $version built in $(($(date +%s) - start))s"
}

install_moto() {
	need python3 "moto runs on python3"
	# moto is a Python package and the machine image ships it (moto_server,
	# boto3); PyPI is not reachable from CI, so there is nothing to install.
	command -v moto_server >/dev/null 2>&1 ||
		die "install moto: moto_server not found in PATH (moto[server] must be installed for python3)"
	python3 -c 'import boto3, moto' 2>/dev/null || die "install moto: python3 cannot import boto3 and moto"
	echo "install: moto $(python3 -c 'import moto; print(moto.__version__)') present"
}

rgw_missing() {
	local p
	for p in "${RGW_PROGRAMS[@]}"; do
		command -v "$p" >/dev/null 2>&1 || echo "$p"
	done
}

# rgw_version prints the installed radosgw package version (or the daemon's
# own version line where dpkg is not the package manager).
rgw_version() {
	dpkg-query -W -f='${Version}' radosgw 2>/dev/null ||
		radosgw --version 2>/dev/null | awk '{print $3; exit}'
}

install_rgw() {
	if [ -z "$(rgw_missing)" ]; then
		echo "install: rgw (radosgw $(rgw_version)) present"
		return 0
	fi
	need apt-get "Ceph RGW is installed from the distribution's packages (${RGW_PACKAGES[*]})"
	local sudo=()
	if [ "$(id -u)" != 0 ]; then
		command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null ||
			die "install rgw: apt-get install ${RGW_PACKAGES[*]} needs root or passwordless sudo (or install them yourself)"
		sudo=(sudo -n)
	fi
	mkdir -p "$CACHE/logs"
	local log=$CACHE/logs/install-rgw.log start
	start=$(date +%s)
	echo "install: apt-get install ${RGW_PACKAGES[*]} (log: $log)"
	# No recommends: they pull in ceph-mgr modules, a desktop's worth of
	# libraries and kubectl, none of which a single-node RGW uses.
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update >"$log" 2>&1 ||
		die "install rgw: apt-get update failed: $(tail -n1 "$log")"
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		"${RGW_PACKAGES[@]}" >>"$log" 2>&1 ||
		die "install rgw: apt-get install failed: $(tail -n1 "$log")"
	local missing
	missing=$(rgw_missing | tr '\n' ' ')
	[ -z "$missing" ] || die "install rgw: still missing after apt-get install: $missing"
	echo "install: rgw (radosgw $(rgw_version)) installed in $(($(date +%s) - start))s"
}

install_one() {
	case "$1" in
	minio)
		go_install minio "$MINIO_MODULE" "$MINIO_MODULE" "$MINIO_VERSION"
		go_install mc "$MC_MODULE" "$MC_MODULE" "$MC_VERSION"
		;;
	versitygw) go_install versitygw "$VGW_MODULE" "$VGW_PKG" "$VGW_VERSION" ;;
	moto) install_moto ;;
	rgw) install_rgw ;;
	*) die "unknown server '$1' (want minio, versitygw, moto, rgw or all)" ;;
	esac
}

cmd_install() {
	[ $# -eq 1 ] || usage
	if [ "$1" = all ]; then
		# MinIO first: it is by far the slowest build.
		install_one minio
		install_one versitygw
		install_one moto
		install_one rgw
	else
		install_one "$1"
	fi
}

# ------------------------------------------------------------ state files --

# free_port prints a TCP port that was free on 127.0.0.1 a moment ago.
free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# rand_key N prints N random alphanumeric characters (access keys, secrets).
rand_key() {
	python3 -c 'import secrets, string, sys
a = string.ascii_letters + string.digits
print("".join(secrets.choice(a) for _ in range(int(sys.argv[1]))))' "$1"
}

# envset FILE KEY VALUE appends a sourceable `export KEY=VALUE` line.
envset() {
	printf 'export %s=%q\n' "$2" "$3" >>"$1"
}

# envget STATEDIR KEY prints KEY from <statedir>/env (or env.tmp during start).
envget() {
	local f=$1/env
	[ -f "$f" ] || f=$1/env.tmp
	[ -f "$f" ] || die "no env file in $1 (is the server started?)"
	(
		set +u
		# shellcheck disable=SC1090
		. "$f"
		printf '%s' "${!2:-}"
	)
}

abs_dir() {
	mkdir -p "$1"
	(cd "$1" && pwd)
}

pid_alive() {
	[ -n "$1" ] && kill -0 "$1" 2>/dev/null
}

# launch STATEDIR CMD... starts CMD in its own session (so its process group
# can be killed as a whole by stop) with output to <statedir>/server.log.
launch() {
	local statedir=$1
	shift
	need setsid "util-linux"
	local prog
	for prog in "$@"; do
		case "$prog" in env | *=*) ;; *) break ;; esac
	done
	echo "=== $(date -u +%FT%TZ) start: ${prog##*/}" >>"$statedir/server.log"
	# Non-interactive bash does not make background jobs group leaders, so
	# setsid execs in place and $! is the server's pid and process group.
	setsid "$@" >>"$statedir/server.log" 2>&1 </dev/null &
	echo "$!" >"$statedir/pid"
}

# wait_healthy STATEDIR NAME CHECK-CMD... polls CHECK-CMD until it succeeds,
# failing as soon as the server process is gone or START_TIMEOUT passes.
wait_healthy() {
	local statedir=$1 name=$2
	shift 2
	local pid deadline
	pid=$(cat "$statedir/pid")
	deadline=$(($(date +%s) + START_TIMEOUT))
	while :; do
		if ! pid_alive "$pid"; then
			fail_start "$statedir" "$name exited during startup: $(last_log_line "$statedir")"
		fi
		if "$@" >/dev/null 2>&1; then
			return 0
		fi
		if [ "$(date +%s)" -ge "$deadline" ]; then
			fail_start "$statedir" "$name not healthy after ${START_TIMEOUT}s: $(last_log_line "$statedir")"
		fi
		sleep 0.5
	done
}

last_log_line() {
	grep -v '^\s*$' "$1/server.log" 2>/dev/null | tail -n1 | cut -c1-200
}

# fail_start kills what start launched, keeps server.log, and dies.
fail_start() {
	local statedir=$1
	shift
	stop_quiet "$statedir" || true
	die "$*"
}

# ------------------------------------------------------------------ start --

cmd_start() {
	[ $# -eq 2 ] || usage
	local server=$1 statedir
	case "$server" in
	minio | versitygw | moto | rgw) ;;
	*) die "unknown server '$server' (want minio, versitygw, moto or rgw)" ;;
	esac
	statedir=$(abs_dir "$2")
	need python3 "setup and health checks"
	if [ -f "$statedir/pid" ] && pid_alive "$(cat "$statedir/pid")"; then
		die "a server is already running for $statedir (pid $(cat "$statedir/pid")); stop it first"
	fi
	local t0=$SECONDS
	rm -f "$statedir/env" "$statedir/env.tmp" "$statedir/pid"
	mkdir -p "$statedir/data"
	local envtmp=$statedir/env.tmp
	(
		umask 077
		: >"$envtmp"
	)
	case "$server" in
	minio) start_minio "$statedir" ;;
	versitygw) start_versitygw "$statedir" ;;
	moto) start_moto "$statedir" ;;
	rgw) start_rgw "$statedir" ;;
	*) die "unknown server '$server' (want minio, versitygw, moto or rgw)" ;;
	esac
	envset "$envtmp" PARTCOPY_DATA_DIR "$statedir/data"
	envset "$envtmp" PARTCOPY_STATE_DIR "$statedir"
	# RGW grants through ACLs as well as bucket policies, and its bucket
	# policies do not reach UploadPartCopy's copy source (see deploy/README.md):
	# the suite picks the mechanism there itself, so no grant command.
	[ "$server" = rgw ] ||
		envset "$envtmp" PARTCOPY_ALT_GRANT_CMD "$DEPLOY_DIR/servers.sh grant $statedir"
	# The env file appears only once the server is fully set up, so a
	# half-started server never leaves credentials that look usable.
	mv -f "$envtmp" "$statedir/env"
	echo "start: $server ready at $(envget "$statedir" PARTCOPY_ENDPOINT) in $((SECONDS - t0))s (env: $statedir/env)"
}

start_minio() {
	local statedir=$1 envtmp=$1/env.tmp
	local minio=$BIN/minio mc=$BIN/mc
	[ "$(built_version "$minio" "$MINIO_MODULE")" = "$MINIO_VERSION" ] ||
		die "minio $MINIO_VERSION is not installed in $BIN (run: $0 install minio)"
	[ "$(built_version "$mc" "$MC_MODULE")" = "$MC_VERSION" ] ||
		die "mc $MC_VERSION is not installed in $BIN (run: $0 install minio)"
	need openssl "MinIO needs a TLS certificate for SSE-C"
	local port console
	port=$(free_port)
	console=$(free_port)

	# MinIO refuses SSE-C over plain HTTP, so it gets a self-signed cert for
	# both names a client may use; the cert is its own CA.
	local certs=$statedir/certs
	rm -rf "$certs"
	mkdir -p "$certs/CAs"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-days 7 -subj "/CN=127.0.0.1" \
		-addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-keyout "$certs/private.key" -out "$certs/public.crt" >/dev/null 2>&1 ||
		die "minio: openssl could not make a self-signed certificate"
	local ca=$statedir/ca.crt
	cp "$certs/public.crt" "$ca"

	local main_key main_secret alt_key alt_secret kms_b64
	main_key=main$(rand_key 12)
	main_secret=$(rand_key 40)
	alt_key=alt$(rand_key 13)
	alt_secret=$(rand_key 40)
	kms_b64=$(openssl rand -base64 32)
	local kms_id=partcopy-key

	launch "$statedir" env \
		MINIO_ROOT_USER="$main_key" MINIO_ROOT_PASSWORD="$main_secret" \
		MINIO_KMS_SECRET_KEY="$kms_id:$kms_b64" \
		MINIO_SITE_REGION="$REGION" MINIO_BROWSER=off MINIO_UPDATE=off \
		MINIO_CI_CD=1 \
		"$minio" server --quiet --address "127.0.0.1:$port" \
		--console-address "127.0.0.1:$console" \
		--certs-dir "$certs" "$statedir/data"
	local endpoint=https://127.0.0.1:$port
	wait_healthy "$statedir" minio curl -fsS --max-time 2 --cacert "$ca" "$endpoint/minio/health/live"
	wait_healthy "$statedir" minio curl -fsS --max-time 2 --cacert "$ca" "$endpoint/minio/health/ready"

	envset "$envtmp" PARTCOPY_SERVER_NAME minio
	envset "$envtmp" PARTCOPY_SERVER_VERSION "$MINIO_MODULE@$MINIO_VERSION"
	envset "$envtmp" PARTCOPY_ENDPOINT "$endpoint"
	envset "$envtmp" PARTCOPY_REGION "$REGION"
	envset "$envtmp" PARTCOPY_CA_CERT "$ca"
	envset "$envtmp" PARTCOPY_ACCESS_KEY "$main_key"
	envset "$envtmp" PARTCOPY_SECRET_KEY "$main_secret"
	envset "$envtmp" PARTCOPY_ALT_ACCESS_KEY "$alt_key"
	envset "$envtmp" PARTCOPY_ALT_SECRET_KEY "$alt_secret"
	# MinIO evaluates bucket policies only for anonymous requests; a signed
	# request is judged by the user's IAM policies alone. So this principal
	# is accepted in a bucket policy but grants nothing: use the grant command.
	envset "$envtmp" PARTCOPY_ALT_PRINCIPAL "arn:aws:iam:::user/$alt_key"
	envset "$envtmp" PARTCOPY_ALT_GRANT_MODE minio-iam-policy
	envset "$envtmp" PARTCOPY_KMS_KEY_ID "$kms_id"
	envset "$envtmp" PARTCOPY_MC_CONFIG_DIR "$statedir/mc"

	# mc trusts the self-signed cert through its config dir; the alias comes
	# from MC_HOST_* in the environment so no secret is on a command line.
	mkdir -p "$statedir/mc/certs/CAs"
	cp "$ca" "$statedir/mc/certs/CAs/partcopy.crt"
	local out
	if ! out=$(MC_HOST_pc="https://$main_key:$main_secret@127.0.0.1:$port" \
		"$mc" --config-dir "$statedir/mc" --no-color --quiet \
		admin user add pc "$alt_key" "$alt_secret" 2>&1); then
		out=${out//"$main_secret"/<redacted>}
		out=${out//"$alt_secret"/<redacted>}
		fail_start "$statedir" "minio: mc admin user add failed: $(echo "$out" | tail -n1 | cut -c1-200)"
	fi
	# A new MinIO user has no policy, hence no rights at all: what the
	# suite's alt principal needs by default.
	python3 "$TOOL" assume-role "$statedir" ||
		fail_start "$statedir" "minio: STS AssumeRole for temporary credentials failed"
}

start_versitygw() {
	local statedir=$1 envtmp=$1/env.tmp
	local vgw=$BIN/versitygw
	[ "$(built_version "$vgw" "$VGW_MODULE")" = "$VGW_VERSION" ] ||
		die "versitygw $VGW_VERSION is not installed in $BIN (run: $0 install versitygw)"
	local port
	port=$(free_port)
	local main_key main_secret alt_key alt_secret
	main_key=main$(rand_key 12)
	main_secret=$(rand_key 40)
	alt_key=alt$(rand_key 13)
	alt_secret=$(rand_key 40)
	local data=$statedir/data
	mkdir -p "$data/buckets" "$data/versions" "$data/iam"

	# Root credentials come from the environment (ROOT_ACCESS_KEY/...), not
	# flags, so they are not visible in ps. --iam-dir keeps users in a local
	# JSON store; the admin API is served on the S3 port.
	launch "$statedir" env \
		ROOT_ACCESS_KEY="$main_key" ROOT_SECRET_KEY="$main_secret" \
		"$vgw" --port "127.0.0.1:$port" --region "$REGION" \
		--iam-dir "$data/iam" --health /health --quiet \
		posix --versioning-dir "$data/versions" "$data/buckets"
	local endpoint=http://127.0.0.1:$port
	wait_healthy "$statedir" versitygw curl -fsS --max-time 2 "$endpoint/health"

	local out
	if ! out=$(ADMIN_ACCESS_KEY="$main_key" ADMIN_SECRET_KEY="$main_secret" \
		"$vgw" admin --endpoint-url "$endpoint" --region "$REGION" \
		create-user --access "$alt_key" --secret "$alt_secret" --role user 2>&1); then
		out=${out//"$main_secret"/<redacted>}
		out=${out//"$alt_secret"/<redacted>}
		fail_start "$statedir" "versitygw: admin create-user failed: $(echo "$out" | tail -n1 | cut -c1-200)"
	fi

	envset "$envtmp" PARTCOPY_SERVER_NAME versitygw
	envset "$envtmp" PARTCOPY_SERVER_VERSION "$VGW_MODULE@$VGW_VERSION"
	envset "$envtmp" PARTCOPY_ENDPOINT "$endpoint"
	envset "$envtmp" PARTCOPY_REGION "$REGION"
	envset "$envtmp" PARTCOPY_ACCESS_KEY "$main_key"
	envset "$envtmp" PARTCOPY_SECRET_KEY "$main_secret"
	envset "$envtmp" PARTCOPY_ALT_ACCESS_KEY "$alt_key"
	envset "$envtmp" PARTCOPY_ALT_SECRET_KEY "$alt_secret"
	# With --iam-dir accounts have no ARN: a bucket policy names a user by
	# its access key id (auth/bucket_policy_principals.go, matchFor).
	envset "$envtmp" PARTCOPY_ALT_PRINCIPAL "$alt_key"
	envset "$envtmp" PARTCOPY_ALT_GRANT_MODE bucket-policy
}

start_moto() {
	local statedir=$1 envtmp=$1/env.tmp
	need moto_server "run: $0 install moto"
	local port
	port=$(free_port)
	# s3tool.py moto-setup makes exactly this many unauthenticated IAM calls
	# (users, keys, policies, role); from the next request on moto checks
	# every signature and IAM policy. s3tool.py checks that it really does.
	local setup_actions
	setup_actions=$(python3 "$TOOL" moto-setup-count)
	# moto keeps objects in memory, spilling bodies over ~5 MiB to temporary
	# files: TMPDIR puts those in the data dir that stop removes.
	launch "$statedir" env INITIAL_NO_AUTH_ACTION_COUNT="$setup_actions" \
		TMPDIR="$statedir/data" \
		moto_server -H 127.0.0.1 -p "$port"
	local endpoint=http://127.0.0.1:$port
	# /moto-api/ is moto's own dashboard: it does not count as an action.
	wait_healthy "$statedir" moto curl -fsS --max-time 2 -o /dev/null "$endpoint/moto-api/"
	envset "$envtmp" PARTCOPY_SERVER_NAME moto
	envset "$envtmp" PARTCOPY_SERVER_VERSION "moto@$(python3 -c 'import moto; print(moto.__version__)')"
	envset "$envtmp" PARTCOPY_ENDPOINT "$endpoint"
	envset "$envtmp" PARTCOPY_REGION "$REGION"
	envset "$envtmp" PARTCOPY_ALT_GRANT_MODE iam-user-policy
	python3 "$TOOL" moto-setup "$statedir" ||
		fail_start "$statedir" "moto: IAM setup or auth check failed"
}

# Ceph RGW: one monitor (msgr v1 only), one BlueStore OSD on a sparse file,
# pools of size 1 and radosgw (beast frontend), all on 127.0.0.1, all under
# <statedir>/data. The cluster runs without cephx (nothing but loopback can
# reach it); radosgw still checks every S3 signature.
start_rgw() {
	local statedir=$1 envtmp=$1/env.tmp data=$1/data
	local p
	for p in "${RGW_PROGRAMS[@]}"; do need "$p" "run: $0 install rgw"; done
	local monport port
	monport=$(free_port)
	port=$(free_port)
	local conf=$data/ceph.conf
	# A cluster is made from scratch each time: no leftovers of a failed start.
	rm -rf "$data"
	mkdir -p "$data/run" "$data/log" "$data/crash" "$data/mon.a" "$data/rgw.a"
	# Secrets of the server itself (the STS token key, the testing KMS
	# key) live only in ceph.conf, mode 0600.
	local sts_key kms_b64 kms_id=partcopy-key
	sts_key=$(rand_key 16)
	kms_b64=$(python3 -c 'import base64, secrets; print(base64.b64encode(secrets.token_bytes(32)).decode())')
	(
		umask 077
		rgw_conf "$data" "$monport" "$port" "$sts_key" "$kms_id" "$kms_b64" >"$conf"
	)
	local fsid
	fsid=$(awk '$1 == "fsid" { print $3; exit }' "$conf")
	monmaptool --create --fsid "$fsid" --addv a "[v1:127.0.0.1:$monport]" "$data/run/monmap" \
		>"$data/log/mkfs.log" 2>&1 || die "rgw: monmaptool failed: $(tail -n1 "$data/log/mkfs.log")"
	ceph-mon -c "$conf" -i a --mkfs --monmap "$data/run/monmap" >>"$data/log/mkfs.log" 2>&1 ||
		die "rgw: ceph-mon --mkfs failed: $(tail -n1 "$data/log/mkfs.log")"

	# One process group for the monitor, the OSD and radosgw, so stop ends
	# them together; the supervisor restarts radosgw whenever it dies.
	launch "$statedir" bash "$DEPLOY_DIR/servers.sh" rgw-supervise "$statedir"
	local endpoint=http://127.0.0.1:$port
	START_TIMEOUT=$RGW_START_TIMEOUT wait_healthy "$statedir" rgw \
		curl -fsS --max-time 2 -o /dev/null "$endpoint/"

	local main_key main_secret alt_key alt_secret
	read -r main_key main_secret < <(rgw_user "$statedir" main) ||
		fail_start "$statedir" "rgw: radosgw-admin user create main failed: $(tail -n1 "$data/log/admin.log")"
	read -r alt_key alt_secret < <(rgw_user "$statedir" alt) ||
		fail_start "$statedir" "rgw: radosgw-admin user create alt failed: $(tail -n1 "$data/log/admin.log")"
	[ -n "$main_secret" ] && [ -n "$alt_secret" ] || fail_start "$statedir" "rgw: radosgw-admin returned no keys"

	# Temporary credentials: STS AssumeRole of a role whose trust policy
	# names main and whose permission policy allows s3:*.
	local trust='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam:::user/main"]},"Action":["sts:AssumeRole"]}]}'
	local s3all='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*"],"Resource":["arn:aws:s3:::*"]}]}'
	radosgw-admin -c "$conf" role create --role-name=partcopy-temp --path=/ \
		--assume-role-policy-doc="$trust" >>"$data/log/admin.log" 2>&1 ||
		fail_start "$statedir" "rgw: radosgw-admin role create failed: $(tail -n1 "$data/log/admin.log")"
	radosgw-admin -c "$conf" role-policy put --role-name=partcopy-temp --policy-name=partcopy-s3 \
		--policy-doc="$s3all" >>"$data/log/admin.log" 2>&1 ||
		fail_start "$statedir" "rgw: radosgw-admin role-policy put failed: $(tail -n1 "$data/log/admin.log")"

	envset "$envtmp" PARTCOPY_SERVER_NAME rgw
	envset "$envtmp" PARTCOPY_SERVER_VERSION "ceph-radosgw@$(rgw_version)"
	envset "$envtmp" PARTCOPY_ENDPOINT "$endpoint"
	envset "$envtmp" PARTCOPY_REGION "$REGION"
	envset "$envtmp" PARTCOPY_ACCESS_KEY "$main_key"
	envset "$envtmp" PARTCOPY_SECRET_KEY "$main_secret"
	envset "$envtmp" PARTCOPY_ALT_ACCESS_KEY "$alt_key"
	envset "$envtmp" PARTCOPY_ALT_SECRET_KEY "$alt_secret"
	# RGW users in the default (empty) tenant.
	envset "$envtmp" PARTCOPY_ALT_PRINCIPAL "arn:aws:iam:::user/alt"
	envset "$envtmp" PARTCOPY_ALT_GRANT_MODE bucket-policy
	envset "$envtmp" PARTCOPY_KMS_KEY_ID "$kms_id"
	envset "$envtmp" PARTCOPY_CEPH_CONF "$conf"
	# 3600 s: RGW 16.2 creates roles with MaxSessionDuration 3600 and
	# radosgw-admin cannot raise it (its IAM CreateRole answers
	# MalformedPolicyDocument); conform-real.sh refreshes them per profile.
	python3 "$TOOL" assume-role "$statedir" "arn:aws:iam:::role/partcopy-temp" 3600 ||
		fail_start "$statedir" "rgw: STS AssumeRole for temporary credentials failed"
}

# rgw_conf DATA MONPORT PORT STSKEY KMSID KMSB64 prints ceph.conf.
rgw_conf() {
	local data=$1 monport=$2 port=$3
	cat <<CONF
[global]
fsid = $(uuidgen)
mon host = v1:127.0.0.1:$monport
mon initial members = a
public addr = 127.0.0.1
ms bind msgr2 = false
auth cluster required = none
auth service required = none
auth client required = none
keyring = /dev/null
run dir = $data/run
crash dir = $data/crash
admin socket = $data/run/\$name.asok
pid file =
log file = $data/log/\$name.log
log to stderr = false
err to stderr = true
mon cluster log file = $data/log/cluster.log
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon warn on pool no redundancy = false
mon max pg per osd = 1000
# The machine's disk is shared: do not stop the monitor for its fill level.
mon data avail warn = 2
mon data avail crit = 1

[mon]
mon data = $data/mon.\$id

[osd]
osd data = $data/osd.\$id
osd objectstore = bluestore
# No "bluestore block path": BlueStore creates <osd data>/block itself.
bluestore block create = true
bluestore block size = $RGW_OSD_BYTES
osd crush update on start = false
osd class update on start = false
osd memory target = 1073741824

[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:$port
rgw data = $data/rgw.a
rgw dynamic resharding = false
# Deleted objects' data is reclaimed within a minute, not two hours.
rgw gc obj min wait = 60
rgw gc processor period = 60
# SSE-C and SSE-KMS over plain HTTP (loopback), the KMS being RGW's
# "testing" backend with one static key.
rgw crypt require ssl = false
rgw crypt s3 kms backend = testing
rgw crypt s3 kms encryption keys = $5=$6
rgw s3 auth use sts = true
rgw sts key = $4
CONF
}

# rgw_user STATEDIR UID creates an RGW user with generated keys and prints
# "ACCESS SECRET" (to a pipe, never a terminal or a log).
rgw_user() {
	local data=$1/data out
	out=$data/run/user-$2.json
	(
		umask 077
		radosgw-admin -c "$data/ceph.conf" user create --uid="$2" --display-name="partcopy $2" \
			>"$out" 2>>"$data/log/admin.log"
	) || return 1
	python3 -c 'import json, sys
k = json.load(open(sys.argv[1]))["keys"][0]
print(k["access_key"], k["secret_key"])' "$out"
	rm -f "$out"
}

# cmd_rgw_supervise STATEDIR is the process start_rgw launches: it starts the
# monitor, creates and starts the OSD (added to the CRUSH map by hand: with
# cluster auth off it does not place itself), then runs radosgw and starts it
# again whenever it dies, as a deployment's service manager would. Each
# event is one "=== <time> rgw: ..." line in server.log. A dead monitor or
# OSD ends the cluster (that is not something a restart should hide).
cmd_rgw_supervise() {
	local statedir=$1 data=$1/data
	local conf=$data/ceph.conf
	local c=(ceph -c "$conf" --connect-timeout 20)
	local mon="" osd="" rgw="" stopping=0 restarts=0 quick=0 started=0 who="" rc=0
	event() { echo "=== $(date -u +%FT%TZ) rgw: $*"; }
	# halt REASON stops what runs and exits; the reason is the log's last
	# line, which is what start reports.
	halt() {
		kill -TERM $rgw $osd $mon 2>/dev/null || true
		wait
		event "$1; cluster stopped"
		exit 1
	}
	trap 'stopping=1; kill -TERM $rgw $osd $mon 2>/dev/null || true' TERM INT

	ceph-mon -c "$conf" -i a -f &
	mon=$!
	event "ceph-mon started (pid $mon)"
	until "${c[@]}" mon stat >/dev/null 2>&1; do
		pid_alive "$mon" || halt "ceph-mon exited during startup"
		sleep 0.5
	done
	local uuid id
	uuid=$(uuidgen)
	id=$("${c[@]}" osd new "$uuid" 2>>"$data/log/mkfs.log") || halt "ceph osd new failed"
	mkdir -p "$data/osd.$id"
	ceph-osd -c "$conf" -i "$id" --mkfs --osd-uuid "$uuid" >>"$data/log/mkfs.log" 2>&1 ||
		halt "ceph-osd --mkfs failed: $(grep -v '^\s*$' "$data/log/mkfs.log" | tail -n1 | cut -c1-200)"
	"${c[@]}" osd crush add "osd.$id" 1.0 root=default >>"$data/log/mkfs.log" 2>&1 ||
		halt "ceph osd crush add failed"
	ceph-osd -c "$conf" -i "$id" -f &
	osd=$!
	event "ceph-osd.$id started (pid $osd)"
	until [ "$("${c[@]}" osd stat -f json 2>/dev/null |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["num_up_osds"])' 2>/dev/null)" = 1 ]; do
		pid_alive "$osd" || halt "ceph-osd exited during startup"
		[ "$stopping" = 0 ] || halt "stop requested"
		sleep 0.5
	done
	event "osd.$id up"

	while [ "$stopping" = 0 ]; do
		radosgw -c "$conf" -n client.rgw.a -f &
		rgw=$!
		started=$SECONDS
		event "radosgw started (pid $rgw)"
		rc=0 who=""
		wait -n -p who "$mon" "$osd" "$rgw" || rc=$?
		[ "$stopping" = 0 ] || break
		case "$who" in
		"$mon") halt "ceph-mon exited with status $rc" ;;
		"$osd") halt "ceph-osd exited with status $rc" ;;
		esac
		restarts=$((restarts + 1))
		event "radosgw exited with status $rc after $((SECONDS - started))s; restart $restarts"
		# Dying within 10 s of every start, five times in a row, is a
		# broken configuration, not a crash on one request.
		if [ $((SECONDS - started)) -lt 10 ]; then quick=$((quick + 1)); else quick=0; fi
		[ "$quick" -lt 5 ] || halt "radosgw dies right after every start"
		sleep 1
	done
	event "stopping"
	kill -TERM $rgw $osd $mon 2>/dev/null || true
	# radosgw 16.2 can hang in its shutdown after SIGTERM; it holds no
	# state worth a clean exit, so it gets 3 s.
	local _
	for _ in 1 2 3 4 5 6; do
		pid_alive "$rgw" || break
		sleep 0.5
	done
	kill -KILL "$rgw" 2>/dev/null || true
	wait
}

# ------------------------------------------------------------------- stop --

# stop_quiet STATEDIR kills the server's process group (TERM, then KILL after
# 10 s) and removes its data dir. server.log is kept for post-mortems.
stop_quiet() {
	local statedir=$1 pid=""
	[ -f "$statedir/pid" ] && pid=$(cat "$statedir/pid")
	if [ -n "$pid" ]; then
		kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
		local _
		for _ in $(seq 1 100); do
			pgrp_alive "$pid" || break
			sleep 0.1
		done
		if pgrp_alive "$pid"; then
			kill -KILL -- "-$pid" 2>/dev/null || true
			sleep 0.5
		fi
		pgrp_alive "$pid" && return 1
	fi
	rm -f "$statedir/pid" "$statedir/env" "$statedir/env.tmp" "$statedir/alt-grants.json" "$statedir/alt-policy.json"
	rm -rf "$statedir/data" "$statedir/certs" "$statedir/mc" "$statedir/ca.crt"
	return 0
}

# pgrp_alive PGID: does any process of the group still exist?
pgrp_alive() {
	kill -0 -- "-$1" 2>/dev/null
}

cmd_stop() {
	[ $# -eq 1 ] || usage
	[ -d "$1" ] || die "no such state dir: $1"
	local statedir
	statedir=$(abs_dir "$1")
	local pid=""
	[ -f "$statedir/pid" ] && pid=$(cat "$statedir/pid")
	stop_quiet "$statedir" || die "process group $pid survived SIGKILL"
	[ ! -e "$statedir/data" ] || die "could not remove $statedir/data"
	echo "stop: ${pid:+pid $pid stopped, }data removed from $statedir"
}

# -------------------------------------------------------------- the rest --

SERVERS=(minio versitygw moto rgw)

cmd_start_all() {
	[ $# -eq 1 ] || usage
	local base s
	base=$(abs_dir "$1")
	for s in "${SERVERS[@]}"; do
		# A separate process, not a subshell: `set -e` is off inside an if.
		if ! bash "$DEPLOY_DIR/servers.sh" start "$s" "$base/$s"; then
			# Leave nothing running behind a failed start-all.
			local t
			for t in "${SERVERS[@]}"; do stop_quiet "$base/$t" 2>/dev/null || true; done
			die "start-all: $s failed to start (log: $base/$s/server.log)"
		fi
	done
}

cmd_stop_all() {
	[ $# -eq 1 ] || usage
	local s rc=0
	for s in "${SERVERS[@]}"; do
		[ -d "$1/$s" ] || continue
		bash "$DEPLOY_DIR/servers.sh" stop "$1/$s" || rc=1
	done
	return $rc
}

# cmd_refresh STATEDIR appends fresh temporary credentials to the env file
# (the last export wins) where they last less than a long run: RGW's 1 h
# role sessions. MinIO's and moto's last 12 h, versitygw has none.
cmd_refresh() {
	[ -f "$1/env" ] || die "no env file in $1 (is the server started?)"
	case "$(envget "$1" PARTCOPY_SERVER_NAME)" in
	rgw)
		python3 "$TOOL" assume-role "$1" "arn:aws:iam:::role/partcopy-temp" 3600 ||
			die "rgw: STS AssumeRole for temporary credentials failed"
		;;
	*) ;;
	esac
}

# cmd_env prints the env file with secrets masked (safe for CI logs), or
# with --path just its path, for `. "$(servers.sh env --path DIR)"`.
cmd_env() {
	local path=no
	if [ "${1:-}" = --path ]; then
		path=yes
		shift
	fi
	[ $# -eq 1 ] || usage
	[ -f "$1/env" ] || die "no env file in $1 (is the server started?)"
	if [ $path = yes ]; then
		echo "$(abs_dir "$1")/env"
	else
		sed -E 's/^(export PARTCOPY_[A-Z_]*(SECRET|SESSION_TOKEN)[A-Z_]*)=.*/\1=<redacted>/' "$1/env"
	fi
}

main() {
	[ $# -ge 1 ] || usage
	local cmd=$1
	shift
	case "$cmd" in
	install) cmd_install "$@" ;;
	start) cmd_start "$@" ;;
	start-all) cmd_start_all "$@" ;;
	stop) cmd_stop "$@" ;;
	stop-all) cmd_stop_all "$@" ;;
	env) cmd_env "$@" ;;
	# Internal: the process start_rgw launches (see cmd_rgw_supervise).
	rgw-supervise)
		[ $# -eq 1 ] || usage
		cmd_rgw_supervise "$1"
		;;
	grant)
		[ $# -eq 3 ] || usage
		[ -f "$1/env" ] || die "no env file in $1 (is the server started?)"
		python3 "$TOOL" grant "$@"
		;;
	refresh)
		[ $# -eq 1 ] || usage
		cmd_refresh "$1"
		;;
	verify)
		[ $# -eq 1 ] || usage
		[ -f "$1/env" ] || die "no env file in $1 (is the server started?)"
		python3 "$TOOL" verify "$1"
		;;
	-h | --help | help) usage ;;
	*) usage ;;
	esac
}

main "$@"
exit $?
