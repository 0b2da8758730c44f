/*
 * mirror_run.h - what the parts of one bucket's cycle share.
 *
 * Internal to the mirror: mirror.c runs the listing and the bucket,
 * mirror_merge.c decides what each listed key needs, mirror_fetch.c
 * downloads and records.  They share the state of the bucket's run below.
 */
#ifndef DRIVEMON_MIRROR_RUN_H
#define DRIVEMON_MIRROR_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include "drive.h"
#include "localfs.h"
#include "mirror.h"
#include "store.h"

struct dm_config;

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
	mirror_local_edit_fn local_edit; /* dev mode's, or NULL */
	void *local_edit_ctx;
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

/*
 * Dev mode: if the local file at key holds an edit the mirror did not
 * write (prior is what it recorded, NULL if nothing), move it aside as a
 * conflict copy, saying why.  Returns 0 when nothing was in the way or it
 * was moved, -errno when it could not be moved (then leave the file).
 */
int mirror_keep_local_edit(struct bucket_run *run, const char *key,
			   const struct store_object *prior,
			   const unsigned char *incoming_md5, const char *why);

/* The stat of a local file as the store keeps it. */
void mirror_stamp_of(const struct stat *st, struct store_file_stamp *stamp);

/* Milliseconds since the epoch. */
int64_t mirror_now_ms(void);

/* Copy a key into the arena, NUL-terminated; returns its offset or -1. */
long mirror_arena_add(struct key_arena *arena, const char *key, size_t len);

/* The key of an action, valid until the next page. */
const char *mirror_action_key(const struct bucket_run *run,
			      const struct action *a);

/*
 * A warning about one object.  A cycle may fail thousands of objects the
 * same way; after WARNINGS_PER_CYCLE the rest go to the debug log.
 */
void mirror_warn_object(struct mirror *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Walk the store from just after the previous page's last key, beside the
 * listed objects, filling run->actions and dooming stored keys the
 * listing skipped.  With objects NULL, doom every stored key left: the
 * listing has ended.
 */
int mirror_merge_page(struct bucket_run *run, const struct drive_object *objs,
		      size_t count);

/* Record the page's refusals and refreshed stats in one transaction. */
int mirror_record_marks(struct bucket_run *run);

/* Download the page's new, modified, retried and restored objects. */
int mirror_run_downloads(struct bucket_run *run);

#endif
