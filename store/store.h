/*
 * store.h - drivemon's durable state, kept in one LMDB environment.
 *
 * What is kept:
 *   buckets  name -> struct store_bucket (id, cycle times and counters)
 *   objects  (bucket id, key) -> struct store_object, in key byte order,
 *            which is S3's listing order, so that a listing can be merged
 *            with the store as two sorted streams
 *   failures the subset of objects whose state is not MIRRORED, kept in
 *            step by store_object_put()/store_object_del() so that status
 *            costs the number of failures, not the number of objects
 *   doomed   (bucket id, key) of objects absent from a listing that has
 *            not finished yet; they are deleted only once it has
 *   etags    (bucket, key) -> file stamp and ETag, the folder drive's
 *            cache of computed MD5s
 *   sources  (bucket id, key) -> struct store_source, what a handler made
 *            of a source file and when
 *   artifacts (bucket id, kind, name) -> struct store_artifact, a
 *            handler's outputs, content included
 *
 * One process writes (the agent); any number read at the same time (the
 * tools, the FUSE view) by opening the store with STORE_READ_ONLY.  LMDB
 * types never leave store.c.
 *
 * Threads: a store may be shared by threads; a transaction belongs to the
 * thread that began it.  A thread may hold one write transaction and read
 * transactions at the same time.
 *
 * Every function that acts returns 0 or a negative errno: -ENOENT for a
 * missing record, -ENOSPC when the map is full, -EIO for corruption,
 * -EINVAL for an empty key or one longer than DM_KEY_MAX, -EROFS for
 * writes through a read-only store or a read transaction.  Keys may hold
 * any byte, NUL included.  On error an output struct may have been
 * partly written.
 */
#ifndef DRIVEMON_STORE_H
#define DRIVEMON_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../agent/error.h"
#include "../agent/dm_limits.h"

struct store;
struct store_txn;
struct store_cursor;

enum store_mode {
	STORE_READ_WRITE,
	STORE_READ_ONLY,
};

/*
 * Open (creating it in read-write mode) the environment in folder dir.
 * On failure returns -errno with err naming the folder and the cause:
 * in read-only mode -ENOENT when the agent has not created the store yet;
 * -EIO when the store was written with a schema version this build does
 * not know.  A store of an older schema is upgraded by a read-write open;
 * a read-only open refuses it (-EIO) until the agent has done that.  Open
 * a store at most once per process (an LMDB rule).
 */
int store_open(const char *dir, enum store_mode mode, struct store **out,
	       struct dm_error *err);

/* Close the environment.  No transaction may be open.  Accepts NULL. */
void store_close(struct store *store);

/*
 * Drop from this process's resident set the pages of the map it has read.
 * They stay in the page cache; the next access maps them again, so open
 * transactions in any thread are not disturbed.  The store trims itself
 * every few dozen lookups and the mirror after each listing page, so that
 * memory does not grow with the number of objects.
 */
void store_trim(struct store *store);

/*
 * Transactions.  A read transaction sees one consistent snapshot until it
 * ends.  Only one write transaction exists at a time: beginning one waits
 * for the current one to end (so a thread holding one must not begin
 * another).  Data borrowed from a transaction (cursor keys) stays valid
 * until the next call on the same cursor or the end of the transaction.
 * store_txn_commit() and store_txn_abort() free the transaction, even when
 * the commit fails; store_txn_abort() accepts NULL.
 */
int store_txn_begin(struct store *store, bool write, struct store_txn **out);
int store_txn_commit(struct store_txn *txn);
void store_txn_abort(struct store_txn *txn);

/* ---- buckets ---- */

struct store_bucket {
	uint32_t id;		       /* assigned by store_bucket_put() */
	int64_t last_complete_listing; /* when the last full listing ended, s */
	int64_t last_cycle_start;      /* s since the epoch, 0 = never */
	int64_t last_cycle_end;
	uint64_t cycles;	   /* cycles run, complete or not */
	uint64_t complete_cycles;  /* cycles whose listing was complete */
	uint64_t objects_mirrored; /* counts at the end of the last cycle */
	uint64_t objects_failed;
	uint64_t objects_pending;
	uint64_t bytes_mirrored;
	uint64_t last_downloaded; /* what the last cycle did */
	uint64_t last_deleted;
	uint64_t last_restored;
	char last_error[320]; /* why the last listing failed, or "" */
};

/*
 * Bucket names are 1 to DM_NAME_MAX bytes (the folder drive's buckets are
 * folder names), else -EINVAL.
 */

/* Read a bucket record; -ENOENT if the bucket was never seen. */
int store_bucket_get(struct store_txn *txn, const char *name,
		     struct store_bucket *out);

/*
 * Write a bucket record.  A record with id 0 keeps the id the bucket
 * already has, or gets a fresh one if it is new; either is written back
 * into *bucket.
 */
int store_bucket_put(struct store_txn *txn, const char *name,
		     struct store_bucket *bucket);

/*
 * Call fn for every bucket in name order; fn returns 0 to go on or a
 * negative errno to stop, which is then returned.
 */
typedef int (*store_bucket_fn)(void *ctx, const char *name,
			       const struct store_bucket *bucket);
int store_bucket_foreach(struct store_txn *txn, store_bucket_fn fn, void *ctx);

/* ---- objects ---- */

enum store_object_state {
	STORE_OBJECT_MIRRORED = 1, /* the local copy matches etag */
	STORE_OBJECT_FAILED = 2,   /* the last download failed; retried */
	STORE_OBJECT_REFUSED = 3,  /* the key cannot be mirrored (bad path) */
};

/* The stat of a local file, to notice a change without reading it. */
struct store_file_stamp {
	uint64_t size;
	int64_t mtime_ns;
	uint64_t ino;
};

struct store_object {
	enum store_object_state state;
	char etag[DM_ETAG_MAX];	       /* as listed, unquoted */
	uint64_t size;		       /* as listed */
	int64_t last_modified;	       /* as listed, s since the epoch */
	unsigned char local_md5[16];   /* MD5 of the local copy */
	struct store_file_stamp local; /* stat of the local copy */
	uint32_t fail_count;	       /* failures since the ETag changed */
	int64_t next_retry;	       /* not before, ms since the epoch */
	char last_error[320];	       /* why it failed, or "" */
};

/* Read one object; -ENOENT if absent. */
int store_object_get(struct store_txn *txn, uint32_t bucket_id, const char *key,
		     size_t key_len, struct store_object *out);

/*
 * Insert or replace one object; keeps the failures index in step.  A
 * state outside the enum or an unterminated string is -EINVAL.
 */
int store_object_put(struct store_txn *txn, uint32_t bucket_id, const char *key,
		     size_t key_len, const struct store_object *object);

/* Remove one object and its failure entry; -ENOENT if absent. */
int store_object_del(struct store_txn *txn, uint32_t bucket_id, const char *key,
		     size_t key_len);

/*
 * A cursor over one bucket's objects in key order.  It never leaves the
 * bucket: past its last object, store_cursor_get() returns -ENOENT.  It
 * opens on the bucket's first object.  Objects may be put and deleted in
 * the same write transaction while it is open; after deleting the object
 * it is on, store_cursor_next() moves to the one that followed.  When the
 * transaction ends its cursors stop working (-EINVAL) but must still be
 * closed; store_cursor_close() accepts NULL.
 */
int store_cursor_open(struct store_txn *txn, uint32_t bucket_id,
		      struct store_cursor **out);
void store_cursor_close(struct store_cursor *cur);

/*
 * Position on the first object whose key is > after (NULL: the first);
 * -ENOENT when there is none.  after may be longer than DM_KEY_MAX.
 */
int store_cursor_seek_after(struct store_cursor *cur, const char *after,
			    size_t after_len);

/*
 * Read the current object; object may be NULL to read only the key.  The
 * key is lent NUL-terminated, valid until the next call on this cursor.
 */
int store_cursor_get(struct store_cursor *cur, const char **key,
		     size_t *key_len, struct store_object *object);

/* Move to the next object; -ENOENT past the bucket's last one. */
int store_cursor_next(struct store_cursor *cur);

/*
 * Objects of a bucket whose state is not MIRRORED, in key order; fn
 * returns 0 to go on or a negative errno to stop, which is then returned.
 * The key and object are copies: fn may write to the store in the same
 * transaction, e.g. put the object again once it is mirrored.
 */
typedef int (*store_object_fn)(void *ctx, const char *key, size_t key_len,
			       const struct store_object *object);
int store_failure_foreach(struct store_txn *txn, uint32_t bucket_id,
			  store_object_fn fn, void *ctx);

/* ---- keys waiting for the end of a listing ---- */

int store_doomed_add(struct store_txn *txn, uint32_t bucket_id, const char *key,
		     size_t key_len);

/*
 * Copy up to max doomed keys of a bucket, in order, into the callback,
 * with a NULL object; returns how many were passed, or a negative errno
 * (fn's, if it stopped the walk).  The caller removes each with
 * store_doomed_del() once handled, which fn may do itself.
 */
int store_doomed_list(struct store_txn *txn, uint32_t bucket_id, size_t max,
		      store_object_fn fn, void *ctx);
int store_doomed_del(struct store_txn *txn, uint32_t bucket_id, const char *key,
		     size_t key_len);

/* Forget every doomed key of a bucket (its listing failed). */
int store_doomed_clear(struct store_txn *txn, uint32_t bucket_id);

/* ---- the folder drive's ETag cache ---- */

/*
 * Find the ETag computed for bucket/key when its file had this stamp;
 * -ENOENT when there is none or the stamp differs.  etag must hold
 * DM_ETAG_MAX bytes.  bucket is 1 to DM_NAME_MAX bytes, else -EINVAL.
 */
int store_etag_get(struct store_txn *txn, const char *bucket, const char *key,
		   size_t key_len, const struct store_file_stamp *stamp,
		   char *etag);
int store_etag_put(struct store_txn *txn, const char *bucket, const char *key,
		   size_t key_len, const struct store_file_stamp *stamp,
		   const char *etag);

/* ---- what handlers derive from sources ---- */

/* Bytes of a handler kind ("config", "dialog"), its NUL included. */
#define STORE_KIND_MAX 32

/*
 * Bytes of diagnostics a source keeps.  Longer diagnostics are cut, never
 * inside a UTF-8 sequence, and end in "\n[truncated]" within this bound.
 */
#define STORE_DIAGNOSTICS_MAX (64u << 10)

/*
 * A source file of a bot (a bucket) as its handler last saw it, keyed
 * like an object by (bucket id, key).  The handler runs again only when
 * the content's MD5 differs from etag, so a restart, a touch or the
 * mirror writing the same bytes runs nothing.
 */
struct store_source {
	char etag[DM_ETAG_MAX];	       /* hex MD5 of what was handled */
	struct store_file_stamp local; /* stat of the file when handled */
	int64_t handled_at;	       /* ms since the epoch */
	int32_t status;		       /* 0, or the handler's -errno */
	char kind[STORE_KIND_MAX];     /* the handler that ran */
	char *diagnostics;	       /* what went wrong, or NULL */
};

/*
 * Read one source; -ENOENT if absent.  out->diagnostics is a malloc'd
 * copy that the caller frees, or NULL when the source has none; it is
 * NULL whenever the call fails.
 */
int store_source_get(struct store_txn *txn, uint32_t bucket_id, const char *key,
		     size_t key_len, struct store_source *out);

/*
 * Insert or replace one source.  An unterminated etag or kind is -EINVAL;
 * diagnostics may be NULL, and are cut to STORE_DIAGNOSTICS_MAX.
 */
int store_source_put(struct store_txn *txn, uint32_t bucket_id, const char *key,
		     size_t key_len, const struct store_source *source);

/* Remove one source; -ENOENT if absent.  Its artifacts stay. */
int store_source_del(struct store_txn *txn, uint32_t bucket_id, const char *key,
		     size_t key_len);

/*
 * Every source of a bucket in key order; fn returns 0 to go on or a
 * negative errno to stop, which is then returned.  The key (lent
 * NUL-terminated) and the source are copies, diagnostics included, valid
 * for the call: fn may put or delete sources in the same transaction.
 */
typedef int (*store_source_fn)(void *ctx, const char *key, size_t key_len,
			       const struct store_source *source);
int store_source_foreach(struct store_txn *txn, uint32_t bucket_id,
			 store_source_fn fn, void *ctx);

/*
 * An artifact: one named output of a handler, e.g. kind "config" name
 * "config", or kind "dialog" name "start.bas", keyed by (bucket id, kind,
 * name).  What store_artifact_get() and the foreach callbacks give points
 * into LMDB's pages, no copy: source_key is not NUL-terminated, content
 * has no particular alignment.  In a read transaction the pointers stay
 * valid until it ends; in a write transaction only until the next put or
 * delete through it, because LMDB may move or free the pages it changes.
 */
struct store_artifact {
	const char *source_key; /* the source it came from */
	size_t source_key_len;
	char source_etag[DM_ETAG_MAX]; /* the source's etag when produced */
	unsigned char content_md5[16]; /* as the handler computed it */
	int64_t produced_at;	       /* ms since the epoch */
	const void *content;
	size_t content_len;
};

/*
 * kind is 1 to STORE_KIND_MAX - 1 bytes; name is at least one byte, of
 * any value, and kind plus name at most DM_KEY_MAX - 1 bytes; else
 * -EINVAL.  The artifact put must have a source key of 1 to DM_KEY_MAX
 * bytes and a terminated source_etag; its pointers may point into this
 * same transaction's records, as they are copied before LMDB changes
 * anything.  get and del answer -ENOENT when the artifact is absent.
 */
int store_artifact_put(struct store_txn *txn, uint32_t bucket_id,
		       const char *kind, const char *name, size_t name_len,
		       const struct store_artifact *artifact);
int store_artifact_get(struct store_txn *txn, uint32_t bucket_id,
		       const char *kind, const char *name, size_t name_len,
		       struct store_artifact *out);
int store_artifact_del(struct store_txn *txn, uint32_t bucket_id,
		       const char *kind, const char *name, size_t name_len);

/*
 * Artifacts of a bucket in (kind, name) byte order, only those of one
 * kind when kind is not NULL.  fn returns 0 to go on or a negative errno
 * to stop, which is then returned.  kind and name are copies, both lent
 * NUL-terminated for the call; the artifact is borrowed as from
 * store_artifact_get().  fn may put or delete artifacts in the same
 * transaction, the one it is given included; the walk goes on with the
 * first artifact after it.
 */
typedef int (*store_artifact_fn)(void *ctx, const char *kind, const char *name,
				 size_t name_len,
				 const struct store_artifact *artifact);
int store_artifact_foreach(struct store_txn *txn, uint32_t bucket_id,
			   const char *kind, store_artifact_fn fn, void *ctx);

#endif
