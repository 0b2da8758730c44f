/*
 * show.c - list a bot's artifacts or print one.
 */
#include "show.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store.h"

struct listing {
	json_object *rows;
	const char *only_kind;
};

static json_object *produced_string(int64_t ms)
{
	char text[32];
	time_t seconds = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&seconds, &tm);
	strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_object_new_string(text);
}

static int add_row(void *ctx, const char *kind, const char *name,
		   size_t name_len, const struct store_artifact *a)
{
	struct listing *l = ctx;
	json_object *row = json_object_new_object();

	json_object_object_add(row, "kind", json_object_new_string(kind));
	json_object_object_add(row, "name",
			       json_object_new_string_len(name, (int)name_len));
	json_object_object_add(row, "size",
			       json_object_new_int64((int64_t)a->content_len));
	json_object_object_add(row, "produced",
			       produced_string(a->produced_at));
	json_object_object_add(row, "source",
			       json_object_new_string_len(
				       a->source_key, (int)a->source_key_len));
	json_object_object_add(row, "source_etag",
			       json_object_new_string(a->source_etag));
	json_object_array_add(l->rows, row);
	return 0;
}

static void print_rows(json_object *rows, bool json, FILE *out)
{
	size_t count = json_object_array_length(rows);

	if (json) {
		fprintf(out, "%s\n",
			json_object_to_json_string_ext(
				rows, JSON_C_TO_STRING_PRETTY |
					      JSON_C_TO_STRING_NOSLASHESCAPE));
		return;
	}
	for (size_t i = 0; i < count; i++) {
		json_object *r = json_object_array_get_idx(rows, i), *v[5];
		static const char *const fields[] = {"kind", "name", "size",
						     "produced", "source"};

		for (size_t f = 0; f < 5; f++)
			json_object_object_get_ex(r, fields[f], &v[f]);
		fprintf(out, "%-10s %-40s %8s  %s  %s\n",
			json_object_get_string(v[0]),
			json_object_get_string(v[1]),
			json_object_get_string(v[2]),
			json_object_get_string(v[3]),
			json_object_get_string(v[4]));
	}
}

/* One CSV field: quoted when the raw text would not read back the same. */
static void print_csv_field(const char *text, FILE *out)
{
	size_t len = strlen(text);
	bool quote = len == 0 || text[0] == '#' || text[0] == ' ' ||
		     text[len - 1] == ' ' || strpbrk(text, ",\"\r\n");

	if (!quote) {
		fputs(text, out);
		return;
	}
	fputc('"', out);
	for (const char *c = text; *c; c++) {
		if (*c == '"')
			fputc('"', out);
		fputc(*c, out);
	}
	fputc('"', out);
}

static int print_config(const struct store_artifact *a, FILE *out)
{
	char *text = strndup(a->content, a->content_len);
	json_object *settings = text ? json_tokener_parse(text) : NULL;

	free(text);
	if (!settings || !json_object_is_type(settings, json_type_object)) {
		json_object_put(settings);
		fprintf(stderr, "drivemonctl: the config artifact is not a "
				"JSON object\n");
		return -EBADMSG;
	}
	json_object_object_foreach(settings, name, value)
	{
		print_csv_field(name, out);
		fputc(',', out);
		print_csv_field(json_object_get_string(value), out);
		fputc('\n', out);
	}
	json_object_put(settings);
	return 0;
}

static int print_artifact(struct store_txn *txn, uint32_t bucket_id,
			  const char *kind, const char *name, bool json,
			  FILE *out)
{
	struct store_artifact a;
	int rc;

	rc = store_artifact_get(txn, bucket_id, kind, name, strlen(name), &a);
	if (rc < 0)
		return rc;
	if (strcmp(kind, "config") == 0 && !json)
		return print_config(&a, out);
	fwrite(a.content, 1, a.content_len, out);
	if (a.content_len &&
	    ((const char *)a.content)[a.content_len - 1] != '\n')
		fputc('\n', out);
	return 0;
}

/* The bucket of a bot: "<bot>.gbai", or the name itself if it is one. */
static int find_bucket(struct store_txn *txn, const char *bot,
		       struct store_bucket *b)
{
	char bucket[300];

	snprintf(bucket, sizeof(bucket), "%s.gbai", bot);
	if (store_bucket_get(txn, bucket, b) == 0)
		return 0;
	return store_bucket_get(txn, bot, b);
}

int show_print(struct store *store, const char *bot, const char *kind,
	       const char *name, bool json, FILE *out)
{
	struct listing l = {.only_kind = kind};
	struct store_bucket b;
	struct store_txn *txn;
	int rc;

	rc = store_txn_begin(store, false, &txn);
	if (rc < 0)
		return rc;
	rc = find_bucket(txn, bot, &b);
	if (rc == -ENOENT) {
		fprintf(stderr,
			"drivemonctl: no bot '%s' (no bucket '%s.gbai' "
			"or '%s' in the state)\n",
			bot, bot, bot);
		goto out;
	}

	if (kind && !name &&
	    store_artifact_get(txn, b.id, kind, kind, strlen(kind),
			       &(struct store_artifact){0}) == 0)
		name = kind;
	if (name) {
		rc = print_artifact(txn, b.id, kind, name, json, out);
		if (rc == -ENOENT)
			fprintf(stderr,
				"drivemonctl: bot '%s' has no %s "
				"artifact '%s'\n",
				bot, kind, name);
		goto out;
	}

	l.rows = json_object_new_array();
	rc = store_artifact_foreach(txn, b.id, kind, add_row, &l);
	if (rc == 0)
		print_rows(l.rows, json, out);
	json_object_put(l.rows);
out:
	store_txn_abort(txn);
	return rc;
}
