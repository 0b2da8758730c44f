/*
 * fuzz_basic.c - libFuzzer target for the BASIC lexer and parser.
 *
 * Each input is compiled as a .bas file, and what comes out must keep the
 * promises of basic.h: a tree always, every node on a line of the input
 * and ending no earlier than it starts, at most BASIC_DIAGNOSTICS_MAX
 * diagnostics each on a line of the input, an error count that covers
 * them, and for a unit without errors JSON output (tree and, for a
 * tool, both schemas) that json-c reads back, UTF-8 checked.  A broken contract
 * aborts, which libFuzzer reports as a crash.
 *
 * Build and run from the repository root (the seed corpus is the unit
 * tests' data; new inputs go to the first directory):
 *
 *   clang -g -O1 -std=c17 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
 *     -Iagent tests/unit/fuzz_basic.c agent/basic_*.c agent/utf8.c -ljson-c \
 *     -o /tmp/fuzz_basic
 *   mkdir -p /tmp/fuzz-basic-corpus
 *   /tmp/fuzz_basic -max_total_time=300 /tmp/fuzz-basic-corpus \
 *     tests/unit/data/basic/ok tests/unit/data/basic/errors
 */
#include <json-c/json.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "basic.h"

static void require(bool ok)
{
	if (!ok)
		abort();
}

static unsigned count_lines(const uint8_t *data, size_t size)
{
	unsigned lines = 1;

	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	return lines;
}

static void check_node(const struct basic_node *n, unsigned lines,
		       unsigned depth)
{
	require(depth < 4 * BASIC_DEPTH_MAX);
	require(n->kind < BASIC_NODE_KIND_COUNT);
	require(n->line >= 1 && n->line <= lines);
	require(n->end_line <= lines);
	require(n->end_line == 0 || n->end_line >= n->line);
	for (const struct basic_node *c = n->child; c; c = c->next)
		check_node(c, lines, depth + 1);
}

/* The tree nests deeper than json-c's default of 32 levels allows. */
#define JSON_DEPTH_MAX (8 * BASIC_DEPTH_MAX)

static void require_json(char *text)
{
	struct json_tokener *tok = json_tokener_new_ex(JSON_DEPTH_MAX);
	json_object *parsed;

	require(text != NULL && tok != NULL);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
					    JSON_TOKENER_VALIDATE_UTF8);
	parsed = json_tokener_parse_ex(tok, text, (int)strlen(text));
	require(parsed != NULL);
	json_object_put(parsed);
	json_tokener_free(tok);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned lines = count_lines(data, size);
	struct basic_unit *unit;
	char *text;

	if (basic_compile((const char *)data, size, &unit) < 0)
		return 0;

	require(unit->root && unit->root->kind == BASIC_PROGRAM);
	check_node(unit->root, lines, 0);
	require(unit->diagnostic_count <= BASIC_DIAGNOSTICS_MAX);
	require(unit->errors + unit->warnings >= unit->diagnostic_count);
	for (size_t i = 0; i < unit->diagnostic_count; i++) {
		const struct basic_diagnostic *d = &unit->diagnostics[i];

		require(d->line >= 1 && d->line <= lines && d->col >= 1);
		require(d->message && d->message[0]);
		require(i == 0 || d->line >= unit->diagnostics[i - 1].line);
	}

	text = basic_diagnostics_text(unit, "fuzz.bas");
	require(text != NULL);
	free(text);
	if (unit->errors > 0) {
		basic_unit_free(unit);
		return 0;
	}
	require_json(basic_ast_json(unit, false));
	if (basic_is_tool(unit)) {
		require_json(
			basic_tool_schema(unit, "t", BASIC_SCHEMA_MCP, false));
		require_json(basic_tool_schema(unit, "t", BASIC_SCHEMA_OPENAI,
					       false));
	}
	basic_unit_free(unit);
	return 0;
}
