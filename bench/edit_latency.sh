#!/bin/bash
# edit_latency.sh - how soon a developer's save of config.csv is the bot's
# config in the store: drivemon in dev mode on a folder drive, 1,000 saves
# by rename (as editors do), p50/p90/p99 from save to artifact.
#
# There is no peer to run beside it: bot servers today notice a change at
# their next poll, 5 to 30 s later.  The figure to compare is the aim of
# 50 ms at p99, and the settle time (20 ms by default) is its floor.
#
# Usage: bench/edit_latency.sh [BUILD_DIR]   (default: build/)
# Scratch data goes to $BENCH_DIR (default /tmp/drivemon-bench-edit).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/bench/lib.sh"
build=${1:-$root/build}
scratch=${BENCH_DIR:-/tmp/drivemon-bench-edit}
edits=${BENCH_EDITS:-1000}

"$root/scripts/install-deps" build
if [ ! -x "$build/bench/edit_latency" ] || [ ! -x "$build/agent/drivemon" ]; then
	cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build "$build" -j"$(nproc)" --target drivemon drivemonctl \
		edit_latency >/dev/null
fi

agent=
cleanup()
{
	[ -n "$agent" ] && kill "$agent" 2>/dev/null && wait "$agent" || true
	rm -rf "$scratch"
}
trap cleanup EXIT
rm -rf "$scratch"
mkdir -p "$scratch/drive/bench.gbai/bench.gbot"
printf 'Mode,start\n' >"$scratch/drive/bench.gbai/bench.gbot/config.csv"
dev_config "$scratch"

"$build/agent/drivemon" -c "$scratch/drivemon.conf" 2>"$scratch/agent.log" &
agent=$!
for _ in $(seq 100); do
	"$build/tools/drivemonctl" -c "$scratch/drivemon.conf" show bench config \
		2>/dev/null | grep -q '^Mode,start$' && break
	sleep 0.1
done

"$build/bench/edit_latency" "$scratch/state" "$scratch/work" bench.gbai "$edits"
# Dev mode uploads every save; the folder drive must end with the last.
last=$(printf 'Edit,value %d\nMode,bench' $((edits - 1)))
for _ in $(seq 50); do
	[ "$(cat "$scratch/drive/bench.gbai/bench.gbot/config.csv")" = "$last" ] &&
		break
	sleep 0.1
done
if [ "$(cat "$scratch/drive/bench.gbai/bench.gbot/config.csv")" = "$last" ]; then
	echo "the last save reached the drive"
else
	echo "edit_latency.sh: the last save never reached the drive" >&2
	exit 1
fi
