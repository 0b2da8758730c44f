/*
 * mirror.c - the sync cycle: list, merge with the store, download, delete.
 *
 * A bucket's cycle runs as a listing whose page callback does the work of
 * that page: merge_page() walks the store's objects that fall within the
 * page's key range next to the listed ones and decides, key by key, what
 * to do; then the page's downloads run in chunks, each chunk recorded in
 * one write transaction once its files are in place.  Store keys that the
 * listing skipped are put aside as "doomed" and removed only after the
 * listing has ended complete, so a failed or cut listing deletes nothing.
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
#include "digest.h"
#include "keypath.h"
#include "localfs.h"
#include "log.h"
#include "store.h"

/*
 * Downloads in flight hold one temporary file each; a chunk bounds the
 * open descriptors and the work lost when a chunk's transaction fails.
 */
#define DOWNLOAD_CHUNK 256

/* Doomed keys kept in memory before they are written to the store. */
#define DOOMED_BATCH 1000

/* Per-object warnings in one cycle before the rest go to debug. */
#define WARNINGS_PER_CYCLE 20

struct mirror {
	const struct dm_config *cfg;
	struct store *store;
	struct drive *drive;
	struct localfs fs;
	unsigned warnings_left;
};

enum action_kind {
	ACTION_DOWNLOAD, /* new, modified, retried or restored */
	ACTION_REFUSE,	 /* the key cannot become a path */
	ACTION_RESTAMP,	 /* same content, new stat: remember the stat */
};

enum download_reason {
	REASON_NEW,
	REASON_MODIFIED,
	REASON_RETRY,
	REASON_RESTORE,
};

struct action {
	enum action_kind kind;
	enum download_reason reason;
	size_t key_offset, key_len;
	char etag[DM_ETAG_MAX];
	uint64_t size;
	int64_t last_modified;
	bool has_prior;
	struct store_object prior;
	char problem[256];
};

/* A growing buffer of NUL-terminated keys, reset for every page. */
struct key_arena {
	char *bytes;
	size_t len, cap;
};

struct bucket_run {
	struct mirror *m;
	const char *name;
	uint32_t id;
	int bucket_fd;
	drive_interrupted_fn interrupted;
	void *ctx;
	int64_t now_ms;

	struct mirror_stats *stats;
	uint64_t mirrored, failed, refused, pending, bytes;

	char last_key[DM_KEY_MAX + 1];
	size_t last_len;
	bool have_last;

	struct action actions[DM_LIST_PAGE_MAX];
	size_t action_count;
	struct key_arena keys;

	size_t doomed_offsets[DOOMED_BATCH], doomed_lens[DOOMED_BATCH];
	size_t doomed_count;
	struct key_arena doomed_keys;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Copy a key into the arena, NUL-terminated; returns its offset or -1. */
static long arena_add(struct key_arena *arena, const char *key, size_t len)
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

static const char *action_key(const struct bucket_run *run,
			      const struct action *a)
{
	return run->keys.bytes + a->key_offset;
}

/*
 * A warning about one object.  A cycle may fail thousands of objects the
 * same way; after WARNINGS_PER_CYCLE the rest go to the debug log.
 */
static void __attribute__((format(printf, 2, 3)))
warn_object(struct mirror *m, const char *fmt, ...)
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

/* ---- deciding, key by key ---- */

static struct action *new_action(struct bucket_run *run, enum action_kind kind,
				 const struct drive_object *listed)
{
	struct action *a = &run->actions[run->action_count];
	long offset = arena_add(&run->keys, listed->key, listed->key_len);

	if (offset < 0)
		return NULL;
	memset(a, 0, sizeof(*a));
	a->kind = kind;
	a->key_offset = (size_t)offset;
	a->key_len = listed->key_len;
	snprintf(a->etag, sizeof(a->etag), "%s", listed->etag);
	a->size = listed->size;
	a->last_modified = listed->last_modified;
	run->action_count++;
	return a;
}

static int64_t stamp_mtime_ns(const struct stat *st)
{
	return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

static bool stamp_matches(const struct store_file_stamp *stamp,
			  const struct stat *st)
{
	return stamp->size == (uint64_t)st->st_size &&
	       stamp->mtime_ns == stamp_mtime_ns(st) &&
	       stamp->ino == (uint64_t)st->st_ino && S_ISREG(st->st_mode);
}

enum local_state {
	LOCAL_SAME,    /* as written: nothing to do */
	LOCAL_TOUCHED, /* new stat, same content: remember the stat */
	LOCAL_CHANGED, /* changed or gone: fetch it again */
};

/*
 * An object already mirrored with the listed ETag: is the local copy still
 * what was written?  The stat answers cheaply; only when it differs is the
 * file read and its MD5 compared.
 */
static enum local_state check_local_copy(struct bucket_run *run,
					 const char *key,
					 const struct store_object *prior)
{
	unsigned char md5[DIGEST_MD5_LEN];
	struct stat st;
	int fd, rc;

	if (localfs_stat(run->bucket_fd, key, &st) < 0)
		return LOCAL_CHANGED;
	if (stamp_matches(&prior->local, &st))
		return LOCAL_SAME;

	fd = S_ISREG(st.st_mode) ? localfs_open_read(run->bucket_fd, key) : -1;
	rc = fd >= 0 ? digest_md5_fd(fd, md5) : -EINVAL;
	if (fd >= 0)
		close(fd);
	if (rc == 0 && memcmp(md5, prior->local_md5, sizeof(md5)) == 0)
		return LOCAL_TOUCHED;
	return LOCAL_CHANGED;
}

static int decide(struct bucket_run *run, const struct drive_object *listed,
		  const struct store_object *prior)
{
	struct dm_error why;
	struct action *a;
	enum action_kind kind;

	if (keypath_check(listed->key, listed->key_len, &why) < 0) {
		run->refused++;
		if (listed->key_len > DM_KEY_MAX) {
			/* Too long to be a store key: it can only be
			 * reported, and is, every cycle. */
			warn_object(run->m,
				    "mirror: refusing key '%s/%.*s': %s, "
				    "nothing written",
				    run->name, (int)listed->key_len,
				    listed->key, why.message);
			return 0;
		}
		if (prior && prior->state == STORE_OBJECT_REFUSED &&
		    strcmp(prior->etag, listed->etag) == 0)
			return 0;
		a = new_action(run, ACTION_REFUSE, listed);
		if (!a)
			return -ENOMEM;
		snprintf(a->problem, sizeof(a->problem), "%.200s", why.message);
		return 0;
	}

	if (!prior) {
		a = new_action(run, ACTION_DOWNLOAD, listed);
		if (a)
			a->reason = REASON_NEW;
		return a ? 0 : -ENOMEM;
	}

	if (strcmp(prior->etag, listed->etag) != 0 ||
	    prior->state == STORE_OBJECT_REFUSED) {
		kind = ACTION_DOWNLOAD;
	} else if (prior->state == STORE_OBJECT_FAILED) {
		if (prior->next_retry > run->now_ms) {
			run->failed++;
			return 0;
		}
		kind = ACTION_DOWNLOAD;
	} else {
		long offset =
			arena_add(&run->keys, listed->key, listed->key_len);
		enum local_state local;

		if (offset < 0)
			return -ENOMEM;
		local = check_local_copy(run, run->keys.bytes + offset, prior);
		run->keys.len = (size_t)offset;
		if (local == LOCAL_SAME) {
			run->mirrored++;
			run->bytes += prior->size;
			return 0;
		}
		kind = local == LOCAL_TOUCHED ? ACTION_RESTAMP
					      : ACTION_DOWNLOAD;
	}

	a = new_action(run, kind, listed);
	if (!a)
		return -ENOMEM;
	a->has_prior = true;
	a->prior = *prior;
	if (kind == ACTION_RESTAMP)
		return 0;
	if (strcmp(prior->etag, listed->etag) != 0)
		a->reason = REASON_MODIFIED;
	else if (prior->state == STORE_OBJECT_MIRRORED)
		a->reason = REASON_RESTORE;
	else
		a->reason = REASON_RETRY;
	return 0;
}

/* ---- doomed keys: in the store, not in the listing ---- */

static int flush_doomed(struct bucket_run *run)
{
	struct store_txn *txn;
	int rc = 0;

	if (run->doomed_count == 0)
		return 0;

	rc = store_txn_begin(run->m->store, true, &txn);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < run->doomed_count && rc == 0; i++)
		rc = store_doomed_add(txn, run->id,
				      run->doomed_keys.bytes +
					      run->doomed_offsets[i],
				      run->doomed_lens[i]);
	if (rc < 0) {
		store_txn_abort(txn);
		return rc;
	}

	run->doomed_count = 0;
	run->doomed_keys.len = 0;
	return store_txn_commit(txn);
}

static int doom(struct bucket_run *run, const char *key, size_t len)
{
	long offset = arena_add(&run->doomed_keys, key, len);

	if (offset < 0)
		return -ENOMEM;
	run->doomed_offsets[run->doomed_count] = (size_t)offset;
	run->doomed_lens[run->doomed_count] = len;
	if (++run->doomed_count == DOOMED_BATCH)
		return flush_doomed(run);
	return 0;
}

static int compare_keys(const char *a, size_t a_len, const char *b,
			size_t b_len)
{
	int c = memcmp(a, b, a_len < b_len ? a_len : b_len);

	if (c)
		return c;
	return a_len < b_len ? -1 : a_len > b_len;
}

/*
 * Walk the store from just after the previous page's last key, beside the
 * listed objects.  With objects NULL, doom every stored key that is left:
 * the listing has ended.
 */
static int merge_page(struct bucket_run *run, const struct drive_object *objs,
		      size_t count)
{
	struct store_object stored;
	struct store_cursor *cur;
	struct store_txn *txn;
	const char *skey;
	size_t slen, i = 0;
	int rc, at;

	rc = store_txn_begin(run->m->store, false, &txn);
	if (rc < 0)
		return rc;
	rc = store_cursor_open(txn, run->id, &cur);
	if (rc < 0)
		goto out_abort;
	at = store_cursor_seek_after(cur, run->have_last ? run->last_key : NULL,
				     run->last_len);

	for (;;) {
		bool have_stored =
			at == 0 &&
			store_cursor_get(cur, &skey, &slen, &stored) == 0;
		int order;

		if (!have_stored && i == count)
			break;
		if (have_stored && objs && i == count &&
		    compare_keys(skey, slen, objs[count - 1].key,
				 objs[count - 1].key_len) > 0)
			break;

		order = !have_stored ? -1
			: i == count
				? 1
				: compare_keys(objs[i].key, objs[i].key_len,
					       skey, slen);
		if (order > 0) {
			rc = doom(run, skey, slen);
			at = store_cursor_next(cur);
		} else if (keypath_is_folder_marker(objs[i].key,
						    objs[i].key_len)) {
			i++;
			continue;
		} else {
			rc = decide(run, &objs[i], order == 0 ? &stored : NULL);
			if (order == 0)
				at = store_cursor_next(cur);
			i++;
		}
		if (rc < 0)
			break;
	}

	store_cursor_close(cur);
out_abort:
	store_txn_abort(txn);
	if (rc == 0)
		rc = flush_doomed(run);
	return rc;
}

/* ---- acting on a page's decisions ---- */

static int64_t retry_delay_ms(const struct dm_config *cfg, uint32_t failures)
{
	uint64_t delay = cfg->retry_base_ms;

	for (uint32_t i = 1; i < failures && delay < cfg->retry_max_ms; i++)
		delay *= 2;
	if (delay > cfg->retry_max_ms)
		delay = cfg->retry_max_ms;

	/* Full jitter over the upper half, so that objects that failed
	 * together do not all come back together. */
	return (int64_t)(delay / 2 +
			 arc4random_uniform((uint32_t)(delay / 2) + 1));
}

static void record_failure(struct bucket_run *run, const struct action *a,
			   const char *error, struct store_object *out)
{
	bool same_etag = a->has_prior && strcmp(a->prior.etag, a->etag) == 0 &&
			 a->prior.state == STORE_OBJECT_FAILED;

	memset(out, 0, sizeof(*out));
	if (a->has_prior)
		*out = a->prior;
	out->state = STORE_OBJECT_FAILED;
	snprintf(out->etag, sizeof(out->etag), "%s", a->etag);
	out->size = a->size;
	out->last_modified = a->last_modified;
	out->fail_count = same_etag ? a->prior.fail_count + 1 : 1;
	out->next_retry =
		run->now_ms + retry_delay_ms(run->m->cfg, out->fail_count);
	snprintf(out->last_error, sizeof(out->last_error), "%s", error);
	run->failed++;

	if (out->fail_count == 1)
		warn_object(run->m,
			    "mirror: cannot mirror '%s/%s': %s, will retry",
			    run->name, action_key(run, a), error);
	else
		log_debug("mirror: '%s/%s' failed again (%u times): %s",
			  run->name, action_key(run, a), out->fail_count,
			  error);
}

/* Put one finished download in place and say what to record. */
static void settle_download(struct bucket_run *run, const struct action *a,
			    struct drive_get *g, const char *temp_name,
			    struct store_object *out)
{
	char detail[400];
	struct stat st;
	int rc;

	if (g->result == 0)
		rc = localfs_install(&run->m->fs, run->bucket_fd,
				     action_key(run, a), temp_name, g->fd, &st,
				     &g->error);
	else
		rc = g->result;
	if (rc < 0) {
		record_failure(run, a,
			       dm_error_str(&g->error, detail, sizeof(detail)),
			       out);
		return;
	}

	/* The object may have changed since it was listed: record what was
	 * actually fetched, so the state never claims the listed ETag for
	 * other content. */
	if (strcmp(g->etag, a->etag) != 0)
		log_debug(
			"mirror: '%s/%s' changed since it was listed (%s, now "
			"%s)",
			run->name, action_key(run, a), a->etag, g->etag);

	memset(out, 0, sizeof(*out));
	out->state = STORE_OBJECT_MIRRORED;
	snprintf(out->etag, sizeof(out->etag), "%s",
		 g->etag[0] ? g->etag : a->etag);
	out->size = g->size;
	out->last_modified =
		g->last_modified ? g->last_modified : a->last_modified;
	memcpy(out->local_md5, g->md5, sizeof(out->local_md5));
	out->local.size = (uint64_t)st.st_size;
	out->local.mtime_ns = stamp_mtime_ns(&st);
	out->local.ino = (uint64_t)st.st_ino;

	run->mirrored++;
	run->bytes += g->size;
	run->stats->bytes += g->size;
	if (a->reason == REASON_RESTORE) {
		run->stats->restored++;
		warn_object(run->m,
			    "mirror: '%s/%s' was changed or removed in "
			    "work_root; restored from the bucket",
			    run->name, action_key(run, a));
	} else {
		run->stats->downloaded++;
		log_debug("mirror: fetched '%s/%s' (%llu bytes)", run->name,
			  action_key(run, a), (unsigned long long)g->size);
	}
}

/* Download a chunk of actions and record them in one transaction. */
static int download_chunk(struct bucket_run *run, struct action **chunk,
			  size_t count)
{
	struct drive_get gets[DOWNLOAD_CHUNK];
	struct store_object results[DOWNLOAD_CHUNK];
	char temp_names[DOWNLOAD_CHUNK][LOCALFS_TEMP_NAME_MAX];
	struct dm_error sync_error;
	bool recorded[DOWNLOAD_CHUNK];
	struct store_txn *txn;
	int rc = 0;

	memset(gets, 0, sizeof(gets[0]) * count);
	for (size_t i = 0; i < count; i++) {
		gets[i].bucket = run->name;
		gets[i].key = action_key(run, chunk[i]);
		gets[i].key_len = chunk[i]->key_len;
		gets[i].fd = localfs_temp_open(&run->m->fs, temp_names[i],
					       &gets[i].error);
		gets[i].result = gets[i].fd < 0 ? gets[i].fd : 0;
	}

	drive_get_batch(run->m->drive, gets, count, run->interrupted, run->ctx);

	/* One sync for the whole chunk, before any file takes its name. */
	if (localfs_sync(&run->m->fs, &sync_error) < 0) {
		for (size_t i = 0; i < count; i++) {
			if (gets[i].result == 0) {
				gets[i].result = sync_error.code;
				gets[i].error = sync_error;
			}
		}
	}

	for (size_t i = 0; i < count; i++) {
		recorded[i] = gets[i].result != -EINTR;
		if (recorded[i])
			settle_download(run, chunk[i], &gets[i], temp_names[i],
					&results[i]);
		else
			run->pending++;
		if (gets[i].fd < 0)
			continue;
		close(gets[i].fd);
		if (!recorded[i] || results[i].state != STORE_OBJECT_MIRRORED)
			localfs_temp_discard(&run->m->fs, temp_names[i]);
	}

	rc = store_txn_begin(run->m->store, true, &txn);
	for (size_t i = 0; i < count && rc == 0; i++) {
		if (recorded[i])
			rc = store_object_put(txn, run->id,
					      action_key(run, chunk[i]),
					      chunk[i]->key_len, &results[i]);
	}
	if (rc < 0) {
		store_txn_abort(txn);
		return rc;
	}
	return store_txn_commit(txn);
}

static int record_marks(struct bucket_run *run)
{
	struct store_txn *txn = NULL;
	int rc = 0;

	for (size_t i = 0; i < run->action_count && rc == 0; i++) {
		struct action *a = &run->actions[i];
		struct store_object object;
		struct stat st;

		if (a->kind == ACTION_DOWNLOAD)
			continue;
		if (!txn &&
		    (rc = store_txn_begin(run->m->store, true, &txn)) < 0)
			return rc;

		if (a->kind == ACTION_REFUSE) {
			memset(&object, 0, sizeof(object));
			object.state = STORE_OBJECT_REFUSED;
			snprintf(object.etag, sizeof(object.etag), "%s",
				 a->etag);
			object.size = a->size;
			object.last_modified = a->last_modified;
			snprintf(object.last_error, sizeof(object.last_error),
				 "key %s", a->problem);
			warn_object(run->m,
				    "mirror: refusing key '%s/%s': %s, nothing "
				    "written",
				    run->name, action_key(run, a), a->problem);
		} else {
			object = a->prior;
			if (localfs_stat(run->bucket_fd, action_key(run, a),
					 &st) == 0) {
				object.local.size = (uint64_t)st.st_size;
				object.local.mtime_ns = stamp_mtime_ns(&st);
				object.local.ino = (uint64_t)st.st_ino;
			}
			run->mirrored++;
			run->bytes += object.size;
		}
		rc = store_object_put(txn, run->id, action_key(run, a),
				      a->key_len, &object);
	}
	if (!txn)
		return rc;
	if (rc < 0) {
		store_txn_abort(txn);
		return rc;
	}
	return store_txn_commit(txn);
}

static int run_downloads(struct bucket_run *run)
{
	struct action *chunk[DOWNLOAD_CHUNK];
	size_t n = 0;
	int rc = 0;

	for (size_t i = 0; i < run->action_count && rc == 0; i++) {
		if (run->actions[i].kind != ACTION_DOWNLOAD)
			continue;
		chunk[n++] = &run->actions[i];
		if (n == DOWNLOAD_CHUNK) {
			rc = download_chunk(run, chunk, n);
			n = 0;
		}
	}
	if (rc == 0 && n)
		rc = download_chunk(run, chunk, n);
	return rc;
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
	rc = merge_page(run, objs, count);
	if (rc == 0)
		rc = record_marks(run);
	if (rc == 0)
		rc = run_downloads(run);

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
	long offset = arena_add(&batch->keys, key, len);

	(void)unused;
	if (offset < 0)
		return -ENOMEM;
	batch->offsets[batch->count] = (size_t)offset;
	batch->lens[batch->count] = len;
	batch->count++;
	return 0;
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

			if (keypath_check(key, batch->lens[i], NULL) == 0 &&
			    localfs_remove(&run->m->fs, run->bucket_fd, key,
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
	record->last_cycle_end = now_ms() / 1000;
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
	int64_t started = now_ms();
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
			rc = merge_page(run, NULL, 0);
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

void mirror_free(struct mirror *m)
{
	if (!m)
		return;
	localfs_close(&m->fs);
	free(m);
}
