/*
 * test_fsview.c - the FUSE view's tree, built from a real store: where
 * each artifact appears, what its file holds, which inode numbers stay
 * and which change, and what a diff between two views names.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fsview.h"
#include "store.h"

static struct store *store;
static uint32_t bucket_id;

static void put_artifact(const char *kind, const char *name, const char *text)
{
	struct store_artifact a = {.source_key = "demo.gbdialog/x.bas",
				   .source_key_len = 19,
				   .produced_at = 1700000000000,
				   .content = text,
				   .content_len = strlen(text)};
	struct store_txn *txn;

	snprintf(a.source_etag, sizeof(a.source_etag), "etag");
	memcpy(a.content_md5, text, strlen(text) < 16 ? strlen(text) : 16);
	CHECK_INT(store_txn_begin(store, true, &txn), 0);
	CHECK_INT(store_artifact_put(txn, bucket_id, kind, name, strlen(name),
				     &a),
		  0);
	CHECK_INT(store_txn_commit(txn), 0);
}

static void put_failing_source(const char *key, const char *why)
{
	struct store_source s = {.status = -EINVAL,
				 .handled_at = 1700000000000,
				 .diagnostics = (char *)why};
	struct store_txn *txn;

	snprintf(s.etag, sizeof(s.etag), "e");
	snprintf(s.kind, sizeof(s.kind), "dialog");
	CHECK_INT(store_txn_begin(store, true, &txn), 0);
	CHECK_INT(store_source_put(txn, bucket_id, key, strlen(key), &s), 0);
	CHECK_INT(store_txn_commit(txn), 0);
}

/* The node at path ("demo/tools/x.mcp.json"), walking from the root. */
static const struct fsview_node *at(const struct fsview *v, const char *path)
{
	const struct fsview_node *n = fsview_node(v, FSVIEW_ROOT_INO);
	char copy[512], *part, *rest = copy;

	snprintf(copy, sizeof(copy), "%s", path);
	while (n && (part = strsep(&rest, "/")))
		n = fsview_lookup(v, n, part);
	return n;
}

static bool holds(const struct fsview *v, const char *path, const char *text)
{
	const struct fsview_node *n = at(v, path);

	return n && !n->dir && n->size == strlen(text) &&
	       memcmp(n->content, text, n->size) == 0;
}

struct changes {
	char entries[2048];
	unsigned inodes;
};

static void on_inode(void *ctx, uint64_t ino)
{
	(void)ino;
	((struct changes *)ctx)->inodes++;
}

static void on_entry(void *ctx, uint64_t parent, const char *name)
{
	struct changes *c = ctx;
	size_t len = strlen(c->entries);

	(void)parent;
	snprintf(c->entries + len, sizeof(c->entries) - len, "%s ", name);
}

static void setup(void)
{
	char dir[] = "/tmp/test_fsview.XXXXXX";
	struct store_bucket b = {0};
	struct store_txn *txn;
	struct dm_error err;

	CHECK(mkdtemp(dir) != NULL);
	CHECK_INT(store_open(dir, STORE_READ_WRITE, &store, &err), 0);
	CHECK_INT(store_txn_begin(store, true, &txn), 0);
	CHECK_INT(store_bucket_put(txn, "demo.gbai", &b), 0);
	CHECK_INT(store_txn_commit(txn), 0);
	bucket_id = b.id;
}

int main(void)
{
	struct fsview *v1, *v2, *empty;
	struct changes c = {{0}, 0};
	const struct fsview_node *n;

	setup();
	put_artifact("config", "config", "{\"Theme\":\"blue\",\"a/b\":\"c\"}");
	put_artifact("dialog", "sales/quote.bas", "{\"kind\":\"program\"}\n");
	put_artifact("tool_mcp", "quote", "{\"name\":\"quote\"}\n");
	put_artifact("tool_openai", "quote", "{\"type\":\"function\"}\n");
	put_failing_source("demo.gbdialog/bad.bas", "bad.bas:1:1: error: x\n");
	CHECK_INT(fsview_build(store, &v1), 0);

	CHECK(holds(v1, "demo/config.json",
		    "{\"Theme\":\"blue\",\"a/b\":\"c\"}"));
	CHECK(holds(v1, "demo/config/Theme", "blue"));
	CHECK(holds(v1, "demo/config/a%2Fb", "c"));
	CHECK(holds(v1, "demo/dialogs/sales/quote.ast.json",
		    "{\"kind\":\"program\"}\n"));
	CHECK(holds(v1, "demo/tools/quote.mcp.json", "{\"name\":\"quote\"}\n"));
	CHECK(holds(v1, "demo/tools/quote.openai.json",
		    "{\"type\":\"function\"}\n"));
	CHECK(holds(v1, "demo/errors/demo.gbdialog/bad.bas.txt",
		    "bad.bas:1:1: error: x\n"));
	CHECK((n = at(v1, "demo/status.json")) && n->size > 0 &&
	      strstr(n->content, "\"tool_mcp\": 1"));
	CHECK((n = at(v1, "status.json")) && strstr(n->content, "\"bots\": 1"));
	CHECK((n = at(v1, "demo/dialogs")) && n->dir && n->child_count == 1);
	CHECK(at(v1, "demo/tools/nothing.json") == NULL);
	CHECK((n = at(v1, "demo/tools/quote.mcp.json")) &&
	      n->mtime_ms == 1700000000000);

	/* Same store: same inodes.  New content: that file's inode moves. */
	CHECK_INT(fsview_build(store, &v2), 0);
	CHECK_INT(at(v1, "demo/tools/quote.mcp.json")->ino,
		  at(v2, "demo/tools/quote.mcp.json")->ino);
	fsview_diff(v1, v2, on_inode, on_entry, &c);
	CHECK_STR(c.entries, "");
	fsview_unref(v2);

	put_artifact("tool_mcp", "quote", "{\"name\":\"quote\",\"v\":2}\n");
	CHECK_INT(fsview_build(store, &v2), 0);
	CHECK(at(v1, "demo/tools/quote.mcp.json")->ino !=
	      at(v2, "demo/tools/quote.mcp.json")->ino);
	CHECK_INT(at(v1, "demo/tools")->ino, at(v2, "demo/tools")->ino);
	memset(&c, 0, sizeof(c));
	fsview_diff(v1, v2, on_inode, on_entry, &c);
	/* The old and the new inode both name the entry; the folder too. */
	CHECK_STR(c.entries, "quote.mcp.json quote.mcp.json ");
	CHECK(c.inodes >= 1);
	CHECK(holds(v1, "demo/tools/quote.mcp.json", "{\"name\":\"quote\"}\n"));

	/* A view without a store: an empty root that says why. */
	CHECK_INT(fsview_build(NULL, &empty), 0);
	CHECK((n = at(empty, "status.json")) &&
	      strstr(n->content, "has not created its store yet"));
	CHECK_INT(fsview_count(empty), 2);

	fsview_unref(empty);
	fsview_unref(v2);
	fsview_unref(v1);
	store_close(store);
	return check_summary();
}
