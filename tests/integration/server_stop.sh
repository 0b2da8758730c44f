#!/bin/bash
# The S3 server stopped in the middle of a listing: nothing is deleted,
# and once it is back the next cycle converges.
. "$(dirname "$0")/lib.sh"

restart_gateway()
{
	"$DM_HARNESS/rgw.sh" start-gateway "$DM_RGW_DIR" >/dev/null 2>&1 || true
}
trap 'restart_gateway; cleanup' EXIT

bucket=$(new_bucket stop)
BUCKETS=("$bucket")
mkdir -p "$EXPECT/$bucket/kb"
for i in $(seq -w 0 1499); do
	echo "document $i" >"$EXPECT/$bucket/kb/doc-$i"
done
s3 put-tree "$bucket" "$EXPECT/$bucket" >/dev/null
use_proxy
write_config
run_once
check "first run mirrors 1,500 objects" mirror_matches "$bucket"

for i in 0100 0200 1200 1300; do
	drive_rm "$bucket" "kb/doc-$i"
done
# The second listing page waits, and the gateway goes away meanwhile.
echo "delay 3000 GET continuation-token" >"$PROXY_CONTROL"
start_agent
wait_until 20 grep -q "continuation-token" "$PROXY_LOG"
"$DM_HARNESS/rgw.sh" stop-gateway "$DM_RGW_DIR" >/dev/null
wait_until 30 log_has "cannot mirror '$bucket'"
check "the cut listing is reported" log_has "cannot mirror '$bucket'"
check "nothing was deleted" test -f "$WORK/$bucket/kb/doc-0100" -a \
	-f "$WORK/$bucket/kb/doc-1300"

: >"$PROXY_CONTROL"
restart_gateway
wait_until 60 bash -c "grep -q ' 4 deleted' '$LOG'"
stop_agent
check "once the server is back the deletions are mirrored" \
	mirror_matches "$bucket"

finish
