/*
 * localfs.c - component-by-component file operations under work_root.
 */
#include "localfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dm_limits.h"

static unsigned long temp_counter;

/* Remove every entry of the partial folder: leftovers of a killed agent. */
static void clear_partial(int partial_fd)
{
	int fd = openat(partial_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *entry;

	if (!dir) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((entry = readdir(dir))) {
		if (strcmp(entry->d_name, ".") && strcmp(entry->d_name, ".."))
			unlinkat(partial_fd, entry->d_name, 0);
	}
	closedir(dir);
}

static int open_or_make_dir(int parent_fd, const char *name, bool create)
{
	int fd = openat(parent_fd, name,
			O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd >= 0 || errno != ENOENT || !create)
		return fd;
	if (mkdirat(parent_fd, name, 0755) < 0 && errno != EEXIST)
		return -1;
	return openat(parent_fd, name,
		      O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

int localfs_open(struct localfs *fs, const char *work_root,
		 struct dm_error *err)
{
	fs->root_fd = fs->partial_fd = -1;

	if (mkdir(work_root, 0755) < 0 && errno != EEXIST)
		return dm_error_set(err, -errno,
				    "cannot create work_root '%s': %s",
				    work_root, strerror(errno));
	fs->root_fd = open(work_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fs->root_fd < 0)
		return dm_error_set(err, -errno,
				    "cannot open work_root '%s': %s", work_root,
				    strerror(errno));

	fs->partial_fd =
		open_or_make_dir(fs->root_fd, LOCALFS_PARTIAL_DIR, true);
	if (fs->partial_fd < 0) {
		int rc = -errno;

		localfs_close(fs);
		return dm_error_set(err, rc, "cannot open '%s/%s': %s",
				    work_root, LOCALFS_PARTIAL_DIR,
				    strerror(-rc));
	}

	clear_partial(fs->partial_fd);
	return 0;
}

void localfs_close(struct localfs *fs)
{
	if (fs->partial_fd >= 0)
		close(fs->partial_fd);
	if (fs->root_fd >= 0)
		close(fs->root_fd);
	fs->root_fd = fs->partial_fd = -1;
}

int localfs_bucket_open(struct localfs *fs, const char *bucket,
			struct dm_error *err)
{
	int fd = open_or_make_dir(fs->root_fd, bucket, true);

	if (fd < 0)
		return dm_error_set(err, -errno,
				    "cannot open bucket folder '%s': %s",
				    bucket, strerror(errno));
	return fd;
}

int localfs_temp_open(struct localfs *fs, struct dm_error *err)
{
	int fd = openat(fs->partial_fd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC,
			0644);

	if (fd < 0)
		return dm_error_set(
			err, -errno,
			"cannot create a temporary file in '%s' "
			"(the file system must support O_TMPFILE): %s",
			LOCALFS_PARTIAL_DIR, strerror(errno));
	return fd;
}

/*
 * Open the folder holding the last component of rel, walking from base_fd
 * without following links; *leaf is set to that last component.
 */
static int open_parent(int base_fd, const char *rel, bool create,
		       const char **leaf, struct dm_error *err)
{
	const char *part = rel, *slash;
	int fd = openat(base_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return dm_error_set(err, -errno, "cannot open folder: %s",
				    strerror(errno));

	while ((slash = strchr(part, '/'))) {
		char name[DM_NAME_MAX + 1];
		size_t len = (size_t)(slash - part);
		int next;

		memcpy(name, part, len);
		name[len] = '\0';
		next = open_or_make_dir(fd, name, create);
		if (next < 0) {
			int rc = -errno;

			close(fd);
			if (rc == -ENOTDIR || rc == -ELOOP)
				return dm_error_set(
					err, -ENOTDIR,
					"'%.*s' is a file or a link, "
					"not a folder",
					(int)(slash - rel), rel);
			return dm_error_set(err, rc, "cannot open '%.*s': %s",
					    (int)(slash - rel), rel,
					    strerror(-rc));
		}
		close(fd);
		fd = next;
		part = slash + 1;
	}

	*leaf = part;
	return fd;
}

int localfs_install(struct localfs *fs, int bucket_fd, const char *rel,
		    int tmp_fd, struct stat *st, struct dm_error *err)
{
	char proc_path[64], temp_name[64];
	const char *leaf;
	int parent_fd, rc = 0;

	if (fdatasync(tmp_fd) < 0 || fstat(tmp_fd, st) < 0)
		return dm_error_set(err, -errno, "cannot sync '%s': %s", rel,
				    strerror(errno));

	parent_fd = open_parent(bucket_fd, rel, true, &leaf, err);
	if (parent_fd < 0)
		return parent_fd;

	/* A name in the partial folder first: rename then replaces the
	 * target in one step, which linkat cannot do. */
	snprintf(proc_path, sizeof(proc_path), "/proc/self/fd/%d", tmp_fd);
	snprintf(temp_name, sizeof(temp_name), "%ld.%lu", (long)getpid(),
		 ++temp_counter);
	if (linkat(AT_FDCWD, proc_path, fs->partial_fd, temp_name,
		   AT_SYMLINK_FOLLOW) < 0) {
		rc = dm_error_set(err, -errno,
				  "cannot name the download of '%s': %s", rel,
				  strerror(errno));
		goto out_close_parent;
	}

	if (renameat(fs->partial_fd, temp_name, parent_fd, leaf) < 0) {
		rc = -errno;
		unlinkat(fs->partial_fd, temp_name, 0);
		if (rc == -EISDIR || rc == -ENOTEMPTY || rc == -EEXIST)
			rc = dm_error_set(err, -EISDIR,
					  "'%s' is a folder (other keys lie "
					  "under it), not a file",
					  rel);
		else
			rc = dm_error_set(err, rc,
					  "cannot rename into '%s': %s", rel,
					  strerror(-rc));
	}

out_close_parent:
	close(parent_fd);
	return rc;
}

int localfs_remove(int bucket_fd, const char *rel, struct dm_error *err)
{
	char path[DM_KEY_MAX + 1];
	const char *leaf;
	char *slash;
	int parent_fd;

	snprintf(path, sizeof(path), "%s", rel);
	parent_fd = open_parent(bucket_fd, path, false, &leaf, NULL);
	if (parent_fd < 0)
		return 0;
	if (unlinkat(parent_fd, leaf, 0) < 0 && errno != ENOENT) {
		int rc = -errno;

		close(parent_fd);
		return dm_error_set(err, rc, "cannot remove '%s': %s", rel,
				    strerror(-rc));
	}
	close(parent_fd);

	/* Remove the folders the file leaves empty, deepest first; stop at
	 * the first that still holds something. */
	while ((slash = strrchr(path, '/'))) {
		*slash = '\0';
		parent_fd = open_parent(bucket_fd, path, false, &leaf, NULL);
		if (parent_fd < 0)
			break;
		int removed = unlinkat(parent_fd, leaf, AT_REMOVEDIR);

		close(parent_fd);
		if (removed < 0)
			break;
	}
	return 0;
}

int localfs_stat(int bucket_fd, const char *rel, struct stat *st)
{
	/* A link inside the path is followed here, but stat only reads; the
	 * caller compares the result with what it wrote and any difference
	 * leads to a rewrite through localfs_install(), which follows none. */
	if (fstatat(bucket_fd, rel, st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	return 0;
}

int localfs_open_read(int bucket_fd, const char *rel)
{
	const char *leaf;
	int parent_fd = open_parent(bucket_fd, rel, false, &leaf, NULL);
	int fd;

	if (parent_fd < 0)
		return parent_fd;
	fd = openat(parent_fd, leaf, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		fd = -errno;
	close(parent_fd);
	return fd;
}
