#!/bin/bash
# Keys that would escape the bucket folder, or that no file system can
# hold, are refused with an error naming them; nothing is written outside
# work_root; the other objects are mirrored.
. "$(dirname "$0")/lib.sh"

bucket=$(new_bucket badkeys)
BUCKETS=("$bucket")
long=$(printf 'k%.0s' $(seq 1 300))/$(printf 'l%.0s' $(seq 1 250))
drive_put_text "$bucket" ok.bas 'TALK "fine"'
drive_put_text "$bucket" x 'x is a file'
rm -f "$EXPECT/$bucket/x"
for key in "../escape.txt" "a/../../escape2.txt" "/abs.txt" "a//b.txt" \
	"x/y" "$long"; do
	printf 'bad\n' >"$T/bad"
	s3 put "$bucket" "$key" "$T/bad" >/dev/null
done
s3 ls "$bucket" | cut -f1 >"$T/keys"
write_config

touch "$T/marker"
sleep 0.01
run_once
check "--once exits 1 when keys are refused" test "$rc" -eq 1
check "the good key is mirrored" \
	test "$(cat "$WORK/$bucket/ok.bas")" = 'TALK "fine"'
check "x, which comes first, is mirrored as a file" test -f "$WORK/$bucket/x"
check "nothing was written outside work_root" \
	test -z "$(find "$T" -newer "$T/marker" -not -path "$WORK*" \
		-not -path "$STATE*" -not -name '*.log' -not -path "$T")"
check "nothing named escape anywhere" \
	test -z "$(find / -xdev -name 'escape*.txt' -newer "$T/marker" 2>/dev/null)"

status_json >"$T/status.json"
for key in "../escape.txt" "a/../../escape2.txt" "/abs.txt" "a//b.txt" \
	"x/y"; do
	grep -qxF -- "$key" "$T/keys" || continue
	check "status names the refused key '${key:0:40}'" \
		"$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
keys = {f["key"]: f["error"] for b in d["buckets"] for f in b["failures"]}
assert sys.argv[2] in keys, keys
assert keys[sys.argv[2]], "no error text"' "$T/status.json" "$key"
	check "the log names '${key:0:40}'" grep -qF -- "'$bucket/$key'" "$T/once.log"
done
check "status counts the 6 keys that were not mirrored" \
	test "$(status_field "$bucket" failed)" -eq 6
check "the dot-dot key's reason is given" \
	grep -q "'$bucket/../escape.txt': has a '..' path component" "$T/once.log"
check "the key under a file is refused with the reason" \
	grep -q "'x' is a file or a link, not a folder" "$T/once.log"
check "the over-long key is named in the log with the reason" \
	grep -qF "'$bucket/$long': is over-long: 551 bytes" "$T/once.log"

finish
