/*
 * edit_latency.c - time from saving a bot's config.csv in work_root to the
 * new config artifact in the store, as a developer in dev mode meets it.
 *
 * Each edit is saved the way editors do (a temporary file renamed over the
 * source) with a value never used before; the clock stops when a read-only
 * look into the store finds that value in the bot's config artifact.  The
 * store is polled every 100 us, a read transaction each time, which LMDB
 * serves without a lock and without disturbing the agent.  Edits follow
 * one another, each once the previous one is visible.
 *
 * Usage: edit_latency STATE_DIR WORK_ROOT BOT.gbai EDITS
 * Prints p50, p90, p99 and the maximum in milliseconds.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store.h"

/* An edit not visible after this long is reported as lost. */
#define EDIT_TIMEOUT_MS 10000

#define POLL_INTERVAL_NS 100000

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void pause_poll(void)
{
	struct timespec ts = {.tv_nsec = POLL_INTERVAL_NS};

	nanosleep(&ts, NULL);
}

static int save_by_rename(const char *path, const char *text)
{
	char temp[4096];
	size_t len = strlen(text);
	int fd;

	if (snprintf(temp, sizeof(temp), "%s.bench-tmp", path) >=
	    (int)sizeof(temp))
		return -ENAMETOOLONG;
	fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != (ssize_t)len) {
		close(fd);
		return -EIO;
	}
	close(fd);

	if (rename(temp, path) < 0)
		return -errno;
	return 0;
}

/* True when the bot's config artifact holds needle. */
static bool config_holds(struct store *store, const char *bucket,
			 const char *needle)
{
	struct store_bucket b;
	struct store_artifact a;
	struct store_txn *txn;
	bool found = false;

	if (store_txn_begin(store, false, &txn) < 0)
		return false;
	if (store_bucket_get(txn, bucket, &b) == 0 &&
	    store_artifact_get(txn, b.id, "config", "config", 6, &a) == 0)
		found = memmem(a.content, a.content_len, needle,
			       strlen(needle)) != NULL;
	store_txn_abort(txn);
	return found;
}

/* Milliseconds until edit number i is in the store, or -1. */
static double time_one_edit(struct store *store, const char *bucket,
			    const char *source, unsigned i)
{
	char text[128], needle[64];
	int64_t start, deadline;

	snprintf(text, sizeof(text), "Edit,value %u\nMode,bench\n", i);
	snprintf(needle, sizeof(needle), "\"value %u\"", i);

	start = now_ns();
	if (save_by_rename(source, text) < 0)
		return -1;
	deadline = start + (int64_t)EDIT_TIMEOUT_MS * 1000000;
	while (!config_holds(store, bucket, needle)) {
		if (now_ns() > deadline)
			return -1;
		pause_poll();
	}
	return (double)(now_ns() - start) / 1e6;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double percentile(const double *sorted, unsigned n, double p)
{
	unsigned rank = (unsigned)(p * (n - 1) + 0.5);

	return sorted[rank];
}

int main(int argc, char **argv)
{
	char source[4096], detail[256];
	struct store *store;
	struct dm_error err;
	double *ms;
	unsigned edits, i;
	const char *bucket;

	if (argc != 5 || (edits = (unsigned)strtoul(argv[4], NULL, 10)) == 0 ||
	    strlen(argv[3]) <= strlen(".gbai") ||
	    strcmp(argv[3] + strlen(argv[3]) - strlen(".gbai"), ".gbai") != 0) {
		fprintf(stderr, "usage: edit_latency STATE_DIR WORK_ROOT "
				"BOT.gbai EDITS\n");
		return 2;
	}
	bucket = argv[3];
	snprintf(source, sizeof(source), "%s/%s/%.*s.gbot/config.csv", argv[2],
		 bucket, (int)(strlen(bucket) - strlen(".gbai")), bucket);

	if (store_open(argv[1], STORE_READ_ONLY, &store, &err) < 0) {
		fprintf(stderr, "edit_latency: %s\n",
			dm_error_str(&err, detail, sizeof(detail)));
		return 1;
	}
	ms = calloc(edits, sizeof(*ms));
	if (!ms)
		return 1;

	for (i = 0; i < edits; i++) {
		ms[i] = time_one_edit(store, bucket, source, i);
		if (ms[i] < 0) {
			fprintf(stderr,
				"edit_latency: edit %u of '%s' not in the "
				"store after %d ms\n",
				i, source, EDIT_TIMEOUT_MS);
			return 1;
		}
	}

	qsort(ms, edits, sizeof(*ms), by_value);
	printf("save to artifact, %u edits: p50 %.1f ms  p90 %.1f ms  "
	       "p99 %.1f ms  max %.1f ms\n",
	       edits, percentile(ms, edits, 0.50), percentile(ms, edits, 0.90),
	       percentile(ms, edits, 0.99), ms[edits - 1]);
	free(ms);
	store_close(store);
	return 0;
}
