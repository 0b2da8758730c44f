#!/bin/bash
# A bad configuration stops the agent at start with the file, the line
# and the problem, and exit status 2.
. "$(dirname "$0")/lib.sh"

BUCKETS=(x.gbai)
write_config "colour = blue"
run_once
check "an unknown key exits 2" test "$rc" -eq 2
check "the message names file, line and key" \
	grep -q "config: $CONF:15: unknown key 'colour' in section \[agent\]" \
	"$T/once.log"

write_config "poll_interval = often"
run_once
check "a bad duration exits 2" test "$rc" -eq 2
check "the message names the value" \
	grep -q "$CONF:15: 'often' is not a duration" "$T/once.log"

printf 'access_key = a\nsecret_key = b\n' >"$T/credentials"
chmod 644 "$T/credentials"
write_config
sed -i "s|^endpoint = .*|endpoint = http://127.0.0.1:9\ncredentials_file = $T/credentials|" "$CONF"
run_once
check "world-readable credentials exit 2" test "$rc" -eq 2
check "the message says why" grep -q "$T/credentials: mode 0644 lets others read the secret" "$T/once.log"

chmod 600 "$T/credentials"
chmod 000 "$T/credentials"
if [ "$(id -u)" -ne 0 ]; then
	run_once
	check "unreadable credentials exit 2" test "$rc" -eq 2
fi

"$DM_DRIVEMON" --once -c "$T/missing.conf" >"$T/once.log" 2>&1 && rc=0 || rc=$?
check "a missing file exits 2" test "$rc" -eq 2
check "the message names it" grep -q "$T/missing.conf: cannot open" "$T/once.log"

"$DM_DRIVEMON" --help >"$T/help.txt"
check "--help documents --once" grep -q -- "--once" "$T/help.txt"
check "--version prints the version" \
	bash -c "'$DM_DRIVEMON' --version | grep -qE '^drivemon [0-9]+\.[0-9]+\.[0-9]+$'"

finish
