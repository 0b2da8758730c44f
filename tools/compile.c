/*
 * compile.c - compile one .bas file and print its tree, its tool schema
 * or only its diagnostics.
 */
#include "compile.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic.h"

enum output { OUTPUT_NONE, OUTPUT_AST, OUTPUT_MCP, OUTPUT_OPENAI };

static const struct {
	const char *flag;
	enum output output;
} flags[] = {
	{"--ast", OUTPUT_AST},
	{"--mcp", OUTPUT_MCP},
	{"--openai", OUTPUT_OPENAI},
};

static int read_file(const char *path, char **text, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 0;
	char *buf = NULL;

	*len = 0;
	if (!f)
		return -errno;
	for (;;) {
		size_t n;

		if (*len == cap) {
			char *bigger;

			cap = cap ? cap * 2 : 65536;
			if (cap > (size_t)BASIC_SOURCE_MAX * 2)
				break;
			bigger = realloc(buf, cap);
			if (!bigger) {
				free(buf);
				fclose(f);
				return -ENOMEM;
			}
			buf = bigger;
		}
		n = fread(buf + *len, 1, cap - *len, f);
		*len += n;
		if (n == 0)
			break;
	}
	fclose(f);
	*text = buf;
	return 0;
}

/* The tool's name: the file's name without its ".bas". */
static void tool_name_of(const char *path, char *out, size_t len)
{
	char *copy = strdup(path);
	const char *base = copy ? basename(copy) : path;
	size_t n = strlen(base);

	if (n > 4 && strcasecmp(base + n - 4, ".bas") == 0)
		n -= 4;
	snprintf(out, len, "%.*s", (int)n, base);
	free(copy);
}

static char *render(const struct basic_unit *unit, const char *path,
		    enum output output)
{
	char name[256];

	tool_name_of(path, name, sizeof(name));
	switch (output) {
	case OUTPUT_AST:
		return basic_ast_json(unit, true);
	case OUTPUT_MCP:
		return basic_tool_schema(unit, name, BASIC_SCHEMA_MCP, true);
	case OUTPUT_OPENAI:
		return basic_tool_schema(unit, name, BASIC_SCHEMA_OPENAI, true);
	default:
		return NULL;
	}
}

static int parse_args(int argc, char **argv, const char **path,
		      enum output *output)
{
	*path = NULL;
	*output = OUTPUT_NONE;
	for (int i = 1; i < argc; i++) {
		bool known = false;

		for (size_t f = 0; f < sizeof(flags) / sizeof(flags[0]); f++)
			if (strcmp(argv[i], flags[f].flag) == 0) {
				*output = flags[f].output;
				known = true;
			}
		if (known)
			continue;
		if (argv[i][0] == '-' || *path) {
			fprintf(stderr,
				"drivemonctl: compile: unexpected argument "
				"'%s'\n",
				argv[i]);
			return -EINVAL;
		}
		*path = argv[i];
	}
	if (!*path) {
		fprintf(stderr, "drivemonctl: compile: which file?\n");
		return -EINVAL;
	}
	return 0;
}

int compile_command(int argc, char **argv)
{
	struct basic_unit *unit;
	enum output output;
	const char *path;
	char *source = NULL, *diagnostics, *text;
	size_t len;
	int rc;

	if (parse_args(argc, argv, &path, &output) < 0)
		return 2;
	rc = read_file(path, &source, &len);
	if (rc == 0)
		rc = basic_compile(source, len, &unit);
	if (rc < 0) {
		fprintf(stderr, "drivemonctl: cannot compile '%s': %s\n", path,
			rc == -EFBIG ? "larger than 4 MiB" : strerror(-rc));
		free(source);
		return 1;
	}

	diagnostics = basic_diagnostics_text(unit, path);
	if (diagnostics)
		fputs(diagnostics, stderr);
	text = unit->errors == 0 ? render(unit, path, output) : NULL;
	if (text)
		puts(text);
	else if (unit->errors == 0 && output != OUTPUT_NONE &&
		 output != OUTPUT_AST)
		fprintf(stderr,
			"drivemonctl: '%s' declares no PARAM: it is "
			"a dialog, not a tool\n",
			path);
	rc = unit->errors ? 1 : 0;

	free(text);
	free(diagnostics);
	basic_unit_free(unit);
	free(source);
	return rc;
}
