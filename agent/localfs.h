/*
 * localfs.h - writing and removing mirrored files without ever leaving
 * the mirror.
 *
 * Every path is resolved one component at a time from an open folder,
 * with O_NOFOLLOW, so that a symbolic link planted in work_root cannot
 * redirect a write elsewhere.  New content is written to an anonymous
 * temporary file (O_TMPFILE) in work_root/.drivemon-partial, synced, given
 * a name there and renamed into place, so that a reader or inotify never
 * sees a half-written file and a killed agent leaves nothing behind but,
 * at worst, one named temporary that the next start removes.
 *
 * Paths passed here must have been accepted by keypath_check().
 */
#ifndef DRIVEMON_LOCALFS_H
#define DRIVEMON_LOCALFS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "error.h"

/* The folder, directly under work_root, that holds temporary files. */
#define LOCALFS_PARTIAL_DIR ".drivemon-partial"

struct localfs {
	int root_fd;	/* work_root */
	int partial_fd; /* work_root/.drivemon-partial */
};

/*
 * Open (creating them) work_root and its partial folder, and remove what a
 * killed agent left in the partial folder.  Returns 0 or -errno with err.
 */
int localfs_open(struct localfs *fs, const char *work_root,
		 struct dm_error *err);
void localfs_close(struct localfs *fs);

/* Open (creating it) the folder of a bucket; returns an fd or -errno. */
int localfs_bucket_open(struct localfs *fs, const char *bucket,
			struct dm_error *err);

/* A fresh anonymous file for new content; returns an fd or -errno. */
int localfs_temp_open(struct localfs *fs, struct dm_error *err);

/*
 * Give the temporary file tmp_fd the name rel under bucket_fd, replacing
 * what was there, after syncing its data.  Missing folders are created.
 * A path whose folder is a file, or whose name is a folder, fails with
 * -ENOTDIR or -EISDIR and err naming the conflict.  On success *st holds
 * the stat of the installed file.
 */
int localfs_install(struct localfs *fs, int bucket_fd, const char *rel,
		    int tmp_fd, struct stat *st, struct dm_error *err);

/*
 * Remove the file rel under bucket_fd, then each parent folder that is
 * left empty, up to (not including) the bucket folder.  A file already
 * gone is not an error.
 */
int localfs_remove(int bucket_fd, const char *rel, struct dm_error *err);

/* lstat rel under bucket_fd without following links; -ENOENT if absent. */
int localfs_stat(int bucket_fd, const char *rel, struct stat *st);

/* Open rel under bucket_fd for reading, without following links. */
int localfs_open_read(int bucket_fd, const char *rel);

#endif
