/*
 * mirror_fetch.c - downloading what the merge decided, and recording it.
 *
 * Downloads run in chunks: the drive fetches a chunk in parallel into
 * temporary files, one syncfs puts them all on disk, each is renamed into
 * place, and the chunk's outcomes are recorded in one write transaction.
 * A file is recorded as mirrored only once it is in place.  A failure
 * records its error, its count and when to try again.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "conflict.h"
#include "digest.h"
#include "log.h"
#include "mirror_run.h"

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
		mirror_warn_object(
			run->m, "mirror: cannot mirror '%s/%s': %s, will retry",
			run->name, mirror_action_key(run, a), error);
	else
		log_debug("mirror: '%s/%s' failed again (%u times): %s",
			  run->name, mirror_action_key(run, a), out->fail_count,
			  error);
}

int mirror_keep_local_edit(struct bucket_run *run, const char *key,
			   const struct store_object *prior,
			   const unsigned char *incoming_md5, const char *why)
{
	unsigned char md5[DIGEST_MD5_LEN];
	char copy[DM_KEY_MAX + 64], detail[400];
	struct dm_error err = {0};
	struct store_file_stamp stamp;
	struct stat st;
	int fd, rc;

	if (localfs_stat(run->bucket_fd, key, &st) < 0 || !S_ISREG(st.st_mode))
		return 0;
	mirror_stamp_of(&st, &stamp);
	if (prior && prior->state == STORE_OBJECT_MIRRORED &&
	    memcmp(&stamp, &prior->local, sizeof(stamp)) == 0)
		return 0;

	fd = localfs_open_read(run->bucket_fd, key);
	rc = fd >= 0 ? digest_md5_fd(fd, md5) : fd;
	if (fd >= 0)
		close(fd);
	if (rc < 0)
		return 0;
	if ((prior && prior->state == STORE_OBJECT_MIRRORED &&
	     memcmp(md5, prior->local_md5, sizeof(md5)) == 0) ||
	    (incoming_md5 && memcmp(md5, incoming_md5, sizeof(md5)) == 0))
		return 0;

	rc = conflict_set_aside(run->m->store, run->id, run->bucket_fd, key,
				why, copy, sizeof(copy), &err);
	if (rc < 0) {
		log_err("mirror: '%s/%s' was %s but cannot be set aside: %s; "
			"left as it is",
			run->name, key, why,
			dm_error_str(&err, detail, sizeof(detail)));
		return rc;
	}
	log_warning("dev: conflict on '%s/%s': %s; local version kept as '%s', "
		    "the bucket's version takes the path",
		    run->name, key, why, copy);
	return 0;
}

/* Put one finished download in place and say what to record. */
static void settle_download(struct bucket_run *run, const struct action *a,
			    struct drive_get *g, const char *temp_name,
			    struct store_object *out)
{
	const char *why = a->has_prior ? "edited here while it changed in "
					 "the bucket"
				       : "created here while the bucket got an "
					 "object of the same name";
	char detail[400];
	struct stat st;
	int rc;

	if (g->result == 0 && run->m->cfg->dev_mode &&
	    mirror_keep_local_edit(run, mirror_action_key(run, a),
				   a->has_prior ? &a->prior : NULL, g->md5,
				   why) < 0)
		g->result = dm_error_set(&g->error, -EEXIST,
					 "a local edit is in the way and "
					 "cannot be set aside");
	if (g->result == 0)
		rc = localfs_install(&run->m->fs, run->bucket_fd,
				     mirror_action_key(run, a), temp_name,
				     g->fd, &st, &g->error);
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
			run->name, mirror_action_key(run, a), a->etag, g->etag);

	memset(out, 0, sizeof(*out));
	out->state = STORE_OBJECT_MIRRORED;
	snprintf(out->etag, sizeof(out->etag), "%s",
		 g->etag[0] ? g->etag : a->etag);
	out->size = g->size;
	out->last_modified =
		g->last_modified ? g->last_modified : a->last_modified;
	memcpy(out->local_md5, g->md5, sizeof(out->local_md5));
	mirror_stamp_of(&st, &out->local);

	run->mirrored++;
	run->bytes += g->size;
	run->stats->bytes += g->size;
	if (a->reason == REASON_RESTORE) {
		run->stats->restored++;
		mirror_warn_object(run->m,
				   "mirror: '%s/%s' was changed or removed in "
				   "work_root; restored from the bucket",
				   run->name, mirror_action_key(run, a));
	} else {
		run->stats->downloaded++;
		log_debug("mirror: fetched '%s/%s' (%llu bytes)", run->name,
			  mirror_action_key(run, a),
			  (unsigned long long)g->size);
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
		gets[i].key = mirror_action_key(run, chunk[i]);
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
					      mirror_action_key(run, chunk[i]),
					      chunk[i]->key_len, &results[i]);
	}
	if (rc < 0) {
		store_txn_abort(txn);
		return rc;
	}
	return store_txn_commit(txn);
}

int mirror_record_marks(struct bucket_run *run)
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
			mirror_warn_object(
				run->m,
				"mirror: refusing key '%s/%s': %s, nothing "
				"written",
				run->name, mirror_action_key(run, a),
				a->problem);
		} else {
			object = a->prior;
			if (localfs_stat(run->bucket_fd,
					 mirror_action_key(run, a), &st) == 0)
				mirror_stamp_of(&st, &object.local);
			run->mirrored++;
			run->bytes += object.size;
		}
		rc = store_object_put(txn, run->id, mirror_action_key(run, a),
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

int mirror_run_downloads(struct bucket_run *run)
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
