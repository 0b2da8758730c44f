/*
 * fuzz_s3_xml.c - libFuzzer target for the S3 XML parsers.
 *
 * Each input is fed to the listing parser (as a first page and as a page
 * following the key "m"), to the bucket list parser and to the error
 * parser.  Whatever they accept must satisfy their contracts: keys in
 * strictly increasing byte order, a token on every truncated page, ETags
 * shorter than DM_ETAG_MAX, error fields without control characters.
 * A broken contract aborts, which libFuzzer reports as a crash.
 *
 * Build and run from the repository root (the seed corpus is the unit
 * tests' data; new inputs go to the first directory):
 *
 *   clang -g -O1 -std=c17 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
 *     -Iagent $(xml2-config --cflags) tests/unit/fuzz_s3_xml.c \
 *     agent/s3_xml.c agent/error.c $(xml2-config --libs) -o /tmp/fuzz_s3_xml
 *   mkdir -p /tmp/fuzz-corpus
 *   /tmp/fuzz_s3_xml -max_total_time=120 /tmp/fuzz-corpus tests/unit/data/s3
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "s3_xml.h"

static void require(bool ok)
{
	if (!ok)
		abort();
}

static int compare_keys(const struct drive_object *a,
			const struct drive_object *b)
{
	size_t n = a->key_len < b->key_len ? a->key_len : b->key_len;
	int c = memcmp(a->key, b->key, n);

	return c ? c : (a->key_len > b->key_len) - (a->key_len < b->key_len);
}

static void check_page(const struct s3_list_page *page, const char *after)
{
	struct drive_object first = {.key = after, .key_len = 1};

	require(page->count <= DM_LIST_PAGE_MAX);
	require(!page->truncated || (page->next_token && page->next_token[0]));
	for (size_t i = 0; i < page->count; i++) {
		const struct drive_object *obj = &page->objects[i];

		require(obj->key_len > 0);
		require(strlen(obj->etag) < DM_ETAG_MAX);
		if (i > 0)
			require(compare_keys(&page->objects[i - 1], obj) < 0);
		else if (after)
			require(compare_keys(&first, obj) < 0);
	}
}

static void fuzz_list(const char *body, size_t len, const char *after)
{
	struct s3_list_page *page;
	struct dm_error err;

	if (s3_xml_parse_list(body, len, after, after ? 1 : 0, &page, &err) ==
	    0)
		check_page(page, after);
	else
		require(err.code < 0 && err.message[0]);
	s3_list_page_free(page);
}

static void fuzz_buckets(const char *body, size_t len)
{
	struct s3_bucket_list *list;
	struct dm_error err;

	if (s3_xml_parse_buckets(body, len, &list, &err) < 0)
		return;
	for (size_t i = 1; i < list->count; i++)
		require(strcmp(list->names[i - 1], list->names[i]) < 0);
	s3_bucket_list_free(list);
}

static void fuzz_error(const char *body, size_t len)
{
	struct s3_error_body e;
	struct dm_error err;

	if (s3_xml_parse_error(body, len, &e, &err) < 0)
		return;
	for (const char *p = e.code; *p; p++)
		require((unsigned char)*p >= ' ' && *p != 0x7f);
	require(strlen(e.request_id) < sizeof(e.request_id));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body = (const char *)data;

	fuzz_list(body, size, NULL);
	fuzz_list(body, size, "m");
	fuzz_buckets(body, size);
	fuzz_error(body, size);
	return 0;
}
