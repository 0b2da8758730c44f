#!/bin/bash
# A restart with nothing changed makes no GET: the proxy in front of the
# gateway counts the requests of the second run.
. "$(dirname "$0")/lib.sh"

bucket=$(new_bucket restart)
BUCKETS=("$bucket")
for i in $(seq 1 30); do
	drive_put_text "$bucket" "dialogs/d$i.bas" "TALK \"$i\""
done
use_proxy
write_config

run_once
check "first run mirrors" mirror_matches "$bucket"
check "first run fetches each object once" \
	test "$(object_gets "$bucket")" -eq 30

: >"$PROXY_LOG"
before=$(files_snapshot)
start_agent
wait_until 20 bash -c "[ \$(grep -c 'info cycle: ' '$LOG') -ge 3 ]"
stop_agent
check "the restarted agent ran cycles" \
	test "$(grep -c 'info cycle: ' "$LOG")" -ge 3
check "the restarted agent listed the bucket" \
	grep -q "^GET /$bucket?.*list-type=2" "$PROXY_LOG"
check "the restarted agent made no GET of an object" \
	test "$(object_gets "$bucket")" -eq 0
check "no HEAD either" bash -c "! grep -q '^HEAD ' '$PROXY_LOG'"
check "no file was rewritten" test "$before" = "$(files_snapshot)"

drive_put_text "$bucket" dialogs/d7.bas 'TALK "seven"'
: >"$PROXY_LOG"
run_once
check "one change costs one GET" test "$(object_gets "$bucket")" -eq 1
check "and is mirrored" mirror_matches "$bucket"

finish
