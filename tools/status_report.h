/*
 * status_report.h - the status of one bucket as JSON, from one snapshot.
 */
#ifndef DRIVEMON_TOOLS_STATUS_REPORT_H
#define DRIVEMON_TOOLS_STATUS_REPORT_H

#include <json-c/json.h>

struct store_bucket;
struct store_txn;

/*
 * The bucket's report: "bucket", "mirrored", "pending", "failed",
 * "bytes", "last_complete_cycle", "last_cycle", "cycles",
 * "listing_error", "failures" (at most 1,000, "failures_truncated" says
 * when cut) and "sources" (those whose handler failed, and conflict
 * copies).  A new json-c object for the caller to put, or NULL when the
 * store cannot be read.
 */
json_object *status_report_bucket(struct store_txn *txn, const char *name,
				  const struct store_bucket *b);

#endif
