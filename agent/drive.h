/*
 * drive.h - the one interface the mirror uses to reach a drive.
 *
 * A drive is a set of buckets holding objects.  Two kinds implement it: S3
 * over HTTP (drive_s3.c) and a local folder whose subfolders are buckets
 * (drive_file.c, the embedded default).  The mirror only lists, heads and
 * gets; it never knows which kind it talks to.
 *
 * All calls are made from one thread.  None of them sleeps to retry: a
 * failure is reported once, with detail in struct dm_error, and the sync
 * loop decides what to do.
 */
#ifndef DRIVEMON_DRIVE_H
#define DRIVEMON_DRIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "dm_limits.h"

struct dm_config;
struct store;

/* One object as a listing or a HEAD reports it. */
struct drive_object {
	const char *key; /* borrowed: valid until the callback returns */
	size_t key_len;	 /* keys may hold any byte; NUL is refused later */
	char etag[DM_ETAG_MAX]; /* without the surrounding quotes */
	uint64_t size;
	int64_t last_modified; /* seconds since the epoch */
};

/*
 * Called once per listing page with the page's objects in S3 key order
 * (byte order).  Return 0 to go on, or a negative errno to stop the
 * listing; the listing then returns that value.
 */
typedef int (*drive_page_fn)(void *ctx, const struct drive_object *objects,
			     size_t count);

/* Called once per bucket name; same return convention. */
typedef int (*drive_bucket_fn)(void *ctx, const char *bucket);

/*
 * Asked between transfers and while waiting on the network: returning true
 * aborts the transfers in flight, which then fail with -EINTR.
 */
typedef bool (*drive_interrupted_fn)(void *ctx);

/* One download of a batch: the caller fills the inputs. */
struct drive_get {
	/* inputs */
	const char *bucket;
	const char *key;
	size_t key_len;
	int fd; /* empty temporary file; the content is written here */

	/* results, valid after drive_get_batch() */
	int result; /* 0, or negative errno with error filled */
	struct dm_error error;
	char etag[DM_ETAG_MAX]; /* the ETag the GET answered, unquoted */
	uint64_t size;		/* bytes written to fd */
	int64_t last_modified;
	unsigned char md5[16]; /* MD5 of the bytes written */
};

/* One upload: the caller fills the inputs. */
struct drive_put {
	/* inputs */
	const char *bucket;
	const char *key;
	size_t key_len;
	int fd;		      /* the content: read from offset 0 to its end */
	const char *if_match; /* the ETag the object must still have, or NULL */
	bool if_none_match;   /* the object must not exist yet */

	/* result, valid after a successful drive_put() */
	char etag[DM_ETAG_MAX]; /* the ETag of the new object, unquoted */
};

struct drive;

struct drive_ops {
	const char *scheme;
	int (*list_buckets)(struct drive *d, drive_bucket_fn fn, void *ctx,
			    struct dm_error *err);
	int (*list)(struct drive *d, const char *bucket, drive_page_fn fn,
		    void *ctx, struct dm_error *err);
	int (*head)(struct drive *d, const char *bucket, const char *key,
		    size_t key_len, struct drive_object *out,
		    struct dm_error *err);
	void (*get_batch)(struct drive *d, struct drive_get *gets, size_t count,
			  drive_interrupted_fn interrupted, void *ctx);
	int (*put)(struct drive *d, struct drive_put *put,
		   struct dm_error *err);
	int (*remove)(struct drive *d, const char *bucket, const char *key,
		      size_t key_len, const char *if_match,
		      struct dm_error *err);
	void (*free)(struct drive *d);
};

struct drive {
	const struct drive_ops *ops;
	uint64_t max_object_size; /* larger objects fail with -EFBIG */
};

/*
 * Open the drive the configuration names: "file:///path" gives the folder
 * drive, "http://" or "https://" the S3 drive.  The folder drive caches
 * its computed ETags in store (which must outlive the drive); the S3 drive
 * ignores it.  On failure returns -errno with err filled.
 */
int drive_open(const struct dm_config *cfg, struct store *store,
	       struct drive **out, struct dm_error *err);

/* Close the drive.  Accepts NULL. */
void drive_free(struct drive *d);

/*
 * List bucket names, each once.  Returns 0 when the whole list was seen.
 */
int drive_list_buckets(struct drive *d, drive_bucket_fn fn, void *ctx,
		       struct dm_error *err);

/*
 * List every object of a bucket in byte order, page by page.  Returns 0
 * only when the listing reached its end: a listing that failed or was cut
 * short returns -errno, and the pages seen so far must not be taken as the
 * whole bucket.  Keys ending in "/" (folder markers) are listed too.
 */
int drive_list(struct drive *d, const char *bucket, drive_page_fn fn, void *ctx,
	       struct dm_error *err);

/* Metadata of one object; -ENOENT when there is none. */
int drive_head(struct drive *d, const char *bucket, const char *key,
	       size_t key_len, struct drive_object *out, struct dm_error *err);

/*
 * Download every entry of gets, in parallel where the drive can.  Each
 * entry gets its own result; one failing entry does not stop the others.
 * An object over max_object_size fails with -EFBIG and writes nothing.
 */
void drive_get_batch(struct drive *d, struct drive_get *gets, size_t count,
		     drive_interrupted_fn interrupted, void *ctx);

/*
 * Upload put->fd as put->key.  With if_match, the upload happens only if
 * the object still has that ETag; with if_none_match, only if there is no
 * such object.  The condition is sent to the server where it honours it
 * and also checked with a HEAD just before, for servers that ignore it.
 * A failed condition returns -ESTALE (HTTP 412 or a HEAD that disagrees);
 * nothing is written then.  Content over max_object_size fails with
 * -EFBIG.  On success put->etag holds the new ETag.
 */
int drive_put(struct drive *d, struct drive_put *put, struct dm_error *err);

/*
 * Delete an object; with if_match, only if it still has that ETag
 * (-ESTALE otherwise).  Deleting an object that is already gone returns 0.
 */
int drive_remove(struct drive *d, const char *bucket, const char *key,
		 size_t key_len, const char *if_match, struct dm_error *err);

/* Constructors used by drive_open(); exposed for the tests. */
struct s3_settings {
	const char *endpoint; /* "http://host:port" or "https://..." */
	const char *region;
	bool path_style; /* http://host/bucket/key, else bucket.host */
	const char *access_key;
	const char *secret_key;
	unsigned concurrency; /* parallel transfers in drive_get_batch() */
	uint64_t max_object_size;
	long connect_timeout_ms;
	long low_speed_time_s; /* abort a transfer slower than 1 B/s for this
				  long */
};

int drive_s3_open(const struct s3_settings *settings, struct drive **out,
		  struct dm_error *err);
int drive_file_open(const char *root, uint64_t max_object_size,
		    struct store *etag_cache, struct drive **out,
		    struct dm_error *err);

#endif
