/*
 * devsync.h - dev mode: local edits in work_root go back to the bucket.
 *
 * The event loop notes every settled local change; a flush then compares
 * each noted file with what the mirror recorded for it:
 * - same content as recorded: the mirror's own write, nothing to do;
 * - different content: uploaded, on condition that the object still has
 *   the ETag last seen (If-Match, and a HEAD just before for servers that
 *   ignore it), or that it does not exist yet for a new file;
 * - gone, for an object drivemon mirrored: deleted in the bucket, on the
 *   same condition.
 * When the condition fails somebody changed the object meanwhile: the
 * local file is set aside as a conflict copy (conflict.h) and the record
 * dropped, so that the next mirror cycle fetches the bucket's version.
 */
#ifndef DRIVEMON_DEVSYNC_H
#define DRIVEMON_DEVSYNC_H

#include "error.h"

struct dm_config;
struct drive;
struct store;
struct devsync;

int devsync_open(const struct dm_config *cfg, struct store *store,
		 struct drive *drive, struct devsync **out,
		 struct dm_error *err);

/* Accepts NULL. */
void devsync_free(struct devsync *d);

/* A local change of path ("bucket/key") to push at the next flush. */
void devsync_note(struct devsync *d, const char *path);

/*
 * Push every noted change.  Returns how many ended in a conflict (the
 * caller then runs a mirror cycle soon to fetch the remote versions).
 */
unsigned devsync_flush(struct devsync *d);

#endif
