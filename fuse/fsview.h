/*
 * fsview.h - the tree that drivemon-fs shows, built from one snapshot of
 * the store.
 *
 * A view is a generation: every node, size and content in it comes from
 * one read transaction, which the view keeps open so that artifact
 * contents can be pointed at, not copied.  When the store changes a new
 * view is built beside the old one and fsview_diff() names the inodes
 * and entries that differ, so that the kernel is told to drop exactly
 * those.  Inode numbers are a hash of the path (and, for a file, of its
 * content), so they stay the same across views and restarts of
 * drivemon-fs, and a file whose content changes is a new inode.
 *
 * The layout is a table of artifact kinds (fsview.c): each kind names a
 * folder of the bot and how an artifact's name becomes a file name, so a
 * new handler adds a row, not code.  No FUSE types appear here.
 *
 * A view is immutable once built; any thread may read it.  fsview_ref()
 * and fsview_unref() count its users, and the last unref frees it and
 * ends its transaction.  Callers serialize ref/unref themselves.
 */
#ifndef DRIVEMON_FSVIEW_H
#define DRIVEMON_FSVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;
struct fsview;

/* The root's inode, as FUSE numbers it. */
#define FSVIEW_ROOT_INO 1

struct fsview_node {
	uint64_t ino, parent;
	const char *name; /* the last component; "" for the root */
	const char *path; /* from the root, without a leading slash */
	bool dir;
	int64_t mtime_ms;

	/* a file's bytes, valid while the view lives */
	const void *content;
	size_t size;
	unsigned char md5[16];

	/* a folder's entries, sorted by name */
	struct fsview_node **children;
	size_t child_count;
};

/*
 * Build the view of store as it is now.  Returns 0, -ENOMEM, or the
 * store's -errno.  A NULL store gives a view of an empty root whose
 * status.json says that the agent has not created its store yet.
 */
int fsview_build(struct store *store, struct fsview **out);

void fsview_ref(struct fsview *v);
/* Accepts NULL. */
void fsview_unref(struct fsview *v);

/* The node of inode ino, or NULL. */
const struct fsview_node *fsview_node(const struct fsview *v, uint64_t ino);

/* The entry name of folder dir, or NULL. */
const struct fsview_node *fsview_lookup(const struct fsview *v,
					const struct fsview_node *dir,
					const char *name);

/* Nodes in the view, for logs and tests. */
size_t fsview_count(const struct fsview *v);

/*
 * What changed from old to new: entry_changed for each (parent, name)
 * added, removed or given a new inode (new content); inode_changed for
 * each folder whose entries changed and each file whose time alone did.
 */
typedef void (*fsview_inode_fn)(void *ctx, uint64_t ino);
typedef void (*fsview_entry_fn)(void *ctx, uint64_t parent, const char *name);
void fsview_diff(const struct fsview *old, const struct fsview *new,
		 fsview_inode_fn inode_changed, fsview_entry_fn entry_changed,
		 void *ctx);

#endif
