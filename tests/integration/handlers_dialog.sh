#!/bin/bash
# A bot's .bas files become compiled artifacts as soon as the mirror has
# them: the tree of each dialog, the MCP and OpenAI schemas of each tool.
# A file with errors keeps its previous artifacts and shows file:line:col
# in status; a deleted file takes its artifacts away; two files that would
# make the same tool are both reported, and the survivor takes the name.
. "$(dirname "$0")/lib.sh"

bucket=$(new_bucket dlgbot)
bot=${bucket%.gbai}
BUCKETS=("$bucket")
tool=$bot.gbdialog/order.bas

drive_put_stdin "$bucket" "$tool" <<'BAS'
PARAM id AS STRING LIKE "A-1" DESCRIPTION "Order number"
PARAM qty AS INTEGER OPTIONAL
DESCRIPTION "Look up an order"
TALK "Order ${id}"
BAS
drive_put_text "$bucket" "$bot.gbdialog/start.bas" 'TALK "hello"'
write_config
start_agent

# mcp_has TOOL PYTHON-EXPRESSION: the tool's MCP schema, as s, satisfies it.
mcp_has()
{
	show "$bot" tool_mcp "$1" 2>/dev/null | "$PY" -c "
import json, sys
s = json.load(sys.stdin)
sys.exit(0 if ($2) else 1)" 2>/dev/null
}
check "a tool's MCP schema is produced" \
	wait_until 10 mcp_has order 's["inputSchema"]["required"] == ["id"]'
check "with its description and the example" \
	mcp_has order 's["description"] == "Look up an order" and
s["inputSchema"]["properties"]["id"]["examples"] == ["A-1"]'
check "its OpenAI schema is what drivemonctl compile prints" \
	cmp -s <(show "$bot" tool_openai order) \
	<("$DM_CTL" compile --openai "$WORK/$bucket/$tool")
check "every script has its tree" \
	wait_until 5 sh -c "'$DM_CTL' -c '$CONF' show '$bot' dialog start.bas |
		grep -q '\"kind\": \"talk\"'"
check "a dialog without PARAM has no schema" \
	test -z "$(show "$bot" tool_mcp | grep start)"

# A syntax error: reported with file, line and column; the tool stays.
drive_put_stdin "$bucket" "$tool" <<'BAS'
PARAM id AS STRING
TALKK "typo"
BAS
check "the error shows in status with its line and column" \
	wait_until 10 status_has "$tool:2:1: error: unknown statement 'TALKK'"
check "the previous schema stays in force" \
	mcp_has order 's["description"] == "Look up an order"'
check "the log says the previous artifacts are kept" \
	log_has "dialog refused '$bucket/$tool', previous artifacts kept"

# Fixed: the new schema replaces the old one.
drive_put_text "$bucket" "$tool" 'PARAM code AS INTEGER
DESCRIPTION "Orders by code"'
check "a fixed file replaces the schema" \
	wait_until 10 mcp_has order \
	's["inputSchema"]["properties"] == {"code": {"type": "integer"}}'
check "and leaves status" \
	wait_until 5 sh -c "! '$DM_CTL' -c '$CONF' status | grep -q 'order.bas'"

# Two files that would make the same tool: both reported.
twin=$bot.gbdialog/sales/order.bas
drive_put_text "$bucket" "$twin" 'PARAM other AS STRING'
check "the second file is refused, naming the first" \
	wait_until 10 status_has "tool_mcp 'order' is already made by '$tool'"
check "the first names the second" \
	wait_until 5 status_has "tool_mcp 'order' is also made by '$twin'"
check "the first file's tool stays" \
	mcp_has order 's["description"] == "Orders by code"'
drive_rm "$bucket" "$tool"
check "once the first is deleted the second takes the name" \
	wait_until 10 mcp_has order '"other" in s["inputSchema"]["properties"]'
check "and status is clean" \
	wait_until 5 sh -c "! '$DM_CTL' -c '$CONF' status | grep -q 'made by'"
check "the deleted file's tree is gone" \
	test -z "$(show "$bot" dialog | grep -F ' order.bas ')"

finish
