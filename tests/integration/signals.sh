#!/bin/bash
# SIGHUP reloads the configuration (a bad one is refused and the old one
# kept); SIGTERM stops the agent cleanly.
. "$(dirname "$0")/lib.sh"

bucket=$(new_bucket signals)
BUCKETS=("$bucket")
drive_put_text "$bucket" a.bas 'TALK "a"'
write_config
start_agent
wait_until 20 test -f "$WORK/$bucket/a.bas"
check "the agent mirrors" mirror_matches "$bucket"

cp "$CONF" "$T/good.conf"
echo "bogus = 1" >>"$CONF"
kill -HUP "$AGENT_PID"
wait_until 10 log_has "keeping the running configuration"
check "a bad reload is refused with the reason" \
	log_has "config: $CONF:16: unknown key 'bogus'"
drive_put_text "$bucket" b.bas 'TALK "b"'
wait_until 10 test -f "$WORK/$bucket/b.bas"
check "the agent keeps mirroring after a bad reload" mirror_matches "$bucket"

cp "$T/good.conf" "$CONF"
sed -i 's/^poll_interval = .*/poll_interval = 200ms/' "$CONF"
kill -HUP "$AGENT_PID"
wait_until 10 log_has "every 200 ms"
check "a good reload takes effect" log_has "every 200 ms"

kill -TERM "$AGENT_PID"
status=0
wait "$AGENT_PID" || status=$?
AGENT_PID=
check "SIGTERM exits 0" test "$status" -eq 0
check "the agent says it stopped" log_has "drivemon: stopped"

finish
