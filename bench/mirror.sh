#!/bin/bash
# mirror.sh - drivemon against Debian's rclone, on the same data, in the
# same run, so that the ratios hold on a noisy shared machine.
#
#   1. RGW: mirror 10,000 small objects from empty, then a no-change cycle
#      (drivemon --once vs rclone sync with default settings).
#   2. file:// drive: a no-change cycle over 100,000 objects (rclone syncs
#      the same folder to a local copy).
#   3. drivemon's peak RSS with 100,000 and with 1,000,000 tracked objects
#      (set BENCH_MILLION=0 to skip the million: it takes minutes).
#
# Usage: bench/mirror.sh [BUILD_DIR]   (default: build/, built if missing)
# Needs: scripts/install-deps bench.  Scratch data goes to $BENCH_DIR
# (default /tmp/drivemon-bench), removed at the end.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
scratch=${BENCH_DIR:-/tmp/drivemon-bench}
port=${BENCH_RGW_PORT:-7800}
objects=${BENCH_OBJECTS:-10000}
files=${BENCH_FILES:-100000}
million=${BENCH_MILLION:-1}
py=/usr/bin/python3

"$root/scripts/install-deps" bench
if [ ! -x "$build/agent/drivemon" ]; then
	cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build "$build" -j"$(nproc)" --target drivemon >/dev/null
fi
drivemon=$build/agent/drivemon

cleanup()
{
	"$root/tests/harness/rgw.sh" stop "$scratch/rgw" >/dev/null 2>&1 || true
	rm -rf "$scratch"
}
trap cleanup EXIT
rm -rf "$scratch"
mkdir -p "$scratch"

# seconds COMMAND...: wall time of COMMAND, in seconds, on stdout.
seconds()
{
	local start end
	start=$(date +%s.%N)
	"$@" >>"$scratch/commands.log" 2>&1 || {
		echo "mirror.sh: '$*' failed:" >&2
		tail -5 "$scratch/commands.log" >&2
		exit 1
	}
	end=$(date +%s.%N)
	echo "$end - $start" | bc -l
}

# peak_rss_kib COMMAND...: maximum resident set size of COMMAND.
peak_rss_kib()
{
	/usr/bin/time -f '%M' -o "$scratch/rss" "$@" >>"$scratch/commands.log" 2>&1
	cat "$scratch/rss"
}

ratio()
{
	echo "scale=3; $1 / $2" | bc -l
}

# config NAME ENDPOINT BUCKETS: a drivemon configuration with fresh state.
config()
{
	local dir=$scratch/$1
	rm -rf "$dir"
	mkdir -p "$dir"
	cat >"$dir/drivemon.conf" <<INI
[drive]
endpoint = $2
buckets = $3
credentials_file = ${4:-}
[agent]
work_root = $dir/work
state_dir = $dir/state
download_concurrency = 8
[log]
level = warning
INI
	echo "$dir/drivemon.conf"
}

rclone_s3()
{
	env -u AWS_CA_BUNDLE RCLONE_CONFIG_RGW_TYPE=s3 \
		RCLONE_CONFIG_RGW_PROVIDER=Ceph \
		RCLONE_CONFIG_RGW_ENDPOINT="http://127.0.0.1:$port" \
		RCLONE_CONFIG_RGW_ACCESS_KEY_ID="$AWS_ACCESS_KEY_ID" \
		RCLONE_CONFIG_RGW_SECRET_ACCESS_KEY="$AWS_SECRET_ACCESS_KEY" \
		rclone "$@"
}

echo "== RGW: $objects small objects"
"$root/tests/harness/rgw.sh" start "$scratch/rgw" "$port" >/dev/null
set -a
. "$scratch/rgw/credentials.env"
set +a
s3="$py $root/tests/harness/s3util.py --endpoint http://127.0.0.1:$port"
$s3 mb bench.gbai >/dev/null
$s3 put-many bench.gbai "kb/doc-" "$objects" 1024 >/dev/null

conf=$(config dm-rgw "http://127.0.0.1:$port" bench.gbai "$scratch/rgw/credentials")
dm_empty=$(seconds "$drivemon" --once -c "$conf")
dm_same=$(seconds "$drivemon" --once -c "$conf")
rc_empty=$(seconds rclone_s3 sync rgw:bench.gbai "$scratch/rclone-rgw")
rc_same=$(seconds rclone_s3 sync rgw:bench.gbai "$scratch/rclone-rgw")
count=$(find "$scratch/dm-rgw/work/bench.gbai" -type f | wc -l)
printf 'mirrored files: drivemon %s\n' "$count"
printf 'from empty:  drivemon %6.2f s  rclone %6.2f s  ratio %s\n' \
	"$dm_empty" "$rc_empty" "$(ratio "$dm_empty" "$rc_empty")"
printf 'no change:   drivemon %6.2f s  rclone %6.2f s  ratio %s\n' \
	"$dm_same" "$rc_same" "$(ratio "$dm_same" "$rc_same")"
"$root/tests/harness/rgw.sh" stop "$scratch/rgw" >/dev/null

# make_tree DIR COUNT: COUNT small files in folders of 1,000.
make_tree()
{
	"$py" - "$1" "$2" <<'PY'
import os, sys
root, count = sys.argv[1], int(sys.argv[2])
for i in range(count):
    folder = os.path.join(root, "kb", "f%04d" % (i // 1000))
    if i % 1000 == 0:
        os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "doc-%07d.md" % i), "w") as f:
        f.write("document %d\n" % i)
PY
}

echo "== file:// drive: $files objects"
make_tree "$scratch/drive/files.gbai" "$files"
conf=$(config file "file://$scratch/drive" files.gbai)
dm_first=$(seconds "$drivemon" --once -c "$conf")
dm_same=$(seconds "$drivemon" --once -c "$conf")
rss_100k=$(peak_rss_kib "$drivemon" --once -c "$conf")
env -u AWS_CA_BUNDLE rclone sync "$scratch/drive/files.gbai" \
	"$scratch/rclone-file" >>"$scratch/commands.log" 2>&1
rc_same=$(seconds env -u AWS_CA_BUNDLE rclone sync \
	"$scratch/drive/files.gbai" "$scratch/rclone-file")
printf 'first mirror: drivemon %6.2f s\n' "$dm_first"
printf 'no change:    drivemon %6.2f s  rclone %6.2f s  ratio %s\n' \
	"$dm_same" "$rc_same" "$(ratio "$dm_same" "$rc_same")"
printf 'peak RSS, %s tracked objects: %s KiB\n' "$files" "$rss_100k"
rm -rf "$scratch/drive" "$scratch/file" "$scratch/rclone-file"

if [ "$million" = 1 ]; then
	echo "== file:// drive: 1000000 objects"
	make_tree "$scratch/drive/million.gbai" 1000000
	conf=$(config million "file://$scratch/drive" million.gbai)
	rss_first=$(peak_rss_kib "$drivemon" --once -c "$conf")
	rss_same=$(peak_rss_kib "$drivemon" --once -c "$conf")
	printf 'peak RSS, 1000000 tracked objects: first mirror %s KiB, no-change cycle %s KiB\n' \
		"$rss_first" "$rss_same"
fi
