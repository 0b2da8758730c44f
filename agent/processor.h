/*
 * processor.h - running handlers on changed sources, off the event loop.
 *
 * The event loop hands over paths (relative to work_root) that changed or
 * vanished; a small pool of worker threads runs the matching handler and
 * records its artifacts and the source's state in the store.
 *
 * Exactly once: a source's record holds the MD5 of the content last
 * handled and the stat of the file then.  A path whose stat is unchanged
 * is skipped without reading; one whose content hashes the same is only
 * re-stamped.  So the mirror rewriting the same bytes, a touch, a restart
 * or a rescan runs nothing, while every new content runs its handler once.
 * A path handed over again while it is being handled is handled once more
 * afterwards; one handed over while queued is queued once.
 *
 * A failing handler records its diagnostics in the source's record and
 * leaves the previous artifacts in place; a vanished source loses its
 * artifacts and its record.
 */
#ifndef DRIVEMON_PROCESSOR_H
#define DRIVEMON_PROCESSOR_H

#include <stdint.h>

#include "error.h"

struct dm_config;
struct store;
struct processor;

/* Start cfg->handler_workers threads.  0 or -errno with err. */
int processor_open(const struct dm_config *cfg, struct store *store,
		   struct processor **out, struct dm_error *err);

/*
 * Stop: the workers finish the source in hand and exit; sources still
 * queued are left for the next start's scan.  Accepts NULL.
 */
void processor_free(struct processor *p);

/* path ("bucket/key") changed or vanished; queue it if a handler wants it. */
void processor_change(struct processor *p, const char *path);

/*
 * Queue every source a handler wants that is on disk or recorded in the
 * store, for the buckets the configuration wants: at start and after
 * inotify lost events.  Cheap when nothing changed (a stat per source).
 */
int processor_scan(struct processor *p);

/* Block until no source is queued or being handled. */
void processor_wait_idle(struct processor *p);

/* Handler runs since the start (for the logs and tests). */
uint64_t processor_runs(struct processor *p);

#endif
