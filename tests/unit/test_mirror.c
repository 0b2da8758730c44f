/*
 * test_mirror.c - the merge of listings with the store, driven by an
 * in-memory drive whose pages, failures and answers the test controls.
 *
 * What it pins down: new, modified, deleted and unchanged keys across page
 * boundaries; a listing that fails part-way deletes nothing; a GET that
 * answers another ETag than the listing is recorded with the GET's; a
 * failing object counts its failures and a new ETag resets the count.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "config.h"
#include "digest.h"
#include "drive.h"
#include "mirror.h"
#include "store.h"

#define MAX_OBJECTS 5000

struct fake_object {
	char key[64];
	char content[64];
	char etag[DM_ETAG_MAX];
	bool present;
};

struct fake_drive {
	struct drive base;
	struct fake_object objects[MAX_OBJECTS]; /* kept sorted by key */
	size_t count;
	size_t page_size;
	int fail_after_pages;	     /* <0: never */
	const char *get_fails_key;   /* GET of this key answers 503 */
	const char *get_changes_key; /* GET answers this new content */
	const char *new_content;
	unsigned gets;
};

static char root[] = "/tmp/test_mirror.XXXXXX";

static void md5_hex(const char *text, char *out)
{
	unsigned char md5[16];

	EVP_Digest(text, strlen(text), md5, NULL, EVP_md5(), NULL);
	digest_hex(md5, sizeof(md5), out);
}

static struct fake_drive *fake_of(struct drive *d)
{
	return (struct fake_drive *)d;
}

static int compare_objects(const void *a, const void *b)
{
	return strcmp(((const struct fake_object *)a)->key,
		      ((const struct fake_object *)b)->key);
}

static void fake_put(struct fake_drive *f, const char *key, const char *text)
{
	struct fake_object *o = NULL;

	for (size_t i = 0; i < f->count; i++) {
		if (strcmp(f->objects[i].key, key) == 0)
			o = &f->objects[i];
	}
	if (!o) {
		o = &f->objects[f->count++];
		snprintf(o->key, sizeof(o->key), "%s", key);
	}
	o->present = true;
	snprintf(o->content, sizeof(o->content), "%s", text);
	md5_hex(text, o->etag);
	qsort(f->objects, f->count, sizeof(f->objects[0]), compare_objects);
}

static void fake_rm(struct fake_drive *f, const char *key)
{
	for (size_t i = 0; i < f->count; i++) {
		if (strcmp(f->objects[i].key, key) == 0)
			f->objects[i].present = false;
	}
}

static int fake_list(struct drive *d, const char *bucket, drive_page_fn fn,
		     void *ctx, struct dm_error *err)
{
	struct fake_drive *f = fake_of(d);
	struct drive_object *page = calloc(f->page_size, sizeof(*page));
	size_t n = 0;
	int pages = 0, rc = 0;

	(void)bucket;
	for (size_t i = 0; i <= f->count && rc == 0; i++) {
		if (i < f->count && f->objects[i].present) {
			struct drive_object *o = &page[n++];

			o->key = f->objects[i].key;
			o->key_len = strlen(o->key);
			snprintf(o->etag, sizeof(o->etag), "%s",
				 f->objects[i].etag);
			o->size = strlen(f->objects[i].content);
		}
		if (n == f->page_size || (i == f->count && n)) {
			if (pages++ == f->fail_after_pages) {
				rc = dm_error_set(err, -ECONNRESET,
						  "connection reset");
				break;
			}
			rc = fn(ctx, page, n);
			n = 0;
		}
	}
	free(page);
	return rc;
}

static int fake_list_buckets(struct drive *d, drive_bucket_fn fn, void *ctx,
			     struct dm_error *err)
{
	(void)d;
	(void)err;
	return fn(ctx, "fake.gbai");
}

static void fake_get_batch(struct drive *d, struct drive_get *gets,
			   size_t count, drive_interrupted_fn interrupted,
			   void *ctx)
{
	struct fake_drive *f = fake_of(d);

	(void)interrupted;
	(void)ctx;
	for (size_t i = 0; i < count; i++) {
		struct drive_get *g = &gets[i];
		const char *text = NULL;

		f->gets++;
		for (size_t j = 0; j < f->count; j++) {
			if (strcmp(f->objects[j].key, g->key) == 0)
				text = f->objects[j].content;
		}
		if (f->get_fails_key && strcmp(g->key, f->get_fails_key) == 0) {
			g->result = dm_error_set(&g->error, -EAGAIN,
						 "cannot get '%s'", g->key);
			g->error.http_status = 503;
			continue;
		}
		if (f->get_changes_key &&
		    strcmp(g->key, f->get_changes_key) == 0)
			text = f->new_content;
		g->size = strlen(text);
		CHECK_INT(write(g->fd, text, g->size), (long long)g->size);
		EVP_Digest(text, g->size, g->md5, NULL, EVP_md5(), NULL);
		md5_hex(text, g->etag);
		g->result = 0;
	}
}

static void fake_free(struct drive *d)
{
	(void)d;
}

static const struct drive_ops fake_ops = {
	.scheme = "fake",
	.list_buckets = fake_list_buckets,
	.list = fake_list,
	.get_batch = fake_get_batch,
	.free = fake_free,
};

struct world {
	struct fake_drive drive;
	struct dm_config cfg;
	struct store *store;
	struct mirror *mirror;
	struct mirror_stats stats;
	char work[256], state[256];
};

static void world_open(struct world *w)
{
	struct dm_error err;

	memset(w, 0, sizeof(*w));
	w->drive.base.ops = &fake_ops;
	w->drive.base.max_object_size = 1 << 20;
	w->drive.page_size = 1000;
	w->drive.fail_after_pages = -1;
	snprintf(w->work, sizeof(w->work), "%s/work", root);
	snprintf(w->state, sizeof(w->state), "%s/state", root);
	w->cfg.work_root = w->work;
	w->cfg.state_dir = w->state;
	w->cfg.buckets = "*.gbai";
	w->cfg.retry_base_ms = 1;
	w->cfg.retry_max_ms = 1;
	CHECK_INT(store_open(w->state, STORE_READ_WRITE, &w->store, &err), 0);
	CHECK_INT(mirror_open(&w->cfg, w->store, &w->drive.base, &w->mirror,
			      &err),
		  0);
}

static void world_close(struct world *w)
{
	mirror_free(w->mirror);
	store_close(w->store);
}

static int cycle(struct world *w)
{
	struct dm_error err;

	usleep(2000); /* past any retry time, which is 1 ms here */
	return mirror_cycle(w->mirror, NULL, NULL, &w->stats, &err);
}

static bool local_is(struct world *w, const char *key, const char *text)
{
	char path[512], buf[128] = "";
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/fake.gbai/%s", w->work, key);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return text == NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return text && n >= 0 && strcmp(buf, text) == 0;
}

static void stored(struct world *w, const char *key, struct store_object *o)
{
	struct store_bucket b;
	struct store_txn *txn;

	memset(o, 0, sizeof(*o));
	CHECK_INT(store_txn_begin(w->store, false, &txn), 0);
	CHECK_INT(store_bucket_get(txn, "fake.gbai", &b), 0);
	store_object_get(txn, b.id, key, strlen(key), o);
	store_txn_abort(txn);
}

static void test_pages_merge(struct world *w)
{
	char key[32], text[32];

	for (int i = 0; i < 2500; i++) {
		snprintf(key, sizeof(key), "kb/doc-%05d", i * 2);
		snprintf(text, sizeof(text), "v1 %d", i);
		fake_put(&w->drive, key, text);
	}
	CHECK_INT(cycle(w), 0);
	CHECK_INT(w->stats.listed, 2500);
	CHECK_INT(w->stats.downloaded, 2500);

	/* Deletions, additions between stored keys, and modifications, on
	 * both sides of each page boundary. */
	for (int i = 0; i < 2500; i += 7) {
		snprintf(key, sizeof(key), "kb/doc-%05d", i * 2);
		fake_rm(&w->drive, key);
	}
	for (int i = 0; i < 2500; i += 11) {
		snprintf(key, sizeof(key), "kb/doc-%05d", i * 2 + 1);
		fake_put(&w->drive, key, "added");
	}
	fake_put(&w->drive, "kb/doc-01998", "modified at a page end");
	fake_put(&w->drive, "kb/doc-02000", "modified at a page start");
	fake_put(&w->drive, "a-first", "before every stored key");
	fake_put(&w->drive, "zz-last", "after every stored key");

	w->drive.gets = 0;
	CHECK_INT(cycle(w), 0);
	CHECK_INT(w->stats.deleted, 358);
	CHECK_INT(w->stats.downloaded, 228 + 2 + 2);
	CHECK_INT(w->drive.gets, 232);
	CHECK(local_is(w, "kb/doc-00000", NULL));
	CHECK(local_is(w, "kb/doc-00001", "added"));
	CHECK(local_is(w, "kb/doc-02000", "modified at a page start"));
	CHECK(local_is(w, "zz-last", "after every stored key"));
	CHECK(local_is(w, "kb/doc-00002", "v1 1"));

	w->drive.gets = 0;
	CHECK_INT(cycle(w), 0);
	CHECK_INT(w->drive.gets, 0);
	CHECK_INT(w->stats.deleted, 0);
}

static void test_cut_listing_deletes_nothing(struct world *w)
{
	fake_rm(&w->drive, "kb/doc-00002");
	fake_rm(&w->drive, "zz-last");
	w->drive.fail_after_pages = 1;
	CHECK_INT(cycle(w), -ECONNRESET);
	CHECK_INT(w->stats.deleted, 0);
	CHECK_INT(w->stats.buckets_failed, 1);
	CHECK(local_is(w, "zz-last", "after every stored key"));
	CHECK(local_is(w, "kb/doc-00002", "v1 1"));

	w->drive.fail_after_pages = -1;
	CHECK_INT(cycle(w), 0);
	CHECK_INT(w->stats.deleted, 2);
	CHECK(local_is(w, "zz-last", NULL));
}

static void test_get_answers_another_etag(struct world *w)
{
	struct store_object o;
	char listed[DM_ETAG_MAX], fetched[DM_ETAG_MAX];

	fake_put(&w->drive, "race.bas", "as listed");
	md5_hex("as listed", listed);
	md5_hex("as fetched", fetched);
	w->drive.get_changes_key = "race.bas";
	w->drive.new_content = "as fetched";
	CHECK_INT(cycle(w), 0);
	stored(w, "race.bas", &o);
	CHECK(local_is(w, "race.bas", "as fetched"));
	CHECK_STR(o.etag, fetched);
	CHECK(strcmp(o.etag, listed) != 0);
	w->drive.get_changes_key = NULL;
}

static void test_failures_count_and_reset(struct world *w)
{
	struct store_object o;

	fake_put(&w->drive, "flaky.bas", "one");
	w->drive.get_fails_key = "flaky.bas";
	CHECK_INT(cycle(w), 0);
	CHECK_INT(w->stats.failed, 1);
	stored(w, "flaky.bas", &o);
	CHECK_INT(o.state, STORE_OBJECT_FAILED);
	CHECK_INT(o.fail_count, 1);
	CHECK(strstr(o.last_error, "HTTP 503") != NULL);
	CHECK(local_is(w, "flaky.bas", NULL));

	CHECK_INT(cycle(w), 0);
	stored(w, "flaky.bas", &o);
	CHECK_INT(o.fail_count, 2);

	fake_put(&w->drive, "flaky.bas", "two");
	CHECK_INT(cycle(w), 0);
	stored(w, "flaky.bas", &o);
	CHECK_INT(o.fail_count, 1);

	w->drive.get_fails_key = NULL;
	CHECK_INT(cycle(w), 0);
	stored(w, "flaky.bas", &o);
	CHECK_INT(o.state, STORE_OBJECT_MIRRORED);
	CHECK(local_is(w, "flaky.bas", "two"));
	CHECK_INT(w->stats.failed, 0);
}

static int remove_entry(const char *path, const struct stat *st, int type,
			struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

int main(void)
{
	struct world *w = calloc(1, sizeof(*w));

	if (!w || !mkdtemp(root))
		return 1;
	world_open(w);
	test_pages_merge(w);
	test_cut_listing_deletes_nothing(w);
	test_get_answers_another_etag(w);
	test_failures_count_and_reset(w);
	world_close(w);
	free(w);

	if (check_failed == 0)
		nftw(root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	return check_summary();
}
