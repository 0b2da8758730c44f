#!/bin/bash
# The FUSE view over a real mount: what ls, find, cat, grep and stat show
# is what the handlers made, byte for byte; changes appear without a
# remount; an open file keeps its snapshot; writes are refused; and the
# view outlives unmounts, crashes of itself and restarts of the agent.
. "$(dirname "$0")/lib.sh"

bucket=$(new_bucket fsbot)
bot=${bucket%.gbai}
BUCKETS=("$bucket")
tool=$bot.gbdialog/order.bas
dialog=$bot.gbdialog/flows/start.bas
cfg=$bot.gbot/config.csv

drive_put_stdin "$bucket" "$tool" <<'BAS'
PARAM id AS STRING LIKE "A-1" DESCRIPTION "Order number"
DESCRIPTION "Look up an order"
TALK "Order ${id}"
BAS
drive_put_text "$bucket" "$dialog" 'TALK "hello"'
drive_put_stdin "$bucket" "$cfg" <<'CSV'
name,value
Theme Color,blue
Path/Like,a/b
CSV
write_config
start_agent
check "the agent made the artifacts" wait_until 10 sh -c \
	"'$DM_CTL' -c '$CONF' show '$bot' 2>/dev/null | grep -q tool_openai"
start_fs
check "drivemon-fs mounts" mountpoint -q "$MNT"
check "a second drivemon-fs on the same mount point refuses" \
	sh -c "! '$DM_FS' -s '$STATE' '$MNT' 2>'$T/second.err'"
check "saying a running one has it" \
	grep -q "already mounted by a running drivemon-fs" "$T/second.err"
B=$MNT/$bot

expected_files="$bot/config.json
$bot/config/Path%2FLike
$bot/config/Theme Color
$bot/dialogs/flows/start.ast.json
$bot/dialogs/order.ast.json
$bot/status.json
$bot/tools/order.mcp.json
$bot/tools/order.openai.json
status.json"
check "find lists every file of the layout" \
	test "$(cd "$MNT" && find . -type f | sed 's|^\./||' | LC_ALL=C sort)" = \
	"$expected_files"
check "ls -lR walks the tree" sh -c "ls -lR '$MNT' >/dev/null"
check "files are read-only, folders too" \
	test "$(stat -c %a "$B/tools/order.mcp.json") $(stat -c %a "$B/tools")" = "444 555"
check "sizes are real" \
	test "$(stat -c %s "$B/tools/order.mcp.json")" -eq "$(wc -c <"$B/tools/order.mcp.json")"
check "the MCP schema is what drivemonctl compile prints" \
	cmp -s "$B/tools/order.mcp.json" <("$DM_CTL" compile --mcp "$WORK/$bucket/$tool")
check "the OpenAI schema too" \
	cmp -s "$B/tools/order.openai.json" <("$DM_CTL" compile --openai "$WORK/$bucket/$tool")
check "a dialog's tree too, in its sub-folder" \
	cmp -s "$B/dialogs/flows/start.ast.json" <("$DM_CTL" compile --ast "$WORK/$bucket/$dialog")
check "config.json is the config the handler parsed" \
	"$PY" -c "import json,sys; a=json.load(open(sys.argv[1]));
b=json.loads(sys.argv[2]); sys.exit(0 if a == b else 1)" \
	"$B/config.json" "$(show "$bot" config --json)"
check "config/<key> holds each value" \
	test "$(cat "$B/config/Theme Color")" = blue
check "a key with a slash is percent-encoded" \
	test "$(cat "$B/config/Path%2FLike")" = a/b
check "grep -r finds text in the view" \
	test "$(grep -rl 'Look up an order' "$MNT" | LC_ALL=C sort | tr '\n' ' ')" = \
	"$B/dialogs/order.ast.json $B/tools/order.mcp.json $B/tools/order.openai.json "
check "the bot's status.json counts its artifacts" \
	"$PY" -c "import json,sys; d=json.load(open(sys.argv[1]));
sys.exit(0 if d['artifacts']['tool_mcp'] == 1 and d['mirrored'] == 3 else 1)" "$B/status.json"
check "the agent-wide status.json sums the bots" \
	"$PY" -c "import json,sys; d=json.load(open(sys.argv[1]));
sys.exit(0 if d['bots'] == 1 and d['totals']['mirrored'] == 3 else 1)" "$MNT/status.json"

# Writes of every kind are refused.
check "creating a file is refused" sh -c "! touch '$B/new' 2>/dev/null"
check "with EROFS" sh -c "touch '$B/new' 2>&1 | grep -q 'Read-only file system'"
check "writing is refused" sh -c "! sh -c 'echo x >> \"$B/config.json\"' 2>/dev/null"
check "deleting is refused" sh -c "! rm -f '$B/status.json' 2>/dev/null"
check "renaming is refused" sh -c "! mv '$B/tools' '$B/t' 2>/dev/null"
check "making a folder is refused" sh -c "! mkdir '$B/d' 2>/dev/null"

# A change shows without remounting; an open file keeps its snapshot.
old_config=$(cat "$B/config.json")
exec 3<"$B/config.json"
drive_put_text "$bucket" "$cfg" 'Theme Color,green'
config_green() { grep -q green "$B/config.json"; }
check "a changed config shows in the view" wait_until 10 config_green
check "its key file too" test "$(cat "$B/config/Theme Color")" = green
check "a removed key's file is gone" test ! -e "$B/config/Path%2FLike"
check "a reader that had it open still reads the old snapshot whole" \
	test "$(cat <&3)" = "$old_config"
check "and fstat on it gives the old size" \
	test "$(stat -L -c %s /dev/fd/3)" -eq "${#old_config}"
exec 3<&-

# A failing source has its diagnostics under errors/.
drive_put_text "$bucket" "$dialog" 'TALKK "typo"'
check "a failing dialog shows under errors/" wait_until 10 \
	test -f "$B/errors/$dialog.txt"
check "with file, line and column" \
	grep -q "^$dialog:1:1: error: unknown statement 'TALKK'" "$B/errors/$dialog.txt"
check "and its previous tree stays" test -f "$B/dialogs/flows/start.ast.json"

# A deleted source takes its files with it.
drive_rm "$bucket" "$tool"
check "a deleted tool's schemas leave the view" wait_until 10 \
	test ! -e "$B/tools/order.mcp.json"
check "and its tree" test ! -e "$B/dialogs/order.ast.json"

# Unmount and mount again: same inode numbers.
ino=$(stat -c %i "$B/config.json")
stop_fs
check "SIGTERM unmounts" sh -c "! mountpoint -q '$MNT'"
start_fs
check "a new mount shows the same inode numbers" \
	test "$(stat -c %i "$B/config.json")" = "$ino"

# The agent stopped and restarted under a live mount.
stop_agent
check "with the agent down the view shows the last state" \
	test "$(cat "$B/config/Theme Color")" = green
drive_put_text "$bucket" "$cfg" 'Theme Color,red'
start_agent
config_red() { test "$(cat "$B/config/Theme Color" 2>/dev/null)" = red; }
check "after the agent's restart the view follows again" \
	wait_until 15 config_red

# A crash of drivemon-fs leaves a stale mount, which the next one clears.
kill -KILL "$FS_PID"
wait "$FS_PID" 2>/dev/null || true
FS_PID=
check "a killed drivemon-fs leaves a stale mount" \
	sh -c "! stat '$MNT' >/dev/null 2>&1"
start_fs
check "the next drivemon-fs recovers the mount point" \
	test "$(cat "$B/config/Theme Color")" = red
check "and says so in its log" grep -q "is a stale mount; unmounting it" "$T/fs.log"

finish
