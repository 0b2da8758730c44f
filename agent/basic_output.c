/*
 * basic_output.c - a compiled unit as text for people and programs: the
 * tree as JSON (json-c), and the diagnostics with the source line and a
 * caret under the column.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic_internal.h"

static const struct {
	const char *name;
	const char *text_field;
} node_kinds[] = {
#define BASIC_NODE(kind, json_name, text_field) {json_name, text_field},
#include "basic_nodes.def"
#undef BASIC_NODE
};

const char *basic_node_kind_name(enum basic_node_kind kind)
{
	return kind < BASIC_NODE_KIND_COUNT ? node_kinds[kind].name : "?";
}

static json_object *node_json(const struct basic_node *n)
{
	json_object *o = json_object_new_object();
	const char *field = node_kinds[n->kind].text_field;

	json_object_object_add(
		o, "kind", json_object_new_string(node_kinds[n->kind].name));
	if (field && n->text)
		json_object_object_add(
			o, field,
			json_object_new_string_len(n->text, (int)n->text_len));
	json_object_object_add(o, "line", json_object_new_int((int)n->line));
	json_object_object_add(o, "col", json_object_new_int((int)n->col));
	json_object_object_add(o, "end_line",
			       json_object_new_int((int)n->end_line));
	json_object_object_add(o, "end_col",
			       json_object_new_int((int)n->end_col));
	if (n->child) {
		json_object *children = json_object_new_array();

		for (const struct basic_node *c = n->child; c; c = c->next)
			json_object_array_add(children, node_json(c));
		json_object_object_add(o, "children", children);
	}
	return o;
}

char *basic_ast_json(const struct basic_unit *unit, bool pretty)
{
	json_object *root = node_json(unit->root);
	const char *text = json_object_to_json_string_ext(
		root,
		(pretty ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED
			: JSON_C_TO_STRING_PLAIN) |
			JSON_C_TO_STRING_NOSLASHESCAPE);
	char *copy = text ? strdup(text) : NULL;

	json_object_put(root);
	return copy;
}

/* Where line (from 1) starts in the source, and its length. */
static const char *source_line(const struct basic_unit *unit, unsigned line,
			       size_t *len)
{
	const char *s = unit->source, *end = unit->source + unit->len, *eol;

	for (unsigned l = 1; l < line && s < end; l++) {
		eol = memchr(s, '\n', (size_t)(end - s));
		s = eol ? eol + 1 : end;
	}
	eol = memchr(s, '\n', (size_t)(end - s));
	*len = (size_t)((eol ? eol : end) - s);
	if (*len > 0 && s[*len - 1] == '\r')
		(*len)--;
	return s;
}

/* Append one diagnostic to f. */
static void write_diagnostic(FILE *f, const struct basic_unit *unit,
			     const struct basic_diagnostic *d, const char *file)
{
	size_t len;
	const char *line = source_line(unit, d->line, &len);

	fprintf(f, "%s:%u:%u: %s: %s\n", file, d->line, d->col,
		d->severity == BASIC_ERROR ? "error" : "warning", d->message);
	fprintf(f, "  %.*s\n  ", (int)len, line);
	/* The caret keeps the line's tabs, so that it lands under the column.
	 */
	for (size_t i = 0; i + 1 < d->col && i < len; i++)
		fputc(line[i] == '\t' ? '\t' : ' ', f);
	fputs("^\n", f);
}

char *basic_diagnostics_text(const struct basic_unit *unit, const char *file)
{
	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);

	if (!f)
		return NULL;
	for (size_t i = 0; i < unit->diagnostic_count; i++)
		write_diagnostic(f, unit, &unit->diagnostics[i], file);
	if (unit->errors + unit->warnings > unit->diagnostic_count)
		fprintf(f, "%s: %u more problems not shown\n", file,
			unit->errors + unit->warnings -
				(unsigned)unit->diagnostic_count);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}
