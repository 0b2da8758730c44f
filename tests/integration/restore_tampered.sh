#!/bin/bash
# Local copies changed or removed behind the agent's back are restored
# from the bucket with a warning; a file only touched is not fetched again.
. "$(dirname "$0")/lib.sh"

bucket=$(new_bucket tamper)
BUCKETS=("$bucket")
drive_put_text "$bucket" a.bas 'TALK "a"'
drive_put_text "$bucket" dir/b.csv "name,value"
drive_put_text "$bucket" c.md "# c"
write_config
run_once
check "first cycle mirrors" mirror_matches "$bucket"

echo 'TALK "changed locally"' >"$WORK/$bucket/a.bas"
rm "$WORK/$bucket/dir/b.csv"
touch -d '2001-01-01' "$WORK/$bucket/c.md"
run_once
check "cycle succeeds" test "$rc" -eq 0
check "changed and removed copies are restored" mirror_matches "$bucket"
check "the summary counts 2 restored" grep -q "2 restored" "$T/once.log"
check "a warning names the restored file" \
	grep -q "warning mirror: '$bucket/a.bas' was changed or removed" \
	"$T/once.log"
check "a touched but unchanged file is not fetched" \
	grep -q " 0 downloaded" "$T/once.log"

before=$(files_snapshot)
run_once
check "the touched file's new stat was remembered" \
	test "$before" = "$(files_snapshot)"
check "nothing is restored twice" grep -q " 0 restored" "$T/once.log"

finish
