/*
 * basic.h - the compiler of General Bots' BASIC dialect (the .bas files of
 * .gbdialog).
 *
 * basic_compile() turns one source file into a syntax tree and a list of
 * diagnostics; from the tree come its JSON form and, for a script that
 * declares PARAMs (a tool), the tool schemas an LLM is given.  The dialect
 * is described in docs/basic.md.
 *
 * The compiler is a pure library: no I/O, no logging, no globals, so any
 * thread may compile, each its own unit.  It never stops at the first
 * error: a bad statement is reported and parsing goes on at the next line.
 * Every node and every diagnostic lives in the unit's arena and is freed
 * with it.  Bytes that are not UTF-8 text are errors, so the JSON of a
 * unit without errors is always valid.
 */
#ifndef DRIVEMON_BASIC_H
#define DRIVEMON_BASIC_H

#include <stdbool.h>
#include <stddef.h>

/* Larger sources are refused: a dialog is a few kilobytes. */
#define BASIC_SOURCE_MAX (4u << 20)

/* Nesting of blocks and expressions; deeper input is an error. */
#define BASIC_DEPTH_MAX 200

/* Diagnostics kept per file; the count goes on past them. */
#define BASIC_DIAGNOSTICS_MAX 200

enum basic_node_kind {
#define BASIC_NODE(kind, json_name, text_field) BASIC_##kind,
#include "basic_nodes.def"
#undef BASIC_NODE
	BASIC_NODE_KIND_COUNT
};

/*
 * A node of the tree.  text is the node's word (a name, an operator, a
 * decoded string literal, a statement's phrase), text_len bytes, not
 * NUL-terminated, or NULL.  Children are a list: child is the first,
 * next the following sibling.  Lines and columns count from 1; columns
 * in bytes; end is just past the node's last byte.
 */
struct basic_node {
	enum basic_node_kind kind;
	unsigned line, col, end_line, end_col;
	const char *text;
	size_t text_len;
	struct basic_node *child, *last_child, *next;
};

enum basic_severity { BASIC_ERROR, BASIC_WARNING };

struct basic_diagnostic {
	enum basic_severity severity;
	unsigned line, col;
	char *message;
};

struct basic_unit {
	const char *source; /* borrowed from the caller, len bytes */
	size_t len;
	struct basic_node *root; /* kind BASIC_PROGRAM, never NULL */
	struct basic_diagnostic *diagnostics;
	size_t diagnostic_count;   /* kept, at most BASIC_DIAGNOSTICS_MAX */
	unsigned errors, warnings; /* all of them, kept or not */
	struct basic_arena *arena;
};

/*
 * Compile len bytes of source, which must stay valid and unchanged while
 * the unit lives.  Returns 0 with *out filled, even when the source has
 * errors (then out->errors > 0); -ENOMEM; or -EFBIG over
 * BASIC_SOURCE_MAX.
 */
int basic_compile(const char *source, size_t len, struct basic_unit **out);

/* Accepts NULL. */
void basic_unit_free(struct basic_unit *unit);

/* The name a node kind has in JSON and in docs/basic.md ("if", "call"). */
const char *basic_node_kind_name(enum basic_node_kind kind);

/*
 * The tree as JSON: {"kind":..., "line":..., "col":..., "end_line":...,
 * "end_col":..., the text under the field its kind names, "children":[...]}.
 * Returns a malloc'd string, or NULL when out of memory.
 */
char *basic_ast_json(const struct basic_unit *unit, bool pretty);

/*
 * True when the script is a tool: it declares at least one PARAM.  A
 * script without PARAMs is a dialog and has no schema.
 */
bool basic_is_tool(const struct basic_unit *unit);

enum basic_schema_shape { BASIC_SCHEMA_MCP, BASIC_SCHEMA_OPENAI };

/*
 * The tool's schema, named tool_name (the file's name without ".bas"):
 * MCP's {name, description, inputSchema} or OpenAI's {"type":"function",
 * "function":{name, description, parameters}}.  Returns a malloc'd JSON
 * string; NULL when the unit is no tool or out of memory.
 */
char *basic_tool_schema(const struct basic_unit *unit, const char *tool_name,
			enum basic_schema_shape shape, bool pretty);

/*
 * The diagnostics as text, one per problem: "FILE:LINE:COL: error: what",
 * then the source line and a caret under the column.  Returns a malloc'd
 * string ("" when there is none), or NULL when out of memory.
 */
char *basic_diagnostics_text(const struct basic_unit *unit, const char *file);

#endif
