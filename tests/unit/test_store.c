/*
 * test_store.c - the store on a real LMDB environment in a fresh folder
 * under /tmp, removed at the end.
 *
 * Besides the calls of store.h it checks what a user of the store relies
 * on without seeing: records survive a restart, a cursor never crosses
 * into the next bucket even when bucket ids are adjacent, a second
 * process reading the store sees the agent's commits while the agent runs
 * (the reader is this program run again, because LMDB forbids opening one
 * environment twice in a process), damaged records are reported as -EIO
 * rather than read past their end, store_trim() gives back the memory a
 * long walk maps in, and a store of the previous schema is upgraded by
 * the agent and refused by a reader until then.  Damaged records and the
 * old schema are written with LMDB directly, with the store closed; that
 * needs only the on-disk layout, not any internal of store.c.
 */
#include "check.h"

#include "store.h"

#include <errno.h>
#include <ftw.h>
#include <lmdb.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char root[] = "/tmp/test_store.XXXXXX";

static void path_in_root(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", root, name);
}

static struct store *open_store(const char *dir, enum store_mode mode)
{
	struct store *store = NULL;
	struct dm_error err;
	int rc;

	rc = store_open(dir, mode, &store, &err);
	if (rc)
		fprintf(stderr, "store_open: %s\n", err.message);
	CHECK_INT(rc, 0);
	return store;
}

static struct store_txn *begin(struct store *store, bool write)
{
	struct store_txn *txn = NULL;

	CHECK_INT(store_txn_begin(store, write, &txn), 0);
	return txn;
}

static void commit(struct store_txn *txn)
{
	CHECK_INT(store_txn_commit(txn), 0);
}

/* An object whose every field depends on seed. */
static void fill_object(struct store_object *o, unsigned seed)
{
	memset(o, 0, sizeof(*o));
	o->state = STORE_OBJECT_MIRRORED;
	snprintf(o->etag, sizeof(o->etag), "%08x%024x", seed, seed * 7u);
	o->size = (uint64_t)seed * 1000003u;
	o->last_modified = 1700000000 + (int64_t)seed;
	for (size_t i = 0; i < sizeof(o->local_md5); i++)
		o->local_md5[i] = (unsigned char)(seed + i * 17);
	o->local.size = o->size;
	o->local.mtime_ns = -(int64_t)seed * 1000000007;
	o->local.ino = 0xfedcba9876543210u ^ seed;
	o->fail_count = seed % 5;
	o->next_retry = seed % 3 ? 0 : INT64_MAX - seed;
}

static bool object_equal(const struct store_object *a,
			 const struct store_object *b)
{
	return a->state == b->state && strcmp(a->etag, b->etag) == 0 &&
	       a->size == b->size && a->last_modified == b->last_modified &&
	       memcmp(a->local_md5, b->local_md5, sizeof(a->local_md5)) == 0 &&
	       a->local.size == b->local.size &&
	       a->local.mtime_ns == b->local.mtime_ns &&
	       a->local.ino == b->local.ino && a->fail_count == b->fail_count &&
	       a->next_retry == b->next_retry &&
	       strcmp(a->last_error, b->last_error) == 0;
}

static bool bucket_equal(const struct store_bucket *a,
			 const struct store_bucket *b)
{
	return a->id == b->id &&
	       a->last_complete_listing == b->last_complete_listing &&
	       a->last_cycle_start == b->last_cycle_start &&
	       a->last_cycle_end == b->last_cycle_end &&
	       a->cycles == b->cycles &&
	       a->complete_cycles == b->complete_cycles &&
	       a->objects_mirrored == b->objects_mirrored &&
	       a->objects_failed == b->objects_failed &&
	       a->objects_pending == b->objects_pending &&
	       a->bytes_mirrored == b->bytes_mirrored &&
	       a->last_downloaded == b->last_downloaded &&
	       a->last_deleted == b->last_deleted &&
	       a->last_restored == b->last_restored &&
	       strcmp(a->last_error, b->last_error) == 0;
}

/* Byte order, a prefix first: S3's listing order. */
static int key_cmp(const void *a, size_t a_len, const void *b, size_t b_len)
{
	int c = memcmp(a, b, a_len < b_len ? a_len : b_len);

	if (c)
		return c;
	return (a_len > b_len) - (a_len < b_len);
}

static uint32_t rnd_state = 2463534242u;

static uint32_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

/* ---- buckets ---- */

struct name_list {
	char names[8][DM_NAME_MAX + 1];
	int count;
	int stop_after; /* 0: never stop */
};

static int collect_bucket(void *ctx, const char *name,
			  const struct store_bucket *bucket)
{
	struct name_list *list = ctx;

	(void)bucket;
	if (list->count < 8)
		snprintf(list->names[list->count], sizeof(list->names[0]), "%s",
			 name);
	list->count++;
	return list->count == list->stop_after ? -EINTR : 0;
}

static void test_buckets(const char *dir)
{
	char long_name[DM_NAME_MAX + 2];
	struct store_bucket demo, other, got, named;
	struct name_list list = {.count = 0};
	struct store *store = open_store(dir, STORE_READ_WRITE);
	struct store_txn *txn = begin(store, true);

	memset(&demo, 0, sizeof(demo));
	demo.last_complete_listing = 1700000100;
	demo.last_cycle_start = 1700000000;
	demo.last_cycle_end = -1;
	demo.cycles = 12;
	demo.complete_cycles = 11;
	demo.objects_mirrored = 1u << 20;
	demo.objects_failed = 3;
	demo.objects_pending = 4;
	demo.bytes_mirrored = UINT64_MAX;
	demo.last_downloaded = 5;
	demo.last_deleted = 6;
	demo.last_restored = 7;
	memset(demo.last_error, 'x', sizeof(demo.last_error) - 1);
	demo.last_error[sizeof(demo.last_error) - 1] = '\0';

	CHECK_INT(store_bucket_get(txn, "demo.gbai", &got), -ENOENT);
	CHECK_INT(store_bucket_put(txn, "demo.gbai", &demo), 0);
	CHECK_INT(demo.id, 1);
	memset(&other, 0, sizeof(other));
	CHECK_INT(store_bucket_put(txn, "other.gbai", &other), 0);
	CHECK_INT(other.id, 2);

	/* id 0 for a known bucket keeps its id */
	other.id = 0;
	other.cycles = 1;
	CHECK_INT(store_bucket_put(txn, "other.gbai", &other), 0);
	CHECK_INT(other.id, 2);

	memset(long_name, 'n', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	memset(&named, 0, sizeof(named));
	CHECK_INT(store_bucket_put(txn, long_name, &named), -EINVAL);
	CHECK_INT(store_bucket_get(txn, long_name, &got), -EINVAL);
	CHECK_INT(store_bucket_put(txn, "", &named), -EINVAL);
	long_name[DM_NAME_MAX] = '\0';
	CHECK_INT(store_bucket_put(txn, long_name, &named), 0);
	CHECK_INT(named.id, 3);
	commit(txn);
	store_close(store);

	store = open_store(dir, STORE_READ_WRITE);
	txn = begin(store, true);
	CHECK_INT(store_bucket_get(txn, "demo.gbai", &got), 0);
	CHECK(bucket_equal(&got, &demo));
	CHECK_INT(store_bucket_get(txn, long_name, &got), 0);
	CHECK_INT(got.id, 3);

	CHECK_INT(store_bucket_foreach(txn, collect_bucket, &list), 0);
	CHECK_INT(list.count, 3);
	CHECK_STR(list.names[0], "demo.gbai");
	CHECK_STR(list.names[1], long_name);
	CHECK_STR(list.names[2], "other.gbai");

	list.count = 0;
	list.stop_after = 2;
	CHECK_INT(store_bucket_foreach(txn, collect_bucket, &list), -EINTR);
	CHECK_INT(list.count, 2);

	/* the next id survived the restart */
	memset(&got, 0, sizeof(got));
	CHECK_INT(store_bucket_put(txn, "new.gbai", &got), 0);
	CHECK_INT(got.id, 4);
	commit(txn);

	txn = begin(store, false);
	CHECK_INT(store_bucket_put(txn, "ro.gbai", &got), -EROFS);
	store_txn_abort(txn);
	store_close(store);
}

/* ---- objects ---- */

static void test_objects(struct store *store)
{
	char max_key[DM_KEY_MAX + 1];
	struct store_object o, got;
	struct store_txn *txn = begin(store, true);

	for (size_t i = 0; i < sizeof(max_key); i++)
		max_key[i] = (char)(i * 37);
	CHECK(max_key[0] == 0 && memchr(max_key, 0xff, DM_KEY_MAX));

	fill_object(&o, 11);
	o.state = STORE_OBJECT_FAILED;
	memset(o.etag, 'e', sizeof(o.etag) - 1);
	o.etag[sizeof(o.etag) - 1] = '\0';
	memset(o.last_error, 'r', sizeof(o.last_error) - 1);
	o.last_error[sizeof(o.last_error) - 1] = '\0';
	CHECK_INT(store_object_put(txn, 10, max_key, DM_KEY_MAX, &o), 0);
	CHECK_INT(store_object_get(txn, 10, max_key, DM_KEY_MAX, &got), 0);
	CHECK(object_equal(&got, &o));

	/* a key differing only after a NUL is another key */
	CHECK_INT(store_object_get(txn, 10, max_key, DM_KEY_MAX - 1, &got),
		  -ENOENT);
	CHECK_INT(store_object_get(txn, 11, max_key, DM_KEY_MAX, &got),
		  -ENOENT);

	CHECK_INT(store_object_put(txn, 10, max_key, DM_KEY_MAX + 1, &o),
		  -EINVAL);
	CHECK_INT(store_object_get(txn, 10, max_key, DM_KEY_MAX + 1, &got),
		  -EINVAL);
	CHECK_INT(store_object_del(txn, 10, max_key, DM_KEY_MAX + 1), -EINVAL);
	CHECK_INT(store_object_put(txn, 10, "", 0, &o), -EINVAL);

	fill_object(&o, 12);
	CHECK_INT(store_object_put(txn, 10, "dialogs/start.bas", 17, &o), 0);
	o.state = 0;
	CHECK_INT(store_object_put(txn, 10, "a", 1, &o), -EINVAL);
	o.state = STORE_OBJECT_REFUSED + 1;
	CHECK_INT(store_object_put(txn, 10, "a", 1, &o), -EINVAL);
	o.state = STORE_OBJECT_REFUSED;
	memset(o.last_error, 'u', sizeof(o.last_error));
	CHECK_INT(store_object_put(txn, 10, "a", 1, &o), -EINVAL);
	CHECK_INT(store_object_get(txn, 10, "a", 1, &got), -ENOENT);
	commit(txn);

	txn = begin(store, true);
	fill_object(&o, 12);
	CHECK_INT(store_object_get(txn, 10, "dialogs/start.bas", 17, &got), 0);
	CHECK(object_equal(&got, &o));
	fill_object(&o, 13);
	CHECK_INT(store_object_put(txn, 10, "dialogs/start.bas", 17, &o), 0);
	CHECK_INT(store_object_get(txn, 10, "dialogs/start.bas", 17, &got), 0);
	CHECK(object_equal(&got, &o));

	CHECK_INT(store_object_del(txn, 10, "dialogs/start.bas", 17), 0);
	CHECK_INT(store_object_get(txn, 10, "dialogs/start.bas", 17, &got),
		  -ENOENT);
	CHECK_INT(store_object_del(txn, 10, "dialogs/start.bas", 17), -ENOENT);
	commit(txn);

	txn = begin(store, false);
	CHECK_INT(store_object_get(txn, 10, max_key, DM_KEY_MAX, &got), 0);
	CHECK_INT(store_object_put(txn, 10, "b", 1, &o), -EROFS);
	CHECK_INT(store_object_del(txn, 10, max_key, DM_KEY_MAX), -EROFS);
	store_txn_abort(txn);
}

/* ---- cursors ---- */

struct test_key {
	unsigned char bytes[DM_KEY_MAX + 100];
	size_t len;
	unsigned seed;
};

#define CURSOR_KEYS 400

static struct test_key keys[CURSOR_KEYS];

static int test_key_cmp(const void *a, const void *b)
{
	const struct test_key *x = a, *y = b;

	return key_cmp(x->bytes, x->len, y->bytes, y->len);
}

static void random_key(struct test_key *k, size_t max_len)
{
	k->len = 1 + rnd() % max_len;
	for (size_t i = 0; i < k->len; i++) {
		uint32_t r = rnd() % 4;

		k->bytes[i] = r == 0   ? 0x00
			      : r == 1 ? 0xff
				       : (unsigned char)rnd();
	}
}

/*
 * Random keys of any length and byte, many sharing prefixes, sorted and
 * without duplicates.  Returns how many there are.
 */
static size_t make_keys(void)
{
	size_t n = 0;

	for (size_t i = 0; i < CURSOR_KEYS - 1; i++) {
		struct test_key *k = &keys[i];

		random_key(k, DM_KEY_MAX);
		if (i > 0 && rnd() % 3 == 0) {
			size_t keep = keys[i - 1].len * (rnd() % 4) / 4;

			memcpy(k->bytes, keys[i - 1].bytes, keep);
			if (k->len < keep)
				k->len = keep ? keep : 1;
		}
	}
	memset(keys[CURSOR_KEYS - 1].bytes, 'z', DM_KEY_MAX);
	keys[CURSOR_KEYS - 1].len = DM_KEY_MAX;

	qsort(keys, CURSOR_KEYS, sizeof(keys[0]), test_key_cmp);
	for (size_t i = 0; i < CURSOR_KEYS; i++) {
		if (n > 0 && test_key_cmp(&keys[n - 1], &keys[i]) == 0)
			continue;
		keys[n] = keys[i];
		keys[n].seed = 1000 + (unsigned)n;
		n++;
	}
	return n;
}

/* The index of the first key > after, n if none: what seek_after finds. */
static size_t first_after(size_t n, const void *after, size_t after_len)
{
	size_t i = 0;

	while (i < n &&
	       key_cmp(keys[i].bytes, keys[i].len, after, after_len) <= 0)
		i++;
	return i;
}

/* The cursor is on keys[i] (or past the end when i == n). */
static void check_cursor_at(struct store_cursor *cur, size_t n, size_t i)
{
	struct store_object o, want;
	const char *key = NULL;
	size_t key_len = 0;

	if (i == n) {
		CHECK_INT(store_cursor_get(cur, &key, &key_len, &o), -ENOENT);
		return;
	}
	fill_object(&want, keys[i].seed);
	CHECK_INT(store_cursor_get(cur, &key, &key_len, &o), 0);
	CHECK(key && key_cmp(key, key_len, keys[i].bytes, keys[i].len) == 0);
	CHECK(key && key[key_len] == '\0');
	CHECK(object_equal(&o, &want));
}

static void check_seeks(struct store_cursor *cur, size_t n)
{
	unsigned char after[DM_KEY_MAX + 100];
	size_t after_len, want;

	CHECK_INT(store_cursor_seek_after(cur, NULL, 0), 0);
	check_cursor_at(cur, n, 0);
	CHECK_INT(store_cursor_seek_after(cur, "", 0), 0);
	check_cursor_at(cur, n, 0);

	CHECK_INT(store_cursor_seek_after(cur, (char *)keys[n / 2].bytes,
					  keys[n / 2].len),
		  0);
	check_cursor_at(cur, n, n / 2 + 1);
	CHECK_INT(store_cursor_seek_after(cur, (char *)keys[n - 1].bytes,
					  keys[n - 1].len),
		  -ENOENT);
	check_cursor_at(cur, n, n);
	CHECK_INT(store_cursor_next(cur), -ENOENT);

	/* random points, stored keys and longer-than-stored keys */
	for (int round = 0; round < 3000; round++) {
		const struct test_key *near = &keys[rnd() % n];
		struct test_key probe;

		random_key(&probe, DM_KEY_MAX + 100);
		after_len = probe.len;
		memcpy(after, probe.bytes, after_len);
		if (round % 2) {
			size_t keep = near->len - rnd() % 2;

			memcpy(after, near->bytes, keep);
			if (after_len < keep || round % 4 == 1)
				after_len = keep + (round % 8 == 1 ? 90 : 0);
		}
		want = first_after(n, after, after_len);
		CHECK_INT(
			store_cursor_seek_after(cur, (char *)after, after_len),
			want == n ? -ENOENT : 0);
		check_cursor_at(cur, n, want);
	}
}

static void check_walk(struct store_txn *txn, uint32_t bucket_id, size_t n)
{
	struct store_cursor *cur = NULL;
	size_t i = 0;

	CHECK_INT(store_cursor_open(txn, bucket_id, &cur), 0);
	if (!cur)
		return;
	do {
		check_cursor_at(cur, n, i);
	} while (++i <= n && store_cursor_next(cur) == 0);
	CHECK_INT(i, n);
	check_cursor_at(cur, n, n);
	CHECK_INT(store_cursor_next(cur), -ENOENT);
	CHECK_INT(store_cursor_next(cur), -ENOENT);
	check_seeks(cur, n);
	store_cursor_close(cur);
}

static void put_key(struct store_txn *txn, uint32_t bucket_id, const void *key,
		    size_t len, unsigned seed)
{
	struct store_object o;

	fill_object(&o, seed);
	CHECK_INT(store_object_put(txn, bucket_id, key, len, &o), 0);
}

/* Delete every other object while walking the bucket in one transaction. */
static void test_delete_while_walking(struct store *store)
{
	struct store_txn *txn = begin(store, true);
	struct store_cursor *cur = NULL;
	const char *key;
	size_t len, seen = 0, left = 0;
	char name[32];

	for (unsigned i = 0; i < 3000; i++) {
		snprintf(name, sizeof(name), "walk/%05u", i);
		put_key(txn, 77, name, strlen(name), i);
	}
	commit(txn);

	txn = begin(store, true);
	CHECK_INT(store_cursor_open(txn, 77, &cur), 0);
	while (cur && store_cursor_get(cur, &key, &len, NULL) == 0) {
		snprintf(name, sizeof(name), "walk/%05zu", seen);
		CHECK(len == strlen(name) && memcmp(key, name, len) == 0);
		if (seen % 2 == 0)
			CHECK_INT(store_object_del(txn, 77, name, len), 0);
		seen++;
		if (store_cursor_next(cur))
			break;
	}
	CHECK_INT(seen, 3000);
	store_cursor_close(cur);
	commit(txn);

	txn = begin(store, false);
	CHECK_INT(store_cursor_open(txn, 77, &cur), 0);
	while (cur && store_cursor_get(cur, &key, &len, NULL) == 0) {
		snprintf(name, sizeof(name), "walk/%05zu", 2 * left + 1);
		CHECK(len == strlen(name) && memcmp(key, name, len) == 0);
		left++;
		if (store_cursor_next(cur))
			break;
	}
	CHECK_INT(left, 1500);
	store_cursor_close(cur);
	store_txn_abort(txn);
}

static void test_cursor(struct store *store)
{
	struct store_bucket b[3];
	struct store_cursor *cur = NULL;
	unsigned char edge[DM_KEY_MAX];
	const char *key;
	size_t key_len, n = make_keys();
	const char *names[3] = {"c1.gbai", "c2.gbai", "c3.gbai"};
	struct store_txn *txn = begin(store, true);

	for (int i = 0; i < 3; i++) {
		memset(&b[i], 0, sizeof(b[i]));
		CHECK_INT(store_bucket_put(txn, names[i], &b[i]), 0);
	}
	CHECK(b[1].id == b[0].id + 1 && b[2].id == b[1].id + 1);

	/* the neighbours' keys that sort nearest to the middle bucket */
	memset(edge, 0xff, sizeof(edge));
	put_key(txn, b[0].id, edge, sizeof(edge), 1);
	put_key(txn, b[0].id, "a", 1, 2);
	put_key(txn, b[2].id, "", 1, 3);
	put_key(txn, b[2].id, "b", 1, 4);
	for (size_t i = 0; i < n; i++)
		put_key(txn, b[1].id, keys[i].bytes, keys[i].len, keys[i].seed);
	put_key(txn, UINT32_MAX, "last", 4, 5);
	commit(txn);

	txn = begin(store, false);
	check_walk(txn, b[1].id, n);

	CHECK_INT(store_cursor_open(txn, b[0].id, &cur), 0);
	CHECK_INT(store_cursor_next(cur), 0);
	CHECK_INT(store_cursor_get(cur, &key, &key_len, NULL), 0);
	CHECK_INT(key_len, DM_KEY_MAX);
	CHECK_INT(store_cursor_next(cur), -ENOENT);
	CHECK_INT(store_cursor_get(cur, &key, &key_len, NULL), -ENOENT);
	store_cursor_close(cur);

	CHECK_INT(store_cursor_open(txn, b[2].id, &cur), 0);
	CHECK_INT(store_cursor_get(cur, &key, &key_len, NULL), 0);
	CHECK(key_len == 1 && key[0] == '\0');
	store_cursor_close(cur);

	CHECK_INT(store_cursor_open(txn, b[2].id + 1, &cur), 0);
	CHECK_INT(store_cursor_get(cur, &key, &key_len, NULL), -ENOENT);
	CHECK_INT(store_cursor_next(cur), -ENOENT);
	CHECK_INT(store_cursor_seek_after(cur, NULL, 0), -ENOENT);
	store_cursor_close(cur);

	CHECK_INT(store_cursor_open(txn, UINT32_MAX, &cur), 0);
	CHECK_INT(store_cursor_get(cur, &key, &key_len, NULL), 0);
	CHECK(key_len == 4 && memcmp(key, "last", 4) == 0);
	CHECK_INT(store_cursor_next(cur), -ENOENT);

	/* the transaction's end retires its cursors */
	commit(txn);
	CHECK_INT(store_cursor_get(cur, &key, &key_len, NULL), -EINVAL);
	CHECK_INT(store_cursor_next(cur), -EINVAL);
	store_cursor_close(cur);
	store_cursor_close(NULL);

	test_delete_while_walking(store);
}

/* ---- failures ---- */

struct failure_list {
	char keys[16][16];
	enum store_object_state states[16];
	int count;
	int stop_after;
	struct store_txn *repair_in; /* put each MIRRORED again if set */
	uint32_t bucket_id;
};

static int collect_failure(void *ctx, const char *key, size_t key_len,
			   const struct store_object *object)
{
	struct failure_list *list = ctx;

	if (list->count < 16) {
		snprintf(list->keys[list->count], sizeof(list->keys[0]), "%.*s",
			 (int)key_len, key);
		list->states[list->count] = object->state;
	}
	list->count++;
	if (list->repair_in) {
		struct store_object fixed = *object;

		fixed.state = STORE_OBJECT_MIRRORED;
		CHECK_INT(store_object_put(list->repair_in, list->bucket_id,
					   key, key_len, &fixed),
			  0);
	}
	return list->count == list->stop_after ? -EINTR : 0;
}

static void put_state(struct store_txn *txn, uint32_t bucket_id,
		      const char *key, enum store_object_state state)
{
	struct store_object o;

	fill_object(&o, 20);
	o.state = state;
	snprintf(o.last_error, sizeof(o.last_error), "cannot get '%s'", key);
	CHECK_INT(store_object_put(txn, bucket_id, key, strlen(key), &o), 0);
}

static void test_failures(struct store *store)
{
	struct failure_list list = {.count = 0};
	struct store_txn *txn = begin(store, true);
	char key[16];

	for (int i = 0; i < 10; i++) {
		snprintf(key, sizeof(key), "k%02d", i);
		put_state(txn, 20, key,
			  i == 4		 ? STORE_OBJECT_REFUSED
			  : i == 0 || i % 3 == 0 ? STORE_OBJECT_FAILED
						 : STORE_OBJECT_MIRRORED);
	}
	put_state(txn, 19, "zz", STORE_OBJECT_FAILED);
	put_state(txn, 21, "aa", STORE_OBJECT_FAILED);
	commit(txn);

	txn = begin(store, false);
	CHECK_INT(store_failure_foreach(txn, 20, collect_failure, &list), 0);
	CHECK_INT(list.count, 5);
	CHECK_STR(list.keys[0], "k00");
	CHECK_STR(list.keys[1], "k03");
	CHECK_STR(list.keys[2], "k04");
	CHECK_INT(list.states[2], STORE_OBJECT_REFUSED);
	CHECK_STR(list.keys[3], "k06");
	CHECK_STR(list.keys[4], "k09");
	store_txn_abort(txn);

	txn = begin(store, true);
	put_state(txn, 20, "k03", STORE_OBJECT_MIRRORED);
	CHECK_INT(store_object_del(txn, 20, "k06", 3), 0);
	put_state(txn, 20, "k05", STORE_OBJECT_FAILED);
	list.count = 0;
	CHECK_INT(store_failure_foreach(txn, 20, collect_failure, &list), 0);
	CHECK_INT(list.count, 4);
	CHECK_STR(list.keys[0], "k00");
	CHECK_STR(list.keys[1], "k04");
	CHECK_STR(list.keys[2], "k05");
	CHECK_STR(list.keys[3], "k09");

	list.count = 0;
	list.stop_after = 2;
	CHECK_INT(store_failure_foreach(txn, 20, collect_failure, &list),
		  -EINTR);
	CHECK_INT(list.count, 2);

	/* repairing each failure from the callback visits each once */
	list.count = 0;
	list.stop_after = 0;
	list.repair_in = txn;
	list.bucket_id = 20;
	CHECK_INT(store_failure_foreach(txn, 20, collect_failure, &list), 0);
	CHECK_INT(list.count, 4);
	list.count = 0;
	list.repair_in = NULL;
	CHECK_INT(store_failure_foreach(txn, 20, collect_failure, &list), 0);
	CHECK_INT(list.count, 0);
	CHECK_INT(store_failure_foreach(txn, 21, collect_failure, &list), 0);
	CHECK_INT(list.count, 1);
	commit(txn);
}

/* ---- doomed keys ---- */

struct doomed_list {
	char first[2][32];
	int count;
	bool object_seen;
	struct store_txn *delete_in; /* store_doomed_del() each if set */
};

static int collect_doomed(void *ctx, const char *key, size_t key_len,
			  const struct store_object *object)
{
	struct doomed_list *list = ctx;

	if (list->count < 2)
		snprintf(list->first[list->count], sizeof(list->first[0]),
			 "%.*s", (int)key_len, key);
	list->count++;
	list->object_seen |= object != NULL;
	if (list->delete_in)
		CHECK_INT(store_doomed_del(list->delete_in, 30, key, key_len),
			  0);
	return 0;
}

static int list_doomed(struct store_txn *txn, uint32_t bucket_id, size_t max,
		       struct doomed_list *list)
{
	list->count = 0;
	return store_doomed_list(txn, bucket_id, max, collect_doomed, list);
}

static void test_doomed(struct store *store)
{
	struct doomed_list list = {.count = 0};
	struct store_txn *txn = begin(store, true);
	char key[32];

	for (int i = 0; i < 3000; i++) {
		snprintf(key, sizeof(key), "doomed/%05d", i);
		CHECK_INT(store_doomed_add(txn, 30, key, strlen(key)), 0);
	}
	CHECK_INT(store_doomed_add(txn, 30, "doomed/00000", 12), 0);
	CHECK_INT(store_doomed_add(txn, 29, "y", 1), 0);
	CHECK_INT(store_doomed_add(txn, 31, "x", 1), 0);
	CHECK_INT(store_doomed_add(txn, 30, key, DM_KEY_MAX + 1), -EINVAL);
	commit(txn);

	txn = begin(store, true);
	CHECK_INT(list_doomed(txn, 30, 2, &list), 2);
	CHECK_STR(list.first[0], "doomed/00000");
	CHECK_STR(list.first[1], "doomed/00001");
	CHECK(!list.object_seen);
	CHECK_INT(list_doomed(txn, 30, 100000, &list), 3000);
	CHECK_INT(list_doomed(txn, 30, 0, &list), 0);

	CHECK_INT(store_doomed_del(txn, 30, "doomed/00001", 12), 0);
	CHECK_INT(store_doomed_del(txn, 30, "doomed/00001", 12), -ENOENT);
	CHECK_INT(list_doomed(txn, 30, 2, &list), 2);
	CHECK_STR(list.first[1], "doomed/00002");

	list.delete_in = txn;
	CHECK_INT(list_doomed(txn, 30, 100, &list), 100);
	list.delete_in = NULL;
	CHECK_INT(list_doomed(txn, 30, 100000, &list), 2899);
	CHECK_STR(list.first[0], "doomed/00101");
	commit(txn);

	txn = begin(store, false);
	CHECK_INT(store_doomed_add(txn, 30, "z", 1), -EROFS);
	CHECK_INT(store_doomed_clear(txn, 30), -EROFS);
	store_txn_abort(txn);

	txn = begin(store, true);
	CHECK_INT(store_doomed_clear(txn, 30), 0);
	CHECK_INT(list_doomed(txn, 30, 100000, &list), 0);
	CHECK_INT(list_doomed(txn, 29, 100000, &list), 1);
	CHECK_INT(list_doomed(txn, 31, 100000, &list), 1);
	CHECK_STR(list.first[0], "x");
	commit(txn);
}

/* ---- ETag cache ---- */

static void test_etags(struct store *store)
{
	struct store_file_stamp stamp = {1234, 1700000000123456789, 42};
	struct store_file_stamp other;
	char bucket[DM_NAME_MAX + 2], key[DM_KEY_MAX + 1];
	char etag[DM_ETAG_MAX], long_etag[DM_ETAG_MAX + 1];
	struct store_txn *txn = begin(store, true);

	CHECK_INT(store_etag_get(txn, "demo.gbai", "a/b.bas", 7, &stamp, etag),
		  -ENOENT);
	CHECK_INT(store_etag_put(txn, "demo.gbai", "a/b.bas", 7, &stamp,
				 "9e107d9d372bb6826bd81d3542a419d6"),
		  0);
	memset(etag, 0, sizeof(etag));
	CHECK_INT(store_etag_get(txn, "demo.gbai", "a/b.bas", 7, &stamp, etag),
		  0);
	CHECK_STR(etag, "9e107d9d372bb6826bd81d3542a419d6");

	other = stamp;
	other.size++;
	CHECK_INT(store_etag_get(txn, "demo.gbai", "a/b.bas", 7, &other, etag),
		  -ENOENT);
	other = stamp;
	other.mtime_ns++;
	CHECK_INT(store_etag_get(txn, "demo.gbai", "a/b.bas", 7, &other, etag),
		  -ENOENT);
	other = stamp;
	other.ino++;
	CHECK_INT(store_etag_get(txn, "demo.gbai", "a/b.bas", 7, &other, etag),
		  -ENOENT);
	CHECK_INT(store_etag_get(txn, "demo.gba", "ia/b.bas", 8, &stamp, etag),
		  -ENOENT);
	CHECK_INT(store_etag_get(txn, "demo.gbai", "a/b.ba", 6, &stamp, etag),
		  -ENOENT);

	/* a new stamp replaces the entry */
	other.ino = 43;
	CHECK_INT(store_etag_put(txn, "demo.gbai", "a/b.bas", 7, &other,
				 "0123456789abcdef0123456789abcdef-2"),
		  0);
	CHECK_INT(store_etag_get(txn, "demo.gbai", "a/b.bas", 7, &stamp, etag),
		  -ENOENT);
	CHECK_INT(store_etag_get(txn, "demo.gbai", "a/b.bas", 7, &other, etag),
		  0);
	CHECK_STR(etag, "0123456789abcdef0123456789abcdef-2");

	/* the longest bucket, key and ETag fit */
	memset(bucket, 'b', sizeof(bucket) - 1);
	bucket[DM_NAME_MAX] = '\0';
	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (char)(255 - i);
	memset(long_etag, 'f', sizeof(long_etag) - 1);
	long_etag[DM_ETAG_MAX - 1] = '\0';
	CHECK_INT(
		store_etag_put(txn, bucket, key, DM_KEY_MAX, &stamp, long_etag),
		0);
	CHECK_INT(store_etag_get(txn, bucket, key, DM_KEY_MAX, &stamp, etag),
		  0);
	CHECK_STR(etag, long_etag);

	long_etag[DM_ETAG_MAX - 1] = 'f';
	long_etag[DM_ETAG_MAX] = '\0';
	CHECK_INT(store_etag_put(txn, "demo.gbai", "c", 1, &stamp, long_etag),
		  -EINVAL);
	CHECK_INT(store_etag_put(txn, "", "c", 1, &stamp, "e"), -EINVAL);
	bucket[DM_NAME_MAX] = 'b';
	bucket[DM_NAME_MAX + 1] = '\0';
	CHECK_INT(store_etag_get(txn, bucket, "c", 1, &stamp, etag), -EINVAL);
	CHECK_INT(store_etag_put(txn, "demo.gbai", key, DM_KEY_MAX + 1, &stamp,
				 "e"),
		  -EINVAL);
	commit(txn);

	txn = begin(store, false);
	CHECK_INT(store_etag_put(txn, "demo.gbai", "c", 1, &stamp, "e"),
		  -EROFS);
	store_txn_abort(txn);
}

/* ---- sources ---- */

/* A source whose every field depends on seed. */
static void fill_source(struct store_source *s, unsigned seed,
			char *diagnostics)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->etag, sizeof(s->etag), "%032x", seed * 2654435761u);
	s->local.size = seed * 11u;
	s->local.mtime_ns = -(int64_t)seed * 999999937;
	s->local.ino = 0x0123456789abcdefu ^ seed;
	s->handled_at = 1700000000000 + seed;
	s->status = seed % 2 ? -(int32_t)seed : 0;
	snprintf(s->kind, sizeof(s->kind), "%s",
		 seed % 3 ? "dialog" : "config");
	s->diagnostics = diagnostics;
}

static bool source_equal(const struct store_source *a,
			 const struct store_source *b)
{
	return strcmp(a->etag, b->etag) == 0 &&
	       a->local.size == b->local.size &&
	       a->local.mtime_ns == b->local.mtime_ns &&
	       a->local.ino == b->local.ino && a->handled_at == b->handled_at &&
	       a->status == b->status && strcmp(a->kind, b->kind) == 0 &&
	       (a->diagnostics ? b->diagnostics && strcmp(a->diagnostics,
							  b->diagnostics) == 0
			       : !b->diagnostics);
}

/* Put s under key, read it back and compare; the copy is freed. */
static void check_source_round_trip(struct store_txn *txn, uint32_t bucket_id,
				    const char *key, size_t key_len,
				    const struct store_source *s)
{
	struct store_source got;

	CHECK_INT(store_source_put(txn, bucket_id, key, key_len, s), 0);
	CHECK_INT(store_source_get(txn, bucket_id, key, key_len, &got), 0);
	CHECK(source_equal(&got, s));
	free(got.diagnostics);
}

static void test_source_fields(struct store *store)
{
	char max_key[DM_KEY_MAX + 1], diagnostics[] = "line 3: unknown verb";
	struct store_source s, got;
	struct store_txn *txn = begin(store, true);

	for (size_t i = 0; i < sizeof(max_key); i++)
		max_key[i] = (char)(i * 31);
	fill_source(&s, 1, diagnostics);
	check_source_round_trip(txn, 40, max_key, DM_KEY_MAX, &s);
	fill_source(&s, 2, NULL);
	check_source_round_trip(txn, 40, "config.csv", 10, &s);
	fill_source(&s, 3, "");
	check_source_round_trip(txn, 40, "empty.bas", 9, &s);
	memset(s.etag, 'e', sizeof(s.etag) - 1);
	memset(s.kind, 'k', sizeof(s.kind) - 1);
	s.status = INT32_MIN;
	s.handled_at = INT64_MIN;
	check_source_round_trip(txn, 40, "edges.bas", 9, &s);

	/* what a key, a bucket or a NUL tells apart */
	CHECK_INT(store_source_get(txn, 40, max_key, DM_KEY_MAX - 1, &got),
		  -ENOENT);
	CHECK_INT(store_source_get(txn, 41, "config.csv", 10, &got), -ENOENT);
	CHECK(got.diagnostics == NULL);

	CHECK_INT(store_source_put(txn, 40, max_key, DM_KEY_MAX + 1, &s),
		  -EINVAL);
	CHECK_INT(store_source_get(txn, 40, max_key, DM_KEY_MAX + 1, &got),
		  -EINVAL);
	CHECK_INT(store_source_del(txn, 40, max_key, DM_KEY_MAX + 1), -EINVAL);
	CHECK_INT(store_source_put(txn, 40, "", 0, &s), -EINVAL);
	memset(s.kind, 'k', sizeof(s.kind));
	CHECK_INT(store_source_put(txn, 40, "bad.bas", 7, &s), -EINVAL);
	fill_source(&s, 4, NULL);
	memset(s.etag, 'e', sizeof(s.etag));
	CHECK_INT(store_source_put(txn, 40, "bad.bas", 7, &s), -EINVAL);
	CHECK_INT(store_source_get(txn, 40, "bad.bas", 7, &got), -ENOENT);

	CHECK_INT(store_source_del(txn, 40, "config.csv", 10), 0);
	CHECK_INT(store_source_get(txn, 40, "config.csv", 10, &got), -ENOENT);
	CHECK_INT(store_source_del(txn, 40, "config.csv", 10), -ENOENT);
	commit(txn);

	txn = begin(store, false);
	fill_source(&s, 1, diagnostics);
	CHECK_INT(store_source_get(txn, 40, max_key, DM_KEY_MAX, &got), 0);
	CHECK(source_equal(&got, &s));
	free(got.diagnostics);
	CHECK_INT(store_source_put(txn, 40, "x", 1, &s), -EROFS);
	CHECK_INT(store_source_del(txn, 40, max_key, DM_KEY_MAX), -EROFS);
	store_txn_abort(txn);
}

/* Diagnostics of len bytes: "a" then 2-byte UTF-8 letters, then 'x's. */
static char *long_diagnostics(size_t len, size_t utf8_end)
{
	char *text = malloc(len + 1);

	if (!text)
		return NULL;
	text[0] = 'a';
	for (size_t i = 1; i < len; i++) {
		if (i >= utf8_end)
			text[i] = 'x';
		else
			text[i] = (char)(i % 2 ? 0xc3 : 0xa9); /* é */
	}
	text[len] = '\0';
	return text;
}

static void test_source_diagnostics_bound(struct store *store)
{
	const char mark[] = "\n[truncated]";
	size_t max = STORE_DIAGNOSTICS_MAX, kept;
	char *exact = long_diagnostics(max, 0);
	char *over = long_diagnostics(max + 1, 0);
	char *letters = long_diagnostics(3 * max, 3 * max);
	struct store_source s, got;
	struct store_txn *txn;

	CHECK(exact && over && letters);
	if (!exact || !over || !letters)
		goto out_free;
	txn = begin(store, true);

	/* at the bound nothing is cut */
	fill_source(&s, 5, exact);
	check_source_round_trip(txn, 40, "exact.bas", 9, &s);

	/* one byte more: cut, the mark within the bound */
	fill_source(&s, 5, over);
	CHECK_INT(store_source_put(txn, 40, "over.bas", 8, &s), 0);
	CHECK_INT(store_source_get(txn, 40, "over.bas", 8, &got), 0);
	kept = max - (sizeof(mark) - 1);
	CHECK(got.diagnostics && strlen(got.diagnostics) == max &&
	      memcmp(got.diagnostics, over, kept) == 0 &&
	      strcmp(got.diagnostics + kept, mark) == 0);
	free(got.diagnostics);

	/*
	 * Two-byte letters from offset 1: the plain cut would fall after a
	 * first byte 0xc3 (kept is odd), so one byte less is kept.
	 */
	CHECK(kept % 2 == 0);
	fill_source(&s, 5, letters);
	CHECK_INT(store_source_put(txn, 40, "utf8.bas", 8, &s), 0);
	CHECK_INT(store_source_get(txn, 40, "utf8.bas", 8, &got), 0);
	CHECK(got.diagnostics && strlen(got.diagnostics) == max - 1 &&
	      memcmp(got.diagnostics, letters, kept - 1) == 0 &&
	      (unsigned char)got.diagnostics[kept - 2] == 0xa9 &&
	      strcmp(got.diagnostics + kept - 1, mark) == 0);
	free(got.diagnostics);
	commit(txn);

out_free:
	free(exact);
	free(over);
	free(letters);
}

struct source_list {
	char keys[8][32];
	char diagnostics[8][32];
	int count;
	int stop_after;		     /* 0: never stop */
	struct store_txn *delete_in; /* delete each source seen if set */
};

static int collect_source(void *ctx, const char *key, size_t key_len,
			  const struct store_source *source)
{
	struct source_list *list = ctx;

	CHECK(key[key_len] == '\0');
	if (list->count < 8) {
		snprintf(list->keys[list->count], sizeof(list->keys[0]), "%.*s",
			 (int)key_len, key);
		snprintf(list->diagnostics[list->count],
			 sizeof(list->diagnostics[0]), "%s",
			 source->diagnostics ? source->diagnostics : "(none)");
	}
	list->count++;
	if (list->delete_in)
		CHECK_INT(store_source_del(list->delete_in, 51, key, key_len),
			  0);
	return list->count == list->stop_after ? -EINTR : 0;
}

static void put_source(struct store_txn *txn, uint32_t bucket_id,
		       const char *key, char *diagnostics)
{
	struct store_source s;

	fill_source(&s, 6, diagnostics);
	CHECK_INT(store_source_put(txn, bucket_id, key, strlen(key), &s), 0);
}

static void test_source_foreach(struct store *store)
{
	struct source_list list = {.count = 0};
	struct store_txn *txn = begin(store, true);

	put_source(txn, 50, "zz.bas", NULL);
	put_source(txn, 51, "b.bas", "b failed");
	put_source(txn, 51, "a.bas", NULL);
	put_source(txn, 51, "c.csv", "");
	put_source(txn, 52, "a.bas", "other bucket");
	commit(txn);

	txn = begin(store, false);
	CHECK_INT(store_source_foreach(txn, 51, collect_source, &list), 0);
	CHECK_INT(list.count, 3);
	CHECK_STR(list.keys[0], "a.bas");
	CHECK_STR(list.diagnostics[0], "(none)");
	CHECK_STR(list.keys[1], "b.bas");
	CHECK_STR(list.diagnostics[1], "b failed");
	CHECK_STR(list.keys[2], "c.csv");
	CHECK_STR(list.diagnostics[2], "");
	list.count = 0;
	list.stop_after = 2;
	CHECK_INT(store_source_foreach(txn, 51, collect_source, &list), -EINTR);
	CHECK_INT(list.count, 2);
	list.count = 0;
	CHECK_INT(store_source_foreach(txn, 53, collect_source, &list), 0);
	CHECK_INT(list.count, 0);
	store_txn_abort(txn);

	/* deleting each source as it is seen still visits every one */
	txn = begin(store, true);
	list.count = 0;
	list.stop_after = 0;
	list.delete_in = txn;
	CHECK_INT(store_source_foreach(txn, 51, collect_source, &list), 0);
	CHECK_INT(list.count, 3);
	CHECK_STR(list.keys[2], "c.csv");
	list.count = 0;
	list.delete_in = NULL;
	CHECK_INT(store_source_foreach(txn, 51, collect_source, &list), 0);
	CHECK_INT(list.count, 0);
	CHECK_INT(store_source_foreach(txn, 52, collect_source, &list), 0);
	CHECK_INT(list.count, 1);
	commit(txn);
}

static void test_sources(struct store *store)
{
	test_source_fields(store);
	test_source_diagnostics_bound(store);
	test_source_foreach(store);
}

/* ---- artifacts ---- */

static void fill_artifact(struct store_artifact *a, const char *source_key,
			  const void *content, size_t content_len)
{
	memset(a, 0, sizeof(*a));
	a->source_key = source_key;
	a->source_key_len = strlen(source_key);
	snprintf(a->source_etag, sizeof(a->source_etag), "etag-of-%s",
		 source_key);
	CHECK(EVP_Digest(content, content_len, a->content_md5, NULL, EVP_md5(),
			 NULL) == 1);
	a->produced_at = 1700000000123;
	a->content = content;
	a->content_len = content_len;
}

static bool artifact_equal(const struct store_artifact *a,
			   const struct store_artifact *b)
{
	return a->source_key_len == b->source_key_len &&
	       memcmp(a->source_key, b->source_key, a->source_key_len) == 0 &&
	       strcmp(a->source_etag, b->source_etag) == 0 &&
	       memcmp(a->content_md5, b->content_md5, sizeof(a->content_md5)) ==
		       0 &&
	       a->produced_at == b->produced_at &&
	       a->content_len == b->content_len &&
	       (a->content_len == 0 ||
		memcmp(a->content, b->content, a->content_len) == 0);
}

static void check_artifact(struct store_txn *txn, uint32_t bucket_id,
			   const char *kind, const char *name, size_t name_len,
			   const struct store_artifact *want)
{
	struct store_artifact got;

	CHECK_INT(
		store_artifact_get(txn, bucket_id, kind, name, name_len, &got),
		0);
	CHECK(artifact_equal(&got, want));
}

/* Bytes that differ at every offset, as a compiled AST of megabytes. */
static unsigned char *big_content(size_t len, unsigned seed)
{
	unsigned char *p = malloc(len);

	for (size_t i = 0; p && i < len; i++)
		p[i] = (unsigned char)(i * 131 + seed + (i >> 12));
	return p;
}

#define BIG_CONTENT (3u << 20)

static void test_artifact_fields(struct store *store)
{
	char long_kind[STORE_KIND_MAX + 1], name[DM_KEY_MAX];
	unsigned char *big = big_content(BIG_CONTENT, 1);
	struct store_artifact a, got;
	size_t name_max;
	struct store_txn *txn;

	CHECK(big != NULL);
	if (!big)
		return;
	txn = begin(store, true);
	fill_artifact(&a, "config.csv", "answer=42\n", 10);
	CHECK_INT(store_artifact_put(txn, 60, "config", "config", 6, &a), 0);
	check_artifact(txn, 60, "config", "config", 6, &a);
	fill_artifact(&a, "dialogs/start.bas", big, BIG_CONTENT);
	CHECK_INT(store_artifact_put(txn, 60, "dialog", "start.bas", 9, &a), 0);
	check_artifact(txn, 60, "dialog", "start.bas", 9, &a);
	fill_artifact(&a, "empty.bas", NULL, 0);
	CHECK_INT(store_artifact_put(txn, 60, "dialog", "empty.bas", 9, &a), 0);
	check_artifact(txn, 60, "dialog", "empty.bas", 9, &a);

	/* the longest kind and name, the name holding NULs */
	memset(long_kind, 'k', sizeof(long_kind));
	long_kind[STORE_KIND_MAX - 1] = '\0';
	name_max = DM_KEY_MAX - 1 - (STORE_KIND_MAX - 1);
	for (size_t i = 0; i < sizeof(name); i++)
		name[i] = (char)(i * 7);
	fill_artifact(&a, "k.bas", "k", 1);
	CHECK_INT(store_artifact_put(txn, 60, long_kind, name, name_max, &a),
		  0);
	check_artifact(txn, 60, long_kind, name, name_max, &a);
	CHECK_INT(store_artifact_get(txn, 60, long_kind, name, name_max - 1,
				     &got),
		  -ENOENT);
	CHECK_INT(
		store_artifact_put(txn, 60, long_kind, name, name_max + 1, &a),
		-EINVAL);
	CHECK_INT(store_artifact_get(txn, 60, long_kind, name, name_max + 1,
				     &got),
		  -EINVAL);
	CHECK_INT(store_artifact_put(txn, 60, "k", name, DM_KEY_MAX - 2, &a),
		  0);
	CHECK_INT(store_artifact_put(txn, 60, "k", name, DM_KEY_MAX - 1, &a),
		  -EINVAL);
	long_kind[STORE_KIND_MAX - 1] = 'k';
	long_kind[STORE_KIND_MAX] = '\0';
	CHECK_INT(store_artifact_put(txn, 60, long_kind, "n", 1, &a), -EINVAL);
	CHECK_INT(store_artifact_del(txn, 60, long_kind, "n", 1), -EINVAL);
	CHECK_INT(store_artifact_put(txn, 60, "", "n", 1, &a), -EINVAL);
	CHECK_INT(store_artifact_put(txn, 60, NULL, "n", 1, &a), -EINVAL);
	CHECK_INT(store_artifact_put(txn, 60, "dialog", "", 0, &a), -EINVAL);

	/* what the record must hold */
	a.source_key_len = 0;
	CHECK_INT(store_artifact_put(txn, 60, "dialog", "n", 1, &a), -EINVAL);
	a.source_key = name;
	a.source_key_len = DM_KEY_MAX + 1;
	CHECK_INT(store_artifact_put(txn, 60, "dialog", "n", 1, &a), -EINVAL);
	a.source_key_len = DM_KEY_MAX;
	CHECK_INT(store_artifact_put(txn, 60, "dialog", "n", 1, &a), 0);
	check_artifact(txn, 60, "dialog", "n", 1, &a);
	memset(a.source_etag, 'e', sizeof(a.source_etag));
	CHECK_INT(store_artifact_put(txn, 60, "dialog", "m", 1, &a), -EINVAL);
	fill_artifact(&a, "m.bas", NULL, 0);
	a.content_len = 1;
	CHECK_INT(store_artifact_put(txn, 60, "dialog", "m", 1, &a), -EINVAL);
	CHECK_INT(store_artifact_get(txn, 60, "dialog", "m", 1, &got), -ENOENT);

	CHECK_INT(store_artifact_del(txn, 60, "dialog", "n", 1), 0);
	CHECK_INT(store_artifact_get(txn, 60, "dialog", "n", 1, &got), -ENOENT);
	CHECK_INT(store_artifact_del(txn, 60, "dialog", "n", 1), -ENOENT);
	CHECK_INT(store_artifact_get(txn, 61, "dialog", "start.bas", 9, &got),
		  -ENOENT);
	commit(txn);

	txn = begin(store, false);
	fill_artifact(&a, "dialogs/start.bas", big, BIG_CONTENT);
	check_artifact(txn, 60, "dialog", "start.bas", 9, &a);
	CHECK_INT(store_artifact_put(txn, 60, "dialog", "x", 1, &a), -EROFS);
	CHECK_INT(store_artifact_del(txn, 60, "dialog", "start.bas", 9),
		  -EROFS);
	store_txn_abort(txn);
	free(big);
}

/*
 * Pointers from a read transaction stay good through many more lookups,
 * enough for the store to trim its map in between, until it ends.
 */
static void test_artifact_borrowed(struct store *store)
{
	unsigned char *big = big_content(BIG_CONTENT, 1);
	struct store_artifact start, config, want, scratch;
	char name[32];
	struct store_txn *txn;

	CHECK(big != NULL);
	if (!big)
		return;
	txn = begin(store, true);
	fill_artifact(&want, "x.bas", "x", 1);
	for (int i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "many%03d", i);
		CHECK_INT(store_artifact_put(txn, 62, "dialog", name,
					     strlen(name), &want),
			  0);
	}
	commit(txn);

	txn = begin(store, false);
	CHECK_INT(store_artifact_get(txn, 60, "dialog", "start.bas", 9, &start),
		  0);
	CHECK_INT(store_artifact_get(txn, 60, "config", "config", 6, &config),
		  0);
	for (int i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "many%03d", i);
		CHECK_INT(store_artifact_get(txn, 62, "dialog", name,
					     strlen(name), &scratch),
			  0);
	}
	store_trim(store);
	fill_artifact(&want, "dialogs/start.bas", big, BIG_CONTENT);
	CHECK(artifact_equal(&start, &want));
	fill_artifact(&want, "config.csv", "answer=42\n", 10);
	CHECK(artifact_equal(&config, &want));
	store_txn_abort(txn);

	/*
	 * A put may take its content from the store itself, even from the
	 * record it replaces, in the same write transaction.
	 */
	txn = begin(store, true);
	CHECK_INT(store_artifact_get(txn, 60, "dialog", "start.bas", 9, &start),
		  0);
	start.produced_at++;
	CHECK_INT(store_artifact_put(txn, 60, "dialog", "start.bas", 9, &start),
		  0);
	CHECK_INT(store_artifact_get(txn, 60, "dialog", "start.bas", 9, &start),
		  0);
	start.source_key = "copy.bas";
	start.source_key_len = 8;
	CHECK_INT(store_artifact_put(txn, 60, "dialog", "copy.bas", 8, &start),
		  0);
	fill_artifact(&want, "copy.bas", big, BIG_CONTENT);
	snprintf(want.source_etag, sizeof(want.source_etag),
		 "etag-of-dialogs/start.bas");
	want.produced_at++;
	check_artifact(txn, 60, "dialog", "copy.bas", 8, &want);
	store_txn_abort(txn);
	free(big);
}

struct artifact_list {
	char names[16][40]; /* kind/name */
	int count;
	int stop_after;		     /* 0: never stop */
	struct store_txn *delete_in; /* delete what is seen, and name+ */
	uint32_t bucket_id;
};

static int collect_artifact(void *ctx, const char *kind, const char *name,
			    size_t name_len,
			    const struct store_artifact *artifact)
{
	struct artifact_list *list = ctx;
	char next[40];

	CHECK(name[name_len] == '\0');
	CHECK(artifact->content_len == 1 &&
	      memcmp(artifact->content, name, 1) == 0);
	if (list->count < 16)
		snprintf(list->names[list->count], sizeof(list->names[0]),
			 "%s/%.*s", kind, (int)name_len, name);
	list->count++;
	if (list->delete_in) {
		CHECK_INT(store_artifact_del(list->delete_in, list->bucket_id,
					     kind, name, name_len),
			  0);
		snprintf(next, sizeof(next), "%.*s+", (int)name_len, name);
		store_artifact_del(list->delete_in, list->bucket_id, kind, next,
				   strlen(next));
	}
	return list->count == list->stop_after ? -EINTR : 0;
}

static void put_artifact(struct store_txn *txn, uint32_t bucket_id,
			 const char *kind, const char *name)
{
	struct store_artifact a;

	fill_artifact(&a, "src.bas", name, 1);
	CHECK_INT(store_artifact_put(txn, bucket_id, kind, name, strlen(name),
				     &a),
		  0);
}

static void list_artifacts(struct store_txn *txn, uint32_t bucket_id,
			   const char *kind, struct artifact_list *list,
			   int want_rc)
{
	list->count = 0;
	CHECK_INT(store_artifact_foreach(txn, bucket_id, kind, collect_artifact,
					 list),
		  want_rc);
}

static void test_artifact_foreach(struct store *store)
{
	struct artifact_list list = {.count = 0};
	char name[16];
	struct store_txn *txn = begin(store, true);

	put_artifact(txn, 70, "dialog", "zz");
	put_artifact(txn, 71, "dialog", "b.bas");
	put_artifact(txn, 71, "ab", "a");
	put_artifact(txn, 71, "dialog", "a.bas");
	put_artifact(txn, 71, "a", "z");
	put_artifact(txn, 71, "config", "config");
	put_artifact(txn, 72, "a", "a");
	commit(txn);

	/* kind, then name; a kind that is a prefix of another first */
	txn = begin(store, false);
	list_artifacts(txn, 71, NULL, &list, 0);
	CHECK_INT(list.count, 5);
	CHECK_STR(list.names[0], "a/z");
	CHECK_STR(list.names[1], "ab/a");
	CHECK_STR(list.names[2], "config/config");
	CHECK_STR(list.names[3], "dialog/a.bas");
	CHECK_STR(list.names[4], "dialog/b.bas");
	list_artifacts(txn, 71, "a", &list, 0);
	CHECK_INT(list.count, 1);
	CHECK_STR(list.names[0], "a/z");
	list_artifacts(txn, 71, "dialog", &list, 0);
	CHECK_INT(list.count, 2);
	CHECK_STR(list.names[0], "dialog/a.bas");
	CHECK_STR(list.names[1], "dialog/b.bas");
	list_artifacts(txn, 71, "dial", &list, 0);
	CHECK_INT(list.count, 0);
	list_artifacts(txn, 73, NULL, &list, 0);
	CHECK_INT(list.count, 0);
	list.stop_after = 2;
	list_artifacts(txn, 71, NULL, &list, -EINTR);
	CHECK_INT(list.count, 2);
	list.stop_after = 0;
	CHECK_INT(store_artifact_foreach(txn, 71, "", collect_artifact, &list),
		  -EINVAL);
	store_txn_abort(txn);

	/*
	 * The callback deletes the artifact it is given and the one after
	 * it: the walk goes on with the first one left.
	 */
	txn = begin(store, true);
	put_artifact(txn, 71, "dialog", "a.bas+");
	put_artifact(txn, 71, "dialog", "c.bas");
	list.delete_in = txn;
	list.bucket_id = 71;
	list_artifacts(txn, 71, "dialog", &list, 0);
	CHECK_INT(list.count, 3);
	CHECK_STR(list.names[0], "dialog/a.bas");
	CHECK_STR(list.names[1], "dialog/b.bas");
	CHECK_STR(list.names[2], "dialog/c.bas");
	list.delete_in = NULL;
	list_artifacts(txn, 71, "dialog", &list, 0);
	CHECK_INT(list.count, 0);
	list_artifacts(txn, 71, NULL, &list, 0);
	CHECK_INT(list.count, 3);

	/* every kind at once */
	list.delete_in = txn;
	list_artifacts(txn, 71, NULL, &list, 0);
	CHECK_INT(list.count, 3);
	list.delete_in = NULL;
	list_artifacts(txn, 71, NULL, &list, 0);
	CHECK_INT(list.count, 0);
	list_artifacts(txn, 70, NULL, &list, 0);
	CHECK_INT(list.count, 1);
	list_artifacts(txn, 72, NULL, &list, 0);
	CHECK_INT(list.count, 1);
	commit(txn);

	/* the same over many pages, which the deletes merge */
	txn = begin(store, true);
	for (int i = 0; i < 3000; i++) {
		snprintf(name, sizeof(name), "n%04d%s", i / 2,
			 i % 2 ? "+" : "");
		put_artifact(txn, 74, "dialog", name);
	}
	commit(txn);
	txn = begin(store, true);
	list.delete_in = txn;
	list.bucket_id = 74;
	list_artifacts(txn, 74, "dialog", &list, 0);
	CHECK_INT(list.count, 1500);
	CHECK_STR(list.names[15], "dialog/n0015");
	list.delete_in = NULL;
	list_artifacts(txn, 74, NULL, &list, 0);
	CHECK_INT(list.count, 0);
	commit(txn);
}

static void test_artifacts(struct store *store)
{
	test_artifact_fields(store);
	test_artifact_borrowed(store);
	test_artifact_foreach(store);
}

/* ---- a reader in another process ---- */

static bool read_byte(int fd, char want)
{
	char c = 0;

	return read(fd, &c, 1) == 1 && c == want;
}

/*
 * The reader: told the store folder, it checks what the writer committed
 * before it started, says 'r' on stdout, waits for 'g' on stdin, then
 * checks that its old snapshot does not see the writer's newer commit and
 * a new one does.  Exit status 0 when every check passed.
 */
static int reader_main(const char *dir)
{
	struct store *store = open_store(dir, STORE_READ_ONLY);
	struct store_txn *old = NULL, *txn = NULL;
	struct store_bucket b, nb;
	struct store_object o;
	struct store_source src;
	struct store_artifact a;
	struct artifact_list list = {.count = 0};
	struct store_file_stamp stamp = {1, 2, 3};

	if (!store)
		return 1;
	CHECK_INT(store_txn_begin(store, true, &txn), -EROFS);

	old = begin(store, false);
	CHECK_INT(store_bucket_get(old, "ro.gbai", &b), 0);
	CHECK_INT(store_object_get(old, b.id, "first", 5, &o), 0);
	CHECK_INT(store_object_get(old, b.id, "second", 6, &o), -ENOENT);
	memset(&nb, 0, sizeof(nb));
	CHECK_INT(store_bucket_put(old, "x.gbai", &nb), -EROFS);
	CHECK_INT(store_object_put(old, b.id, "x", 1, &o), -EROFS);
	CHECK_INT(store_object_del(old, b.id, "first", 5), -EROFS);
	CHECK_INT(store_doomed_add(old, b.id, "x", 1), -EROFS);
	CHECK_INT(store_doomed_del(old, b.id, "x", 1), -EROFS);
	CHECK_INT(store_doomed_clear(old, b.id), -EROFS);
	CHECK_INT(store_etag_put(old, "ro.gbai", "x", 1, &stamp, "e"), -EROFS);

	CHECK_INT(store_source_get(old, b.id, "first.bas", 9, &src), 0);
	CHECK_STR(src.diagnostics, "line 1: no TALK");
	CHECK_INT(store_source_put(old, b.id, "first.bas", 9, &src), -EROFS);
	free(src.diagnostics);
	CHECK_INT(store_source_del(old, b.id, "first.bas", 9), -EROFS);
	CHECK_INT(store_artifact_get(old, b.id, "dialog", "f", 1, &a), 0);
	CHECK(a.content_len == 1 && memcmp(a.content, "f", 1) == 0);
	CHECK_INT(store_artifact_put(old, b.id, "dialog", "x", 1, &a), -EROFS);
	CHECK_INT(store_artifact_del(old, b.id, "dialog", "f", 1), -EROFS);

	CHECK(write(STDOUT_FILENO, "r", 1) == 1);
	CHECK(read_byte(STDIN_FILENO, 'g'));

	CHECK_INT(store_object_get(old, b.id, "second", 6, &o), -ENOENT);
	list_artifacts(old, b.id, NULL, &list, 0);
	CHECK_INT(list.count, 1);
	store_txn_abort(old);
	txn = begin(store, false);
	CHECK_INT(store_object_get(txn, b.id, "second", 6, &o), 0);
	list_artifacts(txn, b.id, "dialog", &list, 0);
	CHECK_INT(list.count, 2);
	CHECK_STR(list.names[1], "dialog/s");
	store_txn_abort(txn);
	store_close(store);
	return check_failed ? 1 : 0;
}

/* Run this program again as the reader, its stdin and stdout on pipes. */
static pid_t spawn_reader(const char *dir, int *to_reader, int *from_reader)
{
	int down[2], up[2];
	pid_t pid;

	if (pipe(down) || pipe(up))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(down[0], STDIN_FILENO);
		dup2(up[1], STDOUT_FILENO);
		close(down[0]);
		close(down[1]);
		close(up[0]);
		close(up[1]);
		execl("/proc/self/exe", "test_store", "--reader", dir,
		      (char *)NULL);
		_exit(127);
	}
	close(down[0]);
	close(up[1]);
	*to_reader = down[1];
	*from_reader = up[0];
	return pid;
}

static void test_read_only(struct store *store, const char *dir)
{
	char missing[256];
	struct store *ro = NULL;
	struct dm_error err;
	struct store_bucket b;
	struct store_object o;
	struct store_txn *txn;
	int to_reader, from_reader, status = -1;
	pid_t pid;

	path_in_root(missing, sizeof(missing), "missing");
	CHECK_INT(store_open(missing, STORE_READ_ONLY, &ro, &err), -ENOENT);
	CHECK(strstr(err.message, missing) != NULL);
	CHECK_INT(mkdir(missing, 0700), 0);
	CHECK_INT(store_open(missing, STORE_READ_ONLY, &ro, &err), -ENOENT);
	CHECK(strstr(err.message, missing) != NULL);

	txn = begin(store, true);
	memset(&b, 0, sizeof(b));
	CHECK_INT(store_bucket_put(txn, "ro.gbai", &b), 0);
	put_key(txn, b.id, "first", 5, 1);
	put_source(txn, b.id, "first.bas", "line 1: no TALK");
	put_artifact(txn, b.id, "dialog", "f");
	commit(txn);

	pid = spawn_reader(dir, &to_reader, &from_reader);
	CHECK(pid > 0);
	if (pid <= 0)
		return;
	CHECK(read_byte(from_reader, 'r'));

	txn = begin(store, true);
	put_key(txn, b.id, "second", 6, 2);
	put_artifact(txn, b.id, "dialog", "s");
	commit(txn);
	CHECK(write(to_reader, "g", 1) == 1);

	CHECK_INT(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(to_reader);
	close(from_reader);

	txn = begin(store, false);
	CHECK_INT(store_object_get(txn, b.id, "second", 6, &o), 0);
	store_txn_abort(txn);
}

/* ---- damaged records ---- */

struct raw_env {
	MDB_env *env;
	MDB_txn *txn;
};

static bool raw_open(struct raw_env *raw, const char *dir)
{
	return mdb_env_create(&raw->env) == 0 &&
	       mdb_env_set_maxdbs(raw->env, 8) == 0 &&
	       mdb_env_set_mapsize(raw->env, (size_t)1 << 30) == 0 &&
	       mdb_env_open(raw->env, dir, 0, 0600) == 0 &&
	       mdb_txn_begin(raw->env, NULL, 0, &raw->txn) == 0;
}

static void raw_close(struct raw_env *raw)
{
	CHECK_INT(mdb_txn_commit(raw->txn), 0);
	mdb_env_close(raw->env);
}

static int raw_put(struct raw_env *raw, const char *db, const void *key,
		   size_t key_len, const void *val, size_t val_len)
{
	MDB_val k = {key_len, (void *)key}, v = {val_len, (void *)val};
	MDB_dbi dbi;
	int rc;

	rc = mdb_dbi_open(raw->txn, db, 0, &dbi);
	return rc ? rc : mdb_put(raw->txn, dbi, &k, &v, 0);
}

/* bucket id 1, big-endian, then the key: the layout of object keys. */
static size_t raw_object_key(unsigned char *buf, const char *key)
{
	size_t len = strlen(key);

	memcpy(buf, "\0\0\0\1", 4);
	memcpy(buf + 4, key, len);
	return 4 + len;
}

static int raw_put_object(struct raw_env *raw, const char *key, const void *val,
			  size_t val_len)
{
	unsigned char k[64];

	return raw_put(raw, "objects", k, raw_object_key(k, key), val, val_len);
}

/*
 * A good record, cut at every length, plus wrong versions, states,
 * varints and string lengths.  Returns how many cut records were written.
 */
static size_t write_damaged_objects(struct raw_env *raw)
{
	unsigned char k[64], good[512], bad[600];
	MDB_val key, val;
	MDB_dbi dbi;
	char name[32];

	key.mv_size = raw_object_key(k, "good");
	key.mv_data = k;
	CHECK_INT(mdb_dbi_open(raw->txn, "objects", 0, &dbi), 0);
	CHECK_INT(mdb_get(raw->txn, dbi, &key, &val), 0);
	/* a mirrored object with a 32-digit ETag and no error is small */
	CHECK(val.mv_size >= 40 && val.mv_size <= 100);
	if (val.mv_size < 40 || val.mv_size > sizeof(good) - 1)
		return 0;
	memcpy(good, val.mv_data, val.mv_size);

	for (size_t len = 0; len < val.mv_size; len++) {
		snprintf(name, sizeof(name), "cut%03zu", len);
		CHECK_INT(raw_put_object(raw, name, good, len), 0);
	}
	good[val.mv_size] = 0;
	CHECK_INT(raw_put_object(raw, "trailing", good, val.mv_size + 1), 0);

	memcpy(bad, good, val.mv_size);
	bad[0] = 2;
	CHECK_INT(raw_put_object(raw, "version", bad, val.mv_size), 0);
	bad[0] = 1;
	bad[1] = 9;
	CHECK_INT(raw_put_object(raw, "state", bad, val.mv_size), 0);

	bad[1] = 1;
	memset(bad + 2, 0xff, 11);
	CHECK_INT(raw_put_object(raw, "varint", bad, 13), 0);
	/* the ETag, 32 digits at offset 3, made one byte longer than fits */
	CHECK_INT(good[2], 32);
	memcpy(bad, good, 2);
	memset(bad + 3, 'e', DM_ETAG_MAX - 1);
	memcpy(bad + 2 + DM_ETAG_MAX, good + 3 + 32, val.mv_size - 3 - 32);
	bad[2] = DM_ETAG_MAX - 1;
	CHECK_INT(raw_put_object(raw, "etag79", bad, val.mv_size + 47), 0);
	memmove(bad + 3 + DM_ETAG_MAX, bad + 2 + DM_ETAG_MAX,
		val.mv_size - 3 - 32);
	bad[2 + DM_ETAG_MAX] = 'e';
	bad[2] = DM_ETAG_MAX;
	CHECK_INT(raw_put_object(raw, "etag80", bad, val.mv_size + 48), 0);
	return val.mv_size;
}

/*
 * An ETag cache entry for bucket "d.gbai" and key, holding stored_key as
 * its name: version 1, a zero stamp, ETag "e", then the name.  Writing
 * another key's name makes an MD5 collision.  Without a record, garbage.
 */
static void raw_put_etag(struct raw_env *raw, const char *key,
			 const char *stored_key)
{
	unsigned char name[32], md5[16], record[64] = {1, 0, 0, 0, 1, 'e'};
	size_t len = (size_t)snprintf((char *)name, sizeof(name), "d.gbai%c%s",
				      '\0', key);
	size_t record_len = 6;

	CHECK(EVP_Digest(name, len, md5, NULL, EVP_md5(), NULL) == 1);
	if (stored_key) {
		record[record_len++] = (unsigned char)(7 + strlen(stored_key));
		memcpy(record + record_len, "d.gbai", 7);
		memcpy(record + record_len + 7, stored_key, strlen(stored_key));
		record_len += 7 + strlen(stored_key);
	} else {
		record[1] = 0xff;
		record_len = 2;
	}
	CHECK_INT(raw_put(raw, "etags", md5, sizeof(md5), record, record_len),
		  0);
}

static void write_damaged_others(struct raw_env *raw)
{
	unsigned char k[64];

	const unsigned char id_zero[15] = {1}; /* a whole record, id 0 */

	CHECK_INT(raw_put(raw, "buckets", "bad.gbai", 8, "\1", 1), 0);
	CHECK_INT(raw_put(raw, "buckets", "zero.gbai", 9, id_zero,
			  sizeof(id_zero)),
		  0);
	CHECK_INT(
		raw_put(raw, "failures", k, raw_object_key(k, "orphan"), "", 0),
		0);
	raw_put_etag(raw, "x.bas", NULL);
	raw_put_etag(raw, "y.bas", "other.bas");
	raw_put_etag(raw, "z.bas", "z.bas");
}

static void check_damaged(struct store *store, size_t cuts)
{
	struct store_file_stamp stamp = {0, 0, 0};
	struct failure_list list = {.count = 0};
	struct store_cursor *cur = NULL;
	struct store_bucket b;
	struct store_object o;
	const char *key;
	size_t key_len;
	char name[32], etag[DM_ETAG_MAX];
	const char *bad[] = {"trailing", "version", "state", "varint",
			     "etag80"};
	struct store_txn *txn = begin(store, false);

	for (size_t len = 0; len < cuts; len++) {
		snprintf(name, sizeof(name), "cut%03zu", len);
		CHECK_INT(store_object_get(txn, 1, name, strlen(name), &o),
			  -EIO);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_INT(store_object_get(txn, 1, bad[i], strlen(bad[i]), &o),
			  -EIO);
	CHECK_INT(store_object_get(txn, 1, "good", 4, &o), 0);
	CHECK_INT(store_object_get(txn, 1, "etag79", 6, &o), 0);
	CHECK_INT(strlen(o.etag), DM_ETAG_MAX - 1);

	CHECK_INT(store_cursor_open(txn, 1, &cur), 0);
	CHECK_INT(store_cursor_get(cur, &key, &key_len, &o), -EIO);
	CHECK_INT(store_cursor_get(cur, &key, &key_len, NULL), 0);
	store_cursor_close(cur);

	CHECK_INT(store_bucket_get(txn, "bad.gbai", &b), -EIO);
	CHECK_INT(store_bucket_get(txn, "zero.gbai", &b), -EIO);
	CHECK_INT(store_bucket_foreach(txn, collect_bucket,
				       &(struct name_list){.count = 0}),
		  -EIO);
	CHECK_INT(store_failure_foreach(txn, 1, collect_failure, &list), -EIO);
	CHECK_INT(store_etag_get(txn, "d.gbai", "x.bas", 5, &stamp, etag),
		  -EIO);
	CHECK_INT(store_etag_get(txn, "d.gbai", "y.bas", 5, &stamp, etag),
		  -ENOENT);
	CHECK_INT(store_etag_get(txn, "d.gbai", "z.bas", 5, &stamp, etag), 0);
	CHECK_STR(etag, "e");
	store_txn_abort(txn);
}

static void test_damaged(const char *dir)
{
	const unsigned char schema[4] = {99, 0, 0, 0};
	struct store *store = open_store(dir, STORE_READ_WRITE);
	struct store_bucket b = {.id = 0};
	struct dm_error err;
	struct store_txn *txn;
	struct raw_env raw;
	size_t cuts = 0;

	txn = begin(store, true);
	CHECK_INT(store_bucket_put(txn, "d.gbai", &b), 0);
	CHECK_INT(b.id, 1);
	put_key(txn, 1, "good", 4, 123456);
	commit(txn);
	store_close(store);

	CHECK(raw_open(&raw, dir));
	cuts = write_damaged_objects(&raw);
	write_damaged_others(&raw);
	raw_close(&raw);

	store = open_store(dir, STORE_READ_WRITE);
	check_damaged(store, cuts);
	store_close(store);

	CHECK(raw_open(&raw, dir));
	CHECK_INT(raw_put(&raw, "meta", "schema", 6, schema, sizeof(schema)),
		  0);
	raw_close(&raw);
	store = NULL;
	CHECK_INT(store_open(dir, STORE_READ_WRITE, &store, &err), -EIO);
	CHECK(strstr(err.message, "schema version 99") != NULL);
	CHECK_INT(store_open(dir, STORE_READ_ONLY, &store, &err), -EIO);
	CHECK(store == NULL);
}

/*
 * Copy the record stored under key in db into buf (cap bytes); returns
 * its length, 0 when there is none or it does not fit.
 */
static size_t raw_get(struct raw_env *raw, const char *db, const void *key,
		      size_t key_len, unsigned char *buf, size_t cap)
{
	MDB_val k = {key_len, (void *)key}, v;
	MDB_dbi dbi;

	if (mdb_dbi_open(raw->txn, db, 0, &dbi) ||
	    mdb_get(raw->txn, dbi, &k, &v) || v.mv_size > cap)
		return 0;
	memcpy(buf, v.mv_data, v.mv_size);
	return v.mv_size;
}

/*
 * The record under good_key cut at every length, with a byte too many
 * and with version 2, under keys made of prefix and a name.  Returns how
 * many cut records were written.
 */
static size_t write_cut_records(struct raw_env *raw, const char *db,
				const void *good_key, size_t good_key_len,
				const void *prefix, size_t prefix_len)
{
	unsigned char good[256], k[64];
	size_t len = raw_get(raw, db, good_key, good_key_len, good,
			     sizeof(good) - 1);
	const char *names[] = {"trailing", "version"};

	CHECK(len > 10);
	memcpy(k, prefix, prefix_len);
	for (size_t cut = 0; cut < len; cut++) {
		int n = snprintf((char *)k + prefix_len, sizeof(k) - prefix_len,
				 "cut%03zu", cut);

		CHECK_INT(
			raw_put(raw, db, k, prefix_len + (size_t)n, good, cut),
			0);
	}
	good[len] = 0;
	for (size_t i = 0; i < 2; i++) {
		memcpy(k + prefix_len, names[i], strlen(names[i]));
		good[0] = (unsigned char)(1 + i);
		CHECK_INT(raw_put(raw, db, k, prefix_len + strlen(names[i]),
				  good, len + 1 - i),
			  0);
	}
	return len;
}

/* Sources and artifacts of bucket 1, damaged; see check_damaged_handlers. */
static void write_damaged_handlers(struct raw_env *raw, size_t *source_cuts,
				   size_t *artifact_cuts)
{
	static const char source_key[] = "\0\0\0\1src.bas";
	static const char nodiag_key[] = "\0\0\0\1nodiag.bas";
	static const char artifact_key[] = "\0\0\0\1dialog\0good.bas";
	static const char long_kind[] =
		"\0\0\0\3kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk\0n";
	unsigned char record[256];
	size_t len;

	*source_cuts = write_cut_records(raw, "sources", source_key,
					 sizeof(source_key) - 1, "\0\0\0\1", 4);
	*artifact_cuts = write_cut_records(raw, "artifacts", artifact_key,
					   sizeof(artifact_key) - 1,
					   "\0\0\0\1dialog", 11);

	/* no diagnostics is a last byte 0; 2 means nothing */
	len = raw_get(raw, "sources", nodiag_key, sizeof(nodiag_key) - 1,
		      record, sizeof(record));
	CHECK(len > 10 && record[len - 1] == 0);
	record[len - 1] = 2;
	CHECK_INT(raw_put(raw, "sources", "\0\0\0\1flag", 8, record, len), 0);

	/* artifact keys without a kind, or with one too long */
	len = raw_get(raw, "artifacts", artifact_key, sizeof(artifact_key) - 1,
		      record, sizeof(record));
	CHECK_INT(raw_put(raw, "artifacts", "\0\0\0\2nokind", 10, record, len),
		  0);
	CHECK_INT(raw_put(raw, "artifacts", long_kind, sizeof(long_kind) - 1,
			  record, len),
		  0);
}

static void check_damaged_handlers(struct store *store, size_t source_cuts,
				   size_t artifact_cuts)
{
	struct artifact_list artifacts = {.count = 0};
	struct source_list sources = {.count = 0};
	const char *bad[] = {"trailing", "version"};
	struct store_source s;
	struct store_artifact a;
	char name[32];
	struct store_txn *txn = begin(store, false);

	for (size_t len = 0; len < source_cuts; len++) {
		snprintf(name, sizeof(name), "cut%03zu", len);
		CHECK_INT(store_source_get(txn, 1, name, strlen(name), &s),
			  -EIO);
		CHECK(s.diagnostics == NULL);
	}
	for (size_t len = 0; len < artifact_cuts; len++) {
		snprintf(name, sizeof(name), "cut%03zu", len);
		CHECK_INT(store_artifact_get(txn, 1, "dialog", name,
					     strlen(name), &a),
			  -EIO);
	}
	for (size_t i = 0; i < 2; i++) {
		CHECK_INT(store_source_get(txn, 1, bad[i], strlen(bad[i]), &s),
			  -EIO);
		CHECK_INT(store_artifact_get(txn, 1, "dialog", bad[i],
					     strlen(bad[i]), &a),
			  -EIO);
	}
	CHECK_INT(store_source_get(txn, 1, "flag", 4, &s), -EIO);

	CHECK_INT(store_source_get(txn, 1, "src.bas", 7, &s), 0);
	CHECK_STR(s.diagnostics, "line 2: oops");
	free(s.diagnostics);
	CHECK_INT(store_artifact_get(txn, 1, "dialog", "good.bas", 8, &a), 0);
	CHECK_INT(store_source_foreach(txn, 1, collect_source, &sources), -EIO);
	CHECK_INT(store_artifact_foreach(txn, 1, NULL, collect_artifact,
					 &artifacts),
		  -EIO);
	CHECK_INT(store_artifact_foreach(txn, 2, NULL, collect_artifact,
					 &artifacts),
		  -EIO);
	CHECK_INT(store_artifact_foreach(txn, 3, NULL, collect_artifact,
					 &artifacts),
		  -EIO);
	store_txn_abort(txn);
}

static void test_damaged_handlers(const char *dir)
{
	struct store *store = open_store(dir, STORE_READ_WRITE);
	size_t source_cuts = 0, artifact_cuts = 0;
	struct raw_env raw;
	struct store_txn *txn;

	if (!store)
		return;
	txn = begin(store, true);
	put_source(txn, 1, "src.bas", "line 2: oops");
	put_source(txn, 1, "nodiag.bas", NULL);
	put_artifact(txn, 1, "dialog", "good.bas");
	commit(txn);
	store_close(store);

	CHECK(raw_open(&raw, dir));
	write_damaged_handlers(&raw, &source_cuts, &artifact_cuts);
	raw_close(&raw);

	store = open_store(dir, STORE_READ_WRITE);
	check_damaged_handlers(store, source_cuts, artifact_cuts);
	store_close(store);
}

/* ---- a store of schema version 1 ---- */

/* Make dir the store version 1 wrote: without sources and artifacts. */
static void downgrade_to_v1(const char *dir)
{
	const unsigned char v1[4] = {1, 0, 0, 0};
	const char *added[] = {"sources", "artifacts"};
	struct raw_env raw;
	MDB_dbi dbi;

	CHECK(raw_open(&raw, dir));
	for (size_t i = 0; i < 2; i++) {
		CHECK_INT(mdb_dbi_open(raw.txn, added[i], 0, &dbi), 0);
		CHECK_INT(mdb_drop(raw.txn, dbi, 1), 0);
		CHECK_INT(mdb_dbi_open(raw.txn, added[i], 0, &dbi),
			  MDB_NOTFOUND);
	}
	CHECK_INT(raw_put(&raw, "meta", "schema", 6, v1, sizeof(v1)), 0);
	raw_close(&raw);
}

static void test_upgrade(const char *dir)
{
	unsigned char schema[4] = {0};
	struct store *store = open_store(dir, STORE_READ_WRITE);
	struct store_bucket b = {.id = 0};
	struct store_source s;
	struct store_object o;
	struct dm_error err;
	struct store_txn *txn;
	struct raw_env raw;

	if (!store)
		return;
	txn = begin(store, true);
	CHECK_INT(store_bucket_put(txn, "old.gbai", &b), 0);
	put_key(txn, b.id, "kept", 4, 9);
	commit(txn);
	store_close(store);
	downgrade_to_v1(dir);

	/* a reader cannot add the tables; it says who will */
	store = NULL;
	CHECK_INT(store_open(dir, STORE_READ_ONLY, &store, &err), -EIO);
	CHECK(store == NULL);
	CHECK(strstr(err.message, "schema version 1") != NULL &&
	      strstr(err.message, "agent upgrades") != NULL);

	store = open_store(dir, STORE_READ_WRITE);
	txn = begin(store, true);
	CHECK_INT(store_object_get(txn, b.id, "kept", 4, &o), 0);
	CHECK_INT(store_source_get(txn, b.id, "new.bas", 7, &s), -ENOENT);
	put_source(txn, b.id, "new.bas", NULL);
	commit(txn);
	store_close(store);

	CHECK(raw_open(&raw, dir));
	CHECK_INT(raw_get(&raw, "meta", "schema", 6, schema, sizeof(schema)),
		  4);
	CHECK_INT(schema[0], 2);
	raw_close(&raw);

	store = open_store(dir, STORE_READ_ONLY);
	txn = begin(store, false);
	CHECK_INT(store_source_get(txn, b.id, "new.bas", 7, &s), 0);
	store_txn_abort(txn);
	store_close(store);
}

/* ---- many objects and store_trim() ---- */

#define MANY_OBJECTS 200000
#define BATCH	     1000

/* Resident set size in bytes, from /proc/self/statm. */
static long long resident_bytes(void)
{
	unsigned long long size = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (!f)
		return -1;
	if (fscanf(f, "%llu %llu", &size, &resident) != 2)
		resident = 0;
	fclose(f);
	return (long long)resident * sysconf(_SC_PAGESIZE);
}

static int put_many(struct store *store)
{
	struct store_object o;
	char key[64];
	int failed = 0;

	fill_object(&o, 7);
	for (unsigned batch = 0; batch < MANY_OBJECTS / BATCH; batch++) {
		struct store_txn *txn = NULL;

		if (store_txn_begin(store, true, &txn))
			return -1;
		for (unsigned i = batch * BATCH; i < (batch + 1) * BATCH; i++) {
			int len = snprintf(key, sizeof(key),
					   "bots/b%03u.gbai/dialogs/f%07u.bas",
					   i / 5000, i);

			o.size = i;
			failed += store_object_put(txn, 1, key, (size_t)len,
						   &o) != 0;
		}
		failed += store_txn_commit(txn) != 0;
	}
	return failed;
}

/* Walk every object in order; returns how many were seen in order. */
static long walk_many(struct store *store)
{
	char previous[DM_KEY_MAX + 1] = "";
	struct store_cursor *cur = NULL;
	struct store_object o;
	size_t previous_len = 0, len;
	const char *key;
	long seen = 0;
	struct store_txn *txn = begin(store, false);

	if (!txn || store_cursor_open(txn, 1, &cur))
		return -1;
	while (store_cursor_get(cur, &key, &len, &o) == 0) {
		if (key_cmp(previous, previous_len, key, len) >= 0 ||
		    o.size != (uint64_t)seen)
			break;
		memcpy(previous, key, len);
		previous_len = len;
		seen++;
		if (store_cursor_next(cur))
			break;
	}
	store_cursor_close(cur);
	store_txn_abort(txn);
	return seen;
}

static void test_many_and_trim(const char *dir)
{
	struct store *store = open_store(dir, STORE_READ_WRITE);
	long long before, walked, trimmed;

	if (!store)
		return;
	CHECK_INT(put_many(store), 0);

	store_trim(store);
	before = resident_bytes();
	CHECK_INT(walk_many(store), MANY_OBJECTS);
	walked = resident_bytes();
	store_trim(store);
	trimmed = resident_bytes();

	/*
	 * The walk maps tens of MiB of pages in; the trim must give back at
	 * least three quarters of that growth.
	 */
	CHECK(walked - before > (8 << 20));
	CHECK(trimmed - before < (walked - before) / 4);
	if (walked - before <= (8 << 20) ||
	    trimmed - before >= (walked - before) / 4)
		fprintf(stderr, "rss before %lld, walked %lld, trimmed %lld\n",
			before, walked, trimmed);
	store_close(store);
}

static int remove_entry(const char *path, const struct stat *st, int type,
			struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

int main(int argc, char **argv)
{
	char dir[256];
	struct store *store;

	if (argc == 3 && strcmp(argv[1], "--reader") == 0)
		return reader_main(argv[2]);

	if (!mkdtemp(root)) {
		perror("mkdtemp");
		return 1;
	}

	path_in_root(dir, sizeof(dir), "main");
	test_buckets(dir);
	store = open_store(dir, STORE_READ_WRITE);
	if (store) {
		test_objects(store);
		test_cursor(store);
		test_failures(store);
		test_doomed(store);
		test_etags(store);
		test_sources(store);
		test_artifacts(store);
		test_read_only(store, dir);
		store_close(store);
	}

	path_in_root(dir, sizeof(dir), "damaged");
	test_damaged(dir);
	path_in_root(dir, sizeof(dir), "damaged-handlers");
	test_damaged_handlers(dir);
	path_in_root(dir, sizeof(dir), "v1");
	test_upgrade(dir);
	path_in_root(dir, sizeof(dir), "big");
	test_many_and_trim(dir);

	nftw(root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	return check_summary();
}
