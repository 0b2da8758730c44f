/*
 * fsops.c - the FUSE requests, answered from the current view.
 *
 * Entries, attributes and contents are cached by the kernel for a day:
 * the view never changes behind the kernel's back, because the refresh
 * thread tells it to drop exactly what a new view changes.  New content
 * is a new inode (fsview.h) whose bytes never change, so a reader sees
 * one snapshot from the first byte to the last even while the agent
 * updates the artifact: its reads find the inode in the view it came
 * from, kept for a while (fs.h), or, on kernels that still send opens,
 * in the view its open handle holds.  Folders are always opened, so a
 * listing comes from one view.  Everything that would write answers
 * EROFS.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"
#include "fsview.h"

/* The kernel keeps entries and attributes this long (they are dropped on
 * change, so long is right). */
#define CACHE_SECONDS 86400.0

/* An open file or folder: the view it sees and the node in it. */
struct handle {
	struct fsview *view;
	const struct fsview_node *node;
};

/* Who the files belong to: whoever mounted the view. */
static uid_t owner_uid;
static gid_t owner_gid;

/* The kernel opens files without asking (FUSE_CAP_NO_OPEN_SUPPORT). */
static bool opens_silently;

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	owner_uid = getuid();
	owner_gid = getgid();
	opens_silently = conn->capable & FUSE_CAP_NO_OPEN_SUPPORT;
	/* Always the plus form: a listing then answers every later stat. */
	conn->want &= ~FUSE_CAP_READDIRPLUS_AUTO;
}

static struct fs *fs_of(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

static void fill_attr(const struct fsview_node *n, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = n->ino;
	st->st_mode = n->dir ? S_IFDIR | 0555 : S_IFREG | 0444;
	st->st_nlink = n->dir ? 2 : 1;
	st->st_uid = owner_uid;
	st->st_gid = owner_gid;
	st->st_size = n->dir ? 0 : (off_t)n->size;
	st->st_blksize = 4096;
	st->st_blocks = ((off_t)n->size + 511) / 512;
	st->st_mtim.tv_sec = n->mtime_ms / 1000;
	st->st_mtim.tv_nsec = (n->mtime_ms % 1000) * 1000000;
	st->st_ctim = st->st_mtim;
	st->st_atim = st->st_mtim;
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fs *fs = fs_of(req);
	struct fsview *v = fs_acquire(fs);
	const struct fsview_node *dir = fsview_node(v, parent), *n = NULL;
	struct fuse_entry_param e;

	memset(&e, 0, sizeof(e));
	if (dir && dir->dir)
		n = fsview_lookup(v, dir, name);
	/* A name that is not there is cached too: new names are announced. */
	e.entry_timeout = CACHE_SECONDS;
	e.attr_timeout = CACHE_SECONDS;
	if (n) {
		e.ino = n->ino;
		e.generation = 1;
		fill_attr(n, &e.attr);
	}
	fs_release(fs, v);
	if (!dir)
		fuse_reply_err(req, ENOENT);
	else
		fuse_reply_entry(req, &e);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	struct fs *fs = fs_of(req);
	struct fsview *v;
	const struct fsview_node *n = fs_find(fs, ino, &v);
	struct stat st;

	/* fstat() of a file opened in a view no longer kept: its node. */
	if (!n && fi && fi->fh)
		n = ((const struct handle *)(uintptr_t)fi->fh)->node;
	if (n)
		fill_attr(n, &st);
	fs_release(fs, v);
	if (n)
		fuse_reply_attr(req, &st, CACHE_SECONDS);
	else
		fuse_reply_err(req, ENOENT);
}

static struct handle *open_handle(fuse_req_t req, fuse_ino_t ino, bool dir)
{
	struct fs *fs = fs_of(req);
	struct handle *h = malloc(sizeof(*h));

	if (!h)
		return NULL;
	h->view = fs_acquire(fs);
	h->node = fsview_node(h->view, ino);
	if (!h->node || h->node->dir != dir) {
		fs_release(fs, h->view);
		free(h);
		return NULL;
	}
	return h;
}

static void close_handle(fuse_req_t req, struct fuse_file_info *fi)
{
	struct handle *h = (struct handle *)(uintptr_t)fi->fh;

	fs_release(fs_of(req), h->view);
	free(h);
	fuse_reply_err(req, 0);
}

static void op_opendir(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	struct handle *h = open_handle(req, ino, true);

	if (!h) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	fi->fh = (uint64_t)(uintptr_t)h;
	fi->cache_readdir = 1;
	fi->keep_cache = 1;
	fuse_reply_open(req, fi);
}

/*
 * Entry i of a folder: ".", "..", then its children, with full
 * attributes for a child; false past the end.
 */
static bool entry_at(const struct handle *h, off_t i, const char **name,
		     struct stat *st)
{
	const struct fsview_node *dir = h->node, *n;

	memset(st, 0, sizeof(*st));
	if (i < 2) {
		*name = i == 0 ? "." : "..";
		st->st_ino = i == 0 ? dir->ino : dir->parent;
		st->st_mode = S_IFDIR;
		return true;
	}
	if ((size_t)(i - 2) >= dir->child_count)
		return false;
	n = dir->children[i - 2];
	*name = n->name;
	fill_attr(n, st);
	return true;
}

/*
 * Both readdir forms.  With plus, each entry carries its attributes and
 * cache times, so that find(1) followed by stat(1) of every file needs no
 * lookup of its own.
 */
static void list_folder(fuse_req_t req, size_t size, off_t off,
			struct fuse_file_info *fi, bool plus)
{
	struct handle *h = (struct handle *)(uintptr_t)fi->fh;
	char *buf = malloc(size);
	size_t used = 0;
	const char *name;
	struct stat st;

	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	for (off_t i = off; entry_at(h, i, &name, &st); i++) {
		struct fuse_entry_param e = {
			.ino = st.st_ino,
			.generation = 1,
			.attr = st,
			.attr_timeout = CACHE_SECONDS,
			.entry_timeout = CACHE_SECONDS,
		};
		size_t need =
			plus ? fuse_add_direntry_plus(req, buf + used,
						      size - used, name, &e,
						      i + 1)
			     : fuse_add_direntry(req, buf + used, size - used,
						 name, &st, i + 1);

		if (need > size - used)
			break;
		used += need;
	}
	fuse_reply_buf(req, buf, used);
	free(buf);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	(void)ino;
	list_folder(req, size, off, fi, false);
}

static void op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size,
			   off_t off, struct fuse_file_info *fi)
{
	(void)ino;
	list_folder(req, size, off, fi, true);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct handle *h;

	if ((fi->flags & O_ACCMODE) != O_RDONLY ||
	    (fi->flags & (O_TRUNC | O_APPEND))) {
		fuse_reply_err(req, EROFS);
		return;
	}
	/* No more opens reach us: reads find their inode (fs.h). */
	if (opens_silently) {
		fuse_reply_err(req, ENOSYS);
		return;
	}
	h = open_handle(req, ino, false);
	if (!h) {
		fuse_reply_err(req, EISDIR);
		return;
	}
	fi->fh = (uint64_t)(uintptr_t)h;
	fi->keep_cache = 1;
	fuse_reply_open(req, fi);
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	const struct handle *h = (const struct handle *)(uintptr_t)fi->fh;
	struct fs *fs = fs_of(req); /* req is gone once replied to */
	struct fsview *v = NULL;
	const struct fsview_node *n = h ? h->node : fs_find(fs, ino, &v);

	if (!n) {
		/* A version replaced longer ago than the views are kept. */
		fuse_reply_err(req, ESTALE);
		return;
	}
	if (off < 0 || (size_t)off >= n->size)
		size = 0;
	else if (size > n->size - (size_t)off)
		size = n->size - (size_t)off;
	fuse_reply_buf(req, size ? (const char *)n->content + off : NULL, size);
	if (v)
		fs_release(fs, v);
}

static void op_release(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	(void)ino;
	close_handle(req, fi);
}

static void op_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct fs *fs = fs_of(req);
	struct fsview *v = fs_acquire(fs);
	struct statvfs st;

	(void)ino;
	memset(&st, 0, sizeof(st));
	st.f_bsize = st.f_frsize = 4096;
	st.f_files = fsview_count(v);
	st.f_namemax = 255;
	st.f_flag = ST_RDONLY;
	fs_release(fs, v);
	fuse_reply_statfs(req, &st);
}

/* ---- everything that would write ---- */

static void refuse(fuse_req_t req)
{
	fuse_reply_err(req, EROFS);
}

static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr,
		       int to_set, struct fuse_file_info *fi)
{
	(void)ino, (void)attr, (void)to_set, (void)fi;
	refuse(req);
}

static void op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name,
		     mode_t mode, dev_t rdev)
{
	(void)parent, (void)name, (void)mode, (void)rdev;
	refuse(req);
}

static void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name,
		     mode_t mode)
{
	(void)parent, (void)name, (void)mode;
	refuse(req);
}

static void op_remove(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	(void)parent, (void)name;
	refuse(req);
}

static void op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent,
		       const char *name)
{
	(void)link, (void)parent, (void)name;
	refuse(req);
}

static void op_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
		      fuse_ino_t newparent, const char *newname,
		      unsigned int flags)
{
	(void)parent, (void)name, (void)newparent, (void)newname, (void)flags;
	refuse(req);
}

static void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent,
		    const char *newname)
{
	(void)ino, (void)newparent, (void)newname;
	refuse(req);
}

static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf,
		     size_t size, off_t off, struct fuse_file_info *fi)
{
	(void)ino, (void)buf, (void)size, (void)off, (void)fi;
	refuse(req);
}

static void op_create(fuse_req_t req, fuse_ino_t parent, const char *name,
		      mode_t mode, struct fuse_file_info *fi)
{
	(void)parent, (void)name, (void)mode, (void)fi;
	refuse(req);
}

static void op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
			const char *value, size_t size, int flags)
{
	(void)ino, (void)name, (void)value, (void)size, (void)flags;
	refuse(req);
}

static void op_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	(void)ino, (void)name;
	refuse(req);
}

const struct fuse_lowlevel_ops fsops = {
	.init = op_init,
	.lookup = op_lookup,
	.getattr = op_getattr,
	.opendir = op_opendir,
	.readdir = op_readdir,
	.readdirplus = op_readdirplus,
	.releasedir = op_release,
	.open = op_open,
	.read = op_read,
	.release = op_release,
	.statfs = op_statfs,
	.setattr = op_setattr,
	.mknod = op_mknod,
	.mkdir = op_mkdir,
	.unlink = op_remove,
	.rmdir = op_remove,
	.symlink = op_symlink,
	.rename = op_rename,
	.link = op_link,
	.write = op_write,
	.create = op_create,
	.setxattr = op_setxattr,
	.removexattr = op_removexattr,
};
