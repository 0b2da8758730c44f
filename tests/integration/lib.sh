# lib.sh - shared steps of drivemon's integration tests (sourced).
#
# Each test runs against one drive kind, DM_DRIVE=s3 (the Ceph gateway
# that ctest's rgw fixture started, DM_RGW_DIR and DM_RGW_PORT) or
# DM_DRIVE=file (a folder of buckets).  The test keeps beside the drive
# an "expected" folder that every drive_put/drive_rm also changes, so
# that "the mirror is right" is one diff.  check() counts results and
# finish() prints "N passed, N failed" and sets the exit status.
#
# Needs: DM_DRIVEMON and DM_CTL (the programs under test), DM_HARNESS
# (the tests/harness folder), DM_DRIVE.

set -euo pipefail

: "${DM_DRIVEMON:?DM_DRIVEMON must name the drivemon program}"
: "${DM_CTL:?DM_CTL must name the drivemonctl program}"
: "${DM_HARNESS:?DM_HARNESS must name tests/harness}"
: "${DM_DRIVE:=file}"

PY=/usr/bin/python3
T=$(mktemp -d /tmp/dmtest.XXXXXX)
WORK=$T/work
STATE=$T/state
EXPECT=$T/expect
CONF=$T/drivemon.conf
DRIVE_ROOT=$T/drive
LOG=$T/agent.log
AGENT_PID=
FS_PID=
MNT=$T/mnt
BUCKETS=()
passed=0
failed=0

mkdir -p "$EXPECT" "$DRIVE_ROOT"

cleanup()
{
	stop_fs
	stop_agent
	if [ -n "$PROXY_PID" ]; then
		kill "$PROXY_PID" 2>/dev/null || true
		wait "$PROXY_PID" 2>/dev/null || true
	fi
	if [ "$DM_DRIVE" = s3 ]; then
		for b in "${BUCKETS[@]}"; do
			s3 rb "$b" >/dev/null 2>&1 || true
		done
	fi
	if [ "$failed" -eq 0 ] && [ -z "${DM_KEEP:-}" ]; then
		rm -rf "$T"
	else
		echo "test files kept in $T"
	fi
}
trap cleanup EXIT

# check DESCRIPTION COMMAND...: run COMMAND, count a pass or a failure.
check()
{
	local what=$1
	shift
	if "$@"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAIL: $what" >&2
	fi
}

finish()
{
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}

# ---- the drive ----

if [ "$DM_DRIVE" = s3 ]; then
	: "${DM_RGW_DIR:?DM_RGW_DIR must name the running test cluster}"
	: "${DM_RGW_PORT:?}"
	# shellcheck disable=SC1091
	set -a
	. "$DM_RGW_DIR/credentials.env"
	set +a
	S3_DIRECT=http://127.0.0.1:$DM_RGW_PORT
	ENDPOINT=$S3_DIRECT
else
	ENDPOINT=file://$DRIVE_ROOT
fi

# s3 ARGS...: the test's own S3 client, straight to the gateway.
s3()
{
	"$PY" "$DM_HARNESS/s3util.py" --endpoint "$S3_DIRECT" "$@"
}

# use_proxy: put the counting, fault-injecting proxy between drivemon and
# the gateway.  Requests go to $PROXY_LOG; rules are written to
# $PROXY_CONTROL.  Call before write_config.
PROXY_PID=
use_proxy()
{
	local port=$((DM_RGW_PORT + 20 + RANDOM % 20))
	PROXY_LOG=$T/proxy.log
	PROXY_CONTROL=$T/proxy.control
	: >"$PROXY_LOG"
	"$PY" "$DM_HARNESS/s3proxy.py" --listen "$port" \
		--upstream "$DM_RGW_PORT" --log "$PROXY_LOG" \
		--control "$PROXY_CONTROL" --pid-file "$T/proxy.pid" \
		2>>"$T/proxy.err" &
	PROXY_PID=$!
	wait_until 10 test -s "$T/proxy.pid"
	ENDPOINT=http://127.0.0.1:$port
}

# object_gets BUCKET: GET requests for objects of BUCKET the proxy saw.
object_gets()
{
	grep -c "^GET /$1/[^?]" "$PROXY_LOG" || true
}

# new_bucket NAME: a bucket unique to this run, its name on stdout.
new_bucket()
{
	local name
	name="$1-$(date +%s%N | tail -c 7)$RANDOM.gbai"
	if [ "$DM_DRIVE" = s3 ]; then
		s3 mb "$name" >/dev/null
	else
		mkdir -p "$DRIVE_ROOT/$name"
	fi
	mkdir -p "$EXPECT/$name"
	echo "$name"
}

# drive_put BUCKET KEY FILE: store FILE as KEY, and expect it mirrored.
drive_put()
{
	local bucket=$1 key=$2 file=$3
	if [ "$DM_DRIVE" = s3 ]; then
		s3 put "$bucket" "$key" "$file" >/dev/null
	else
		mkdir -p "$(dirname "$DRIVE_ROOT/$bucket/$key")"
		cp "$file" "$DRIVE_ROOT/$bucket/$key.tmp$$"
		mv "$DRIVE_ROOT/$bucket/$key.tmp$$" "$DRIVE_ROOT/$bucket/$key"
	fi
	mkdir -p "$(dirname "$EXPECT/$bucket/$key")"
	cp "$file" "$EXPECT/$bucket/$key"
}

# drive_put_text BUCKET KEY TEXT
drive_put_text()
{
	printf '%s\n' "$3" >"$T/put.tmp"
	drive_put "$1" "$2" "$T/put.tmp"
}

# drive_put_stdin BUCKET KEY: store standard input as KEY.
drive_put_stdin()
{
	cat >"$T/put.tmp"
	drive_put "$1" "$2" "$T/put.tmp"
}

# drive_rm BUCKET KEY: delete KEY, and expect its copy gone.
drive_rm()
{
	local bucket=$1 key=$2
	if [ "$DM_DRIVE" = s3 ]; then
		s3 rm "$bucket" "$key" >/dev/null
	else
		rm -f "$DRIVE_ROOT/$bucket/$key"
	fi
	rm -f "$EXPECT/$bucket/$key"
	find "$EXPECT/$bucket" -mindepth 1 -type d -empty -delete
}

# drive_cat BUCKET KEY: the object's content on stdout; fails if absent.
drive_cat()
{
	if [ "$DM_DRIVE" = s3 ]; then
		s3 get "$1" "$2" - 2>/dev/null
	else
		cat "$DRIVE_ROOT/$1/$2" 2>/dev/null
	fi
}

# drive_keys BUCKET: every key of BUCKET, sorted, one per line.
drive_keys()
{
	if [ "$DM_DRIVE" = s3 ]; then
		s3 ls "$1" | cut -f1 | LC_ALL=C sort
	else
		(cd "$DRIVE_ROOT/$1" && find . -type f | sed 's|^\./||' |
			LC_ALL=C sort)
	fi
}

# ---- the agent ----

# write_config [EXTRA-INI-LINES]: a configuration for this test's buckets.
# RETRY_BASE and RETRY_MAX, when set, replace the short test backoff.
write_config()
{
	local list
	list=$(IFS=,; echo "${BUCKETS[*]}")
	cat >"$CONF" <<INI
[drive]
endpoint = $ENDPOINT
region = us-east-1
path_style = true
buckets = $list

[agent]
work_root = $WORK
state_dir = $STATE
poll_interval = 300ms
download_concurrency = 8
max_object_size = 512M
retry_base = ${RETRY_BASE:-200ms}
retry_max = ${RETRY_MAX:-1s}
${1:-}
INI
}

# run_once: one cycle; its status in $rc, its log in $T/once.log.
run_once()
{
	rc=0
	"$DM_DRIVEMON" --once -v -c "$CONF" >"$T/once.log" 2>&1 || rc=$?
	cat "$T/once.log" >>"$LOG"
}

start_agent()
{
	"$DM_DRIVEMON" -v -c "$CONF" >>"$LOG" 2>&1 &
	AGENT_PID=$!
}

stop_agent()
{
	if [ -n "$AGENT_PID" ]; then
		kill -TERM "$AGENT_PID" 2>/dev/null || true
		wait "$AGENT_PID" 2>/dev/null || true
		AGENT_PID=
	fi
}

# start_fs: mount drivemon-fs on $MNT for this test's state; wait for it.
start_fs()
{
	mkdir -p "$MNT"
	"$DM_FS" -v -s "$STATE" "$MNT" >>"$T/fs.log" 2>&1 &
	FS_PID=$!
	# Ready when this process serves the view (a stale mount is not).
	wait_until 10 test -e "$MNT/status.json"
}

# stop_fs: SIGTERM drivemon-fs, which unmounts; a stale mount is cleared.
stop_fs()
{
	if [ -n "$FS_PID" ]; then
		kill -TERM "$FS_PID" 2>/dev/null || true
		wait "$FS_PID" 2>/dev/null || true
		FS_PID=
	fi
	if mountpoint -q "$MNT" 2>/dev/null || ! stat "$MNT" >/dev/null 2>&1; then
		fusermount3 -u -z "$MNT" 2>/dev/null || umount -l "$MNT" 2>/dev/null || true
	fi
}

# wait_until SECONDS COMMAND...: poll COMMAND every 50 ms until it passes.
wait_until()
{
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.05
	done
}

# cycles_logged: how many cycle summaries the agent has written.
cycles_logged()
{
	grep -c 'info cycle: ' "$LOG" 2>/dev/null || true
}

# ---- what a user checks ----

# mirror_matches BUCKET: work_root/BUCKET holds exactly the expected files.
mirror_matches()
{
	diff -r "$EXPECT/$1" "$WORK/$1" >"$T/diff.out" 2>&1 || {
		head -20 "$T/diff.out" >&2
		return 1
	}
}

status_json()
{
	"$DM_CTL" -c "$CONF" status --json
}

# status_field BUCKET FIELD: a bucket's figure from drivemonctl status.
status_field()
{
	status_json | "$PY" -c '
import json, sys
for b in json.load(sys.stdin)["buckets"]:
    if b["bucket"] == sys.argv[1]:
        print(b[sys.argv[2]])' "$1" "$2"
}

# show ARGS...: drivemonctl show, reading this test's state.
show()
{
	"$DM_CTL" -c "$CONF" show "$@"
}

# handler_runs KIND: how many times the agent logged a KIND handler run.
handler_runs()
{
	grep -c "handlers: $1 of bot" "$LOG" 2>/dev/null || true
}

# Conditions for wait_until, which runs its command again each time
# (a "$(...)" in its arguments would be taken once).

# config_is BOT TEXT: drivemonctl show BOT config prints TEXT.
config_is()
{
	test "$(show "$1" config 2>/dev/null)" = "$2"
}

# object_is BUCKET KEY TEXT: the drive's object holds TEXT.
object_is()
{
	test "$(drive_cat "$1" "$2")" = "$3"
}

# file_is PATH TEXT
file_is()
{
	test "$(cat "$1" 2>/dev/null)" = "$2"
}

# bucket_lacks BUCKET KEY
bucket_lacks()
{
	! drive_keys "$1" | grep -qxF -- "$2"
}

# status_has PATTERN: drivemonctl status (text) matches PATTERN.
status_has()
{
	"$DM_CTL" -c "$CONF" status | grep -q -- "$1"
}

log_has()
{
	grep -q -- "$1" "$LOG"
}

# files_snapshot: path, inode and mtime of every mirrored file.
files_snapshot()
{
	(cd "$WORK" && find . -path ./.drivemon-partial -prune -o -type f \
		-printf '%p %i %T@\n' | sort)
}
