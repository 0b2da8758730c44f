/*
 * test_handlers.c - the handler table and the handlers as pure functions:
 * which key goes to which handler, and what each makes of its bytes.
 */
#include <errno.h>
#include <string.h>

#include "check.h"
#include "handlers.h"

static const char *kind_of(const char *key)
{
	const struct handler *h = handler_find(key);

	return h ? h->kind : "";
}

static void test_table(void)
{
	CHECK_STR(kind_of("demo.gbot/config.csv"), "config");
	CHECK_STR(kind_of("demo.gbdialog/start.bas"), "dialog");
	CHECK_STR(kind_of("demo.gbdialog/sales/quote.bas"), "dialog");
	CHECK_STR(kind_of("demo.gbot/sub/config.csv"), "");
	CHECK_STR(kind_of("demo.gbkb/docs/a.md"), "");
	CHECK_STR(kind_of("demo.gbdialog/readme.txt"), "");
	CHECK_STR(kind_of("config.csv"), "");
	CHECK_STR(kind_of(".gbot/config.csv"), "");
}

static int run(const char *key, const char *text, struct handler_result *r)
{
	const struct handler *h = handler_find(key);
	struct handler_input in = {.bot = "demo",
				   .bucket = "demo.gbai",
				   .key = key,
				   .content = text,
				   .content_len = strlen(text)};

	memset(r, 0, sizeof(*r));
	return h ? h->run(&in, r) : -ENOENT;
}

static const struct handler_artifact *
artifact(const struct handler_result *r, const char *kind, const char *name)
{
	for (size_t i = 0; i < r->count; i++)
		if (strcmp(r->artifacts[i].kind, kind) == 0 &&
		    strcmp(r->artifacts[i].name, name) == 0)
			return &r->artifacts[i];
	return NULL;
}

static void test_config(void)
{
	struct handler_result r;
	const struct handler_artifact *a;

	CHECK_INT(run("demo.gbot/config.csv", "name,value\nTheme,blue\n", &r),
		  0);
	a = artifact(&r, "config", "config");
	CHECK(a && strstr(a->content, "\"Theme\":\"blue\""));
	handler_result_clear(&r);

	CHECK_INT(run("demo.gbot/config.csv", "a,b,c\n", &r), -EINVAL);
	CHECK_INT(r.count, 0);
	CHECK(r.diagnostics && strstr(r.diagnostics, "1: "));
	handler_result_clear(&r);
}

static void test_dialog(void)
{
	struct handler_result r;
	const struct handler_artifact *a;

	CHECK_INT(run("demo.gbdialog/sales/quote.bas",
		      "PARAM id AS STRING\nDESCRIPTION \"Quote\"\nTALK id\n",
		      &r),
		  0);
	CHECK_INT(r.count, 3);
	a = artifact(&r, "dialog", "sales/quote.bas");
	CHECK(a && strstr(a->content, "\"kind\": \"program\""));
	CHECK(a && a->content[a->content_len - 1] == '\n');
	a = artifact(&r, "tool_mcp", "quote");
	CHECK(a && strstr(a->content, "\"name\": \"quote\""));
	CHECK(artifact(&r, "tool_openai", "quote") != NULL);
	CHECK(r.summary && strstr(r.summary, "tool 'quote'"));
	handler_result_clear(&r);

	CHECK_INT(run("demo.gbdialog/start.bas", "TALK \"hi\"\n", &r), 0);
	CHECK_INT(r.count, 1);
	CHECK(artifact(&r, "dialog", "start.bas") != NULL);
	handler_result_clear(&r);

	CHECK_INT(run("demo.gbdialog/start.bas", "TALK \"hi\"\nTALKK 1\n", &r),
		  -EINVAL);
	CHECK_INT(r.count, 0);
	CHECK(r.diagnostics &&
	      strstr(r.diagnostics, "demo.gbdialog/start.bas:2:1: error: "
				    "unknown statement 'TALKK'"));
	handler_result_clear(&r);
}

int main(void)
{
	test_table();
	test_config();
	test_dialog();
	return check_summary();
}
