/*
 * mirror_merge.c - deciding what each listed key needs.
 *
 * A listing page and the store's objects in the same key range are walked
 * side by side, like two sorted files being merged.  A listed key the
 * store lacks is new; one whose ETag differs is modified; a failed one is
 * retried once its backoff has passed; a mirrored one is checked against
 * its local copy (a stat, and an MD5 only when the stat differs).  Stored
 * keys the listing skips are "doomed": written aside, deleted by mirror.c
 * only once the whole listing has ended.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "digest.h"
#include "keypath.h"
#include "mirror_run.h"

static struct action *new_action(struct bucket_run *run, enum action_kind kind,
				 const struct drive_object *listed)
{
	struct action *a = &run->actions[run->action_count];
	long offset =
		mirror_arena_add(&run->keys, listed->key, listed->key_len);

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

static bool stamp_matches(const struct store_file_stamp *stamp,
			  const struct stat *st)
{
	return stamp->size == (uint64_t)st->st_size &&
	       stamp->mtime_ns == (int64_t)st->st_mtim.tv_sec * 1000000000 +
					  st->st_mtim.tv_nsec &&
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
			mirror_warn_object(
				run->m,
				"mirror: refusing key '%s/%.*s': %s, "
				"nothing written",
				run->name, (int)listed->key_len, listed->key,
				why.message);
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
		long offset = mirror_arena_add(&run->keys, listed->key,
					       listed->key_len);
		enum local_state local;

		if (offset < 0)
			return -ENOMEM;
		local = check_local_copy(run, run->keys.bytes + offset, prior);
		if (local == LOCAL_CHANGED && run->m->local_edit) {
			/* Dev mode: the developer's edit, not damage. */
			run->m->local_edit(run->m->local_edit_ctx, run->name,
					   run->keys.bytes + offset);
			local = LOCAL_SAME;
		}
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
	long offset = mirror_arena_add(&run->doomed_keys, key, len);

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

int mirror_merge_page(struct bucket_run *run, const struct drive_object *objs,
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
