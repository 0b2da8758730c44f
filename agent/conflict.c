/*
 * conflict.c - naming, setting aside and recording conflict copies.
 */
#include "conflict.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "localfs.h"
#include "mirror_run.h"
#include "store.h"

#define CONFLICT_MARK ".conflict-"

/* "20261203T101500Z" */
#define CONFLICT_STAMP_LEN 16

int conflict_name(const char *key, time_t when, char *out, size_t len)
{
	const char *leaf = strrchr(key, '/');
	const char *dot;
	char stamp[CONFLICT_STAMP_LEN + 1];
	struct tm tm;
	int n;

	leaf = leaf ? leaf + 1 : key;
	dot = strrchr(leaf, '.');
	if (!dot || dot == leaf)
		dot = leaf + strlen(leaf);

	gmtime_r(&when, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	n = snprintf(out, len, "%.*s%s%s%s", (int)(dot - key), key,
		     CONFLICT_MARK, stamp, dot);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

bool conflict_is_copy(const char *key)
{
	const char *leaf = strrchr(key, '/');
	const char *mark;

	leaf = leaf ? leaf + 1 : key;
	mark = strstr(leaf, CONFLICT_MARK);
	if (!mark)
		return false;
	mark += strlen(CONFLICT_MARK);
	return strlen(mark) >= CONFLICT_STAMP_LEN && mark[8] == 'T' &&
	       mark[CONFLICT_STAMP_LEN - 1] == 'Z';
}

static int record_copy(struct store *store, uint32_t bucket_id,
		       const char *copy, const char *why)
{
	struct store_source source = {0};
	struct store_txn *txn;
	int rc;

	source.handled_at = mirror_now_ms();
	source.status = -EEXIST;
	snprintf(source.kind, sizeof(source.kind), "%s", CONFLICT_KIND);
	source.diagnostics = (char *)why;

	rc = store_txn_begin(store, true, &txn);
	if (rc < 0)
		return rc;
	rc = store_source_put(txn, bucket_id, copy, strlen(copy), &source);
	if (rc < 0) {
		store_txn_abort(txn);
		return rc;
	}
	return store_txn_commit(txn);
}

int conflict_set_aside(struct store *store, uint32_t bucket_id, int bucket_fd,
		       const char *key, const char *why, char *copy,
		       size_t copy_len, struct dm_error *err)
{
	const char *leaf;
	int rc;

	rc = conflict_name(key, time(NULL), copy, copy_len);
	if (rc < 0)
		return dm_error_set(
			err, rc, "no room for a conflict name for '%s'", key);
	leaf = strrchr(copy, '/');
	rc = localfs_rename_leaf(bucket_fd, key, leaf ? leaf + 1 : copy, err);
	if (rc < 0)
		return rc;

	rc = record_copy(store, bucket_id, copy, why);
	if (rc < 0)
		return dm_error_set(err, rc,
				    "cannot record conflict copy '%s': %s",
				    copy, strerror(-rc));
	return 0;
}

int conflict_forget(struct store *store, uint32_t bucket_id, const char *key)
{
	struct store_txn *txn;
	int rc;

	rc = store_txn_begin(store, true, &txn);
	if (rc < 0)
		return rc;
	rc = store_source_del(txn, bucket_id, key, strlen(key));
	if (rc < 0 && rc != -ENOENT) {
		store_txn_abort(txn);
		return rc;
	}
	return store_txn_commit(txn);
}
