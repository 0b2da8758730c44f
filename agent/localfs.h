/*
 * localfs.h - writing and removing mirrored files without ever leaving
 * the mirror.
 *
 * Every path is resolved one component at a time from an open folder,
 * with O_NOFOLLOW, so that a symbolic link planted in work_root cannot
 * redirect a write elsewhere.  New content is written to a temporary file
 * in work_root/.drivemon-partial, synced, then renamed into place, so that
 * a reader or inotify never sees a half-written file under a bucket.  A
 * killed agent leaves its temporaries in the partial folder only, and the
 * next start empties it.  (O_TMPFILE would leave nothing at all, but on
 * ext4 it costs half a millisecond per file, more than a small download.)
 *
 * Syncing is done for a whole batch of temporary files at once with
 * localfs_sync() (one syncfs instead of one fsync per file), before any of
 * them is installed: what is renamed into place is always on disk already.
 *
 * Paths passed here must have been accepted by keypath_check().  A struct
 * localfs is used by one thread.
 */
#ifndef DRIVEMON_LOCALFS_H
#define DRIVEMON_LOCALFS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "dm_limits.h"
#include "error.h"

/* The folder, directly under work_root, that holds temporary files. */
#define LOCALFS_PARTIAL_DIR ".drivemon-partial"

/* Room for the name of a temporary file. */
#define LOCALFS_TEMP_NAME_MAX 48

struct localfs {
	int root_fd;	/* work_root */
	int partial_fd; /* work_root/.drivemon-partial */
	unsigned long temp_counter;

	/* The folder of the last install, kept open: keys of one folder
	 * follow each other in a listing, and each walk costs a syscall per
	 * path component. */
	int cached_bucket_fd;
	int cached_dir_fd;
	char cached_dir[DM_KEY_MAX + 1];
};

/*
 * Open (creating it and its parents) work_root and its partial folder, and
 * remove what a killed agent left in the partial folder.  Returns 0 or
 * -errno with err.
 */
int localfs_open(struct localfs *fs, const char *work_root,
		 struct dm_error *err);
void localfs_close(struct localfs *fs);

/* Create a folder and its missing parents, like mkdir -p. */
int localfs_make_dirs(const char *path, struct dm_error *err);

/* Open (creating it) the folder of a bucket; returns an fd or -errno. */
int localfs_bucket_open(struct localfs *fs, const char *bucket,
			struct dm_error *err);

/*
 * A new empty temporary file; its name is written to name.  Returns an fd
 * or -errno.  The caller installs it or discards it.
 */
int localfs_temp_open(struct localfs *fs, char name[LOCALFS_TEMP_NAME_MAX],
		      struct dm_error *err);

/* Remove a temporary file that will not be installed. */
void localfs_temp_discard(struct localfs *fs, const char *name);

/*
 * Flush every temporary file written so far to disk (syncfs of the file
 * system holding work_root).  Returns 0 or -errno with err.
 */
int localfs_sync(struct localfs *fs, struct dm_error *err);

/*
 * Rename the temporary file name (open as tmp_fd, already synced by
 * localfs_sync()) to rel under bucket_fd, replacing what was there.
 * Missing folders are created.  A path whose folder is a file, or whose
 * name is a folder, fails with -ENOTDIR or -EISDIR and err naming the
 * conflict; the temporary file is then left for the caller to discard.
 * On success *st holds the stat of the installed file.
 */
int localfs_install(struct localfs *fs, int bucket_fd, const char *rel,
		    const char *name, int tmp_fd, struct stat *st,
		    struct dm_error *err);

/*
 * Remove the file rel under bucket_fd, then each parent folder that is
 * left empty, up to (not including) the bucket folder.  A file already
 * gone is not an error.
 */
int localfs_remove(struct localfs *fs, int bucket_fd, const char *rel,
		   struct dm_error *err);

/* lstat rel under bucket_fd without following links; -ENOENT if absent. */
int localfs_stat(int bucket_fd, const char *rel, struct stat *st);

/* Open rel under bucket_fd for reading, without following links. */
int localfs_open_read(int bucket_fd, const char *rel);

/*
 * Rename the file rel under bucket_fd to new_leaf in the same folder,
 * refusing to replace anything already there (-EEXIST).
 */
int localfs_rename_leaf(int bucket_fd, const char *rel, const char *new_leaf,
			struct dm_error *err);

#endif
