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

#include "status_report.h"
#include "store.h"

struct bucket_report {
	struct store_txn *txn;
	json_object *buckets;
};

static int add_bucket(void *ctx, const char *name, const struct store_bucket *b)
{
	struct bucket_report *report = ctx;
	json_object *entry = status_report_bucket(report->txn, name, b);

	if (!entry)
		return -EIO;
	json_object_array_add(report->buckets, entry);
	return 0;
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
