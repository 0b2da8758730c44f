/*
 * watch.h - noticing every change under work_root, once it has settled.
 *
 * One inotify instance watches work_root and every folder below it (but
 * the folders named in exclude, at any depth: the mirror's partial folder).
 * Watches are added as folders appear, with a scan of each new folder for
 * files made before its watch existed, and dropped as folders go.
 *
 * A change is reported once it has settled: settle_ms after the last event
 * on that path, so that an editor's save through a temporary file and a
 * rename, or several writes in a row, come out as one change.  What is
 * reported is the path's state at that moment: CHANGED when a regular file
 * is there, REMOVED when nothing is (a folder that went away reports
 * REMOVED for itself; the caller knows what lay below it).  Links and
 * other kinds of files are not reported, and a path reached only through
 * a link is not in the tree: links are never followed below the root.
 *
 * Consequences worth knowing: the temporary file of an editor's save is
 * reported REMOVED (it existed, briefly, under its own name), never
 * CHANGED once renamed; a file comes out as CHANGED when it is closed
 * after writing, or moved in, not when created; a folder that arrives
 * (made, or moved in, or renamed within the tree, which also reports its
 * old path REMOVED) has each of its files reported CHANGED, including
 * those made before its watch existed; a folder that went away and was
 * replaced by a link or another folder within settle_ms still reports
 * REMOVED, before the files of a new one.  Paths longer than a bucket, a slash
 * and a key (dm_limits.h) are neither watched nor reported.
 *
 * When the kernel's queue overflows (IN_Q_OVERFLOW), events were lost: the
 * watcher re-walks the whole tree, re-adding missing watches, forgets the
 * changes not yet reported, and asks the caller to rescan everything.  The
 * same happens when memory runs out for noting a change.
 *
 * The watcher never blocks: the caller polls watch_fd() in its event loop,
 * calls watch_read() when it is readable, and calls watch_dispatch() when
 * watch_next_timeout_ms() has passed.  One thread uses a watch.
 */
#ifndef DRIVEMON_WATCH_H
#define DRIVEMON_WATCH_H

#include "error.h"

struct watch;

enum watch_change {
	WATCH_CHANGED, /* a regular file is at the path */
	WATCH_REMOVED, /* nothing is at the path any more */
};

/* A settled change; path is relative to the root ("bucket/dir/file"),
 * borrowed for the call. */
typedef void (*watch_change_fn)(void *ctx, enum watch_change change,
				const char *path);

/* Events were lost: everything under the root may have changed. */
typedef void (*watch_rescan_fn)(void *ctx);

/*
 * Watch root and all folders below it, except those whose name is in
 * exclude (a NULL-terminated list, borrowed for the watch's life; files of
 * those names are ignored too).  Files already there are not reported.
 * Returns 0 or -errno with err (e.g. inotify's watch limit reached, named
 * with the folder and the sysctl to raise).  Needs /proc: each watch is
 * placed through /proc/self/fd on a folder opened without following links.
 */
int watch_open(const char *root, unsigned settle_ms, const char *const *exclude,
	       struct watch **out, struct dm_error *err);

/* Stop watching and free.  Accepts NULL. */
void watch_free(struct watch *w);

/* The descriptor to poll for input. */
int watch_fd(const struct watch *w);

/*
 * Read what the kernel has queued (non-blocking) and note the changes;
 * after a flood, what is left stays for the next call (the fd is still
 * readable).  A folder that cannot be watched (the watch limit) is logged
 * as a warning, and its changes go unnoticed.  Returns 0, or -errno when
 * inotify fails in a way reading again will not cure: -ENOENT when the
 * root itself was removed or moved away (free the watch and open another).
 */
int watch_read(struct watch *w);

/*
 * Milliseconds until the next change settles, 0 when one is due now, -1
 * when none is pending: the timeout for the caller's epoll_wait().
 */
int watch_next_timeout_ms(const struct watch *w);

/*
 * Report every change that has settled, oldest first, and the need to
 * rescan after an overflow (before the changes).  Returns how many
 * changes were reported.  The callbacks must not call watch_read().
 */
int watch_dispatch(struct watch *w, watch_change_fn changed,
		   watch_rescan_fn rescan, void *ctx);

/* Folders watched now (for status and tests). */
unsigned watch_count(const struct watch *w);

#endif
