#!/bin/bash
# A failing object records its error and failure count, is retried with
# backoff, does not hold the others back, and a new ETag resets its count.
. "$(dirname "$0")/lib.sh"

bucket=$(new_bucket retry)
BUCKETS=("$bucket")
drive_put_text "$bucket" flaky.bas 'TALK "flaky"'
drive_put_text "$bucket" steady.bas 'TALK "steady"'
use_proxy
# A fixed 1-2 s backoff: long enough that the next cycle, started at
# once, falls inside it even on a loaded machine.
RETRY_BASE=2s RETRY_MAX=2s write_config
echo "fail 503 3 GET /$bucket/flaky.bas" >"$PROXY_CONTROL"

failures()
{
	status_json | "$PY" -c '
import json, sys
for b in json.load(sys.stdin)["buckets"]:
    for f in b["failures"]:
        if f["key"] == "flaky.bas":
            print(f["failures"], f["error"])
            sys.exit()
print(0)'
}

run_once
check "--once exits 1 with a failed object" test "$rc" -eq 1
check "the other object is mirrored" test -f "$WORK/$bucket/steady.bas"
check "the failed object is not in work_root" \
	test ! -e "$WORK/$bucket/flaky.bas"
read -r count error < <(failures)
check "failure count is 1" test "$count" -eq 1
check "the error says HTTP 503 SlowDown" grep -q "HTTP 503 SlowDown" <<<"$error"

run_once
check "within the backoff the object is not tried" \
	test "$(grep -c "^GET /$bucket/flaky.bas" "$PROXY_LOG")" -eq 1
sleep 2.1
run_once
read -r count error < <(failures)
check "after the backoff it is tried again and counted" test "$count" -eq 2

drive_put_text "$bucket" flaky.bas 'TALK "flaky, new version"'
sleep 2.1
run_once
read -r count error < <(failures)
check "a new ETag resets the count" test "$count" -eq 1

sleep 2.1
run_once
check "once the server answers, the object is mirrored" \
	mirror_matches "$bucket"
check "and --once exits 0" test "$rc" -eq 0
read -r count error < <(failures)
check "status shows no failure" test "$count" -eq 0

finish
