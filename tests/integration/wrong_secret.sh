#!/bin/bash
# A wrong secret gives a clear error and changes nothing: the mirror keeps
# every file, the status says why, and --once fails.
. "$(dirname "$0")/lib.sh"

bucket=$(new_bucket secret)
BUCKETS=("$bucket")
drive_put_text "$bucket" a.bas 'TALK "a"'
write_config
run_once
check "mirrors with the right secret" mirror_matches "$bucket"

drive_rm "$bucket" a.bas
before=$(files_snapshot)
AWS_SECRET_ACCESS_KEY=wrong-secret run_once
check "--once exits 1" test "$rc" -eq 1
check "the error names the bucket and the S3 code" \
	grep -q "cannot mirror '$bucket'.*HTTP 403 SignatureDoesNotMatch" \
	"$T/once.log"
check "the secret is not logged" \
	bash -c "! grep -q '$AWS_SECRET_ACCESS_KEY\|wrong-secret' '$LOG'"
check "nothing is deleted or rewritten" test "$before" = "$(files_snapshot)"
check "status shows the listing error" \
	bash -c "\"$DM_CTL\" -c '$CONF' status | grep -q 'listing failed:.*403'"

run_once
check "with the right secret again, the deletion is mirrored" \
	mirror_matches "$bucket"

finish
