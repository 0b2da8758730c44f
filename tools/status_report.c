/*
 * status_report.c - what status says of a bucket, as a json-c tree: the
 * counts, the last cycles, the failing keys and the sources whose handler
 * failed.  drivemonctl prints it; the FUSE view serves it as status.json.
 */
#include "status_report.h"

#include <errno.h>
#include <time.h>

#include "store.h"

/* Failing keys listed per bucket; status stays readable with a million. */
#define FAILURES_SHOWN 1000

static json_object *time_string(int64_t seconds)
{
	char text[32];
	struct tm tm;
	time_t t = (time_t)seconds;

	if (seconds == 0)
		return NULL;
	gmtime_r(&t, &tm);
	strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_object_new_string(text);
}

static const char *state_name(enum store_object_state state)
{
	switch (state) {
	case STORE_OBJECT_MIRRORED:
		return "mirrored";
	case STORE_OBJECT_FAILED:
		return "failed";
	case STORE_OBJECT_REFUSED:
		return "refused";
	}
	return "unknown";
}

static int add_failure(void *ctx, const char *key, size_t key_len,
		       const struct store_object *object)
{
	json_object *failures = ctx;
	json_object *entry = json_object_new_object();

	if (json_object_array_length(failures) >= FAILURES_SHOWN)
		return -E2BIG;
	json_object_object_add(entry, "key",
			       json_object_new_string_len(key, (int)key_len));
	json_object_object_add(
		entry, "state",
		json_object_new_string(state_name(object->state)));
	json_object_object_add(entry, "error",
			       json_object_new_string(object->last_error));
	json_object_object_add(entry, "failures",
			       json_object_new_int64(object->fail_count));
	json_object_object_add(entry, "next_retry",
			       time_string(object->next_retry / 1000));
	json_object_array_add(failures, entry);
	return 0;
}

/* A source whose handler failed, or a conflict copy. */
static int add_problem(void *ctx, const char *key, size_t key_len,
		       const struct store_source *source)
{
	json_object *problems = ctx;
	json_object *entry;

	if (source->status == 0 && !source->diagnostics)
		return 0;
	if (json_object_array_length(problems) >= FAILURES_SHOWN)
		return -E2BIG;
	entry = json_object_new_object();
	json_object_object_add(entry, "key",
			       json_object_new_string_len(key, (int)key_len));
	json_object_object_add(entry, "kind",
			       json_object_new_string(source->kind));
	json_object_object_add(entry, "failed",
			       json_object_new_boolean(source->status != 0));
	json_object_object_add(
		entry, "diagnostics",
		source->diagnostics
			? json_object_new_string(source->diagnostics)
			: NULL);
	json_object_object_add(entry, "handled",
			       time_string(source->handled_at / 1000));
	json_object_array_add(problems, entry);
	return 0;
}

json_object *status_report_bucket(struct store_txn *txn, const char *name,
				  const struct store_bucket *b)
{
	json_object *entry = json_object_new_object();
	json_object *failures = json_object_new_array();
	int rc;

	json_object_object_add(entry, "bucket", json_object_new_string(name));
	json_object_object_add(
		entry, "mirrored",
		json_object_new_int64((int64_t)b->objects_mirrored));
	json_object_object_add(
		entry, "pending",
		json_object_new_int64((int64_t)b->objects_pending));
	json_object_object_add(
		entry, "failed",
		json_object_new_int64((int64_t)b->objects_failed));
	json_object_object_add(
		entry, "bytes",
		json_object_new_int64((int64_t)b->bytes_mirrored));
	json_object_object_add(entry, "last_complete_cycle",
			       time_string(b->last_complete_listing));
	json_object_object_add(entry, "last_cycle",
			       time_string(b->last_cycle_end));
	json_object_object_add(entry, "cycles",
			       json_object_new_int64((int64_t)b->cycles));
	json_object_object_add(entry, "listing_error",
			       b->last_error[0]
				       ? json_object_new_string(b->last_error)
				       : NULL);

	rc = store_failure_foreach(txn, b->id, add_failure, failures);
	json_object_object_add(entry, "failures", failures);
	json_object_object_add(entry, "failures_truncated",
			       json_object_new_boolean(rc == -E2BIG));
	if (rc == 0 || rc == -E2BIG) {
		json_object *problems = json_object_new_array();

		rc = store_source_foreach(txn, b->id, add_problem, problems);
		json_object_object_add(entry, "sources", problems);
	}
	if (rc < 0 && rc != -E2BIG) {
		json_object_put(entry);
		return NULL;
	}
	return entry;
}
