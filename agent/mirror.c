/*
 * mirror.c - the sync cycle: list, merge with the store, download, delete.
 *
 * A bucket's cycle runs as a listing whose page callback does the work of
 * that page: mirror_merge_page() (mirror_merge.c) decides, key by key,
 * what to do, then mirror_run_downloads() (mirror_fetch.c) fetches and
 * records.  This file runs the listing, deletes the doomed keys once the
 * listing has ended complete (so a failed or cut listing deletes
 * nothing), keeps the bucket's record, and walks the buckets of a cycle.
 */
#include "mirror.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "keypath.h"
#include "log.h"
#include "mirror_run.h"

void mirror_stamp_of(const struct stat *st, struct store_file_stamp *stamp)
{
	stamp->size = (uint64_t)st->st_size;
	stamp->mtime_ns =
		(int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
	stamp->ino = (uint64_t)st->st_ino;
}

int64_t mirror_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long mirror_arena_add(struct key_arena *arena, const char *key, size_t len)
{
	size_t offset = arena->len;

	if (arena->len + len + 1 > arena->cap) {
		size_t cap = arena->cap ? arena->cap * 2 : 64 * 1024;
		char *grown;

		while (cap < arena->len + len + 1)
			cap *= 2;
		grown = realloc(arena->bytes, cap);
		if (!grown)
			return -1;
		arena->bytes = grown;
		arena->cap = cap;
	}
	memcpy(arena->bytes + offset, key, len);
	arena->bytes[offset + len] = '\0';
	arena->len += len + 1;
	return (long)offset;
}

const char *mirror_action_key(const struct bucket_run *run,
			      const struct action *a)
{
	return run->keys.bytes + a->key_offset;
}

void mirror_warn_object(struct mirror *m, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);

	if (m->warnings_left == 0) {
		log_debug("%s", line);
		return;
	}
	log_warning("%s", line);
	if (--m->warnings_left == 0)
		log_warning("mirror: more object warnings this cycle go to the "
			    "debug log");
}

static int on_page(void *ctx, const struct drive_object *objs, size_t count)
{
	struct bucket_run *run = ctx;
	const struct drive_object *last;
	int rc;

	if (run->interrupted && run->interrupted(run->ctx))
		return -EINTR;
	if (count == 0)
		return 0;

	run->action_count = 0;
	run->keys.len = 0;
	run->stats->listed += count;
	rc = mirror_merge_page(run, objs, count);
	if (rc == 0)
		rc = mirror_record_marks(run);
	if (rc == 0)
		rc = mirror_run_downloads(run);

	last = &objs[count - 1];
	memcpy(run->last_key, last->key, last->key_len);
	run->last_key[last->key_len] = '\0';
	run->last_len = last->key_len;
	run->have_last = true;
	store_trim(run->m->store);
	if (rc == 0 && run->interrupted && run->interrupted(run->ctx))
		rc = -EINTR;
	return rc;
}

/* ---- after the listing ---- */

struct doomed_batch {
	struct key_arena keys;
	size_t offsets[DOOMED_BATCH], lens[DOOMED_BATCH];
	size_t count;
};

static int collect_doomed(void *ctx, const char *key, size_t len,
			  const struct store_object *unused)
{
	struct doomed_batch *batch = ctx;
	long offset = mirror_arena_add(&batch->keys, key, len);

	(void)unused;
	if (offset < 0)
		return -ENOMEM;
	batch->offsets[batch->count] = (size_t)offset;
	batch->lens[batch->count] = len;
	batch->count++;
	return 0;
}

/* Dev mode: an object deleted in the bucket may have been edited here. */
static int keep_edit_of_doomed(struct bucket_run *run, const char *key)
{
	struct store_object prior;
	struct store_txn *txn;
	int rc;

	rc = store_txn_begin(run->m->store, false, &txn);
	if (rc < 0)
		return rc;
	rc = store_object_get(txn, run->id, key, strlen(key), &prior);
	store_txn_abort(txn);
	if (rc < 0)
		return rc == -ENOENT ? 0 : rc;
	return mirror_keep_local_edit(run, key, &prior, NULL,
				      "edited here while it was deleted in "
				      "the bucket");
}

/* Remove the local copy and the record of every doomed key. */
static int delete_doomed(struct bucket_run *run)
{
	struct doomed_batch *batch = calloc(1, sizeof(*batch));
	struct store_txn *txn;
	int rc = 0;

	if (!batch)
		return -ENOMEM;

	for (;;) {
		batch->count = 0;
		batch->keys.len = 0;
		rc = store_txn_begin(run->m->store, false, &txn);
		if (rc < 0)
			break;
		rc = store_doomed_list(txn, run->id, DOOMED_BATCH,
				       collect_doomed, batch);
		store_txn_abort(txn);
		if (rc <= 0 || batch->count == 0)
			break;

		for (size_t i = 0; i < batch->count; i++) {
			const char *key = batch->keys.bytes + batch->offsets[i];
			struct dm_error err;

			if (keypath_check(key, batch->lens[i], NULL) < 0)
				continue;
			if (run->m->cfg->dev_mode &&
			    keep_edit_of_doomed(run, key) < 0)
				continue;
			if (localfs_remove(&run->m->fs, run->bucket_fd, key,
					   &err) < 0)
				log_warning("mirror: %s in '%s'", err.message,
					    run->name);
			log_debug("mirror: deleted '%s/%s'", run->name, key);
		}

		rc = store_txn_begin(run->m->store, true, &txn);
		for (size_t i = 0; i < batch->count && rc == 0; i++) {
			const char *key = batch->keys.bytes + batch->offsets[i];

			rc = store_object_del(txn, run->id, key,
					      batch->lens[i]);
			if (rc == -ENOENT)
				rc = 0;
			if (rc == 0)
				rc = store_doomed_del(txn, run->id, key,
						      batch->lens[i]);
		}
		if (rc < 0) {
			store_txn_abort(txn);
			break;
		}
		rc = store_txn_commit(txn);
		if (rc < 0)
			break;
		run->stats->deleted += batch->count;
	}

	free(batch->keys.bytes);
	free(batch);
	return rc < 0 ? rc : 0;
}

/* Forget the doomed keys of a listing that did not end. */
static int forget_doomed(struct bucket_run *run)
{
	struct doomed_batch probe = {0};
	struct store_txn *txn;
	int rc;

	rc = store_txn_begin(run->m->store, false, &txn);
	if (rc < 0)
		return rc;
	rc = store_doomed_list(txn, run->id, 1, collect_doomed, &probe);
	store_txn_abort(txn);
	free(probe.keys.bytes);
	if (rc <= 0)
		return rc;

	rc = store_txn_begin(run->m->store, true, &txn);
	if (rc < 0)
		return rc;
	rc = store_doomed_clear(txn, run->id);
	if (rc < 0) {
		store_txn_abort(txn);
		return rc;
	}
	return store_txn_commit(txn);
}

/* ---- one bucket ---- */

/* Write a bucket record in a transaction of its own. */
static int put_bucket(struct bucket_run *run, struct store_bucket *record)
{
	struct store_txn *txn;
	int rc;

	rc = store_txn_begin(run->m->store, true, &txn);
	if (rc < 0)
		return rc;
	rc = store_bucket_put(txn, run->name, record);
	if (rc < 0) {
		store_txn_abort(txn);
		return rc;
	}
	return store_txn_commit(txn);
}

static int load_bucket(struct bucket_run *run, struct store_bucket *record)
{
	struct store_txn *txn;
	int rc;

	rc = store_txn_begin(run->m->store, false, &txn);
	if (rc < 0)
		return rc;
	rc = store_bucket_get(txn, run->name, record);
	store_txn_abort(txn);
	if (rc != -ENOENT) {
		run->id = record->id;
		return rc;
	}

	memset(record, 0, sizeof(*record));
	rc = put_bucket(run, record);
	run->id = record->id;
	return rc;
}

static int save_bucket(struct bucket_run *run, struct store_bucket *record,
		       int64_t started, const struct mirror_stats *before,
		       const struct dm_error *listing_error)
{
	record->last_cycle_start = started / 1000;
	record->last_cycle_end = mirror_now_ms() / 1000;
	record->cycles++;
	if (listing_error->code == 0) {
		record->complete_cycles++;
		record->last_complete_listing = record->last_cycle_end;
		record->last_error[0] = '\0';
		record->objects_mirrored = run->mirrored;
		record->objects_failed = run->failed + run->refused;
		record->objects_pending = run->pending;
		record->bytes_mirrored = run->bytes;
	} else {
		dm_error_str(listing_error, record->last_error,
			     sizeof(record->last_error));
	}
	record->last_downloaded = run->stats->downloaded - before->downloaded;
	record->last_deleted = run->stats->deleted - before->deleted;
	record->last_restored = run->stats->restored - before->restored;
	return put_bucket(run, record);
}

static int mirror_bucket(struct mirror *m, const char *name,
			 drive_interrupted_fn interrupted, void *ctx,
			 struct mirror_stats *stats, struct dm_error *err)
{
	struct bucket_run *run = calloc(1, sizeof(*run));
	struct mirror_stats before = *stats;
	struct store_bucket record;
	int64_t started = mirror_now_ms();
	int rc;

	if (!run)
		return dm_error_set(err, -ENOMEM, "out of memory");
	run->m = m;
	run->name = name;
	run->interrupted = interrupted;
	run->ctx = ctx;
	run->stats = stats;
	run->now_ms = started;

	rc = load_bucket(run, &record);
	if (rc < 0) {
		dm_error_set(err, rc, "cannot read the state of '%s': %s", name,
			     strerror(-rc));
		goto out_free;
	}
	run->bucket_fd = localfs_bucket_open(&m->fs, name, err);
	if (run->bucket_fd < 0) {
		rc = run->bucket_fd;
		goto out_free;
	}

	rc = forget_doomed(run);
	if (rc == 0) {
		rc = drive_list(m->drive, name, on_page, run, err);
		if (rc == 0)
			rc = mirror_merge_page(run, NULL, 0);
		if (rc < 0 && err->code == 0)
			dm_error_set(err, rc, "%s", strerror(-rc));
	}

	if (rc == 0) {
		rc = delete_doomed(run);
	} else {
		stats->buckets_failed++;
		forget_doomed(run);
	}
	stats->buckets++;
	stats->failed += run->failed;
	stats->pending += run->pending;
	stats->refused += run->refused;
	save_bucket(run, &record, started, &before, err);

	close(run->bucket_fd);
out_free:
	free(run->keys.bytes);
	free(run->doomed_keys.bytes);
	free(run);
	return rc;
}

/* ---- the cycle ---- */

struct bucket_list {
	const struct dm_config *cfg;
	char **names;
	size_t count, cap;
};

static int add_bucket(void *ctx, const char *name)
{
	struct bucket_list *list = ctx;
	char **grown;

	if (!config_bucket_wanted(list->cfg, name))
		return 0;
	if (list->count == DM_BUCKETS_MAX)
		return -E2BIG;
	if (list->count == list->cap) {
		list->cap = list->cap ? list->cap * 2 : 16;
		grown = realloc(list->names, list->cap * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		list->names = grown;
	}
	list->names[list->count] = strdup(name);
	if (!list->names[list->count])
		return -ENOMEM;
	list->count++;
	return 0;
}

/*
 * A list without wildcards names its buckets: they are mirrored without
 * asking for ListBuckets, which the credentials may not allow.
 */
static int gather_buckets(struct mirror *m, struct bucket_list *list,
			  struct dm_error *err)
{
	const char *item = m->cfg->buckets;
	char name[DM_BUCKET_MAX + 1];
	int rc;

	list->cfg = m->cfg;
	if (strpbrk(item, "*?["))
		return drive_list_buckets(m->drive, add_bucket, list, err);

	while (*item) {
		size_t len;

		item += strspn(item, " \t,");
		len = strcspn(item, " \t,");
		if (len == 0)
			break;
		if (len > DM_BUCKET_MAX)
			return dm_error_set(err, -EINVAL,
					    "bucket name '%.*s' is too long",
					    (int)len, item);
		memcpy(name, item, len);
		name[len] = '\0';
		rc = add_bucket(list, name);
		if (rc < 0)
			return dm_error_set(err, rc, "cannot list buckets: %s",
					    strerror(-rc));
		item += len;
	}
	return 0;
}

int mirror_cycle(struct mirror *m, drive_interrupted_fn interrupted, void *ctx,
		 struct mirror_stats *stats, struct dm_error *err)
{
	struct bucket_list list = {0};
	int rc, first_rc = 0;

	memset(stats, 0, sizeof(*stats));
	dm_error_clear(err);
	m->warnings_left = WARNINGS_PER_CYCLE;

	rc = gather_buckets(m, &list, err);
	if (rc < 0)
		goto out_free;

	for (size_t i = 0; i < list.count; i++) {
		struct dm_error bucket_err;
		char detail[400];

		if (!keypath_bucket_valid(list.names[i])) {
			log_warning("mirror: skipping bucket '%s': not a valid "
				    "bucket name",
				    list.names[i]);
			continue;
		}
		dm_error_clear(&bucket_err);
		rc = mirror_bucket(m, list.names[i], interrupted, ctx, stats,
				   &bucket_err);
		if (rc == -EINTR)
			break;
		if (rc < 0) {
			log_err("mirror: cannot mirror '%s': %s; nothing "
				"deleted",
				list.names[i],
				dm_error_str(&bucket_err, detail,
					     sizeof(detail)));
			if (first_rc == 0) {
				first_rc = rc;
				*err = bucket_err;
			}
		}
	}
	rc = rc == -EINTR ? rc : first_rc;

out_free:
	for (size_t i = 0; i < list.count; i++)
		free(list.names[i]);
	free(list.names);
	return rc;
}

int mirror_open(const struct dm_config *cfg, struct store *store,
		struct drive *drive, struct mirror **out, struct dm_error *err)
{
	struct mirror *m = calloc(1, sizeof(*m));
	int rc;

	if (!m)
		return dm_error_set(err, -ENOMEM, "out of memory");
	m->cfg = cfg;
	m->store = store;
	m->drive = drive;

	rc = localfs_open(&m->fs, cfg->work_root, err);
	if (rc < 0) {
		free(m);
		return rc;
	}
	*out = m;
	return 0;
}

void mirror_on_local_edit(struct mirror *m, mirror_local_edit_fn fn, void *ctx)
{
	m->local_edit = fn;
	m->local_edit_ctx = ctx;
}

void mirror_free(struct mirror *m)
{
	if (!m)
		return;
	localfs_close(&m->fs);
	free(m);
}
