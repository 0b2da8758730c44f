/*
 * status.c - the status report, as aligned text or JSON (json-c).
 *
 * The report is built as a json-c tree in one read transaction, so that
 * every figure comes from the same snapshot, then printed as JSON or
 * rendered as text from that same tree.
 */
#include "status.h"

#include <errno.h>
#include <json-c/json.h>
#include <string.h>
#include <time.h>

#include "store.h"

/* Failing keys listed per bucket; status stays readable with a million. */
#define FAILURES_SHOWN 1000

struct bucket_report {
	struct store_txn *txn;
	json_object *buckets;
};

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

static int add_bucket(void *ctx, const char *name, const struct store_bucket *b)
{
	struct bucket_report *report = ctx;
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

	rc = store_failure_foreach(report->txn, b->id, add_failure, failures);
	json_object_object_add(entry, "failures", failures);
	json_object_object_add(entry, "failures_truncated",
			       json_object_new_boolean(rc == -E2BIG));
	if (rc == 0 || rc == -E2BIG) {
		json_object *problems = json_object_new_array();

		rc = store_source_foreach(report->txn, b->id, add_problem,
					  problems);
		json_object_object_add(entry, "sources", problems);
	}
	json_object_array_add(report->buckets, entry);
	return rc == -E2BIG ? 0 : rc;
}

static const char *field_string(json_object *obj, const char *name)
{
	json_object *value;

	if (!json_object_object_get_ex(obj, name, &value) || !value)
		return NULL;
	return json_object_get_string(value);
}

static long long field_int(json_object *obj, const char *name)
{
	json_object *value;

	if (!json_object_object_get_ex(obj, name, &value))
		return 0;
	return (long long)json_object_get_int64(value);
}

/* Sources with diagnostics, indented under their bucket. */
static void print_sources(json_object *bucket, FILE *out)
{
	json_object *sources;

	if (!json_object_object_get_ex(bucket, "sources", &sources))
		return;
	for (size_t i = 0; i < json_object_array_length(sources); i++) {
		json_object *s = json_object_array_get_idx(sources, i), *flag;
		const char *text = field_string(s, "diagnostics");

		json_object_object_get_ex(s, "failed", &flag);
		fprintf(out, "  %s %s '%s':", field_string(s, "kind"),
			json_object_get_boolean(flag) ? "failed on"
						      : "warns on",
			field_string(s, "key"));
		/* Diagnostics are lines; indent each under the source. */
		for (const char *line = text; line && *line;) {
			const char *end = strchr(line, '\n');
			int len = end ? (int)(end - line) : (int)strlen(line);

			fprintf(out, "\n    %.*s", len, line);
			line = end ? end + 1 : line + len;
		}
		fputc('\n', out);
	}
}

static void print_text(json_object *buckets, FILE *out)
{
	size_t count = json_object_array_length(buckets);

	if (count == 0) {
		fprintf(out, "no bucket mirrored yet\n");
		return;
	}
	fprintf(out, "%-32s %10s %8s %7s  %s\n", "BUCKET", "MIRRORED",
		"PENDING", "FAILED", "LAST COMPLETE CYCLE");
	for (size_t i = 0; i < count; i++) {
		json_object *b = json_object_array_get_idx(buckets, i);
		json_object *failures;
		const char *last = field_string(b, "last_complete_cycle");
		const char *listing_error = field_string(b, "listing_error");

		fprintf(out, "%-32s %10lld %8lld %7lld  %s\n",
			field_string(b, "bucket"), field_int(b, "mirrored"),
			field_int(b, "pending"), field_int(b, "failed"),
			last ? last : "never");
		if (listing_error)
			fprintf(out, "  listing failed: %s\n", listing_error);

		json_object_object_get_ex(b, "failures", &failures);
		for (size_t j = 0; j < json_object_array_length(failures);
		     j++) {
			json_object *f = json_object_array_get_idx(failures, j);
			const char *retry = field_string(f, "next_retry");

			fprintf(out, "  %s '%s': %s", field_string(f, "state"),
				field_string(f, "key"),
				field_string(f, "error"));
			if (retry)
				fprintf(out, " (%lld failures, next try %s)",
					field_int(f, "failures"), retry);
			fputc('\n', out);
		}
		print_sources(b, out);
	}
}

int status_print(struct store *store, bool json, FILE *out)
{
	struct bucket_report report;
	int rc;

	rc = store_txn_begin(store, false, &report.txn);
	if (rc < 0)
		return rc;
	report.buckets = json_object_new_array();
	rc = store_bucket_foreach(report.txn, add_bucket, &report);
	store_txn_abort(report.txn);

	if (rc == 0 && json) {
		json_object *doc = json_object_new_object();

		json_object_object_add(doc, "buckets",
				       json_object_get(report.buckets));
		fprintf(out, "%s\n",
			json_object_to_json_string_ext(
				doc, JSON_C_TO_STRING_PRETTY |
					     JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(doc);
	} else if (rc == 0) {
		print_text(report.buckets, out);
	}
	json_object_put(report.buckets);
	return rc;
}
