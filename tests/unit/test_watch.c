/*
 * test_watch.c - the watcher on real inotify, in a fresh folder under
 * /tmp removed at the end.
 *
 * Each test makes its own root, changes files there the way a user or an
 * editor would, then runs the watcher the way the agent's event loop
 * does (poll on watch_fd() with watch_next_timeout_ms() as the timeout)
 * until nothing is queued or pending, and checks what was reported: one
 * change per path however many writes, the target of an editor's save
 * CHANGED and its temporary never, removals, folders made, removed and
 * renamed (with the files made before their watch existed), the partial
 * folder ignored at any depth, links never followed, 2,000 files at once,
 * a kernel queue overflow turned into one rescan with the tree watched
 * again, nothing reported before settle_ms, and the root's own removal.
 */
#include "check.h"

#include "watch.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SETTLE_MS 50

static char base[] = "/tmp/test_watch.XXXXXX";

static const char *const exclude[] = {".drivemon-partial", NULL};

/* What the watcher reported, in order; a rescan is an entry with no path. */
struct report {
	enum watch_change change;
	char *path;
};

struct recorder {
	struct report *reports;
	size_t count, cap;
	int64_t first_report_ns;
};

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void record(struct recorder *r, enum watch_change change,
		   const char *path)
{
	if (r->count == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 64;
		r->reports = realloc(r->reports, r->cap * sizeof(*r->reports));
		if (!r->reports)
			abort();
	}
	if (r->count == 0)
		r->first_report_ns = now_ns();
	r->reports[r->count].change = change;
	r->reports[r->count].path = path ? strdup(path) : NULL;
	r->count++;
}

static void on_change(void *ctx, enum watch_change change, const char *path)
{
	record(ctx, change, path);
}

static void on_rescan(void *ctx)
{
	record(ctx, WATCH_CHANGED, NULL);
}

static void recorder_clear(struct recorder *r)
{
	for (size_t i = 0; i < r->count; i++)
		free(r->reports[i].path);
	free(r->reports);
	memset(r, 0, sizeof(*r));
}

/* How many times path was reported as change. */
static unsigned reported(const struct recorder *r, enum watch_change change,
			 const char *path)
{
	unsigned n = 0;

	for (size_t i = 0; i < r->count; i++) {
		if (r->reports[i].path && r->reports[i].change == change &&
		    strcmp(r->reports[i].path, path) == 0)
			n++;
	}
	return n;
}

static unsigned rescans(const struct recorder *r)
{
	unsigned n = 0;

	for (size_t i = 0; i < r->count; i++)
		n += !r->reports[i].path;
	return n;
}

/*
 * One turn of an event loop: wait for input or the next deadline (at most
 * max_ms), read, dispatch.  Returns false when nothing was queued and
 * nothing is pending.
 */
static bool loop_once(struct watch *w, struct recorder *r, int max_ms)
{
	struct pollfd pfd = {.fd = watch_fd(w), .events = POLLIN};
	int timeout = watch_next_timeout_ms(w);
	int ready, rc;

	if (timeout < 0 || timeout > max_ms)
		timeout = timeout < 0 ? 0 : max_ms;
	ready = poll(&pfd, 1, timeout);
	if (ready > 0) {
		rc = watch_read(w);
		if (rc)
			CHECK_INT(rc, 0);
	}
	watch_dispatch(w, on_change, on_rescan, r);
	return ready > 0 || watch_next_timeout_ms(w) >= 0;
}

/* Run the loop until everything has settled and been reported. */
static void drain(struct watch *w, struct recorder *r)
{
	int64_t give_up = now_ns() + 8 * 1000000000ll;

	while (loop_once(w, r, 1000) && now_ns() < give_up)
		;
	CHECK_INT(watch_next_timeout_ms(w), -1);
}

/* Run the loop for ms milliseconds. */
static void run_for(struct watch *w, struct recorder *r, int ms)
{
	int64_t end = now_ns() + (int64_t)ms * 1000000;

	while (now_ns() < end)
		loop_once(w, r, (int)((end - now_ns()) / 1000000) + 1);
}

/* Read what is queued now (watches for new folders get added), report
 * nothing yet. */
static void read_now(struct watch *w)
{
	CHECK_INT(watch_read(w), 0);
}

static void path_in(char *buf, size_t len, const char *dir, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", dir, name);

	CHECK(n >= 0 && (size_t)n < len);
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	int fd;

	path_in(path, sizeof(path), dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK_INT(write(fd, text, strlen(text)), (long long)strlen(text));
	close(fd);
}

static void make_dir(const char *dir, const char *name)
{
	char path[512];

	path_in(path, sizeof(path), dir, name);
	CHECK_INT(mkdir(path, 0755), 0);
}

static void rename_in(const char *dir, const char *from, const char *to)
{
	char a[512], b[512];

	path_in(a, sizeof(a), dir, from);
	path_in(b, sizeof(b), dir, to);
	CHECK_INT(rename(a, b), 0);
}

static int remove_entry(const char *path, const struct stat *st, int flag,
			struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void remove_tree(const char *path)
{
	nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* A fresh root named for the test, with a bucket folder "b" in it. */
static void make_root(char *buf, size_t len, const char *test)
{
	path_in(buf, len, base, test);
	CHECK_INT(mkdir(buf, 0755), 0);
	make_dir(buf, "b");
}

static struct watch *open_watch(const char *root, unsigned settle_ms)
{
	struct watch *w = NULL;
	struct dm_error err;
	int rc = watch_open(root, settle_ms, exclude, &w, &err);

	if (rc)
		fprintf(stderr, "watch_open: %s\n", err.message);
	CHECK_INT(rc, 0);
	if (!w)
		exit(check_summary() | 1);
	return w;
}

/* ---- tests ---- */

static void test_write_in_place(void)
{
	struct recorder r = {0};
	struct watch *w;
	char root[256], bucket[300];

	make_root(root, sizeof(root), "in_place");
	path_in(bucket, sizeof(bucket), root, "b");
	w = open_watch(root, SETTLE_MS);

	for (int i = 0; i < 5; i++)
		write_file(bucket, "f", i % 2 ? "one" : "two");
	drain(w, &r);

	CHECK_INT(r.count, 1);
	CHECK_INT(reported(&r, WATCH_CHANGED, "b/f"), 1);
	watch_free(w);
	recorder_clear(&r);
}

/* The temporary of a save is reported REMOVED, never CHANGED. */
static void test_editor_save(void)
{
	struct recorder r = {0};
	struct watch *w;
	char root[256], bucket[300];

	make_root(root, sizeof(root), "editor");
	path_in(bucket, sizeof(bucket), root, "b");
	write_file(bucket, "doc.txt", "old");
	w = open_watch(root, SETTLE_MS);

	write_file(bucket, ".doc.txt.swp", "new");
	rename_in(bucket, ".doc.txt.swp", "doc.txt");
	drain(w, &r);

	CHECK_INT(reported(&r, WATCH_CHANGED, "b/doc.txt"), 1);
	CHECK_INT(reported(&r, WATCH_CHANGED, "b/.doc.txt.swp"), 0);
	CHECK_INT(reported(&r, WATCH_REMOVED, "b/.doc.txt.swp"), 1);
	CHECK_INT(r.count, 2);
	watch_free(w);
	recorder_clear(&r);
}

static void test_delete(void)
{
	struct recorder r = {0};
	struct watch *w;
	char root[256], bucket[300], path[400];

	make_root(root, sizeof(root), "delete");
	path_in(bucket, sizeof(bucket), root, "b");
	write_file(bucket, "gone", "x");
	write_file(bucket, "kept", "x");
	w = open_watch(root, SETTLE_MS);

	path_in(path, sizeof(path), bucket, "gone");
	CHECK_INT(unlink(path), 0);
	drain(w, &r);

	CHECK_INT(r.count, 1);
	CHECK_INT(reported(&r, WATCH_REMOVED, "b/gone"), 1);
	watch_free(w);
	recorder_clear(&r);
}

/*
 * Files made in a new folder before its creation event is read, so before
 * its watch exists, are found by the scan; files made after, by the watch.
 */
static void test_new_folder(void)
{
	struct recorder r = {0};
	struct watch *w;
	char root[256], dir[400], sub[400], name[64], path[128];
	unsigned folders;

	make_root(root, sizeof(root), "new_folder");
	w = open_watch(root, SETTLE_MS);
	folders = watch_count(w);
	CHECK_INT(folders, 2);

	path_in(dir, sizeof(dir), root, "b/new");
	path_in(sub, sizeof(sub), root, "b/new/sub");
	CHECK_INT(mkdir(dir, 0755), 0);
	CHECK_INT(mkdir(sub, 0755), 0);
	for (int i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "early%d", i);
		write_file(dir, name, "x");
		write_file(sub, name, "y");
	}
	read_now(w);
	CHECK_INT(watch_count(w), folders + 2);
	for (int i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "late%d", i);
		write_file(sub, name, "z");
	}
	drain(w, &r);

	CHECK_INT(r.count, 60);
	for (int i = 0; i < 20; i++) {
		snprintf(path, sizeof(path), "b/new/early%d", i);
		CHECK_INT(reported(&r, WATCH_CHANGED, path), 1);
		snprintf(path, sizeof(path), "b/new/sub/early%d", i);
		CHECK_INT(reported(&r, WATCH_CHANGED, path), 1);
		snprintf(path, sizeof(path), "b/new/sub/late%d", i);
		CHECK_INT(reported(&r, WATCH_CHANGED, path), 1);
	}
	watch_free(w);
	recorder_clear(&r);
}

static void test_remove_folder(void)
{
	struct recorder r = {0};
	struct watch *w;
	char root[256], tree[400], dir[400];

	make_root(root, sizeof(root), "remove_folder");
	path_in(tree, sizeof(tree), root, "b/tree");
	CHECK_INT(mkdir(tree, 0755), 0);
	make_dir(tree, "a");
	make_dir(tree, "a/c");
	write_file(tree, "top", "x");
	path_in(dir, sizeof(dir), tree, "a/c");
	write_file(dir, "deep", "x");
	w = open_watch(root, SETTLE_MS);
	CHECK_INT(watch_count(w), 5);

	remove_tree(tree);
	drain(w, &r);

	CHECK_INT(reported(&r, WATCH_REMOVED, "b/tree"), 1);
	CHECK_INT(reported(&r, WATCH_REMOVED, "b/tree/top"), 1);
	CHECK_INT(reported(&r, WATCH_REMOVED, "b/tree/a/c/deep"), 1);
	for (size_t i = 0; i < r.count; i++)
		CHECK(r.reports[i].change == WATCH_REMOVED);
	CHECK_INT(watch_count(w), 2);
	watch_free(w);
	recorder_clear(&r);
}

/* A folder renamed within the tree: its files come out under the new
 * name, and later writes too; moved out of the tree, it is forgotten. */
static void test_rename_folder(void)
{
	struct recorder r = {0};
	struct watch *w;
	char root[256], bucket[300], dir[400], outside[400];

	make_root(root, sizeof(root), "rename_folder");
	path_in(bucket, sizeof(bucket), root, "b");
	make_dir(bucket, "old");
	make_dir(bucket, "old/sub");
	path_in(dir, sizeof(dir), bucket, "old");
	write_file(dir, "x", "x");
	write_file(dir, "sub/y", "y");
	w = open_watch(root, SETTLE_MS);
	CHECK_INT(watch_count(w), 4);

	rename_in(bucket, "old", "new");
	drain(w, &r);
	CHECK_INT(r.count, 3);
	CHECK_INT(reported(&r, WATCH_REMOVED, "b/old"), 1);
	CHECK_INT(reported(&r, WATCH_CHANGED, "b/new/x"), 1);
	CHECK_INT(reported(&r, WATCH_CHANGED, "b/new/sub/y"), 1);
	CHECK_INT(watch_count(w), 4);

	recorder_clear(&r);
	path_in(dir, sizeof(dir), bucket, "new/sub");
	write_file(dir, "y", "again");
	drain(w, &r);
	CHECK_INT(r.count, 1);
	CHECK_INT(reported(&r, WATCH_CHANGED, "b/new/sub/y"), 1);

	recorder_clear(&r);
	path_in(dir, sizeof(dir), bucket, "new");
	path_in(outside, sizeof(outside), base, "moved_out");
	CHECK_INT(rename(dir, outside), 0);
	write_file(outside, "x", "after");
	drain(w, &r);
	CHECK_INT(r.count, 1);
	CHECK_INT(reported(&r, WATCH_REMOVED, "b/new"), 1);
	CHECK_INT(watch_count(w), 2);
	watch_free(w);
	recorder_clear(&r);
}

/* The partial folder, at the root or deeper, is neither watched nor
 * reported; a file renamed out of it into a bucket is. */
static void test_excluded(void)
{
	struct recorder r = {0};
	struct watch *w;
	char root[256], partial[300], deep[400], bucket[300];

	make_root(root, sizeof(root), "excluded");
	path_in(partial, sizeof(partial), root, ".drivemon-partial");
	path_in(deep, sizeof(deep), root, "b/.drivemon-partial");
	path_in(bucket, sizeof(bucket), root, "b");
	CHECK_INT(mkdir(partial, 0755), 0);
	CHECK_INT(mkdir(deep, 0755), 0);
	w = open_watch(root, SETTLE_MS);
	CHECK_INT(watch_count(w), 2);

	write_file(partial, "1.1", "x");
	write_file(deep, "2.1", "x");
	make_dir(partial, "d");
	write_file(bucket, ".drivemon-partial2", "a name merely alike");
	make_dir(bucket, "new");
	make_dir(bucket, "new/.drivemon-partial");
	drain(w, &r);
	CHECK_INT(r.count, 1);
	CHECK_INT(reported(&r, WATCH_CHANGED, "b/.drivemon-partial2"), 1);
	CHECK_INT(watch_count(w), 3);

	recorder_clear(&r);
	write_file(partial, "1.2", "content");
	rename_in(root, ".drivemon-partial/1.2", "b/installed");
	drain(w, &r);
	CHECK_INT(r.count, 1);
	CHECK_INT(reported(&r, WATCH_CHANGED, "b/installed"), 1);
	watch_free(w);
	recorder_clear(&r);
}

/*
 * Links are never followed: not into a folder outside the root, not for a
 * link put where a folder was (the file behind it is not reported as in
 * the tree), and a link itself is not a change.
 */
static void test_links(void)
{
	struct recorder r = {0};
	struct watch *w;
	char root[256], bucket[300], outside[300], path[400], dir[400];

	make_root(root, sizeof(root), "links");
	path_in(bucket, sizeof(bucket), root, "b");
	path_in(outside, sizeof(outside), base, "links_outside");
	CHECK_INT(mkdir(outside, 0755), 0);
	write_file(outside, "f", "outside");
	path_in(path, sizeof(path), bucket, "early_link");
	CHECK_INT(symlink(outside, path), 0);
	make_dir(bucket, "d");
	path_in(dir, sizeof(dir), bucket, "d");
	write_file(dir, "f", "inside");
	w = open_watch(root, SETTLE_MS);
	CHECK_INT(watch_count(w), 3);

	path_in(path, sizeof(path), bucket, "late_link");
	CHECK_INT(symlink(outside, path), 0);
	write_file(outside, "g", "outside");
	drain(w, &r);
	CHECK_INT(r.count, 0);
	CHECK_INT(watch_count(w), 3);

	/* b/d/f pending, then b/d replaced by a link to a folder that has
	 * an f: b/d/f is gone from the tree. */
	write_file(dir, "f", "inside again");
	remove_tree(dir);
	CHECK_INT(symlink(outside, dir), 0);
	drain(w, &r);
	CHECK_INT(reported(&r, WATCH_REMOVED, "b/d/f"), 1);
	CHECK_INT(reported(&r, WATCH_REMOVED, "b/d"), 1);
	CHECK_INT(r.count, 2);
	watch_free(w);
	recorder_clear(&r);
}

static void test_many_files(void)
{
	enum { FILES = 2000 };
	struct recorder r = {0};
	struct watch *w;
	char root[256], bucket[300], name[32];
	static unsigned char seen[FILES];
	unsigned once = 0;

	make_root(root, sizeof(root), "many");
	path_in(bucket, sizeof(bucket), root, "b");
	w = open_watch(root, SETTLE_MS);

	for (int i = 0; i < FILES; i++) {
		snprintf(name, sizeof(name), "f%04d", i);
		write_file(bucket, name, "x");
	}
	drain(w, &r);

	for (size_t i = 0; i < r.count; i++) {
		unsigned n;

		if (r.reports[i].path &&
		    sscanf(r.reports[i].path, "b/f%4u", &n) == 1 && n < FILES &&
		    r.reports[i].change == WATCH_CHANGED)
			seen[n]++;
	}
	for (int i = 0; i < FILES; i++)
		once += seen[i] == 1;
	CHECK_INT(once, FILES);
	CHECK_INT(r.count, FILES);
	CHECK_INT(rescans(&r), 0);
	watch_free(w);
	recorder_clear(&r);
}

static long max_queued_events(void)
{
	FILE *f = fopen("/proc/sys/fs/inotify/max_queued_events", "r");
	long n = 16384;

	if (f) {
		if (fscanf(f, "%ld", &n) != 1)
			n = 16384;
		fclose(f);
	}
	return n;
}

/* Open a file for writing and close it: one IN_CLOSE_WRITE, cheaply. */
static void touch_existing(const char *dir, const char *name)
{
	char path[512];
	int fd;

	path_in(path, sizeof(path), dir, name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd >= 0)
		close(fd);
}

/*
 * More events than the kernel queues: the watcher reports one rescan and
 * nothing else, then watches the folders made and forgets those removed
 * while events were lost.  The events are closes after writing, cycling
 * through 100 files so that the kernel cannot merge them (creating
 * thousands of files is much slower).
 */
static void test_overflow(void)
{
	enum { FILES = 100 };
	struct recorder r = {0};
	struct watch *w;
	char root[256], bucket[300], name[32], path[400];
	long events = max_queued_events() + 1000;

	if (events > 2000000) {
		printf("overflow test skipped: max_queued_events is %ld\n",
		       events - 1000);
		return;
	}
	make_root(root, sizeof(root), "overflow");
	path_in(bucket, sizeof(bucket), root, "b");
	make_dir(bucket, "gone");
	for (int i = 0; i < FILES; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		write_file(bucket, name, "");
	}
	w = open_watch(root, SETTLE_MS);
	CHECK_INT(watch_count(w), 3);

	for (long i = 0; i < events; i++) {
		snprintf(name, sizeof(name), "f%ld", i % FILES);
		touch_existing(bucket, name);
	}
	make_dir(bucket, "late");
	make_dir(bucket, "late/sub");
	path_in(path, sizeof(path), bucket, "gone");
	CHECK_INT(rmdir(path), 0);
	drain(w, &r);

	CHECK_INT(rescans(&r), 1);
	CHECK_INT(r.count, 1);
	CHECK_INT(watch_count(w), 4);

	recorder_clear(&r);
	path_in(path, sizeof(path), bucket, "late/sub");
	write_file(path, "after", "x");
	drain(w, &r);
	CHECK_INT(r.count, 1);
	CHECK_INT(reported(&r, WATCH_CHANGED, "b/late/sub/after"), 1);
	watch_free(w);
	recorder_clear(&r);
}

/* Nothing comes out before settle_ms after the last event on a path. */
static void test_settle_timing(void)
{
	enum { SETTLE = 300 };
	struct recorder r = {0};
	struct watch *w;
	char root[256], bucket[300];
	int64_t last_write;
	int timeout;

	make_root(root, sizeof(root), "timing");
	path_in(bucket, sizeof(bucket), root, "b");
	w = open_watch(root, SETTLE);
	CHECK_INT(watch_next_timeout_ms(w), -1);

	write_file(bucket, "f", "1");
	read_now(w);
	timeout = watch_next_timeout_ms(w);
	CHECK(timeout > 0 && timeout <= SETTLE);
	run_for(w, &r, SETTLE / 2);
	CHECK_INT(r.count, 0);

	write_file(bucket, "f", "2");
	last_write = now_ns();
	run_for(w, &r, SETTLE * 2 / 3);
	CHECK_INT(r.count, 0);
	drain(w, &r);

	CHECK_INT(r.count, 1);
	CHECK_INT(reported(&r, WATCH_CHANGED, "b/f"), 1);
	CHECK(r.first_report_ns - last_write >= (int64_t)SETTLE * 1000000);
	CHECK(r.first_report_ns - last_write < (int64_t)SETTLE * 4 * 1000000);
	watch_free(w);
	recorder_clear(&r);
}

static void test_root_gone(void)
{
	struct watch *w;
	struct dm_error err;
	char root[256], missing[300];

	make_root(root, sizeof(root), "root_gone");
	w = open_watch(root, SETTLE_MS);
	remove_tree(root);
	CHECK_INT(watch_read(w), -ENOENT);
	CHECK_INT(watch_read(w), -ENOENT);
	watch_free(w);

	path_in(missing, sizeof(missing), base, "missing");
	CHECK_INT(watch_open(missing, SETTLE_MS, exclude, &w, &err), -ENOENT);
	CHECK(strstr(err.message, missing) != NULL);
}

int main(void)
{
	if (!mkdtemp(base)) {
		perror("mkdtemp");
		return 1;
	}

	test_write_in_place();
	test_editor_save();
	test_delete();
	test_new_folder();
	test_remove_folder();
	test_rename_folder();
	test_excluded();
	test_links();
	test_many_files();
	test_overflow();
	test_settle_timing();
	test_root_gone();

	remove_tree(base);
	return check_summary();
}
