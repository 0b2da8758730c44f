#!/bin/bash
# The life of a bucket: first mirror, modify, add, delete, a cycle with no
# change, and what drivemonctl status reports about it.
. "$(dirname "$0")/lib.sh"

bucket=$(new_bucket demo)
BUCKETS=("$bucket")
demo=$(cd "$(dirname "$0")/../../examples/demo.gbai" && pwd)
while IFS= read -r -d '' f; do
	drive_put "$bucket" "${f#"$demo"/}" "$f"
done < <(find "$demo" -type f -print0)
write_config

run_once
check "first cycle succeeds" test "$rc" -eq 0
check "first mirror equals the bucket" mirror_matches "$bucket"
check "status counts every object" \
	test "$(status_field "$bucket" mirrored)" -eq 10
check "status has a last complete cycle" \
	test "$(status_field "$bucket" last_complete_cycle)" != None

drive_put_text "$bucket" demo.gbot/config.csv "name,value
Bot Name,Paige"
drive_put_text "$bucket" demo.gbkb/policies/new/shipping.md "# Shipping"
drive_rm "$bucket" demo.gbtheme/logo.svg
drive_rm "$bucket" demo.gbkb/catalog/books.csv
drive_rm "$bucket" demo.gbkb/catalog/new-arrivals.html
run_once
check "second cycle succeeds" test "$rc" -eq 0
check "modified, added and deleted objects are mirrored" \
	mirror_matches "$bucket"
check "a folder left empty by deletions is removed" \
	test ! -e "$WORK/$bucket/demo.gbkb/catalog"
check "the summary counts 2 downloads and 3 deletions" \
	grep -q "2 downloaded .* 3 deleted" "$T/once.log"

before=$(files_snapshot)
run_once
check "a cycle with no change succeeds" test "$rc" -eq 0
check "a cycle with no change downloads nothing" \
	grep -q " 0 downloaded (0 B), 0 deleted" "$T/once.log"
check "a cycle with no change rewrites no file" \
	test "$before" = "$(files_snapshot)"
check "no temporary file is left" \
	test -z "$(ls -A "$WORK/.drivemon-partial")"

status_json >"$T/status.json"
check "status --json is valid JSON naming the bucket" \
	"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["buckets"][0]["bucket"]==sys.argv[2]' \
	"$T/status.json" "$bucket"

finish
