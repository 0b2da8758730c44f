/*
 * refresh.c - following the store: a new view after every change.
 *
 * The agent writes the store's data file with pwrite(), so inotify's
 * IN_MODIFY on it says that something was committed; no polling.  Before
 * the agent has made its store the thread watches the state folder for
 * the file to appear.  Each burst of events gives one rebuild: the new
 * view is built without the lock, swapped in under it, and then compared
 * with the old one, and the kernel is told to drop exactly the inodes and
 * entries that changed.  That telling happens here, on a thread that
 * serves no request, as libfuse requires.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "fs.h"
#include "fsview.h"
#include "log.h"
#include "store.h"

#define DATA_FILE "data.mdb"

struct fsview *fs_acquire(struct fs *fs)
{
	struct fsview *v;

	pthread_mutex_lock(&fs->lock);
	v = fs->view;
	fsview_ref(v);
	pthread_mutex_unlock(&fs->lock);
	return v;
}

void fs_release(struct fs *fs, struct fsview *view)
{
	pthread_mutex_lock(&fs->lock);
	fsview_unref(view);
	pthread_mutex_unlock(&fs->lock);
}

const struct fsview_node *fs_find(struct fs *fs, uint64_t ino,
				  struct fsview **view)
{
	const struct fsview_node *n;

	pthread_mutex_lock(&fs->lock);
	*view = fs->view;
	n = fsview_node(*view, ino);
	for (size_t i = 0; !n && i < RETIRED_VIEWS && fs->retired[i]; i++) {
		*view = fs->retired[i];
		n = fsview_node(*view, ino);
	}
	if (n)
		fsview_ref(*view);
	else
		*view = NULL;
	pthread_mutex_unlock(&fs->lock);
	return n;
}

static int64_t monotonic_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* Keep old as the newest retired view; drop those past their time. */
static void retire(struct fs *fs, struct fsview *old)
{
	int64_t now = monotonic_s();
	size_t keep = 0;

	fsview_unref(fs->retired[RETIRED_VIEWS - 1]);
	memmove(fs->retired + 1, fs->retired,
		(RETIRED_VIEWS - 1) * sizeof(fs->retired[0]));
	memmove(fs->retired_at + 1, fs->retired_at,
		(RETIRED_VIEWS - 1) * sizeof(fs->retired_at[0]));
	fs->retired[0] = old;
	fs->retired_at[0] = now;
	while (keep < RETIRED_VIEWS && fs->retired[keep] &&
	       now - fs->retired_at[keep] <= RETIRED_SECONDS)
		keep++;
	for (size_t i = keep; i < RETIRED_VIEWS; i++) {
		fsview_unref(fs->retired[i]);
		fs->retired[i] = NULL;
	}
}

static void drop_inode(void *ctx, uint64_t ino)
{
	struct fs *fs = ctx;

	/* -ENOENT: the kernel never looked at it, nothing to drop. */
	fuse_lowlevel_notify_inval_inode(fs->session, ino, 0, 0);
}

static void drop_entry(void *ctx, uint64_t parent, const char *name)
{
	struct fs *fs = ctx;

	fuse_lowlevel_notify_inval_entry(fs->session, parent, name,
					 strlen(name));
}

static void rebuild(struct fs *fs)
{
	struct fsview *next, *old;
	int rc = fsview_build(fs->store, &next);

	if (rc < 0) {
		log_warning("fs: cannot read the store in '%s': %s; the view "
			    "stays as it was",
			    fs->state_dir, strerror(-rc));
		return;
	}
	pthread_mutex_lock(&fs->lock);
	old = fs->view;
	fs->view = next;
	fsview_ref(old); /* for the diff below */
	retire(fs, old);
	pthread_mutex_unlock(&fs->lock);

	fsview_diff(old, next, drop_inode, drop_entry, fs);
	log_debug("fs: view rebuilt, %zu nodes", fsview_count(next));
	fs_release(fs, old);
}

/* Watch the data file when there is one, else the folder for its coming. */
static int watch_store(struct fs *fs)
{
	char path[4096];
	struct dm_error err = {0};
	char detail[400];
	int rc;

	if (!fs->store) {
		rc = store_open(fs->state_dir, STORE_READ_ONLY, &fs->store,
				&err);
		if (rc < 0 && rc != -ENOENT)
			log_warning("fs: %s",
				    dm_error_str(&err, detail, sizeof(detail)));
		if (rc < 0)
			fs->store = NULL;
	}
	if (!fs->store)
		return inotify_add_watch(fs->inotify_fd, fs->state_dir,
					 IN_CREATE | IN_MOVED_TO | IN_MODIFY |
						 IN_CLOSE_WRITE);

	snprintf(path, sizeof(path), "%s/%s", fs->state_dir, DATA_FILE);
	return inotify_add_watch(fs->inotify_fd, path,
				 IN_MODIFY | IN_DELETE_SELF | IN_MOVE_SELF);
}

/* Read what inotify has; true when the store itself went away. */
static bool drain(struct fs *fs)
{
	char buf[4096]
		__attribute__((aligned(__alignof__(struct inotify_event))));
	bool gone = false;
	ssize_t n;

	while ((n = read(fs->inotify_fd, buf, sizeof(buf))) > 0)
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *e = (const void *)p;

			if (e->mask & (IN_DELETE_SELF | IN_MOVE_SELF))
				gone = true;
			p += sizeof(*e) + e->len;
		}
	return gone;
}

/*
 * One commit of the agent is several writes, each an event; wait until
 * the events pause (QUIET_MS) so that one commit gives one rebuild, but
 * never longer than SETTLE_MAX_MS after the first.
 */
#define QUIET_MS      3
#define SETTLE_MAX_MS 20

static bool settle(struct fs *fs)
{
	bool gone = drain(fs);

	for (int waited = 0; waited < SETTLE_MAX_MS; waited += QUIET_MS) {
		struct pollfd pfd = {.fd = fs->inotify_fd, .events = POLLIN};

		if (poll(&pfd, 1, QUIET_MS) <= 0)
			break;
		gone = drain(fs) || gone;
	}
	return gone;
}

static void *refresh_loop(void *arg)
{
	struct fs *fs = arg;
	int wd = watch_store(fs);

	if (wd < 0)
		log_err("fs: cannot watch '%s': %s; the view stays empty",
			fs->state_dir, strerror(errno));

	if (fs->store)
		rebuild(fs);
	for (;;) {
		struct pollfd fds[2] = {
			{.fd = fs->inotify_fd, .events = POLLIN},
			{.fd = fs->stop_fd, .events = POLLIN}};
		bool had_store = fs->store != NULL;

		if (poll(fds, 2, -1) < 0 && errno != EINTR)
			break;
		if (fds[1].revents)
			break;
		if (!fds[0].revents)
			continue;
		if (settle(fs) && fs->store) {
			log_notice("fs: the store in '%s' went away; waiting "
				   "for the agent to make it again",
				   fs->state_dir);
			store_close(fs->store);
			fs->store = NULL;
		}
		if (!had_store || !fs->store) {
			inotify_rm_watch(fs->inotify_fd, wd);
			wd = watch_store(fs);
		}
		rebuild(fs);
	}
	return NULL;
}

int refresh_start(struct fs *fs)
{
	int rc;

	fs->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	fs->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (fs->inotify_fd < 0 || fs->stop_fd < 0)
		return -errno;
	rc = pthread_create(&fs->refresher, NULL, refresh_loop, fs);
	if (rc != 0)
		return -rc;
	fs->refreshing = true;
	return 0;
}

void refresh_stop(struct fs *fs)
{
	uint64_t one = 1;

	if (!fs->refreshing)
		return;
	if (write(fs->stop_fd, &one, sizeof(one)) != sizeof(one))
		log_warning("fs: cannot stop the refresh thread");
	pthread_join(fs->refresher, NULL);
	fs->refreshing = false;
	close(fs->inotify_fd);
	close(fs->stop_fd);
}
