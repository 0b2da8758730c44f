/*
 * fs.h - what drivemon-fs's parts share: the mounted filesystem's state.
 *
 * The FUSE session serves requests on one thread (fsops.c) from the
 * current view; a second thread (refresh.c) watches the store, builds the
 * next view, swaps it in under the lock and tells the kernel what to
 * drop.  The lock guards only the pointer to the current view and the
 * views' use counts, never a build or a reply.
 */
#ifndef DRIVEMON_FUSE_FS_H
#define DRIVEMON_FUSE_FS_H

#define FUSE_USE_VERSION 314 /* libfuse 3.14, as Debian bookworm ships */

#include <fuse_lowlevel.h>
#include <pthread.h>
#include <stdbool.h>

struct fsview;
struct fsview_node;
struct store;

/*
 * Files are opened without a message to drivemon-fs where the kernel
 * allows it, so a read names only an inode.  An inode's content never
 * changes (fsview.h), and the views it was in are kept this long after
 * they were replaced, at most this many, so that a reader who opened an
 * older version still reads it whole.
 */
#define RETIRED_SECONDS 60
#define RETIRED_VIEWS	16

struct fs {
	struct fuse_session *session;
	const char *state_dir;
	struct store *store; /* NULL until the agent has made it */

	pthread_mutex_t lock;
	struct fsview *view; /* the current view */
	/* views replaced in the last RETIRED_SECONDS, newest first */
	struct fsview *retired[RETIRED_VIEWS];
	int64_t retired_at[RETIRED_VIEWS];

	int inotify_fd, stop_fd; /* stop_fd: an eventfd that ends refresh */
	pthread_t refresher;
	bool refreshing;
};

/* The current view, counted as used; give it back with fs_release(). */
struct fsview *fs_acquire(struct fs *fs);
void fs_release(struct fs *fs, struct fsview *view);

/*
 * The node of inode ino in the current view or, for a version since
 * replaced, in a retired one; *view is that view, counted as used.
 * NULL (and *view NULL) when no kept view has it.
 */
const struct fsview_node *fs_find(struct fs *fs, uint64_t ino,
				  struct fsview **view);

/* The low-level operations (fsops.c). */
extern const struct fuse_lowlevel_ops fsops;

/*
 * Start the thread that follows the store (refresh.c): it opens the
 * store once the agent has made it and rebuilds the view on each change.
 * 0 or -errno.
 */
int refresh_start(struct fs *fs);
/* Stop it and wait for it.  Accepts a never-started fs. */
void refresh_stop(struct fs *fs);

#endif
