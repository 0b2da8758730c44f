/*
 * devsync.c - uploads and deletes of local edits, with conflict copies.
 */
#include "devsync.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "conflict.h"
#include "digest.h"
#include "dm_limits.h"
#include "drive.h"
#include "keypath.h"
#include "localfs.h"
#include "log.h"
#include "mirror_run.h"
#include "store.h"

struct devsync {
	const struct dm_config *cfg;
	struct store *store;
	struct drive *drive;
	int root_fd;

	char **noted; /* paths, in the order noted; duplicates are harmless */
	size_t count, cap;
};

/* One noted path being pushed. */
struct push {
	struct devsync *d;
	char bucket[DM_NAME_MAX + 1];
	const char *key;
	uint32_t bucket_id;
	int bucket_fd;
	struct store_object prior;
	bool mirrored; /* prior holds what the mirror last wrote */
};

int devsync_open(const struct dm_config *cfg, struct store *store,
		 struct drive *drive, struct devsync **out,
		 struct dm_error *err)
{
	struct devsync *d = calloc(1, sizeof(*d));

	if (!d)
		return dm_error_set(err, -ENOMEM, "out of memory");
	d->cfg = cfg;
	d->store = store;
	d->drive = drive;
	d->root_fd = open(cfg->work_root,
			  O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (d->root_fd < 0) {
		int rc = -errno;

		free(d);
		return dm_error_set(err, rc, "cannot open work_root '%s': %s",
				    cfg->work_root, strerror(-rc));
	}
	*out = d;
	return 0;
}

static void forget_noted(struct devsync *d)
{
	for (size_t i = 0; i < d->count; i++)
		free(d->noted[i]);
	d->count = 0;
}

void devsync_free(struct devsync *d)
{
	if (!d)
		return;
	forget_noted(d);
	free(d->noted);
	close(d->root_fd);
	free(d);
}

void devsync_note(struct devsync *d, const char *path)
{
	char *copy;

	if (d->count == d->cap) {
		size_t cap = d->cap ? 2 * d->cap : 64;
		char **grown = realloc(d->noted, cap * sizeof(*grown));

		if (!grown)
			goto oom;
		d->noted = grown;
		d->cap = cap;
	}
	copy = strdup(path);
	if (!copy)
		goto oom;
	d->noted[d->count++] = copy;
	return;
oom:
	log_err("dev: out of memory noting '%s'; the next cycle retries it",
		path);
}

/* Write one object record (or delete it when object is NULL). */
static int record_object(struct push *p, const struct store_object *object)
{
	struct store_txn *txn;
	size_t key_len = strlen(p->key);
	int rc;

	rc = store_txn_begin(p->d->store, true, &txn);
	if (rc < 0)
		return rc;
	if (object)
		rc = store_object_put(txn, p->bucket_id, p->key, key_len,
				      object);
	else
		rc = store_object_del(txn, p->bucket_id, p->key, key_len);
	if (rc < 0 && rc != -ENOENT) {
		store_txn_abort(txn);
		return rc;
	}
	return store_txn_commit(txn);
}

/* The bucket won: keep the local file aside, let the mirror fetch. */
static void keep_both(struct push *p, const char *why)
{
	struct dm_error err = {0};
	char copy[DM_KEY_MAX + 64], detail[400];

	if (conflict_set_aside(p->d->store, p->bucket_id, p->bucket_fd, p->key,
			       why, copy, sizeof(copy), &err) < 0) {
		log_err("dev: conflict on '%s/%s' and %s; the local file stays "
			"and is not uploaded",
			p->bucket, p->key,
			dm_error_str(&err, detail, sizeof(detail)));
		return;
	}
	record_object(p, NULL);
	log_warning("dev: conflict on '%s/%s': %s; local version kept as '%s', "
		    "the bucket's version takes the path",
		    p->bucket, p->key, why, copy);
}

static unsigned upload(struct push *p, const struct stat *st,
		       const unsigned char md5[DIGEST_MD5_LEN])
{
	struct drive_put put = {
		.bucket = p->bucket, .key = p->key, .key_len = strlen(p->key)};
	struct store_object object = {0};
	struct dm_error err = {0};
	char detail[400];
	int rc;

	put.fd = localfs_open_read(p->bucket_fd, p->key);
	if (put.fd < 0)
		return 0;
	if (p->mirrored)
		put.if_match = p->prior.etag;
	else
		put.if_none_match = true;
	rc = drive_put(p->d->drive, &put, &err);
	close(put.fd);

	if (rc == -ESTALE) {
		keep_both(p, p->mirrored ? "edited here while it changed in "
					   "the bucket"
					 : "created here while the bucket got "
					   "an object of the same name");
		return 1;
	}
	if (rc < 0) {
		log_warning("dev: cannot upload '%s/%s': %s; retried next "
			    "cycle",
			    p->bucket, p->key,
			    dm_error_str(&err, detail, sizeof(detail)));
		return 0;
	}

	object.state = STORE_OBJECT_MIRRORED;
	snprintf(object.etag, sizeof(object.etag), "%s", put.etag);
	object.size = (uint64_t)st->st_size;
	object.last_modified = mirror_now_ms() / 1000;
	memcpy(object.local_md5, md5, DIGEST_MD5_LEN);
	mirror_stamp_of(st, &object.local);
	rc = record_object(p, &object);
	if (rc < 0)
		log_err("dev: uploaded '%s/%s' but cannot record it: %s",
			p->bucket, p->key, strerror(-rc));
	else
		log_info("dev: uploaded '%s/%s' (%lld bytes, ETag %s)",
			 p->bucket, p->key, (long long)st->st_size, put.etag);
	return 0;
}

static unsigned delete_remote(struct push *p)
{
	struct dm_error err = {0};
	char detail[400];
	int rc;

	rc = drive_remove(p->d->drive, p->bucket, p->key, strlen(p->key),
			  p->prior.etag, &err);
	if (rc == -ESTALE) {
		record_object(p, NULL);
		log_warning("dev: '%s/%s' was deleted here but changed in the "
			    "bucket; the bucket's version comes back",
			    p->bucket, p->key);
		return 1;
	}
	if (rc < 0) {
		log_warning("dev: cannot delete '%s/%s' in the bucket: %s",
			    p->bucket, p->key,
			    dm_error_str(&err, detail, sizeof(detail)));
		return 0;
	}
	record_object(p, NULL);
	log_info("dev: deleted '%s/%s' in the bucket", p->bucket, p->key);
	return 0;
}

static int load_prior(struct push *p)
{
	struct store_bucket b;
	struct store_txn *txn;
	int rc;

	rc = store_txn_begin(p->d->store, false, &txn);
	if (rc < 0)
		return rc;
	rc = store_bucket_get(txn, p->bucket, &b);
	if (rc == 0) {
		p->bucket_id = b.id;
		rc = store_object_get(txn, b.id, p->key, strlen(p->key),
				      &p->prior);
		p->mirrored =
			rc == 0 && p->prior.state == STORE_OBJECT_MIRRORED;
		if (rc == -ENOENT)
			rc = 0;
	}
	store_txn_abort(txn);
	return rc;
}

static unsigned push_one(struct devsync *d, const char *path)
{
	struct push p = {.d = d, .bucket_fd = -1};
	const char *slash = strchr(path, '/');
	unsigned char md5[DIGEST_MD5_LEN];
	unsigned conflicts = 0;
	struct stat st;
	int fd;

	if (!slash || slash == path || (size_t)(slash - path) > DM_NAME_MAX)
		return 0;
	memcpy(p.bucket, path, (size_t)(slash - path));
	p.key = slash + 1;
	if (!config_bucket_wanted(d->cfg, p.bucket) ||
	    keypath_check(p.key, strlen(p.key), NULL) < 0 ||
	    load_prior(&p) < 0 || p.bucket_id == 0)
		return 0;
	p.bucket_fd = openat(d->root_fd, p.bucket,
			     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (p.bucket_fd < 0)
		return 0;

	if (localfs_stat(p.bucket_fd, p.key, &st) < 0) {
		if (conflict_is_copy(p.key))
			conflict_forget(d->store, p.bucket_id, p.key);
		else if (p.mirrored)
			conflicts = delete_remote(&p);
		goto out;
	}
	if (!S_ISREG(st.st_mode) || conflict_is_copy(p.key))
		goto out;

	fd = localfs_open_read(p.bucket_fd, p.key);
	if (fd < 0 || digest_md5_fd(fd, md5) < 0) {
		if (fd >= 0)
			close(fd);
		goto out;
	}
	close(fd);
	if (!p.mirrored || memcmp(md5, p.prior.local_md5, sizeof(md5)) != 0)
		conflicts = upload(&p, &st, md5);
out:
	close(p.bucket_fd);
	return conflicts;
}

unsigned devsync_flush(struct devsync *d)
{
	unsigned conflicts = 0;

	for (size_t i = 0; i < d->count; i++)
		conflicts += push_one(d, d->noted[i]);
	forget_noted(d);
	return conflicts;
}
