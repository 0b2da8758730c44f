/*
 * drive_file.c - a local folder as a drive: each subfolder is a bucket,
 * each regular file below it an object whose key is its relative path.
 *
 * This is the embedded default, so that drivemon runs with no S3 server.
 * It behaves like S3 where the mirror can tell: keys are listed in byte
 * order, a page at a time, and the ETag is the hex MD5 of the content.
 * Computing an MD5 reads the whole file, so ETags are cached in the store
 * under the file's size, mtime and inode, and an unchanged file is never
 * read again.  Links and special files are skipped: a drive folder must
 * not lead the mirror elsewhere.
 *
 * An upload is written to a temporary file ".drivemon-put.*" in the
 * bucket folder, synced, then renamed over the key's path, whose folders
 * are walked and created without following links (localfs does the
 * walking); a delete also removes the folders it leaves empty.  A process
 * killed mid-upload leaves its temporary file behind; listings skip such
 * names at the top of a bucket, so that it never becomes an object.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "digest.h"
#include "drive.h"
#include "keypath.h"
#include "localfs.h"
#include "store.h"

/*
 * Uploads are written first to a file so named in the bucket folder; names
 * taken by the leftovers of killed processes are skipped, TEMP_TRIES at most.
 */
#define TEMP_PREFIX   ".drivemon-put."
#define TEMP_NAME_MAX 64
#define TEMP_TRIES    16

struct file_drive {
	struct drive base;
	int root_fd;
	struct store *etag_cache;
	unsigned long temp_counter; /* names temporary files */
};

/* A page of objects being gathered; keys live in one growing arena. */
struct page {
	struct drive_object objects[DM_LIST_PAGE_MAX];
	struct store_file_stamp stamps[DM_LIST_PAGE_MAX];
	size_t key_offsets[DM_LIST_PAGE_MAX];
	size_t count;
	char *arena;
	size_t arena_len, arena_cap;
};

struct walk {
	struct file_drive *drive;
	const char *bucket;
	int bucket_fd;
	drive_page_fn fn;
	void *ctx;
	struct page *page;
	struct dm_error *err;
};

/* One folder entry, named as it sorts: folders carry a trailing '/'. */
struct entry {
	char *name;
	bool is_dir;
	struct stat st;
};

static int compare_entries(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->name,
		      ((const struct entry *)b)->name);
}

static struct file_drive *file_drive_of(struct drive *d)
{
	return (struct file_drive *)d;
}

static int stamp_of(const struct stat *st, struct store_file_stamp *stamp)
{
	stamp->size = (uint64_t)st->st_size;
	stamp->mtime_ns =
		(int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
	stamp->ino = (uint64_t)st->st_ino;
	return 0;
}

static int md5_etag(int bucket_fd, const char *key, char *etag)
{
	unsigned char md5[DIGEST_MD5_LEN];
	int fd = openat(bucket_fd, key, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return -errno;
	rc = digest_md5_fd(fd, md5);
	close(fd);
	if (rc == 0)
		digest_hex(md5, sizeof(md5), etag);
	return rc;
}

/*
 * Fill the ETags of a page: from the cache where the stamp still matches,
 * else by reading the file, and remember what was computed.
 */
static int fill_etags(struct walk *w)
{
	struct page *page = w->page;
	struct store_txn *txn;
	bool missed = false;
	int rc;

	rc = store_txn_begin(w->drive->etag_cache, false, &txn);
	if (rc < 0)
		return dm_error_set(w->err, rc, "cannot read the ETag cache");
	for (size_t i = 0; i < page->count; i++) {
		struct drive_object *o = &page->objects[i];

		if (store_etag_get(txn, w->bucket, o->key, o->key_len,
				   &page->stamps[i], o->etag) < 0) {
			o->etag[0] = '\0';
			missed = true;
		}
	}
	store_txn_abort(txn);
	if (!missed)
		return 0;

	rc = store_txn_begin(w->drive->etag_cache, true, &txn);
	if (rc < 0)
		return dm_error_set(w->err, rc, "cannot write the ETag cache");
	for (size_t i = 0; i < page->count && rc == 0; i++) {
		struct drive_object *o = &page->objects[i];

		if (o->etag[0])
			continue;
		rc = md5_etag(w->bucket_fd, o->key, o->etag);
		if (rc < 0) {
			/* Gone or unreadable since the walk: not listed. */
			o->etag[0] = '\0';
			rc = 0;
			continue;
		}
		rc = store_etag_put(txn, w->bucket, o->key, o->key_len,
				    &page->stamps[i], o->etag);
	}
	if (rc < 0) {
		store_txn_abort(txn);
		return dm_error_set(w->err, rc, "cannot write the ETag cache");
	}
	return store_txn_commit(txn);
}

/* Drop the objects whose file vanished while the page was hashed. */
static void drop_vanished(struct page *page)
{
	size_t kept = 0;

	for (size_t i = 0; i < page->count; i++) {
		if (!page->objects[i].etag[0])
			continue;
		page->objects[kept] = page->objects[i];
		page->stamps[kept] = page->stamps[i];
		kept++;
	}
	page->count = kept;
}

static int flush_page(struct walk *w)
{
	struct page *page = w->page;
	int rc;

	if (page->count == 0)
		return 0;

	/* Keys point into the arena, which may have moved as it grew. */
	for (size_t i = 0; i < page->count; i++)
		page->objects[i].key = page->arena + page->key_offsets[i];

	rc = fill_etags(w);
	if (rc < 0)
		return rc;
	drop_vanished(page);

	rc = w->fn(w->ctx, page->objects, page->count);
	page->count = 0;
	page->arena_len = 0;
	return rc;
}

static int add_object(struct walk *w, const char *prefix, size_t prefix_len,
		      const struct entry *e)
{
	struct page *page = w->page;
	size_t name_len = strlen(e->name);
	size_t key_len = prefix_len + name_len;
	struct drive_object *o;
	int rc;

	if (page->arena_len + key_len + 1 > page->arena_cap) {
		size_t cap = page->arena_cap ? page->arena_cap * 2 : 64 * 1024;
		char *grown;

		while (cap < page->arena_len + key_len + 1)
			cap *= 2;
		grown = realloc(page->arena, cap);
		if (!grown)
			return dm_error_set(w->err, -ENOMEM, "out of memory");
		page->arena = grown;
		page->arena_cap = cap;
	}

	o = &page->objects[page->count];
	memset(o, 0, sizeof(*o));
	page->key_offsets[page->count] = page->arena_len;
	memcpy(page->arena + page->arena_len, prefix, prefix_len);
	memcpy(page->arena + page->arena_len + prefix_len, e->name, name_len);
	page->arena[page->arena_len + key_len] = '\0';
	page->arena_len += key_len + 1;
	o->key_len = key_len;
	o->size = (uint64_t)e->st.st_size;
	o->last_modified = e->st.st_mtim.tv_sec;
	stamp_of(&e->st, &page->stamps[page->count]);
	page->count++;

	if (page->count == DM_LIST_PAGE_MAX) {
		rc = flush_page(w);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Read a folder's entries sorted as S3 would sort the keys below them. */
static int read_entries(int dir_fd, struct entry **out, size_t *count)
{
	int fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
	struct entry *entries = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	int rc = 0;

	if (!dir) {
		rc = -errno;
		if (fd >= 0)
			close(fd);
		return rc;
	}

	while ((de = readdir(dir))) {
		struct entry *e;

		if (de->d_name[0] == '.' &&
		    (!de->d_name[1] ||
		     (de->d_name[1] == '.' && !de->d_name[2])))
			continue;
		if (n == cap) {
			struct entry *grown;

			cap = cap ? cap * 2 : 64;
			grown = realloc(entries, cap * sizeof(*entries));
			if (!grown) {
				rc = -ENOMEM;
				break;
			}
			entries = grown;
		}
		e = &entries[n];
		if (fstatat(dirfd(dir), de->d_name, &e->st,
			    AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (!S_ISREG(e->st.st_mode) && !S_ISDIR(e->st.st_mode))
			continue;
		e->is_dir = S_ISDIR(e->st.st_mode);
		e->name = malloc(strlen(de->d_name) + 2);
		if (!e->name) {
			rc = -ENOMEM;
			break;
		}
		strcpy(e->name, de->d_name);
		if (e->is_dir)
			strcat(e->name, "/");
		n++;
	}
	closedir(dir);

	if (n > 1)
		qsort(entries, n, sizeof(*entries), compare_entries);
	*out = entries;
	*count = n;
	return rc;
}

static void free_entries(struct entry *entries, size_t count)
{
	for (size_t i = 0; i < count; i++)
		free(entries[i].name);
	free(entries);
}

/* The temporary file of an upload that was killed: not an object. */
static bool is_upload_leftover(size_t prefix_len, const char *name)
{
	return prefix_len == 0 &&
	       strncmp(name, TEMP_PREFIX, sizeof(TEMP_PREFIX) - 1) == 0;
}

static int walk_folder(struct walk *w, int dir_fd, char *prefix,
		       size_t prefix_len)
{
	struct entry *entries;
	size_t count;
	int rc;

	rc = read_entries(dir_fd, &entries, &count);
	if (rc < 0) {
		free_entries(entries, count);
		return dm_error_set(
			w->err, rc, "cannot read folder '%s/%.*s': %s",
			w->bucket, (int)prefix_len, prefix, strerror(-rc));
	}

	for (size_t i = 0; i < count && rc == 0; i++) {
		struct entry *e = &entries[i];
		size_t name_len = strlen(e->name);
		int sub_fd;

		if (!e->is_dir && !is_upload_leftover(prefix_len, e->name))
			rc = add_object(w, prefix, prefix_len, e);
		if (!e->is_dir)
			continue;
		if (prefix_len + name_len > DM_KEY_MAX)
			continue;
		sub_fd =
			openat(dir_fd, e->name,
			       O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub_fd < 0)
			continue;
		memcpy(prefix + prefix_len, e->name, name_len + 1);
		rc = walk_folder(w, sub_fd, prefix, prefix_len + name_len);
		prefix[prefix_len] = '\0';
		close(sub_fd);
	}

	free_entries(entries, count);
	return rc;
}

static int open_bucket(struct file_drive *fd, const char *bucket,
		       struct dm_error *err)
{
	int bucket_fd;

	if (!keypath_bucket_valid(bucket))
		return dm_error_set(err, -EINVAL, "'%s' is not a bucket name",
				    bucket);
	bucket_fd = openat(fd->root_fd, bucket,
			   O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (bucket_fd < 0)
		return dm_error_set(err, -errno, "cannot open bucket '%s': %s",
				    bucket, strerror(errno));
	return bucket_fd;
}

static int file_list(struct drive *d, const char *bucket, drive_page_fn fn,
		     void *ctx, struct dm_error *err)
{
	struct file_drive *fdrive = file_drive_of(d);
	char prefix[DM_KEY_MAX + DM_NAME_MAX + 2] = "";
	struct walk w = {.drive = fdrive,
			 .bucket = bucket,
			 .fn = fn,
			 .ctx = ctx,
			 .err = err};
	int rc;

	w.bucket_fd = open_bucket(fdrive, bucket, err);
	if (w.bucket_fd < 0)
		return w.bucket_fd;
	w.page = calloc(1, sizeof(*w.page));
	if (!w.page) {
		rc = dm_error_set(err, -ENOMEM, "out of memory");
		goto out_close;
	}

	rc = walk_folder(&w, w.bucket_fd, prefix, 0);
	if (rc == 0)
		rc = flush_page(&w);

	free(w.page->arena);
	free(w.page);
out_close:
	close(w.bucket_fd);
	return rc;
}

static int file_list_buckets(struct drive *d, drive_bucket_fn fn, void *ctx,
			     struct dm_error *err)
{
	struct file_drive *fdrive = file_drive_of(d);
	struct entry *entries;
	size_t count;
	int rc;

	rc = read_entries(fdrive->root_fd, &entries, &count);
	for (size_t i = 0; i < count && rc == 0; i++) {
		size_t len = strlen(entries[i].name);

		if (!entries[i].is_dir)
			continue;
		entries[i].name[len - 1] = '\0';
		if (keypath_bucket_valid(entries[i].name))
			rc = fn(ctx, entries[i].name);
	}
	free_entries(entries, count);
	if (rc < 0 && !err->code)
		dm_error_set(err, rc, "cannot list the drive folder: %s",
			     strerror(-rc));
	return rc;
}

static int file_head(struct drive *d, const char *bucket, const char *key,
		     size_t key_len, struct drive_object *out,
		     struct dm_error *err)
{
	struct file_drive *fdrive = file_drive_of(d);
	struct stat st;
	int bucket_fd, rc = 0;

	if (keypath_check(key, key_len, NULL) < 0)
		return dm_error_set(err, -ENOENT, "no object '%s/%.*s'", bucket,
				    (int)key_len, key);
	bucket_fd = open_bucket(fdrive, bucket, err);
	if (bucket_fd < 0)
		return bucket_fd;

	if (fstatat(bucket_fd, key, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
	    !S_ISREG(st.st_mode)) {
		rc = dm_error_set(err, -ENOENT, "no object '%s/%.*s'", bucket,
				  (int)key_len, key);
		goto out_close;
	}
	memset(out, 0, sizeof(*out));
	out->key = key;
	out->key_len = key_len;
	out->size = (uint64_t)st.st_size;
	out->last_modified = st.st_mtim.tv_sec;
	rc = md5_etag(bucket_fd, key, out->etag);
	if (rc < 0)
		dm_error_set(err, rc, "cannot read '%s/%s': %s", bucket, key,
			     strerror(-rc));
out_close:
	close(bucket_fd);
	return rc;
}

/* Copy src to dst, hashing what is copied. */
static int copy_hashing(int src, int dst, unsigned char md5[16],
			uint64_t *copied)
{
	unsigned char buf[128 * 1024];
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	ssize_t n;
	int rc = 0;

	if (!ctx)
		return -ENOMEM;
	EVP_DigestInit_ex(ctx, EVP_md5(), NULL);
	*copied = 0;
	while ((n = read(src, buf, sizeof(buf))) > 0) {
		for (ssize_t done = 0; done < n;) {
			ssize_t w = write(dst, buf + done, (size_t)(n - done));

			if (w < 0) {
				rc = -errno;
				goto out_free;
			}
			done += w;
		}
		EVP_DigestUpdate(ctx, buf, (size_t)n);
		*copied += (uint64_t)n;
	}
	if (n < 0)
		rc = -errno;
	EVP_DigestFinal_ex(ctx, md5, NULL);
out_free:
	EVP_MD_CTX_free(ctx);
	return rc;
}

static void get_one(struct file_drive *fdrive, struct drive_get *g)
{
	struct stat st;
	int bucket_fd, src;

	bucket_fd = open_bucket(fdrive, g->bucket, &g->error);
	if (bucket_fd < 0) {
		g->result = bucket_fd;
		return;
	}
	src = openat(bucket_fd, g->key, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	close(bucket_fd);
	if (src < 0 || fstat(src, &st) < 0 || !S_ISREG(st.st_mode)) {
		g->result = dm_error_set(&g->error, -ENOENT,
					 "cannot get '%s/%s': no such object",
					 g->bucket, g->key);
		goto out_close;
	}
	if ((uint64_t)st.st_size > fdrive->base.max_object_size) {
		g->result = dm_error_set(
			&g->error, -EFBIG,
			"cannot get '%s/%s': %lld bytes is over max_object_size",
			g->bucket, g->key, (long long)st.st_size);
		goto out_close;
	}

	g->result = copy_hashing(src, g->fd, g->md5, &g->size);
	if (g->result < 0) {
		dm_error_set(&g->error, g->result, "cannot copy '%s/%s': %s",
			     g->bucket, g->key, strerror(-g->result));
		goto out_close;
	}
	digest_hex(g->md5, sizeof(g->md5), g->etag);
	g->last_modified = st.st_mtim.tv_sec;

out_close:
	if (src >= 0)
		close(src);
}

static void file_get_batch(struct drive *d, struct drive_get *gets,
			   size_t count, drive_interrupted_fn interrupted,
			   void *ctx)
{
	for (size_t i = 0; i < count; i++) {
		dm_error_clear(&gets[i].error);
		if (interrupted && interrupted(ctx)) {
			gets[i].result = dm_error_set(&gets[i].error, -EINTR,
						      "interrupted");
			continue;
		}
		get_one(file_drive_of(d), &gets[i]);
	}
}

/* ---- uploads and deletes ---- */

/*
 * Check what an upload or a delete names and copy the key into path as a
 * C string: a key that could leave the bucket folder is refused.
 */
static int check_target(const char *verb, const char *bucket, const char *key,
			size_t key_len, char path[DM_KEY_MAX + 1],
			struct dm_error *err)
{
	struct dm_error why;

	if (!bucket || !key)
		return dm_error_set(err, -EINVAL, "cannot %s: no bucket or key",
				    verb);
	if (keypath_check(key, key_len, &why) < 0)
		return dm_error_set(err, -EINVAL,
				    "cannot %s '%s/%.*s': the key %s", verb,
				    bucket, (int)key_len, key, why.message);
	memcpy(path, key, key_len);
	path[key_len] = '\0';
	return 0;
}

/* The bucket's folder, with a message that names the object too. */
static int open_target_bucket(struct file_drive *fdrive, const char *verb,
			      const char *bucket, const char *path,
			      struct dm_error *err)
{
	struct dm_error why;
	int bucket_fd = open_bucket(fdrive, bucket, &why);

	if (bucket_fd < 0)
		return dm_error_set(err, bucket_fd, "cannot %s '%s/%s': %s",
				    verb, bucket, path, why.message);
	return bucket_fd;
}

static int cached_etag(struct file_drive *fdrive, const char *bucket,
		       const char *path, const struct store_file_stamp *stamp,
		       char etag[DM_ETAG_MAX])
{
	struct store_txn *txn;
	int rc;

	rc = store_txn_begin(fdrive->etag_cache, false, &txn);
	if (rc < 0)
		return rc;
	rc = store_etag_get(txn, bucket, path, strlen(path), stamp, etag);
	store_txn_abort(txn);
	return rc;
}

/*
 * Cache an ETag computed here.  A failure is not reported: the cache only
 * spares a later listing from reading the file again.
 */
static void remember_etag(struct file_drive *fdrive, const char *bucket,
			  const char *path,
			  const struct store_file_stamp *stamp,
			  const char *etag)
{
	struct store_txn *txn;

	if (store_txn_begin(fdrive->etag_cache, true, &txn) < 0)
		return;
	if (store_etag_put(txn, bucket, path, strlen(path), stamp, etag) < 0) {
		store_txn_abort(txn);
		return;
	}
	store_txn_commit(txn);
}

/*
 * The ETag of the object at path as it is now: from the cache when its
 * stamp still matches, else read and cached.  -ENOENT when there is no
 * regular file there (a folder, a link or nothing).
 */
static int current_etag(struct file_drive *fdrive, const char *bucket,
			int bucket_fd, const char *path, char etag[DM_ETAG_MAX])
{
	unsigned char md5[DIGEST_MD5_LEN];
	struct store_file_stamp stamp;
	struct stat st;
	int fd, rc;

	/* Looked at before opening: opening a FIFO would block. */
	if (localfs_stat(bucket_fd, path, &st) < 0 || !S_ISREG(st.st_mode))
		return -ENOENT;
	fd = localfs_open_read(bucket_fd, path);
	if (fd < 0)
		return fd == -ENOTDIR || fd == -ELOOP ? -ENOENT : fd;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -ENOENT;
	}

	stamp_of(&st, &stamp);
	rc = cached_etag(fdrive, bucket, path, &stamp, etag);
	if (rc < 0) {
		rc = digest_md5_fd(fd, md5);
		if (rc == 0) {
			digest_hex(md5, sizeof(md5), etag);
			remember_etag(fdrive, bucket, path, &stamp, etag);
		}
	}
	close(fd);
	return rc;
}

/*
 * Check an upload's or a delete's condition against the file there now.
 * Returns 0 when it holds or there is no object (*absent then tells),
 * -ESTALE when it fails.  Without a condition nothing is read.
 */
static int check_condition(struct file_drive *fdrive, const char *verb,
			   const char *bucket, int bucket_fd, const char *path,
			   const char *if_match, bool if_none_match,
			   bool *absent, struct dm_error *err)
{
	char etag[DM_ETAG_MAX];
	struct stat st;
	int rc;

	if (!if_match && !if_none_match) {
		*absent = localfs_stat(bucket_fd, path, &st) < 0 ||
			  !S_ISREG(st.st_mode);
		return 0;
	}

	rc = current_etag(fdrive, bucket, bucket_fd, path, etag);
	*absent = rc == -ENOENT;
	if (*absent)
		return 0;
	if (rc < 0)
		return dm_error_set(err, rc,
				    "cannot %s '%s/%s': cannot read it: %s",
				    verb, bucket, path, strerror(-rc));

	if (if_none_match)
		return dm_error_set(
			err, -ESTALE,
			"cannot %s '%s/%s': the object exists already", verb,
			bucket, path);
	if (if_match && strcmp(etag, if_match) != 0)
		return dm_error_set(
			err, -ESTALE,
			"cannot %s '%s/%s': its ETag is now %s, not %s", verb,
			bucket, path, etag, if_match);
	return 0;
}

/*
 * localfs walks a key's folders one component at a time without following
 * links, creating missing ones, and removes the folders a file leaves
 * empty.  Here the bucket folder stands in for its partial folder, so that
 * an upload's temporary file is renamed within the bucket's file system.
 */
static void bucket_localfs_open(struct localfs *fs, int bucket_fd)
{
	memset(fs, 0, sizeof(*fs));
	fs->root_fd = -1;
	fs->partial_fd = bucket_fd;
	fs->cached_bucket_fd = fs->cached_dir_fd = -1;
}

/* Close what localfs opened; the bucket folder stays the caller's. */
static void bucket_localfs_close(struct localfs *fs)
{
	fs->partial_fd = -1;
	localfs_close(fs);
}

/*
 * A new temporary file in the bucket folder; returns an fd or -errno.  A
 * name may be taken by the leftover of a killed process with our pid.
 */
static int temp_create(struct file_drive *fdrive, int bucket_fd,
		       char name[TEMP_NAME_MAX])
{
	int fd = -1;

	for (int tries = 0; fd < 0 && tries < TEMP_TRIES; tries++) {
		snprintf(name, TEMP_NAME_MAX, "%s%ld.%lu", TEMP_PREFIX,
			 (long)getpid(), ++fdrive->temp_counter);
		fd = openat(bucket_fd, name,
			    O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW |
				    O_CLOEXEC,
			    0644);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	return fd < 0 ? -errno : fd;
}

/* Copy the whole content into the temporary file and make it durable. */
static int fill_temp(int src, int tmp_fd, unsigned char md5[DIGEST_MD5_LEN])
{
	uint64_t copied;
	int rc;

	if (lseek(src, 0, SEEK_SET) < 0)
		return -errno;
	rc = copy_hashing(src, tmp_fd, md5, &copied);
	if (rc == 0 && fsync(tmp_fd) < 0)
		rc = -errno;
	return rc;
}

/*
 * Write the content to a temporary file, then rename it over the key's
 * path, so that a reader never sees half an object.  The new ETag is
 * cached under the installed file's stamp.
 */
static int write_object(struct file_drive *fdrive, struct drive_put *put,
			int bucket_fd, const char *path, struct dm_error *err)
{
	unsigned char md5[DIGEST_MD5_LEN];
	struct store_file_stamp stamp;
	char name[TEMP_NAME_MAX];
	struct dm_error why;
	struct localfs fs;
	struct stat st;
	int tmp_fd, rc;

	tmp_fd = temp_create(fdrive, bucket_fd, name);
	if (tmp_fd < 0)
		return dm_error_set(
			err, tmp_fd,
			"cannot put '%s/%s': cannot create a temporary file: %s",
			put->bucket, path, strerror(-tmp_fd));

	rc = fill_temp(put->fd, tmp_fd, md5);
	if (rc < 0) {
		dm_error_set(err, rc, "cannot put '%s/%s': cannot copy it: %s",
			     put->bucket, path, strerror(-rc));
		goto out_unlink_tmp;
	}

	bucket_localfs_open(&fs, bucket_fd);
	rc = localfs_install(&fs, bucket_fd, path, name, tmp_fd, &st, &why);
	bucket_localfs_close(&fs);
	if (rc < 0) {
		dm_error_set(err, rc, "cannot put '%s/%s': %s", put->bucket,
			     path, why.message);
		goto out_unlink_tmp;
	}

	digest_hex(md5, sizeof(md5), put->etag);
	stamp_of(&st, &stamp);
	remember_etag(fdrive, put->bucket, path, &stamp, put->etag);
	close(tmp_fd);
	return 0;

out_unlink_tmp:
	unlinkat(bucket_fd, name, 0);
	close(tmp_fd);
	return rc;
}

static int check_content(const struct file_drive *fdrive,
			 const struct drive_put *put, const char *path,
			 struct dm_error *err)
{
	struct stat st;

	if (fstat(put->fd, &st) < 0 || !S_ISREG(st.st_mode))
		return dm_error_set(
			err, -EBADF,
			"cannot put '%s/%s': the content is not a regular file",
			put->bucket, path);
	if ((uint64_t)st.st_size > fdrive->base.max_object_size)
		return dm_error_set(
			err, -EFBIG,
			"cannot put '%s/%s': %lld bytes is over max_object_size",
			put->bucket, path, (long long)st.st_size);
	return 0;
}

static int file_put(struct drive *d, struct drive_put *put,
		    struct dm_error *err)
{
	struct file_drive *fdrive = file_drive_of(d);
	char path[DM_KEY_MAX + 1];
	int bucket_fd, rc;
	bool absent;

	put->etag[0] = '\0';
	rc = check_target("put", put->bucket, put->key, put->key_len, path,
			  err);
	if (rc == 0)
		rc = check_content(fdrive, put, path, err);
	if (rc < 0)
		return rc;

	bucket_fd = open_target_bucket(fdrive, "put", put->bucket, path, err);
	if (bucket_fd < 0)
		return bucket_fd;

	rc = check_condition(fdrive, "put", put->bucket, bucket_fd, path,
			     put->if_match, put->if_none_match, &absent, err);
	if (rc == 0 && absent && put->if_match)
		rc = dm_error_set(err, -ESTALE,
				  "cannot put '%s/%s': the object is gone",
				  put->bucket, path);
	if (rc == 0)
		rc = write_object(fdrive, put, bucket_fd, path, err);

	close(bucket_fd);
	return rc;
}

static int file_remove(struct drive *d, const char *bucket, const char *key,
		       size_t key_len, const char *if_match,
		       struct dm_error *err)
{
	struct file_drive *fdrive = file_drive_of(d);
	char path[DM_KEY_MAX + 1];
	struct dm_error why;
	struct localfs fs;
	int bucket_fd, rc;
	bool absent;

	rc = check_target("delete", bucket, key, key_len, path, err);
	if (rc < 0)
		return rc;
	bucket_fd = open_target_bucket(fdrive, "delete", bucket, path, err);
	if (bucket_fd < 0)
		return bucket_fd;

	rc = check_condition(fdrive, "delete", bucket, bucket_fd, path,
			     if_match, false, &absent, err);
	if (rc < 0 || absent)
		goto out_close;

	bucket_localfs_open(&fs, bucket_fd);
	rc = localfs_remove(&fs, bucket_fd, path, &why);
	bucket_localfs_close(&fs);
	if (rc < 0)
		dm_error_set(err, rc, "cannot delete '%s/%s': %s", bucket, path,
			     why.message);

out_close:
	close(bucket_fd);
	return rc;
}

static void file_free(struct drive *d)
{
	struct file_drive *fdrive = file_drive_of(d);

	close(fdrive->root_fd);
	free(fdrive);
}

static const struct drive_ops file_ops = {
	.scheme = "file",
	.list_buckets = file_list_buckets,
	.list = file_list,
	.head = file_head,
	.get_batch = file_get_batch,
	.put = file_put,
	.remove = file_remove,
	.free = file_free,
};

int drive_file_open(const char *root, uint64_t max_object_size,
		    struct store *etag_cache, struct drive **out,
		    struct dm_error *err)
{
	struct file_drive *fdrive = calloc(1, sizeof(*fdrive));

	if (!fdrive)
		return dm_error_set(err, -ENOMEM, "out of memory");
	fdrive->root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fdrive->root_fd < 0) {
		int rc = -errno;

		free(fdrive);
		return dm_error_set(err, rc,
				    "cannot open drive folder '%s': %s", root,
				    strerror(-rc));
	}
	fdrive->base.ops = &file_ops;
	fdrive->base.max_object_size = max_object_size;
	fdrive->etag_cache = etag_cache;
	*out = &fdrive->base;
	return 0;
}
