#!/bin/bash
# A bot's config.csv becomes its config artifact as soon as the mirror has
# it: full replace, problems reported with line numbers, a bad file keeps
# the previous config, a deleted file takes its config away, a restart
# runs nothing, and the operator's hook runs after the handler.
. "$(dirname "$0")/lib.sh"

bucket=$(new_bucket cfgbot)
bot=${bucket%.gbai}
BUCKETS=("$bucket")
key=$bot.gbot/config.csv

cat >"$T/hook" <<HOOK
#!/bin/sh
echo "\$DRIVEMON_BOT \$DRIVEMON_KIND \$DRIVEMON_KEY \$DRIVEMON_ETAG \$1" >>"$T/hook.out"
if grep -q "Hook Fails" "\$1"; then echo "the hook says no" >&2; exit 3; fi
HOOK
chmod +x "$T/hook"

drive_put_stdin "$bucket" "$key" <<'CSV'
name,value
# the bot's settings
Theme Color,blue

"Welcome Message","Hello, ""friend"""
Answer Mode,tool
CSV
write_config "[hooks]
config = $T/hook"
start_agent

expected_first='Theme Color,blue
Welcome Message,"Hello, ""friend"""
Answer Mode,tool'
check "the config is produced from the mirrored file" \
	wait_until 10 config_is "$bot" "$expected_first"
check "--json gives the same settings as an object" \
	test "$(show "$bot" config --json | "$PY" -c '
import json, sys; print(json.load(sys.stdin)["Welcome Message"])')" = \
	'Hello, "friend"'
check "the listing names the artifact and its source" \
	grep -q "config .*config .*$key" <(show "$bot")
check "the handler ran once" test "$(handler_runs config)" -eq 1
check "the hook ran with the bot, kind, key, ETag and path" \
	wait_until 5 grep -q "^$bot config $key [0-9a-f]\{32\} $WORK/$bucket/$key\$" \
	"$T/hook.out"

# Full replace: a removed key disappears; the log names what changed.
drive_put_stdin "$bucket" "$key" <<'CSV'
Theme Color,green
Answer Mode,tool
CSV
check "a removed key is gone from the config" \
	wait_until 10 config_is "$bot" 'Theme Color,green
Answer Mode,tool'
check "the log names the changed and removed keys" \
	wait_until 5 grep -q "~Theme Color.*-Welcome Message\|-Welcome Message.*~Theme Color" "$LOG"
check "one change, one run" test "$(handler_runs config)" -eq 2

# Garbage: refused with its line, the previous config stays in force.
drive_put_stdin "$bucket" "$key" <<'CSV'
Theme Color,red
this line,has,three fields
CSV
check "a malformed file is reported in status with its line" \
	wait_until 10 status_has "config failed on '$key'"
check "the problem names line 2" \
	grep -q "^    2: " <("$DM_CTL" -c "$CONF" status)
check "the previous config is kept" \
	test "$(show "$bot" config)" = 'Theme Color,green
Answer Mode,tool'
check "the log says the previous artifacts are kept" \
	log_has "config refused '$bucket/$key', previous artifacts kept"

# A duplicate key is reported but the file applies (first one wins).
drive_put_stdin "$bucket" "$key" <<'CSV'
Theme Color,red
Theme Color,black
CSV
check "a duplicate is applied with the first value" \
	wait_until 10 config_is "$bot" 'Theme Color,red'
check "and reported with both lines" \
	wait_until 5 status_has "2: .*Theme Color.*1"

# A failing hook is recorded like a handler failure.
drive_put_text "$bucket" "$key" 'Hook Fails,yes'
check "a hook's failure shows in status with its stderr" \
	wait_until 10 status_has "hook: exit status 3: the hook says no"
check "the artifact is still produced" \
	test "$(show "$bot" config)" = 'Hook Fails,yes'

# A restart with nothing changed runs no handler.
runs=$(handler_runs config)
stop_agent
start_agent
check "after a restart the agent cycles" wait_until 10 \
	test "$(cycles_logged)" -ge 3
sleep 0.5
check "and runs no handler" test "$(handler_runs config)" -eq "$runs"

# Deleting the source removes its artifacts.
drive_rm "$bucket" "$key"
check "a deleted config.csv takes its config away" \
	wait_until 10 config_is "$bot" ""
check "the bot lists no artifact" test -z "$(show "$bot")"
check "the log says the artifacts went" log_has "'$bucket/$key' is gone: 1 artifacts removed"

finish
