/*
 * localfs.c - component-by-component file operations under work_root.
 */
#include "localfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dm_limits.h"

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
	int rc;

	memset(fs, 0, sizeof(*fs));
	fs->root_fd = fs->partial_fd = -1;
	fs->cached_bucket_fd = fs->cached_dir_fd = -1;

	rc = localfs_make_dirs(work_root, err);
	if (rc < 0)
		return rc;
	fs->root_fd = open(work_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fs->root_fd < 0)
		return dm_error_set(err, -errno,
				    "cannot open work_root '%s': %s", work_root,
				    strerror(errno));

	fs->partial_fd =
		open_or_make_dir(fs->root_fd, LOCALFS_PARTIAL_DIR, true);
	if (fs->partial_fd < 0) {
		rc = -errno;

		localfs_close(fs);
		return dm_error_set(err, rc, "cannot open '%s/%s': %s",
				    work_root, LOCALFS_PARTIAL_DIR,
				    strerror(-rc));
	}

	clear_partial(fs->partial_fd);
	return 0;
}

static void forget_cached_dir(struct localfs *fs)
{
	if (fs->cached_dir_fd >= 0)
		close(fs->cached_dir_fd);
	fs->cached_dir_fd = fs->cached_bucket_fd = -1;
}

int localfs_make_dirs(const char *path, struct dm_error *err)
{
	char partial[4096];
	size_t len = strlen(path);

	if (len >= sizeof(partial))
		return dm_error_set(err, -ENAMETOOLONG, "path '%s' is too long",
				    path);
	memcpy(partial, path, len + 1);

	/* Each prefix ending before a '/', then the whole path. */
	for (size_t i = 1; i <= len; i++) {
		if (partial[i] != '/' && partial[i] != '\0')
			continue;
		partial[i] = '\0';
		if (mkdir(partial, 0755) < 0 && errno != EEXIST)
			return dm_error_set(err, -errno,
					    "cannot create '%s': %s", partial,
					    strerror(errno));
		partial[i] = path[i];
	}
	return 0;
}

void localfs_close(struct localfs *fs)
{
	forget_cached_dir(fs);
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

int localfs_temp_open(struct localfs *fs, char name[LOCALFS_TEMP_NAME_MAX],
		      struct dm_error *err)
{
	int fd;

	snprintf(name, LOCALFS_TEMP_NAME_MAX, "%ld.%lu", (long)getpid(),
		 ++fs->temp_counter);
	fd = openat(fs->partial_fd, name,
		    O_CREAT | O_EXCL | O_RDWR | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return dm_error_set(
			err, -errno,
			"cannot create a temporary file in '%s': %s",
			LOCALFS_PARTIAL_DIR, strerror(errno));
	return fd;
}

void localfs_temp_discard(struct localfs *fs, const char *name)
{
	unlinkat(fs->partial_fd, name, 0);
}

int localfs_sync(struct localfs *fs, struct dm_error *err)
{
	if (syncfs(fs->partial_fd) < 0)
		return dm_error_set(err, -errno,
				    "cannot sync downloads to disk: %s",
				    strerror(errno));
	return 0;
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

/*
 * The folder that holds rel's last component, from the cache when the
 * previous install went to the same folder.  The returned fd belongs to
 * the cache; *leaf points into rel.
 */
static int cached_parent(struct localfs *fs, int bucket_fd, const char *rel,
			 const char **leaf, struct dm_error *err)
{
	const char *slash = strrchr(rel, '/');
	size_t dir_len = slash ? (size_t)(slash - rel) : 0;
	int fd;

	if (fs->cached_dir_fd >= 0 && fs->cached_bucket_fd == bucket_fd &&
	    strlen(fs->cached_dir) == dir_len &&
	    memcmp(fs->cached_dir, rel, dir_len) == 0) {
		*leaf = slash ? slash + 1 : rel;
		return fs->cached_dir_fd;
	}

	fd = open_parent(bucket_fd, rel, true, leaf, err);
	if (fd < 0)
		return fd;
	forget_cached_dir(fs);
	fs->cached_dir_fd = fd;
	fs->cached_bucket_fd = bucket_fd;
	memcpy(fs->cached_dir, rel, dir_len);
	fs->cached_dir[dir_len] = '\0';
	return fd;
}

int localfs_install(struct localfs *fs, int bucket_fd, const char *rel,
		    const char *name, int tmp_fd, struct stat *st,
		    struct dm_error *err)
{
	const char *leaf;
	int parent_fd, rc;

	if (fstat(tmp_fd, st) < 0)
		return dm_error_set(err, -errno,
				    "cannot stat the download of '%s': %s", rel,
				    strerror(errno));

	parent_fd = cached_parent(fs, bucket_fd, rel, &leaf, err);
	if (parent_fd < 0)
		return parent_fd;

	if (renameat(fs->partial_fd, name, parent_fd, leaf) == 0)
		return 0;

	rc = -errno;
	forget_cached_dir(fs);
	if (rc == -EISDIR || rc == -ENOTEMPTY || rc == -EEXIST)
		return dm_error_set(
			err, -EISDIR,
			"'%s' is a folder (other keys lie under it), "
			"not a file",
			rel);
	return dm_error_set(err, rc, "cannot rename into '%s': %s", rel,
			    strerror(-rc));
}

int localfs_remove(struct localfs *fs, int bucket_fd, const char *rel,
		   struct dm_error *err)
{
	char path[DM_KEY_MAX + 1];
	const char *leaf;
	char *slash;
	int parent_fd;

	/* Folders may go away below: the cached one must not outlive them. */
	forget_cached_dir(fs);
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

int localfs_rename_leaf(int bucket_fd, const char *rel, const char *new_leaf,
			struct dm_error *err)
{
	const char *leaf;
	int parent_fd = open_parent(bucket_fd, rel, false, &leaf, err);
	int rc = 0;

	if (parent_fd < 0)
		return parent_fd;
	if (renameat2(parent_fd, leaf, parent_fd, new_leaf, RENAME_NOREPLACE) <
	    0)
		rc = dm_error_set(err, -errno, "cannot rename '%s' to '%s': %s",
				  rel, new_leaf, strerror(errno));
	close(parent_fd);
	return rc;
}
