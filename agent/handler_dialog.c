/*
 * handler_dialog.c - a .bas file of a bot's .gbdialog folder becomes its
 * compiled artifacts.
 *
 * Every script gives a "dialog" artifact, its syntax tree as JSON, named
 * by its path inside the .gbdialog folder ("start.bas", "sales/quote.bas").
 * A script that declares PARAMs is a tool and also gives "tool_mcp" and
 * "tool_openai", named by the file's name without ".bas".  A script with
 * errors is refused whole, so the previous artifacts stay in force; its
 * diagnostics name the source key, line and column.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic.h"
#include "handlers.h"

/* The path below "<bot>.gbdialog/", and the tool name (base, no .bas). */
static void names_of(const char *key, const char **dialog, char *tool,
		     size_t len)
{
	const char *slash = strchr(key, '/');
	const char *base = strrchr(key, '/');
	size_t n;

	*dialog = slash ? slash + 1 : key;
	base = base ? base + 1 : key;
	n = strlen(base);
	if (n > 4 && strcasecmp(base + n - 4, ".bas") == 0)
		n -= 4;
	snprintf(tool, len, "%.*s", (int)n, base);
}

/*
 * JSON as drivemonctl compile prints it, pretty and ending in a line
 * break, so that the FUSE view and the command give the same bytes.
 */
static int add_json(struct handler_result *result, const char *kind,
		    const char *name, char *json)
{
	size_t len = json ? strlen(json) : 0;
	char *text = json ? realloc(json, len + 2) : NULL;
	int rc;

	if (!text) {
		free(json);
		return -ENOMEM;
	}
	text[len] = '\n';
	text[len + 1] = '\0';
	rc = handler_result_add(result, kind, name, text, len + 1);
	free(text);
	return rc;
}

static int add_artifacts(const struct basic_unit *unit, const char *key,
			 struct handler_result *result)
{
	char tool[256];
	const char *dialog;
	int rc;

	names_of(key, &dialog, tool, sizeof(tool));
	rc = add_json(result, "dialog", dialog, basic_ast_json(unit, true));
	if (rc < 0 || !basic_is_tool(unit))
		return rc;

	rc = add_json(result, "tool_mcp", tool,
		      basic_tool_schema(unit, tool, BASIC_SCHEMA_MCP, true));
	if (rc == 0)
		rc = add_json(result, "tool_openai", tool,
			      basic_tool_schema(unit, tool, BASIC_SCHEMA_OPENAI,
						true));
	if (rc == 0 && asprintf(&result->summary, "tool '%s'%s", tool,
				unit->warnings ? ", with warnings" : "") < 0)
		result->summary = NULL;
	return rc;
}

int handler_dialog(const struct handler_input *in,
		   struct handler_result *result)
{
	struct basic_unit *unit;
	int rc;

	rc = basic_compile(in->content, in->content_len, &unit);
	if (rc == -EFBIG)
		result->diagnostics = strdup("file too large for a dialog");
	if (rc < 0)
		return rc;

	if (unit->diagnostic_count > 0)
		result->diagnostics = basic_diagnostics_text(unit, in->key);
	if (unit->errors > 0)
		rc = -EINVAL;
	else
		rc = add_artifacts(unit, in->key, result);
	basic_unit_free(unit);
	return rc;
}
