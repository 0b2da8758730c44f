#!/bin/bash
# Type=notify as systemd sees it: a datagram socket in NOTIFY_SOCKET
# receives READY=1 once the first cycle has ended, a STATUS= line, and
# WATCHDOG=1 at half of WATCHDOG_USEC; SIGHUP gives RELOADING=1, then
# READY=1 again, and SIGTERM STOPPING=1.
. "$(dirname "$0")/lib.sh"

bucket=$(new_bucket notifybot)
BUCKETS=("$bucket")
drive_put_text "$bucket" readme.md '# hello'
write_config "[agent]
poll_interval = 1h"

"$PY" - "$T/notify.sock" "$T/notify.log" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as log:
    while True:
        for line in s.recv(4096).decode().splitlines():
            log.write(line + "\n")
PY
listener=$!
trap 'kill $listener 2>/dev/null; cleanup' EXIT
wait_until 5 test -S "$T/notify.sock"

NOTIFY_SOCKET=$T/notify.sock WATCHDOG_USEC=600000 \
	"$DM_DRIVEMON" -v -c "$CONF" >>"$LOG" 2>&1 &
AGENT_PID=$!

check "READY=1 comes" wait_until 10 grep -qx READY=1 "$T/notify.log"
check "after the first cycle ended" \
	test "$(grep -c 'info cycle:' "$LOG")" -ge 1
check "a status line says what the cycle did" \
	grep -q '^STATUS=last cycle: 1 objects listed, 1 downloaded, 0 failed' "$T/notify.log"
watchdogs() { test "$(grep -cx WATCHDOG=1 "$T/notify.log")" -ge 3; }
check "the watchdog is fed every 300 ms or so" wait_until 3 watchdogs
kill -HUP "$AGENT_PID"
check "a reload says RELOADING=1" wait_until 5 grep -qx RELOADING=1 "$T/notify.log"
ready_again() { test "$(grep -cx READY=1 "$T/notify.log")" -ge 2; }
check "then READY=1 again" wait_until 5 ready_again
stop_agent
check "SIGTERM says STOPPING=1" wait_until 5 grep -qx STOPPING=1 "$T/notify.log"

finish
