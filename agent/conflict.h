/*
 * conflict.h - keeping both versions when a local edit meets a remote one.
 *
 * In dev mode a file edited in work_root and changed in the bucket at the
 * same time is a conflict.  Neither version is lost: the remote one takes
 * the path and the local one is renamed beside it, "name.ext" becoming
 * "name.conflict-20261203T101500Z.ext".  Such copies are never uploaded.
 * Each is recorded in the store as a source of kind "conflict" whose
 * diagnostics say what happened, so that status lists it until the
 * developer removes the copy.
 */
#ifndef DRIVEMON_CONFLICT_H
#define DRIVEMON_CONFLICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "error.h"

struct store;

/* The kind of the store's source records for conflict copies. */
#define CONFLICT_KIND "conflict"

/*
 * The conflict copy's path for key at time when, into out (len bytes).
 * Returns 0, or -ENAMETOOLONG.
 */
int conflict_name(const char *key, time_t when, char *out, size_t len);

/* True when key names a conflict copy. */
bool conflict_is_copy(const char *key);

/*
 * Rename the local file key (under bucket_fd) to its conflict name and
 * record it with why.  copy receives the copy's key.  No write
 * transaction may be open in this thread.  0 or -errno with err.
 */
int conflict_set_aside(struct store *store, uint32_t bucket_id, int bucket_fd,
		       const char *key, const char *why, char *copy,
		       size_t copy_len, struct dm_error *err);

/* Forget the record of a conflict copy the developer removed. */
int conflict_forget(struct store *store, uint32_t bucket_id, const char *key);

#endif
