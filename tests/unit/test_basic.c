/*
 * test_basic.c - the BASIC compiler against its corpus and a few rules.
 *
 * data/basic/ok/NAME.bas must compile without errors into the tree of
 * NAME.ast.json and, when it is a tool, the schemas of NAME.mcp.json and
 * NAME.openai.json (and no schema files when it is a dialog).
 * data/basic/errors/NAME.bas must fail with the diagnostics of NAME.diag.
 * "test_basic --update" rewrites the expected files from what the
 * compiler gives now, for a person to read before committing them.
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "basic.h"
#include "check.h"

#define OK_DIR	   "data/basic/ok"
#define ERRORS_DIR "data/basic/errors"

static bool update;

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long size;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	rewind(f);
	buf = malloc((size_t)size + 1);
	if (buf && fread(buf, 1, (size_t)size, f) != (size_t)size) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	if (buf) {
		buf[size] = '\0';
		if (len)
			*len = (size_t)size;
	}
	return buf;
}

static void spill(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	CHECK(f != NULL);
	if (!f)
		return;
	fputs(text, f);
	fputs("\n", f);
	fclose(f);
}

/* Compare text with the file path holds (its last newline aside). */
static void expect_file(const char *path, const char *text)
{
	char *want;
	size_t len;

	if (update) {
		spill(path, text);
		return;
	}
	want = slurp(path, &len);
	if (want && len > 0 && want[len - 1] == '\n')
		want[len - 1] = '\0';
	if (!want || strcmp(want, text) != 0)
		fprintf(stderr, "%s differs from the compiler's output:\n%s\n",
			path, text);
	CHECK(want && strcmp(want, text) == 0);
	free(want);
}

static void path_of(char *out, size_t len, const char *dir, const char *name,
		    const char *ext)
{
	int n = snprintf(out, len, "%s/%.*s%s", dir,
			 (int)(strlen(name) - strlen(".bas")), name, ext);

	CHECK(n > 0 && (size_t)n < len);
}

static struct basic_unit *compile_file(const char *dir, const char *name,
				       char **source)
{
	char path[512];
	struct basic_unit *unit = NULL;
	size_t len;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	*source = slurp(path, &len);
	CHECK(*source != NULL);
	if (*source)
		CHECK_INT(basic_compile(*source, len, &unit), 0);
	return unit;
}

static void check_schema(const struct basic_unit *unit, const char *name,
			 enum basic_schema_shape shape, const char *ext)
{
	char path[512], tool[128];
	char *schema;

	snprintf(tool, sizeof(tool), "%.*s",
		 (int)(strlen(name) - strlen(".bas")), name);
	path_of(path, sizeof(path), OK_DIR, name, ext);
	schema = basic_tool_schema(unit, tool, shape, true);
	if (basic_is_tool(unit)) {
		CHECK(schema != NULL);
		if (schema)
			expect_file(path, schema);
	} else {
		CHECK(schema == NULL);
		CHECK(access(path, F_OK) != 0);
	}
	free(schema);
}

static void check_ok(const char *name)
{
	char path[512], *source, *ast, *diagnostics;
	struct basic_unit *unit = compile_file(OK_DIR, name, &source);

	if (!unit) {
		free(source);
		return;
	}
	if (unit->errors) {
		diagnostics = basic_diagnostics_text(unit, name);
		fprintf(stderr, "%s", diagnostics ? diagnostics : "");
		free(diagnostics);
	}
	CHECK_INT(unit->errors, 0);

	ast = basic_ast_json(unit, true);
	path_of(path, sizeof(path), OK_DIR, name, ".ast.json");
	CHECK(ast != NULL);
	if (ast)
		expect_file(path, ast);
	check_schema(unit, name, BASIC_SCHEMA_MCP, ".mcp.json");
	check_schema(unit, name, BASIC_SCHEMA_OPENAI, ".openai.json");

	free(ast);
	basic_unit_free(unit);
	free(source);
}

static void check_errors(const char *name)
{
	char path[512], *source, *text;
	struct basic_unit *unit = compile_file(ERRORS_DIR, name, &source);

	if (!unit) {
		free(source);
		return;
	}
	CHECK(unit->errors > 0);
	text = basic_diagnostics_text(unit, name);
	CHECK(text != NULL);
	path_of(path, sizeof(path), ERRORS_DIR, name, ".diag");
	if (text) {
		size_t len = strlen(text);

		/* The .diag file ends in one newline, as text does. */
		if (len > 0 && text[len - 1] == '\n')
			text[len - 1] = '\0';
		expect_file(path, text);
	}
	free(text);
	basic_unit_free(unit);
	free(source);
}

static unsigned each_source(const char *dir, void (*check)(const char *))
{
	DIR *d = opendir(dir);
	struct dirent *e;
	unsigned count = 0;

	CHECK(d != NULL);
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);

		if (n > 4 && strcmp(e->d_name + n - 4, ".bas") == 0) {
			check(e->d_name);
			count++;
		}
	}
	closedir(d);
	return count;
}

/* ---- rules checked on small inputs ---- */

static struct basic_unit *compile_text(const char *text)
{
	struct basic_unit *unit = NULL;

	CHECK_INT(basic_compile(text, strlen(text), &unit), 0);
	return unit;
}

/* The kind of the n-th child of node, or "" when there is none. */
static const char *child_kind(const struct basic_node *node, unsigned n)
{
	const struct basic_node *c = node ? node->child : NULL;

	while (c && n--)
		c = c->next;
	return c ? basic_node_kind_name(c->kind) : "";
}

static const struct basic_node *nth(const struct basic_node *node, unsigned n)
{
	const struct basic_node *c = node ? node->child : NULL;

	while (c && n--)
		c = c->next;
	return c;
}

static bool text_is(const struct basic_node *n, const char *text)
{
	return n && n->text && n->text_len == strlen(text) &&
	       memcmp(n->text, text, n->text_len) == 0;
}

static void test_precedence(void)
{
	struct basic_unit *u = compile_text("x = 1 + 2 * 3\n"
					    "y = -2 ^ 2\n"
					    "z = NOT a = b AND c\n");
	const struct basic_node *x, *y, *z;

	if (!u)
		return;
	CHECK_INT(u->errors, 0);
	x = nth(nth(u->root, 0), 1);
	CHECK(text_is(x, "+"));
	CHECK(text_is(nth(x, 1), "*"));

	y = nth(nth(u->root, 1), 1);
	CHECK_STR(basic_node_kind_name(y->kind), "unary");
	CHECK(text_is(nth(y, 0), "^"));

	/* AND binds looser than NOT, NOT looser than "=". */
	z = nth(nth(u->root, 2), 1);
	CHECK(text_is(z, "AND"));
	CHECK(text_is(nth(z, 0), "NOT"));
	CHECK(text_is(nth(nth(z, 0), 0), "="));
	basic_unit_free(u);
}

static void test_spans(void)
{
	struct basic_unit *u = compile_text("\n  total = price * 2\n");
	const struct basic_node *assign, *product;

	if (!u)
		return;
	assign = nth(u->root, 0);
	product = nth(assign, 1);
	CHECK_INT(assign->line, 2);
	CHECK_INT(assign->col, 3);
	CHECK_INT(assign->end_col, 20);
	CHECK_INT(product->col, 11);
	CHECK_INT(product->end_col, 20);
	basic_unit_free(u);
}

static void test_keyword_call_and_command(void)
{
	struct basic_unit *u = compile_text("d = FORMAT now, \"yyyy\"\n"
					    "m = GET BOT MEMORY \"k\"\n"
					    "SET BOT MEMORY \"k\", 1\n"
					    "SET x = 2\n");

	if (!u)
		return;
	CHECK_INT(u->errors, 0);
	CHECK_STR(child_kind(nth(u->root, 0), 1), "keyword_call");
	CHECK(text_is(nth(nth(u->root, 1), 1), "GET BOT MEMORY"));
	CHECK_STR(child_kind(u->root, 2), "command");
	CHECK(text_is(nth(u->root, 2), "SET BOT MEMORY"));
	CHECK_STR(child_kind(u->root, 3), "assign");
	basic_unit_free(u);
}

static void test_line_endings_and_bom(void)
{
	struct basic_unit *u =
		compile_text("\xEF\xBB\xBFTALK \"a\"\r\nIF x THEN\r\n"
			     "  TALK \"b\"\r\nEND IF\r\n");

	if (!u)
		return;
	CHECK_INT(u->errors, 0);
	CHECK_STR(child_kind(u->root, 0), "talk");
	CHECK_STR(child_kind(u->root, 1), "if");
	CHECK_INT(nth(u->root, 0)->col, 1);
	basic_unit_free(u);
}

static void test_many_errors_are_bounded(void)
{
	size_t lines = 1000, len = lines * 6;
	char *text = malloc(len + 1);
	struct basic_unit *u = NULL;
	char *diagnostics;

	if (!text)
		return;
	for (size_t i = 0; i < lines; i++)
		memcpy(text + i * 6, "FOO 1\n", 6);
	text[len] = '\0';
	CHECK_INT(basic_compile(text, len, &u), 0);
	if (u) {
		CHECK_INT(u->errors, 1000);
		CHECK_INT(u->diagnostic_count, BASIC_DIAGNOSTICS_MAX);
		diagnostics = basic_diagnostics_text(u, "f.bas");
		CHECK(diagnostics &&
		      strstr(diagnostics,
			     "f.bas: 800 more problems not shown"));
		free(diagnostics);
	}
	basic_unit_free(u);
	free(text);
}

static void test_deep_nesting_is_an_error(void)
{
	size_t depth = 5000;
	char *text = malloc(depth * 2 + 8);
	struct basic_unit *u = NULL;

	if (!text)
		return;
	memcpy(text, "x = ", 4);
	memset(text + 4, '(', depth);
	text[4 + depth] = '1';
	memset(text + 5 + depth, ')', depth);
	text[5 + 2 * depth] = '\0';
	CHECK_INT(basic_compile(text, strlen(text), &u), 0);
	CHECK(u && u->errors > 0);
	CHECK(u && u->diagnostic_count > 0 &&
	      strstr(u->diagnostics[0].message, "nested deeper"));
	basic_unit_free(u);
	free(text);
}

static void test_too_large(void)
{
	struct basic_unit *u = (struct basic_unit *)1;

	CHECK_INT(basic_compile("", BASIC_SOURCE_MAX + 1, &u), -EFBIG);
	CHECK(u == NULL);
}

int main(int argc, char **argv)
{
	update = argc > 1 && strcmp(argv[1], "--update") == 0;

	CHECK(each_source(OK_DIR, check_ok) >= 8);
	CHECK(each_source(ERRORS_DIR, check_errors) >= 5);
	test_precedence();
	test_spans();
	test_keyword_call_and_command();
	test_line_endings_and_bom();
	test_many_errors_are_bounded();
	test_deep_nesting_is_an_error();
	test_too_large();
	return check_summary();
}
