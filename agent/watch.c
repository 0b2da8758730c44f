/*
 * watch.c - inotify over work_root: the folders watched, and the paths
 * waiting to settle.
 *
 * Folders are kept in two hash tables, by watch descriptor (how events
 * name the folder they happened in) and by path (how an event names a
 * folder inside its parent), and linked as a tree, so that dropping a
 * folder costs the size of its subtree and not of the whole mirror.
 *
 * Pending paths are kept in a hash table by path and in a list by
 * deadline.  settle_ms is the same for every path and the monotonic clock
 * only moves forward, so a path whose deadline is pushed goes to the tail
 * and the head is always the next one due.
 *
 * A folder moved within the tree is handled as one leaving (its watches
 * dropped, its old path pending) and one arriving (watched anew, its
 * files scanned and pending): the caller needs every file's new path
 * anyway, and one way for both cases needs no pairing of the two events
 * by cookie.  A file moved within the tree needs no pairing either: each
 * of the two events marks its own path, and each path settles into one
 * change.
 *
 * A folder is opened one component at a time with O_NOFOLLOW and its
 * watch is placed through /proc/self/fd, so that the watch is on exactly
 * the folder opened: inotify_add_watch() on a path would follow a link
 * placed in the middle of it between the open and the watch (and
 * IN_DONT_FOLLOW would watch the /proc link itself).
 */
#include "watch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dm_limits.h"
#include "log.h"

/*
 * Longest path below the root that is watched or reported: a bucket, a
 * slash and a key.  Deeper folders hold nothing the mirror can name, and
 * the bound also bounds the depth of the recursive scan.
 */
#define WATCH_PATH_MAX (DM_BUCKET_MAX + 1 + DM_KEY_MAX)

/*
 * What every folder is watched for.  IN_CREATE matters only for new
 * folders: a new file is noticed when it is closed after writing.
 * IN_EXCL_UNLINK keeps a file that was unlinked while open from reporting
 * its old name when it is closed.  IN_ONLYDIR is a second guard: the
 * descriptor was opened O_DIRECTORY.  A folder that goes away is noticed in
 * its parent (IN_DELETE, IN_MOVED_FROM), so only the root, which has no
 * watched parent, watches itself.
 */
#define FOLDER_EVENTS                                               \
	(IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | \
	 IN_CREATE | IN_ONLYDIR | IN_EXCL_UNLINK)
#define ROOT_EVENTS (FOLDER_EVENTS | IN_DELETE_SELF | IN_MOVE_SELF)

/* Events that mark a file's path pending. */
#define FILE_EVENTS (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE)

/*
 * One read takes up to 64 KiB of events; one watch_read() call reads at
 * most 16 times, so that a flood of events cannot starve the rest of the
 * caller's loop (poll reports what is left).
 */
#define READ_BUFFER_SIZE (64u << 10)
#define READS_PER_CALL	 16

/* Hash tables start at this many slots and never shrink below it. */
#define TABLE_MIN_SLOTS 64

#define CONTAINER_OF(ptr, type, member) \
	((type *)(void *)((char *)(ptr)-offsetof(type, member)))

struct hash_link {
	struct hash_link *next;
	uint64_t hash;
};

/* Chained, with as many slots as entries at most: a power of two. */
struct hash_table {
	struct hash_link **slots;
	size_t mask; /* slots - 1 */
	size_t count;
};

struct folder {
	struct hash_link by_wd;
	struct hash_link by_path;
	struct folder *parent;
	struct folder *first_child;
	struct folder *prev_sibling, *next_sibling;
	int wd;
	char path[]; /* from the root, "" for the root itself */
};

struct pending {
	struct hash_link by_path;
	struct pending *prev, *next; /* by deadline, earliest first */
	int64_t deadline_ns;
	bool folder_gone; /* a folder left this path */
	char path[];
};

struct watch {
	int inotify_fd;
	char *root; /* opened by name each time: a descriptor held open
		     * would delay its IN_DELETE_SELF until closed */
	int64_t settle_ns;
	const char *const *exclude;

	struct hash_table folders_by_wd;
	struct hash_table folders_by_path;
	struct folder *root_folder;

	struct hash_table pending_by_path;
	struct pending *first_pending, *last_pending;

	bool rescan_due;
	bool root_lost;
	bool limit_warned;

	_Alignas(struct inotify_event) char events[READ_BUFFER_SIZE];
};

/* ---- hash tables ---- */

static uint64_t path_hash(const char *path)
{
	uint64_t hash = 14695981039346656037u; /* FNV-1a */

	for (; *path; path++) {
		hash ^= (unsigned char)*path;
		hash *= 1099511628211u;
	}
	return hash;
}

/* Watch descriptors are handed out in sequence: they spread by themselves. */
static uint64_t wd_hash(int wd)
{
	return (unsigned)wd;
}

static int table_resize(struct hash_table *t, size_t slots)
{
	struct hash_link **fresh = calloc(slots, sizeof(*fresh));

	if (!fresh)
		return -ENOMEM;

	for (size_t i = 0; t->slots && i <= t->mask; i++) {
		struct hash_link *link = t->slots[i], *next;

		for (; link; link = next) {
			next = link->next;
			link->next = fresh[link->hash & (slots - 1)];
			fresh[link->hash & (slots - 1)] = link;
		}
	}
	free(t->slots);
	t->slots = fresh;
	t->mask = slots - 1;
	return 0;
}

static int table_insert(struct hash_table *t, struct hash_link *link,
			uint64_t hash)
{
	size_t slots = t->slots ? t->mask + 1 : 0;

	if (t->count >= slots) {
		int rc = table_resize(t, slots ? 2 * slots : TABLE_MIN_SLOTS);

		if (rc < 0)
			return rc;
	}

	link->hash = hash;
	link->next = t->slots[hash & t->mask];
	t->slots[hash & t->mask] = link;
	t->count++;
	return 0;
}

static void table_remove(struct hash_table *t, struct hash_link *link)
{
	struct hash_link **at = &t->slots[link->hash & t->mask];
	size_t slots = t->mask + 1;

	while (*at != link)
		at = &(*at)->next;
	*at = link->next;
	t->count--;

	/* Give the slots of a burst back; if that fails, keep the larger
	 * table, which still works. */
	if (slots > TABLE_MIN_SLOTS && t->count < slots / 8)
		(void)table_resize(t, slots / 2);
}

static struct hash_link *table_chain(const struct hash_table *t, uint64_t hash)
{
	return t->slots ? t->slots[hash & t->mask] : NULL;
}

/* Call fn on every entry; fn may free the entry it is given. */
static void table_each(struct hash_table *t,
		       void (*fn)(struct hash_link *link, void *ctx), void *ctx)
{
	for (size_t i = 0; t->slots && i <= t->mask; i++) {
		struct hash_link *link = t->slots[i], *next;

		for (; link; link = next) {
			next = link->next;
			fn(link, ctx);
		}
	}
}

/* ---- paths ---- */

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static bool is_excluded(const struct watch *w, const char *name)
{
	for (const char *const *x = w->exclude; x && *x; x++) {
		if (strcmp(*x, name) == 0)
			return true;
	}
	return false;
}

static bool is_dot(const char *name)
{
	return strcmp(name, ".") == 0 || strcmp(name, "..") == 0;
}

/* folder/name into buf; false when longer than WATCH_PATH_MAX. */
static bool join_path(char buf[WATCH_PATH_MAX + 1], const char *folder,
		      const char *name)
{
	int n = snprintf(buf, WATCH_PATH_MAX + 1, "%s%s%s", folder,
			 *folder ? "/" : "", name);

	return n >= 0 && n <= WATCH_PATH_MAX;
}

/* What separates the root from path in a message: none for the root. */
static const char *separator(const char *path)
{
	return *path ? "/" : "";
}

/*
 * Open the folder at path below the root, one component at a time and
 * without following links.  Returns an O_PATH descriptor or -errno.
 */
static int open_folder(const struct watch *w, const char *path)
{
	char name[DM_NAME_MAX + 1];
	int fd = open(w->root, O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while (*path) {
		size_t len = strcspn(path, "/");
		int next, rc;

		if (len > DM_NAME_MAX) {
			close(fd);
			return -ENAMETOOLONG;
		}
		memcpy(name, path, len);
		name[len] = '\0';
		path += len + (path[len] == '/');

		next = openat(fd, name,
			      O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		rc = -errno;
		close(fd);
		if (next < 0)
			return rc;
		fd = next;
	}
	return fd;
}

/* ---- folders ---- */

static struct folder *folder_by_wd(const struct watch *w, int wd)
{
	struct hash_link *link = table_chain(&w->folders_by_wd, wd_hash(wd));

	for (; link; link = link->next) {
		struct folder *f = CONTAINER_OF(link, struct folder, by_wd);

		if (f->wd == wd)
			return f;
	}
	return NULL;
}

static struct folder *folder_by_path(const struct watch *w, const char *path)
{
	uint64_t hash = path_hash(path);
	struct hash_link *link = table_chain(&w->folders_by_path, hash);

	for (; link; link = link->next) {
		struct folder *f = CONTAINER_OF(link, struct folder, by_path);

		if (link->hash == hash && strcmp(f->path, path) == 0)
			return f;
	}
	return NULL;
}

/* Record a watched folder in both tables and below its parent. */
static struct folder *folder_new(struct watch *w, int wd, const char *path,
				 struct folder *parent)
{
	size_t len = strlen(path);
	struct folder *f = calloc(1, sizeof(*f) + len + 1);

	if (!f)
		return NULL;
	f->wd = wd;
	memcpy(f->path, path, len + 1);

	if (table_insert(&w->folders_by_wd, &f->by_wd, wd_hash(wd)) < 0) {
		free(f);
		return NULL;
	}
	if (table_insert(&w->folders_by_path, &f->by_path, path_hash(path)) <
	    0) {
		table_remove(&w->folders_by_wd, &f->by_wd);
		free(f);
		return NULL;
	}

	f->parent = parent;
	if (parent) {
		f->next_sibling = parent->first_child;
		if (parent->first_child)
			parent->first_child->prev_sibling = f;
		parent->first_child = f;
	} else {
		w->root_folder = f;
	}
	return f;
}

/*
 * Stop watching a folder and every folder below it.  The kernel may have
 * dropped some of those watches already (the folder was deleted), so a
 * failing inotify_rm_watch() is expected.
 */
static void folder_drop(struct watch *w, struct folder *f)
{
	while (f->first_child)
		folder_drop(w, f->first_child);

	inotify_rm_watch(w->inotify_fd, f->wd);
	table_remove(&w->folders_by_wd, &f->by_wd);
	table_remove(&w->folders_by_path, &f->by_path);

	if (f->prev_sibling)
		f->prev_sibling->next_sibling = f->next_sibling;
	else if (f->parent)
		f->parent->first_child = f->next_sibling;
	if (f->next_sibling)
		f->next_sibling->prev_sibling = f->prev_sibling;
	if (f == w->root_folder)
		w->root_folder = NULL;
	free(f);
}

static void free_folder(struct hash_link *link, void *ctx)
{
	(void)ctx;
	free(CONTAINER_OF(link, struct folder, by_wd));
}

static void free_folders(struct hash_table *by_wd, struct hash_table *by_path)
{
	table_each(by_wd, free_folder, NULL);
	free(by_wd->slots);
	free(by_path->slots);
}

/* ---- pending paths ---- */

static struct pending *pending_by_path(const struct watch *w, const char *path,
				       uint64_t hash)
{
	struct hash_link *link = table_chain(&w->pending_by_path, hash);

	for (; link; link = link->next) {
		struct pending *p = CONTAINER_OF(link, struct pending, by_path);

		if (link->hash == hash && strcmp(p->path, path) == 0)
			return p;
	}
	return NULL;
}

static void pending_unlink(struct watch *w, struct pending *p)
{
	if (p->prev)
		p->prev->next = p->next;
	else
		w->first_pending = p->next;
	if (p->next)
		p->next->prev = p->prev;
	else
		w->last_pending = p->prev;
	p->prev = p->next = NULL;
}

static void pending_append(struct watch *w, struct pending *p)
{
	p->prev = w->last_pending;
	if (w->last_pending)
		w->last_pending->next = p;
	else
		w->first_pending = p;
	w->last_pending = p;
}

static void pending_drop_all(struct watch *w)
{
	struct pending *p, *next;

	for (p = w->first_pending; p; p = next) {
		next = p->next;
		free(p);
	}
	w->first_pending = w->last_pending = NULL;
	free(w->pending_by_path.slots);
	memset(&w->pending_by_path, 0, sizeof(w->pending_by_path));
}

/*
 * Mark path pending, or push its deadline if it is already.  A change
 * that cannot be recorded (no memory) turns into a rescan of everything.
 */
static void pend(struct watch *w, const char *path, bool folder_gone)
{
	uint64_t hash = path_hash(path);
	struct pending *p = pending_by_path(w, path, hash);

	if (p) {
		pending_unlink(w, p);
	} else {
		size_t len = strlen(path);

		p = calloc(1, sizeof(*p) + len + 1);
		if (!p ||
		    table_insert(&w->pending_by_path, &p->by_path, hash) < 0) {
			free(p);
			log_warning("watch: out of memory noting a change "
				    "under '%s', rescanning everything",
				    w->root);
			pending_drop_all(w);
			w->rescan_due = true;
			return;
		}
		memcpy(p->path, path, len + 1);
	}

	p->deadline_ns = now_ns() + w->settle_ns;
	p->folder_gone |= folder_gone;
	pending_append(w, p);
}

/* ---- adding watches ---- */

static int add_tree(struct watch *w, int parent_fd, const char *name,
		    const char *path, struct folder *parent, bool report,
		    struct dm_error *err);

static int watch_failed(const struct watch *w, const char *path, int errnum,
			struct dm_error *err)
{
	if (errnum == ENOSPC)
		return dm_error_set(
			err, -ENOSPC,
			"cannot watch folder '%s%s%s': the inotify watch limit is reached, raise fs.inotify.max_user_watches",
			w->root, separator(path), path);
	return dm_error_set(
		err, -errnum,
		"cannot watch folder '%s%s%s' through /proc/self/fd: %s",
		w->root, separator(path), path, strerror(errnum));
}

/*
 * Watch the folder open as fd.  *out is the new folder, or NULL when the
 * folder was watched already: found by the scan of its parent before its
 * own creation event was read, or reached twice through a bind mount.
 */
static int add_watch(struct watch *w, int fd, const char *path,
		     struct folder *parent, struct folder **out,
		     struct dm_error *err)
{
	char proc_path[48];
	int wd;

	*out = NULL;
	snprintf(proc_path, sizeof(proc_path), "/proc/self/fd/%d", fd);
	wd = inotify_add_watch(w->inotify_fd, proc_path,
			       parent ? FOLDER_EVENTS : ROOT_EVENTS);
	if (wd < 0)
		return watch_failed(w, path, errno, err);
	if (folder_by_wd(w, wd))
		return 0;

	*out = folder_new(w, wd, path, parent);
	if (!*out) {
		inotify_rm_watch(w->inotify_fd, wd);
		return dm_error_set(
			err, -ENOMEM,
			"cannot watch folder '%s%s%s': out of memory", w->root,
			separator(path), path);
	}
	w->limit_warned = false;
	return 0;
}

/* One entry of a scanned folder: a folder to watch, a file to report. */
static int scan_entry(struct watch *w, int dir_fd, const struct dirent *entry,
		      struct folder *folder, bool report, struct dm_error *err)
{
	char path[WATCH_PATH_MAX + 1];
	unsigned char type = entry->d_type;
	struct stat st;

	if (is_dot(entry->d_name) || is_excluded(w, entry->d_name) ||
	    !join_path(path, folder->path, entry->d_name))
		return 0;

	if (type == DT_UNKNOWN) {
		if (fstatat(dir_fd, entry->d_name, &st, AT_SYMLINK_NOFOLLOW) <
		    0)
			return 0;
		type = S_ISDIR(st.st_mode)   ? DT_DIR
		       : S_ISREG(st.st_mode) ? DT_REG
					     : DT_UNKNOWN;
	}

	if (type == DT_DIR)
		return add_tree(w, dir_fd, entry->d_name, path, folder, report,
				err);
	if (type == DT_REG && report)
		pend(w, path, false);
	return 0;
}

/*
 * Watch the folder open as fd (closed here), at path below parent, and
 * every folder below it.  The watch comes before the scan, so that a file
 * made meanwhile is either seen by the scan or reported by the watch.
 * With report, every file found is marked pending: it may have been
 * written before the watch existed.
 */
static int watch_tree(struct watch *w, int fd, const char *path,
		      struct folder *parent, bool report, struct dm_error *err)
{
	struct folder *folder;
	struct dirent *entry;
	DIR *dir;
	int rc;

	rc = add_watch(w, fd, path, parent, &folder, err);
	if (rc < 0 || !folder) {
		close(fd);
		return rc;
	}

	dir = fdopendir(fd);
	if (!dir) {
		rc = -errno;
		close(fd);
		return dm_error_set(err, rc, "cannot read folder '%s%s%s': %s",
				    w->root, separator(path), path,
				    strerror(-rc));
	}
	while (rc == 0 && (entry = readdir(dir)))
		rc = scan_entry(w, dirfd(dir), entry, folder, report, err);
	closedir(dir);
	return rc;
}

/* Open name in parent_fd as a folder, then watch it and what is below. */
static int add_tree(struct watch *w, int parent_fd, const char *name,
		    const char *path, struct folder *parent, bool report,
		    struct dm_error *err)
{
	int fd = openat(parent_fd, name,
			O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int errnum = errno;

	/* Gone, or not a folder (any more): nothing to watch. */
	if (fd < 0 &&
	    (errnum == ENOENT || errnum == ENOTDIR || errnum == ELOOP))
		return 0;
	if (fd < 0)
		return dm_error_set(err, -errnum,
				    "cannot open folder '%s%s%s': %s", w->root,
				    separator(path), path, strerror(errnum));
	return watch_tree(w, fd, path, parent, report, err);
}

static int watch_root(struct watch *w, struct dm_error *err)
{
	int fd = open(w->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return dm_error_set(err, -errno, "cannot open '%s': %s",
				    w->root, strerror(errno));
	return watch_tree(w, fd, "", NULL, false, err);
}

/*
 * A folder that could not be watched while running: its changes go
 * unnoticed.  The watch limit is named once, not for each folder of a
 * large copy, until a watch is added again.
 */
static void warn_unwatched(struct watch *w, const struct dm_error *err)
{
	char line[sizeof(err->message) + 64];

	if (err->code == -ENOSPC) {
		if (w->limit_warned)
			return;
		w->limit_warned = true;
	}
	log_warning("watch: %s, changes below it go unnoticed",
		    dm_error_str(err, line, sizeof(line)));
}

/* ---- events ---- */

static void unwatch_if_gone(struct hash_link *link, void *ctx)
{
	struct watch *w = ctx;
	struct folder *f = CONTAINER_OF(link, struct folder, by_wd);

	if (!folder_by_wd(w, f->wd))
		inotify_rm_watch(w->inotify_fd, f->wd);
}

/*
 * Events were lost: watch the tree again from the root, keeping the
 * watches still in it (the kernel answers their descriptors again) and
 * removing the others, forget what was pending, and have the caller
 * rescan everything.
 */
static void rewalk(struct watch *w)
{
	struct hash_table old_by_wd = w->folders_by_wd;
	struct hash_table old_by_path = w->folders_by_path;
	struct dm_error err;

	memset(&w->folders_by_wd, 0, sizeof(w->folders_by_wd));
	memset(&w->folders_by_path, 0, sizeof(w->folders_by_path));
	w->root_folder = NULL;
	pending_drop_all(w);
	w->rescan_due = true;

	if (watch_root(w, &err) < 0)
		warn_unwatched(w, &err);
	if (!w->root_folder)
		w->root_lost = true;

	table_each(&old_by_wd, unwatch_if_gone, w);
	free_folders(&old_by_wd, &old_by_path);
}

/* A new folder inside folder: watch it and report what it holds. */
static void add_new_folder(struct watch *w, struct folder *folder,
			   const char *name, const char *path)
{
	struct dm_error err;
	int parent_fd = open_folder(w, folder->path);

	/* The parent itself went away: its own events tell. */
	if (parent_fd < 0)
		return;
	if (add_tree(w, parent_fd, name, path, folder, true, &err) < 0)
		warn_unwatched(w, &err);
	close(parent_fd);
}

static void folder_event(struct watch *w, struct folder *folder,
			 const struct inotify_event *ev, const char *path)
{
	if (ev->mask & (IN_DELETE | IN_MOVED_FROM)) {
		struct folder *gone = folder_by_path(w, path);

		if (gone)
			folder_drop(w, gone);
		pend(w, path, true);
	} else if (ev->mask & (IN_CREATE | IN_MOVED_TO)) {
		add_new_folder(w, folder, ev->name, path);
	}
}

static void handle_event(struct watch *w, const struct inotify_event *ev)
{
	char path[WATCH_PATH_MAX + 1];
	struct folder *folder;

	if (ev->mask & IN_Q_OVERFLOW) {
		rewalk(w);
		return;
	}

	/* An unknown descriptor is a watch dropped since the event was
	 * queued; the change is covered by whatever dropped it. */
	folder = folder_by_wd(w, ev->wd);
	if (!folder)
		return;
	if (folder == w->root_folder &&
	    (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED))) {
		w->root_lost = true;
		return;
	}
	if (ev->mask & IN_IGNORED) {
		folder_drop(w, folder);
		return;
	}

	if (!ev->len || is_dot(ev->name) || is_excluded(w, ev->name) ||
	    !join_path(path, folder->path, ev->name))
		return;
	if (ev->mask & IN_ISDIR)
		folder_event(w, folder, ev, path);
	else if (ev->mask & FILE_EVENTS)
		pend(w, path, false);
}

/* ---- the API ---- */

int watch_open(const char *root, unsigned settle_ms, const char *const *exclude,
	       struct watch **out, struct dm_error *err)
{
	struct watch *w = calloc(1, sizeof(*w));
	int rc;

	*out = NULL;
	if (!w)
		return dm_error_set(err, -ENOMEM,
				    "cannot watch '%s': out of memory", root);
	w->inotify_fd = -1;
	w->settle_ns = (int64_t)settle_ms * 1000000;
	w->exclude = exclude;

	w->root = strdup(root);
	if (!w->root) {
		rc = dm_error_set(err, -ENOMEM,
				  "cannot watch '%s': out of memory", root);
		goto out_free;
	}

	w->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->inotify_fd < 0) {
		int errnum = errno;

		rc = dm_error_set(
			err, -errnum, "cannot watch '%s': inotify: %s%s", root,
			strerror(errnum),
			errnum == EMFILE
				? ", raise fs.inotify.max_user_instances"
				: "");
		goto out_free;
	}

	rc = watch_root(w, err);
	if (rc < 0)
		goto out_free;
	*out = w;
	return 0;

out_free:
	watch_free(w);
	return rc;
}

void watch_free(struct watch *w)
{
	if (!w)
		return;

	/* Closing the instance removes every watch at once. */
	if (w->inotify_fd >= 0)
		close(w->inotify_fd);
	free_folders(&w->folders_by_wd, &w->folders_by_path);
	pending_drop_all(w);
	free(w->root);
	free(w);
}

int watch_fd(const struct watch *w)
{
	return w->inotify_fd;
}

int watch_read(struct watch *w)
{
	for (int i = 0; i < READS_PER_CALL && !w->root_lost; i++) {
		ssize_t n = read(w->inotify_fd, w->events, sizeof(w->events));
		ssize_t at = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? 0 : -errno;

		while (at < n) {
			const struct inotify_event *ev =
				(const struct inotify_event *)(w->events + at);

			handle_event(w, ev);
			at += sizeof(*ev) + ev->len;
		}
	}
	return w->root_lost ? -ENOENT : 0;
}

int watch_next_timeout_ms(const struct watch *w)
{
	int64_t wait_ns;
	int64_t wait_ms;

	if (w->rescan_due)
		return 0;
	if (!w->first_pending)
		return -1;

	/* Rounded up: waking before the deadline would find nothing due. */
	wait_ns = w->first_pending->deadline_ns - now_ns();
	if (wait_ns <= 0)
		return 0;
	wait_ms = (wait_ns + 999999) / 1000000;
	return wait_ms > INT_MAX ? INT_MAX : (int)wait_ms;
}

/*
 * What a settled path holds now: a regular file (CHANGED), nothing
 * (REMOVED), or something else, which is not reported.  A path that can
 * only be reached through a link or a file is not in the tree: REMOVED.
 * A folder that went away reports REMOVED even when a link or another
 * folder has taken its place: what lay below the old one is gone, and the
 * files of a new one were marked after it and are reported after it.
 */
static bool settled_change(struct watch *w, const struct pending *p,
			   enum watch_change *change)
{
	char parent[WATCH_PATH_MAX + 1];
	const char *slash = strrchr(p->path, '/');
	const char *leaf = slash ? slash + 1 : p->path;
	struct stat st;
	int fd, rc;

	snprintf(parent, sizeof(parent), "%.*s",
		 slash ? (int)(slash - p->path) : 0, p->path);
	fd = open_folder(w, parent);
	rc = fd;
	if (fd >= 0) {
		rc = fstatat(fd, leaf, &st, AT_SYMLINK_NOFOLLOW) < 0 ? -errno
								     : 0;
		close(fd);
	}

	if (rc == 0 && S_ISREG(st.st_mode)) {
		*change = WATCH_CHANGED;
		return true;
	}
	if (rc == -ENOENT || rc == -ENOTDIR || rc == -ELOOP ||
	    (rc == 0 && p->folder_gone)) {
		*change = WATCH_REMOVED;
		return true;
	}
	if (rc < 0)
		log_warning(
			"watch: cannot look at '%s/%s': %s, change not reported",
			w->root, p->path, strerror(-rc));
	return false;
}

int watch_dispatch(struct watch *w, watch_change_fn changed,
		   watch_rescan_fn rescan, void *ctx)
{
	int64_t now = now_ns();
	int reported = 0;

	if (w->rescan_due) {
		w->rescan_due = false;
		rescan(ctx);
	}

	while (w->first_pending && w->first_pending->deadline_ns <= now) {
		struct pending *p = w->first_pending;
		enum watch_change change;

		pending_unlink(w, p);
		table_remove(&w->pending_by_path, &p->by_path);
		if (settled_change(w, p, &change)) {
			changed(ctx, change, p->path);
			reported++;
		}
		free(p);
	}
	return reported;
}

unsigned watch_count(const struct watch *w)
{
	return (unsigned)w->folders_by_wd.count;
}
