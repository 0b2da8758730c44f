#!/bin/bash
# The agent SIGKILLed in the middle of a large download leaves no partial
# file in work_root, and the next start converges.
. "$(dirname "$0")/lib.sh"

bucket=$(new_bucket sigkill)
BUCKETS=("$bucket")
drive_put_text "$bucket" small.bas 'TALK "small"'
head -c 64M /dev/urandom >"$T/big.bin"
drive_put "$bucket" kb/big.bin "$T/big.bin"
if [ "$DM_DRIVE" = s3 ]; then
	use_proxy
	# 64 MiB at 16 MiB/s: four seconds in which to kill the agent.
	echo "throttle 16777216 GET /$bucket/kb/big.bin" >"$PROXY_CONTROL"
fi
write_config

# downloading: the agent holds a temporary file with some bytes in it.
downloading()
{
	local fd
	for fd in /proc/"$AGENT_PID"/fd/*; do
		case $(readlink "$fd" 2>/dev/null) in
		*drivemon-partial*)
			[ "$(stat -L -c %s "$fd" 2>/dev/null || echo 0)" -gt 1048576 ] &&
				return 0 ;;
		esac
	done
	return 1
}

if [ "$DM_DRIVE" = file ]; then
	# Reading a local file is too quick to catch; a slow pipe is not a
	# regular file, so use a big sparse file instead.
	truncate -s 1G "$DRIVE_ROOT/$bucket/kb/huge.bin"
	truncate -s 1G "$EXPECT/$bucket/kb/huge.bin"
	sed -i 's/^max_object_size = .*/max_object_size = 2G/' "$CONF"
fi

start_agent
check "a download is caught in progress" wait_until 60 downloading
kill -KILL "$AGENT_PID"
wait "$AGENT_PID" 2>/dev/null || true
AGENT_PID=

check "no partial file is left in the bucket folder" \
	test -z "$(find "$WORK/$bucket" -name 'big.bin' -size -67108864c)$(find "$WORK/$bucket" -name 'huge.bin' -size -1073741824c)"
check "no file of another name appeared" \
	test -z "$(find "$WORK/$bucket" -type f -not -name small.bas -not -name big.bin -not -name huge.bin)"

[ "$DM_DRIVE" = s3 ] && : >"$PROXY_CONTROL"
run_once
check "the next start converges" mirror_matches "$bucket"
check "and leaves no temporary file" \
	test -z "$(ls -A "$WORK/.drivemon-partial")"

finish
