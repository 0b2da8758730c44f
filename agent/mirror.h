/*
 * mirror.h - one sync cycle: make work_root equal to the drive's buckets.
 *
 * For each bucket the listing and the store are merged as two sorted
 * streams, a page at a time, so memory stays bounded by the page size and
 * not by the size of the bucket.  New and modified objects are downloaded
 * into anonymous temporary files and renamed into place; their state is
 * recorded only once the file is in place.  Objects missing from the
 * listing are deleted only once the listing has ended complete.  Local
 * copies changed or removed behind the agent's back are restored.
 *
 * The mirror never sleeps and never retries by itself: a failing object
 * records its error and the time before which it is not tried again, and
 * the next cycle decides.  Cycles are run by one thread, one at a time.
 */
#ifndef DRIVEMON_MIRROR_H
#define DRIVEMON_MIRROR_H

#include <stdint.h>

#include "drive.h"
#include "error.h"

struct dm_config;
struct store;
struct mirror;

/* What a cycle did, summed over its buckets. */
struct mirror_stats {
	uint64_t buckets;	 /* buckets visited */
	uint64_t buckets_failed; /* whose listing failed or was cut short */
	uint64_t listed;	 /* objects listed */
	uint64_t downloaded;	 /* new or modified objects fetched */
	uint64_t bytes;		 /* bytes fetched */
	uint64_t restored;	 /* local copies put back after a change */
	uint64_t deleted;	 /* local copies removed with their object */
	uint64_t failed;	 /* objects in error at the end of the cycle */
	uint64_t refused;	 /* keys that cannot be mirrored */
	uint64_t pending;	 /* left for the next cycle (interrupted) */
};

/*
 * Prepare a mirror over cfg's work_root, with the given store and drive,
 * which must outlive it.  Removes leftovers of a killed agent from the
 * temporary folder.  Returns 0 or -errno with err.
 */
int mirror_open(const struct dm_config *cfg, struct store *store,
		struct drive *drive, struct mirror **out, struct dm_error *err);

/*
 * In dev mode (cfg->dev_mode) a local copy that differs from what the
 * mirror wrote while its object did not change is the developer's edit:
 * it is reported to fn (bucket, key) instead of being restored, and an
 * edit that a remote change or deletion would overwrite is first set aside
 * as a conflict copy (conflict.h).
 */
typedef void (*mirror_local_edit_fn)(void *ctx, const char *bucket,
				     const char *key);
void mirror_on_local_edit(struct mirror *m, mirror_local_edit_fn fn, void *ctx);

/* Free the mirror.  Accepts NULL. */
void mirror_free(struct mirror *m);

/*
 * Run one cycle over every bucket the configuration wants.  interrupted
 * (may be NULL) is asked between objects and while waiting on the
 * network; when it answers true the cycle stops after the write in
 * progress and returns -EINTR.  Returns 0 when every bucket was listed
 * completely, else the first error, with err filled; stats count what was
 * done either way.
 */
int mirror_cycle(struct mirror *m, drive_interrupted_fn interrupted, void *ctx,
		 struct mirror_stats *stats, struct dm_error *err);

#endif
