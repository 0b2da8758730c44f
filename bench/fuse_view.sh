#!/bin/bash
# fuse_view.sh - the FUSE view against tmpfs, in the same run: stat and
# read every file of a view of about 10,000 artifacts, then the same on a
# copy of the tree in tmpfs; and the latency from a saved source to its
# new content readable in the view (p50, p99).
#
# The bot has 3,334 tool scripts, each giving a tree and two schemas.
# Latency: the agent runs in dev mode on a folder drive and config.csv is
# saved by rename in work_root, 200 times, each timed until the view's
# config/<key> file holds the new value.
#
# Usage: bench/fuse_view.sh [BUILD_DIR]   (default: build/; needs root for
# /dev/fuse and a tmpfs).  Scratch goes to $BENCH_DIR.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/bench/lib.sh"
build=${1:-$root/build}
scratch=${BENCH_DIR:-/tmp/drivemon-bench-fuse}
tools=${BENCH_TOOLS:-3334}
edits=${BENCH_EDITS:-200}

"$root/scripts/install-deps" build
for t in drivemon drivemon-fs; do
	[ -x "$build/agent/$t" ] || [ -x "$build/fuse/$t" ] ||
		cmake --build "$build" -j"$(nproc)" >/dev/null
done

agent= fs=
cleanup()
{
	[ -n "$fs" ] && kill "$fs" 2>/dev/null && wait "$fs" || true
	[ -n "$agent" ] && kill "$agent" 2>/dev/null && wait "$agent" || true
	mountpoint -q "$scratch/tmpfs" 2>/dev/null && umount "$scratch/tmpfs"
	mountpoint -q "$scratch/mnt" 2>/dev/null && fusermount3 -u -z "$scratch/mnt"
	rm -rf "$scratch"
}
trap cleanup EXIT
rm -rf "$scratch"
mkdir -p "$scratch/drive/bench.gbai/bench.gbdialog" \
	"$scratch/drive/bench.gbai/bench.gbot" "$scratch/mnt" "$scratch/tmpfs"
/usr/bin/python3 - "$scratch/drive/bench.gbai/bench.gbdialog" "$tools" <<'PY'
import os, sys
folder, count = sys.argv[1], int(sys.argv[2])
for i in range(count):
    with open(os.path.join(folder, "tool%05d.bas" % i), "w") as f:
        f.write('PARAM id AS STRING LIKE "A-%d" DESCRIPTION "Order number"\n'
                'PARAM qty AS INTEGER OPTIONAL\n'
                'DESCRIPTION "Tool number %d"\n'
                'IF qty > 10 THEN\n    TALK "Many of ${id}"\nELSE\n'
                '    TALK "Order ${id}: " & qty\nEND IF\n' % (i, i))
PY
printf 'Edit,start\n' >"$scratch/drive/bench.gbai/bench.gbot/config.csv"
dev_config "$scratch"

"$build/agent/drivemon" --once -c "$scratch/drivemon.conf"
"$build/fuse/drivemon-fs" -s "$scratch/state" "$scratch/mnt" 2>"$scratch/fs.log" &
fs=$!
for _ in $(seq 100); do [ -e "$scratch/mnt/status.json" ] && break; sleep 0.1; done
files=$(find "$scratch/mnt" -type f | wc -l)
mount -t tmpfs tmpfs "$scratch/tmpfs"
cp -r "$scratch/mnt/." "$scratch/tmpfs/"

# seconds COMMAND...: wall time of a shell command line, in seconds.
seconds()
{
	local start end
	start=$(date +%s.%N)
	sh -c "$1" >/dev/null
	end=$(date +%s.%N)
	echo "$end - $start" | bc -l
}
stat_all="find DIR -type f -print0 | xargs -0 stat >/dev/null"
read_all="find DIR -type f -print0 | xargs -0 cat >/dev/null"
# Unmount and mount again so that the first pass finds no kernel cache.
kill "$fs" && wait "$fs" || true
"$build/fuse/drivemon-fs" -s "$scratch/state" "$scratch/mnt" 2>>"$scratch/fs.log" &
fs=$!
for _ in $(seq 100); do [ -e "$scratch/mnt/status.json" ] && break; sleep 0.1; done

fs_stat=$(seconds "${stat_all//DIR/$scratch/mnt}")
fs_stat_again=$(seconds "${stat_all//DIR/$scratch/mnt}")
fs_read=$(seconds "${read_all//DIR/$scratch/mnt}")
fs_again=$(seconds "${read_all//DIR/$scratch/mnt}")
tmp_stat=$(seconds "${stat_all//DIR/$scratch/tmpfs}")
tmp_read=$(seconds "${read_all//DIR/$scratch/tmpfs}")
ratio() { echo "scale=2; $1 / $2" | bc -l; }
printf 'files in the view: %s\n' "$files"
printf 'stat every file:  view %6.3f s  tmpfs %6.3f s  ratio %s (again, cached: %.3f s, ratio %s)\n' \
	"$fs_stat" "$tmp_stat" "$(ratio "$fs_stat" "$tmp_stat")" \
	"$fs_stat_again" "$(ratio "$fs_stat_again" "$tmp_stat")"
printf 'read every file:  view %6.3f s  tmpfs %6.3f s  ratio %s (again, cached: %.3f s, ratio %s)\n' \
	"$fs_read" "$tmp_read" "$(ratio "$fs_read" "$tmp_read")" "$fs_again" \
	"$(ratio "$fs_again" "$tmp_read")"

# Latency: the agent in dev mode, saves in work_root, the view polled.
"$build/agent/drivemon" -c "$scratch/drivemon.conf" 2>"$scratch/agent.log" &
agent=$!
sleep 1
/usr/bin/python3 - "$scratch/work/bench.gbai/bench.gbot/config.csv" \
	"$scratch/mnt/bench/config/Edit" "$edits" <<'PY'
import os, sys, time
source, view, edits = sys.argv[1], sys.argv[2], int(sys.argv[3])
lat = []
for i in range(edits):
    value = "value %d" % i
    start = time.perf_counter()
    with open(source + ".tmp", "w") as f:
        f.write("Edit,%s\n" % value)
    os.rename(source + ".tmp", source)
    while True:
        try:
            with open(view) as f:
                if f.read() == value:
                    break
        except OSError:
            pass
        if time.perf_counter() - start > 10:
            sys.exit("edit %d never reached the view" % i)
        time.sleep(0.0005)
    lat.append((time.perf_counter() - start) * 1000)
lat.sort()
p = lambda q: lat[int(q * (len(lat) - 1) + 0.5)]
print("save to view, %d edits: p50 %.1f ms  p90 %.1f ms  p99 %.1f ms  max %.1f ms"
      % (edits, p(0.5), p(0.9), p(0.99), lat[-1]))
PY
