#!/bin/bash
#
# rgw.sh - a throw-away Ceph cluster with an S3 gateway, for drivemon's
# integration tests and benchmarks.
#
# "rgw.sh start DIR PORT" builds a cluster of one monitor, one OSD that
# keeps its data in RAM (memstore) and one radosgw answering S3 on
# 127.0.0.1:PORT, then creates a test user with a fixed key pair.  All of
# it - configuration, keyring, data, logs, sockets, pid files - lives under
# DIR, and every daemon listens on 127.0.0.1 only.  The monitor and OSD
# ports are derived from PORT (PORT+1 for the monitor, PORT+2..PORT+9 for
# the OSD), so clusters whose PORTs are 10 or more apart run side by side.
#
# "rgw.sh stop DIR" stops the gateway, then the OSD, then the monitor, each
# by the pid recorded at start; "stop-gateway" and "start-gateway" stop and
# restart the gateway alone, so that a test can take S3 away mid-cycle.
#
# It does not make a durable or secure cluster: authentication is off,
# objects vanish with the OSD, and it is meant for one user on one machine.
#
# Environment:
#   RGW_MEMSTORE_BYTES  RAM the OSD may hold (default 1 GiB)
#   RGW_THREADS         gateway worker threads, one per open connection
#                       (default 128)
#   RGW_START_TIMEOUT   seconds each start step may take (default 30)
#   RGW_STOP_GRACE      seconds a daemon gets to exit on SIGTERM before
#                       SIGKILL (default 10)

set -euo pipefail

readonly ACCESS_KEY=DMTESTACCESSKEY00001
readonly SECRET_KEY=dmTestSecretKey0000000000000000000000000
readonly TEST_UID=drivemon-test

readonly MEMSTORE_BYTES=${RGW_MEMSTORE_BYTES:-1073741824}
readonly THREADS=${RGW_THREADS:-128}
readonly START_TIMEOUT=${RGW_START_TIMEOUT:-30}
readonly STOP_GRACE=${RGW_STOP_GRACE:-10}

readonly MON_ID=a
readonly OSD_ID=0
readonly RGW_NAME=client.rgw.gw

# Daemon names in the order "stop" takes them down.
readonly DAEMONS=("$RGW_NAME" "osd.$OSD_ID" "mon.$MON_ID")

die()
{
	echo "rgw.sh: $*" >&2
	exit 1
}

usage()
{
	cat <<EOF
usage: rgw.sh start DIR PORT      build and start a cluster answering S3
                                  on 127.0.0.1:PORT
       rgw.sh stop DIR            stop every daemon of the cluster in DIR
       rgw.sh stop-gateway DIR    stop only radosgw
       rgw.sh start-gateway DIR   start radosgw again after stop-gateway

After start, DIR/credentials.env holds AWS_* variables for the test user
and DIR/credentials the same keys in drivemon's credentials_file form.
Logs are in DIR/log, one file per daemon.
EOF
}

now_ms()
{
	date +%s%3N
}

# ---- pids ---------------------------------------------------------------

pid_file()
{
	echo "$DIR/run/$1.pid"
}

# Print the pid of daemon $1 if it is alive and is ours (its command line
# names our ceph.conf), so that a recycled pid is never signalled.
live_pid()
{
	local file pid cmdline

	file=$(pid_file "$1")
	[[ -r $file ]] || return 1
	pid=$(<"$file")
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
	[[ $cmdline == *" $DIR/ceph.conf"* ]] || return 1
	echo "$pid"
}

# Run a daemon in its own session, detached from the caller's terminal,
# with its output in DIR/log/NAME.out, and record its pid.
launch()
{
	local name=$1
	shift

	setsid "$@" -c "$DIR/ceph.conf" </dev/null \
		>>"$DIR/log/$name.out" 2>&1 &
	echo $! >"$(pid_file "$name")"
}

# True while process $1 exists and has not exited.  A zombie counts as
# gone: how soon it is reaped depends on whoever adopted it, not on us.
running()
{
	local state

	state=$(awk '/^State:/ { print $2 }' "/proc/$1/status" 2>/dev/null) ||
		return 1
	[[ -n $state && $state != Z ]]
}

# Stop daemon $1: SIGTERM, wait up to STOP_GRACE seconds, then SIGKILL.
# Doing nothing when it is not running keeps "stop" idempotent.
stop_daemon()
{
	local name=$1 pid deadline

	pid=$(live_pid "$name") || {
		rm -f "$(pid_file "$name")"
		return 0
	}
	kill -TERM "$pid" 2>/dev/null || true

	deadline=$(($(now_ms) + STOP_GRACE * 1000))
	while running "$pid"; do
		if (($(now_ms) > deadline)); then
			echo "rgw.sh: $name (pid $pid) ignored SIGTERM for" \
				"$STOP_GRACE s, killing it" >&2
			kill -KILL "$pid" 2>/dev/null || true
			break
		fi
		sleep 0.05
	done
	while running "$pid"; do
		sleep 0.05
	done
	rm -f "$(pid_file "$name")"
}

# ---- waiting ------------------------------------------------------------

# Poll "$@" until it succeeds.  After START_TIMEOUT seconds, or as soon as
# daemon $2 has died, fail with a message naming what did not come up and
# the log that says why.
wait_for()
{
	local what=$1 daemon=$2 deadline
	shift 2

	deadline=$(($(now_ms) + START_TIMEOUT * 1000))
	until "$@"; do
		if ! live_pid "$daemon" >/dev/null; then
			die "$what: $daemon exited; read $DIR/log/$daemon.log" \
				"and $DIR/log/$daemon.out"
		fi
		if (($(now_ms) > deadline)); then
			die "$what: not ready after $START_TIMEOUT s;" \
				"read $DIR/log/$daemon.log"
		fi
		sleep 0.05
	done
}

mon_answers()
{
	ceph -c "$DIR/ceph.conf" --connect-timeout 2 mon stat \
		>/dev/null 2>&1
}

osd_is_up()
{
	local stat

	stat=$(ceph -c "$DIR/ceph.conf" --connect-timeout 2 osd stat \
		2>/dev/null) || return 1
	[[ $stat == *" 1 up"* ]]
}

gateway_answers()
{
	local code

	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 \
		"http://127.0.0.1:$PORT/" 2>/dev/null) || true
	[[ $code != 000 && -n $code ]]
}

# ---- checks before starting ----------------------------------------------

check_tools()
{
	local tool

	for tool in ceph ceph-authtool monmaptool ceph-mon ceph-osd radosgw \
		radosgw-admin curl ss uuidgen setsid; do
		command -v "$tool" >/dev/null ||
			die "$tool not found; install radosgw ceph-mon ceph-osd" \
				"ceph-common curl iproute2 uuid-runtime"
	done
}

check_port_free()
{
	if [[ -n $(ss -Hltn "sport = :$1") ]]; then
		die "port $1 ($2) is already in use on this machine;" \
			"pick another PORT"
	fi
}

check_port_number()
{
	if ! [[ $PORT =~ ^[0-9]+$ ]] || ((PORT < 1024 || PORT > 65526)); then
		die "PORT must be a number from 1024 to 65526, not '$PORT'"
	fi
}

check_settings()
{
	local name

	for name in RGW_MEMSTORE_BYTES RGW_THREADS RGW_START_TIMEOUT \
		RGW_STOP_GRACE; do
		if [[ -n ${!name:-} && ! ${!name} =~ ^[1-9][0-9]*$ ]]; then
			die "$name must be a positive number, not '${!name}'"
		fi
	done
}

check_ports()
{
	local port

	check_port_free "$PORT" "gateway"
	check_port_free "$MON_PORT" "monitor, PORT+1"
	for ((port = OSD_PORT_MIN; port <= OSD_PORT_MAX; port++)); do
		check_port_free "$port" "OSD, PORT+2..PORT+9"
	done
}

# Refuse a DIR whose daemons still run or that is not one of ours; clear
# the remains of a stopped cluster.
prepare_dir()
{
	local name running=()

	if [[ -e $DIR && ! -f $DIR/.rgw-harness ]] &&
		[[ -n $(ls -A "$DIR" 2>/dev/null) ]]; then
		die "$DIR exists and was not made by rgw.sh; give an empty" \
			"or new directory"
	fi
	for name in "${DAEMONS[@]}"; do
		if live_pid "$name" >/dev/null; then
			running+=("$name")
		fi
	done
	((${#running[@]} == 0)) ||
		die "$DIR already has running daemons (${running[*]});" \
			"run 'rgw.sh stop $DIR' first"

	rm -rf "$DIR"/{mon,osd,rgw,log,run,crash} "$DIR"/{ceph.conf,keyring} \
		"$DIR"/{monmap,cluster.env,credentials,credentials.env}
	mkdir -p "$DIR"/{mon,osd,rgw,log,run,crash}
	touch "$DIR/.rgw-harness"
}

# ---- building the cluster ------------------------------------------------

write_config()
{
	local frontend="civetweb port=127.0.0.1:$PORT num_threads=$THREADS"

	frontend+=" tcp_nodelay=1"
	cat >"$DIR/ceph.conf" <<EOF
# Written by rgw.sh for a throw-away test cluster; not for real use.
[global]
fsid = $FSID
mon host = [v2:127.0.0.1:$MON_PORT]
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind msgr1 = false
ms bind ipv6 = false
keyring = $DIR/keyring
run dir = $DIR/run
crash dir = $DIR/crash
log file = $DIR/log/\$name.log
admin socket = $DIR/run/\$name.asok

# No authentication: nothing outside 127.0.0.1 can reach the daemons.
auth cluster required = none
auth service required = none
auth client required = none
# Without "crc" the client insists on a secure session, which needs auth.
ms mon client mode = crc secure

# One OSD: single replicas, placement across OSDs not hosts, few PGs.
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon max pg per osd = 1000
mon warn on pool no redundancy = false
mon data avail warn = 1
mon data avail crit = 0

# Quiet logs: errors, state changes, and from the gateway one access
# line per request (civetweb's), not rgw's own three.
debug ms = 0
debug monc = 0
debug auth = 0
debug paxos = 0
debug rocksdb = 0
debug mon = 0
debug osd = 0
debug rgw = 0
debug civetweb = 1
mon cluster log file level = info
mon health to clog = false

[mon]
mon data = $DIR/mon
mon cluster log file = $DIR/log/cluster.log
# Commit each change at once instead of batching for a second: the pools
# the gateway creates at start would otherwise cost a second each.
paxos propose interval = 0.01

[osd]
osd data = $DIR/osd
osd objectstore = memstore
memstore device bytes = $MEMSTORE_BYTES
ms bind port min = $OSD_PORT_MIN
ms bind port max = $OSD_PORT_MAX

[$RGW_NAME]
rgw data = $DIR/rgw
# civetweb, not beast: this version's beast aborts on a multi-object
# delete in a bucket that has notifications.  tcp_nodelay: civetweb sends
# headers and body in two writes, and with Nagle on, every request after
# the first on a kept-alive connection waits 40 ms for a delayed ACK.
rgw frontends = $frontend
rgw init timeout = $START_TIMEOUT
# Reclaim the space of deleted objects within minutes, not hours.
rgw gc obj min wait = 60
rgw gc processor period = 60
EOF
	cat >"$DIR/cluster.env" <<EOF
PORT=$PORT
MON_PORT=$MON_PORT
FSID=$FSID
EOF
}

make_keyring_and_monmap()
{
	ceph-authtool --create-keyring "$DIR/keyring" --gen-key -n mon. \
		--cap mon 'allow *' >/dev/null
	ceph-authtool "$DIR/keyring" --gen-key -n client.admin \
		--cap mon 'allow *' --cap osd 'allow *' --cap mgr 'allow *' \
		>/dev/null
	monmaptool --create --fsid "$FSID" \
		--addv "$MON_ID" "[v2:127.0.0.1:$MON_PORT]" \
		"$DIR/monmap" >/dev/null
}

start_mon()
{
	ceph-mon -c "$DIR/ceph.conf" --mkfs -i "$MON_ID" \
		--monmap "$DIR/monmap" >"$DIR/log/mon.$MON_ID.out" 2>&1 ||
		die "monitor mkfs failed; read $DIR/log/mon.$MON_ID.out"
	launch "mon.$MON_ID" ceph-mon -f -i "$MON_ID"
	wait_for "monitor" "mon.$MON_ID" mon_answers
}

start_osd()
{
	local uuid id

	uuid=$(uuidgen)
	id=$(ceph -c "$DIR/ceph.conf" --connect-timeout 5 osd new "$uuid" \
		2>>"$DIR/log/osd.$OSD_ID.out") ||
		die "cannot register the OSD; read $DIR/log/osd.$OSD_ID.out"
	[[ $id == "$OSD_ID" ]] ||
		die "the monitor gave OSD id '$id', expected $OSD_ID"

	ceph-osd -c "$DIR/ceph.conf" -i "$OSD_ID" --mkfs --osd-uuid "$uuid" \
		>>"$DIR/log/osd.$OSD_ID.out" 2>&1 ||
		die "OSD mkfs failed; read $DIR/log/osd.$OSD_ID.out"
	launch "osd.$OSD_ID" ceph-osd -f -i "$OSD_ID"
}

start_gateway_daemon()
{
	launch "$RGW_NAME" radosgw -f -n "$RGW_NAME"
	wait_for "gateway on 127.0.0.1:$PORT" "$RGW_NAME" gateway_answers
}

create_user()
{
	timeout "$START_TIMEOUT" radosgw-admin -c "$DIR/ceph.conf" \
		user create --uid "$TEST_UID" --display-name "drivemon tests" \
		--access-key "$ACCESS_KEY" --secret-key "$SECRET_KEY" \
		>/dev/null 2>>"$DIR/log/radosgw-admin.out" ||
		die "cannot create the S3 user; read $DIR/log/radosgw-admin.out"
}

write_credentials()
{
	(
		umask 077
		cat >"$DIR/credentials.env" <<EOF
AWS_ACCESS_KEY_ID=$ACCESS_KEY
AWS_SECRET_ACCESS_KEY=$SECRET_KEY
AWS_DEFAULT_REGION=us-east-1
AWS_ENDPOINT_URL=http://127.0.0.1:$PORT
EOF
		cat >"$DIR/credentials" <<EOF
access_key = $ACCESS_KEY
secret_key = $SECRET_KEY
EOF
	)
	chmod 600 "$DIR/credentials.env" "$DIR/credentials"
}

# ---- commands ------------------------------------------------------------

# Read PORT and MON_PORT of the cluster in DIR, written at start.
load_cluster()
{
	[[ -f $DIR/cluster.env ]] ||
		die "$DIR holds no cluster made by 'rgw.sh start'"
	PORT=$(sed -n 's/^PORT=//p' "$DIR/cluster.env")
	MON_PORT=$(sed -n 's/^MON_PORT=//p' "$DIR/cluster.env")
}

cmd_start()
{
	local t0 t1

	t0=$(now_ms)
	check_tools
	check_port_number
	MON_PORT=$((PORT + 1))
	OSD_PORT_MIN=$((PORT + 2))
	OSD_PORT_MAX=$((PORT + 9))
	check_ports
	prepare_dir
	trap abandon_start EXIT
	FSID=$(uuidgen)

	write_config
	make_keyring_and_monmap
	start_mon
	start_osd
	wait_for "OSD" "osd.$OSD_ID" osd_is_up
	start_gateway_daemon
	create_user
	write_credentials
	trap - EXIT

	t1=$(now_ms)
	echo "rgw.sh: S3 on http://127.0.0.1:$PORT in $((t1 - t0)) ms" \
		"(dir $DIR, monitor port $MON_PORT)"
	cat "$DIR/credentials.env"
}

# On a failed start, stop whatever did start, so that no daemon outlives
# the error; the logs stay for reading.
abandon_start()
{
	local name

	for name in "${DAEMONS[@]}"; do
		stop_daemon "$name"
	done
	echo "rgw.sh: start failed; stopped what had started in $DIR" >&2
}

abandon_gateway()
{
	stop_daemon "$RGW_NAME"
	echo "rgw.sh: start-gateway failed; the gateway is stopped" >&2
}

cmd_stop()
{
	local name t0

	[[ -d $DIR/run ]] || return 0
	t0=$(now_ms)
	for name in "${DAEMONS[@]}"; do
		stop_daemon "$name"
	done
	echo "rgw.sh: stopped $DIR in $(($(now_ms) - t0)) ms"
}

cmd_stop_gateway()
{
	[[ -d $DIR/run ]] || return 0
	stop_daemon "$RGW_NAME"
}

cmd_start_gateway()
{
	local t0

	t0=$(now_ms)
	load_cluster
	if ! live_pid "osd.$OSD_ID" >/dev/null ||
		! live_pid "mon.$MON_ID" >/dev/null; then
		die "the monitor or OSD of $DIR is not running; use 'rgw.sh start'"
	fi
	if live_pid "$RGW_NAME" >/dev/null; then
		die "the gateway of $DIR is already running"
	fi
	check_port_free "$PORT" "gateway"

	trap abandon_gateway EXIT
	start_gateway_daemon
	trap - EXIT
	echo "rgw.sh: gateway on http://127.0.0.1:$PORT in" \
		"$(($(now_ms) - t0)) ms"
}

main()
{
	local cmd=${1:-}

	check_settings
	case $cmd in
	start)
		(($# == 3)) || { usage >&2; exit 2; }
		DIR=$(realpath -m "$2")
		PORT=$3
		cmd_start
		;;
	stop | stop-gateway | start-gateway)
		(($# == 2)) || { usage >&2; exit 2; }
		DIR=$(realpath -m "$2")
		"cmd_${cmd//-/_}"
		;;
	-h | --help | help)
		usage
		;;
	*)
		usage >&2
		exit 2
		;;
	esac
}

main "$@"
