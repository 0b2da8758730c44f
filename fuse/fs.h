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
struct store;

struct fs {
	struct fuse_session *session;
	const char *state_dir;
	struct store *store; /* NULL until the agent has made it */

	pthread_mutex_t lock;
	struct fsview *view; /* the current view */

	int inotify_fd, stop_fd; /* stop_fd: an eventfd that ends refresh */
	pthread_t refresher;
	bool refreshing;
};

/* The current view, counted as used; give it back with fs_release(). */
struct fsview *fs_acquire(struct fs *fs);
void fs_release(struct fs *fs, struct fsview *view);

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
