#!/bin/bash
# Dev mode: edits in work_root run the handlers at once and go back to the
# bucket (rename-over saves, writes in place, many files, new files,
# deletions), and a concurrent remote change is never lost: both versions
# survive, the local one as a conflict copy.
. "$(dirname "$0")/lib.sh"

bucket=$(new_bucket devbot)
bot=${bucket%.gbai}
BUCKETS=("$bucket")
cfg=$bot.gbot/config.csv
drive_put_text "$bucket" "$cfg" 'Mode,remote'
drive_put_text "$bucket" "$bot.gbdialog/start.bas" 'TALK "hello"'
drive_put_text "$bucket" notes.md '# notes'
write_config "[dev]
enabled = true"
start_agent
check "the first cycle mirrors" wait_until 10 mirror_matches "$bucket"
check "the config is produced" \
	wait_until 10 config_is "$bot" 'Mode,remote'
check "the agent says it is in dev mode" wait_until 5 log_has "dev mode: local edits"

# A vim-style save: a new file renamed over the old one.
runs=$(handler_runs config)
printf 'Mode,vim\n' >"$WORK/$bucket/$bot.gbot/.config.csv.swp"
mv "$WORK/$bucket/$bot.gbot/.config.csv.swp" "$WORK/$bucket/$cfg"
check "a rename-over save reaches the config" \
	wait_until 10 config_is "$bot" 'Mode,vim'
check "and the bucket" wait_until 10 object_is "$bucket" "$cfg" 'Mode,vim'
sleep 1
check "it ran the handler once" test "$(handler_runs config)" -eq $((runs + 1))
check "the swap file is not in the bucket" \
	test -z "$(drive_keys "$bucket" | grep swp)"
check "later cycles keep the edit" test "$(cat "$WORK/$bucket/$cfg")" = 'Mode,vim'

# Writes in place, several in a row: one change.
runs=$(handler_runs config)
{ printf 'Mode,in place\n'; printf 'Extra,1\n'; } >"$WORK/$bucket/$cfg"
printf 'Last,2\n' >>"$WORK/$bucket/$cfg"
check "writes in place reach the config" \
	wait_until 10 config_is "$bot" 'Mode,in place
Extra,1
Last,2'
sleep 1
check "as one handler run" test "$(handler_runs config)" -eq $((runs + 1))
check "and the bucket" test "$(drive_cat "$bucket" "$cfg" | tail -1)" = 'Last,2'

# Many new files at once are all uploaded.
mkdir -p "$WORK/$bucket/$bot.gbkb/docs"
for i in $(seq 1 200); do
	echo "doc $i" >"$WORK/$bucket/$bot.gbkb/docs/d$i.md"
done
uploaded_docs()
{
	test "$(drive_keys "$bucket" | grep -c "gbkb/docs/d")" -eq 200
}
check "200 new files are all uploaded" wait_until 30 uploaded_docs
check "with their content" test "$(drive_cat "$bucket" "$bot.gbkb/docs/d137.md")" = 'doc 137'

# A deletion of a mirrored file goes to the bucket.
rm "$WORK/$bucket/notes.md"
check "the object is really gone" \
	wait_until 10 bucket_lacks "$bucket" notes.md
check "and stays gone locally" test ! -e "$WORK/$bucket/notes.md"

# A conflict: edited here and in the bucket while the agent was frozen.
dialog=$bot.gbdialog/start.bas
kill -STOP "$AGENT_PID"
printf 'TALK "local"\n' >"$WORK/$bucket/$dialog"
sleep 0.1
printf 'TALK "remote"\n' >"$T/remote.bas"
if [ "$DM_DRIVE" = s3 ]; then
	s3 put "$bucket" "$dialog" "$T/remote.bas" >/dev/null
else
	cp "$T/remote.bas" "$DRIVE_ROOT/$bucket/$dialog"
fi
kill -CONT "$AGENT_PID"
check "the bucket's version takes the path" wait_until 10 \
	file_is "$WORK/$bucket/$dialog" 'TALK "remote"'
copy=$(cd "$WORK/$bucket" && ls $bot.gbdialog/start.conflict-*.bas 2>/dev/null | head -1) || true
check "the local version is kept as a conflict copy" \
	test "$(cat "$WORK/$bucket/$copy" 2>/dev/null)" = 'TALK "local"'
check "the copy is named name.conflict-<UTC time>.ext" \
	grep -q '^'"$bot"'\.gbdialog/start\.conflict-[0-9]\{8\}T[0-9]\{6\}Z\.bas$' <<<"$copy"
check "the bucket keeps the remote version" \
	test "$(drive_cat "$bucket" "$dialog")" = 'TALK "remote"'
check "the log reports the conflict" log_has "dev: conflict on '$bucket/$dialog'"
check "status lists the conflict copy" \
	wait_until 5 status_has "conflict failed on '$copy'"
sleep 1
check "the conflict copy is never uploaded" \
	test -z "$(drive_keys "$bucket" | grep conflict)"

# Removing the copy clears it from status.
rm "$WORK/$bucket/$copy"
check "a removed conflict copy leaves status" wait_until 10 \
	sh -c "! '$DM_CTL' -c '$CONF' status | grep -q conflict"

finish
