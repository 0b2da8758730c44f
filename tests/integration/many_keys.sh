#!/bin/bash
# A bucket of more than one listing page (1,000 keys), and awkward names:
# spaces, '+', '%', unicode, deep paths.
. "$(dirname "$0")/lib.sh"

bucket=$(new_bucket many)
BUCKETS=("$bucket")
mkdir -p "$EXPECT/$bucket/kb"
for i in $(seq -w 0 1199); do
	echo "document $i" >"$EXPECT/$bucket/kb/doc-$i"
done
if [ "$DM_DRIVE" = s3 ]; then
	s3 put-tree "$bucket" "$EXPECT/$bucket" >/dev/null
else
	cp -r "$EXPECT/$bucket/kb" "$DRIVE_ROOT/$bucket/"
fi
for key in "with space.bas" "plus+sign.md" "percent%25and%.txt" \
	"ünïcödé/日本語.md" "deep/a/b/c/d/e/f/g/h.txt" "tilde~and'quote.csv" \
	"a-b" "a.b" "a/b"; do
	drive_put_text "$bucket" "$key" "content of $key"
done
write_config

run_once
check "cycle succeeds" test "$rc" -eq 0
check "1,209 objects are listed" grep -q "1209 objects listed" "$T/once.log"
check "every object is mirrored under its exact name" \
	mirror_matches "$bucket"
check "status counts 1,209 mirrored" \
	test "$(status_field "$bucket" mirrored)" -eq 1209

drive_rm "$bucket" "kb/doc-0500"
drive_rm "$bucket" "plus+sign.md"
run_once
check "deletions across pages are mirrored" mirror_matches "$bucket"
check "2 deleted" grep -q " 2 deleted" "$T/once.log"

finish
