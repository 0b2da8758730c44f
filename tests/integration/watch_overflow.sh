#!/bin/bash
# More changes than inotify's queue holds: the kernel drops events, the
# agent notices, rescans, and still handles the change it did not see.
. "$(dirname "$0")/lib.sh"

bucket=$(new_bucket burst)
bot=${bucket%.gbai}
BUCKETS=("$bucket")
cfg=$bot.gbot/config.csv
drive_put_text "$bucket" "$cfg" 'Mode,before'
# One cycle at start, then none: only the watcher can see what follows.
write_config "[agent]
poll_interval = 1h"
start_agent
check "the config is produced" wait_until 10 config_is "$bot" 'Mode,before'

queue=$(cat /proc/sys/fs/inotify/max_queued_events)
files=$((queue + 1000))
# The burst goes to a folder already watched, or the kernel queues nothing.
mkdir -p "$WORK/$bucket/$bot.gbkb/burst"
sleep 0.5
kill -STOP "$AGENT_PID"
(cd "$WORK/$bucket/$bot.gbkb/burst" && seq 1 "$files" | xargs touch)
printf 'Mode,after the burst\n' >"$WORK/$bucket/$cfg"
kill -CONT "$AGENT_PID"

check "the agent reports lost events" \
	wait_until 20 log_has "inotify dropped events; rescanning"
check "the rescan finds the change inotify dropped" \
	wait_until 20 config_is "$bot" 'Mode,after the burst'
check "the config handler ran for it once" \
	test "$(grep -c "config of bot '$bot'" "$LOG")" -eq 2

finish
