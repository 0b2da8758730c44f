/*
 * test_s3_xml.c - the S3 XML parsers against bodies kept as data files.
 *
 * Each file under data/s3/ is one scenario: a body as a server could send
 * it.  The bodies too large to keep as files (over the size limit, over
 * the key limit) are generated here.  Run from tests/unit (ctest does).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "s3_xml.h"

#define DATA_DIR "data/s3/"

/* Read data/s3/name whole; exits when the file is missing. */
static char *read_data(const char *name, size_t *len)
{
	char path[256];
	FILE *f;
	char *buf;
	long size;

	snprintf(path, sizeof(path), DATA_DIR "%s", name);
	f = fopen(path, "rb");
	if (!f || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0) {
		fprintf(stderr, "cannot read %s\n", path);
		exit(2);
	}
	rewind(f);
	buf = malloc((size_t)size + 1);
	if (!buf || fread(buf, 1, (size_t)size, f) != (size_t)size) {
		fprintf(stderr, "cannot read %s\n", path);
		exit(2);
	}
	fclose(f);
	buf[size] = '\0';
	*len = (size_t)size;
	return buf;
}

/* Parse a listing file as a first page; returns the parser's result. */
static int parse_list_file(const char *name, struct s3_list_page **page,
			   struct dm_error *err)
{
	size_t len;
	char *body = read_data(name, &len);
	int rc;

	dm_error_clear(err);
	rc = s3_xml_parse_list(body, len, NULL, 0, page, err);
	free(body);
	return rc;
}

static bool key_is(const struct drive_object *obj, const char *key, size_t len)
{
	return obj->key_len == len && memcmp(obj->key, key, len) == 0;
}

#define KEY_IS(obj, lit) key_is(obj, lit, sizeof(lit) - 1)

static void test_plain_listing(void)
{
	struct s3_list_page *page;
	struct dm_error err;

	CHECK_INT(parse_list_file("list_plain.xml", &page, &err), 0);
	if (!page)
		return;

	CHECK_INT(page->count, 3);
	CHECK(!page->truncated);
	CHECK(page->next_token == NULL);

	CHECK(KEY_IS(&page->objects[0], "demo.gbdialog/"));
	CHECK_STR(page->objects[0].etag, "d41d8cd98f00b204e9800998ecf8427e");
	CHECK_INT(page->objects[0].size, 0);
	CHECK_INT(page->objects[0].last_modified, 1714564800);

	CHECK(KEY_IS(&page->objects[1], "demo.gbdialog/start.bas"));
	CHECK_STR(page->objects[1].etag, "5d41402abc4b2a76b9719d911017c592");
	CHECK_INT(page->objects[1].size, 5);
	CHECK_INT(page->objects[1].last_modified, 1714564801);

	CHECK(KEY_IS(&page->objects[2], "demo.gbkb/a&b <notes>.txt"));
	CHECK_STR(page->objects[2].etag, "9b2cf535f27731c974343645a3985328-3");
	CHECK(page->objects[2].size == UINT64_MAX);
	CHECK_INT(page->objects[2].last_modified, 1709251199);
	CHECK_INT(page->objects[2].key[page->objects[2].key_len], '\0');
	s3_list_page_free(page);
}

static void test_url_encoded_listing(void)
{
	struct s3_list_page *page;
	struct dm_error err;

	CHECK_INT(parse_list_file("list_url.xml", &page, &err), 0);
	if (!page)
		return;

	CHECK_INT(page->count, 7);
	CHECK(KEY_IS(&page->objects[0], "100%.csv"));
	CHECK(KEY_IS(&page->objects[1], "a b.txt"));
	CHECK(KEY_IS(&page->objects[2], "a+b.txt"));
	CHECK(KEY_IS(&page->objects[3], "deep/path/to/k ey"));
	CHECK(KEY_IS(&page->objects[4], "nul\0byte"));
	CHECK_INT(page->objects[4].key_len, 8);
	CHECK(KEY_IS(&page->objects[5], "run books/x.txt"));
	CHECK(KEY_IS(&page->objects[6], "\xc3\xa9t\xc3\xa9/x"));
	CHECK_INT(page->objects[6].size, 7);
	s3_list_page_free(page);
}

/* A body declared in Latin-1 grows when libxml2 turns it into UTF-8. */
static void test_latin1_listing(void)
{
	struct s3_list_page *page;
	struct dm_error err;

	CHECK_INT(parse_list_file("list_latin1.xml", &page, &err), 0);
	if (!page)
		return;
	CHECK_INT(page->count, 1);
	CHECK(KEY_IS(&page->objects[0], "caf\xc3\xa9\xc3\xa9\xc3\xa9"));
	s3_list_page_free(page);
}

static void test_truncated_listing(void)
{
	struct s3_list_page *page;
	struct dm_error err;

	CHECK_INT(parse_list_file("list_truncated.xml", &page, &err), 0);
	if (!page)
		return;
	CHECK_INT(page->count, 2);
	CHECK(page->truncated);
	CHECK_STR(page->next_token,
		  "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
	s3_list_page_free(page);
}

static void test_empty_listing(void)
{
	struct s3_list_page *page;
	struct dm_error err;

	CHECK_INT(parse_list_file("list_empty.xml", &page, &err), 0);
	if (!page)
		return;
	CHECK_INT(page->count, 0);
	CHECK(!page->truncated);
	s3_list_page_free(page);
}

/* Each of these files must be refused whole, with a message. */
static void test_refused_listings(void)
{
	static const struct {
		const char *file;
		const char *message; /* a part of the expected message */
	} cases[] = {
		{"list_truncated_no_token.xml", "NextContinuationToken"},
		{"list_truncated_empty_token.xml", "NextContinuationToken"},
		{"list_missing_truncated.xml", "IsTruncated"},
		{"list_malformed.xml", "malformed XML at line 2"},
		{"list_cut.xml", "malformed XML"},
		{"list_unsorted.xml", "out of order"},
		{"list_duplicate.xml", "out of order"},
		{"list_dtd.xml", "DTD"},
		{"list_missing_size.xml", "lacks <Size>"},
		{"list_bad_escape.xml", "bad escape"},
		{"list_bad_date.xml", "bad <LastModified>"},
		{"list_bad_size.xml", "bad <Size>"},
		{"list_long_etag.xml", "<ETag>"},
		{"list_markup_key.xml", "bad <Key>"},
		{"list_unknown_encoding.xml", "unknown <EncodingType>"},
		{"error_rgw.xml", "not <ListBucketResult>"},
		{"buckets.xml", "not <ListBucketResult>"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct s3_list_page *page = NULL;
		struct dm_error err;
		int rc = parse_list_file(cases[i].file, &page, &err);

		CHECK_INT(rc, -EPROTO);
		CHECK_INT(err.code, -EPROTO);
		CHECK(page == NULL);
		if (!strstr(err.message, cases[i].message))
			fprintf(stderr, "%s: message \"%s\" lacks \"%s\"\n",
				cases[i].file, err.message, cases[i].message);
		CHECK(strstr(err.message, cases[i].message) != NULL);
	}
}

/* Every cut of a good body before its last '>' must be refused. */
static void test_every_cut_refused(void)
{
	size_t len, end, refused = 0;
	char *body = read_data("list_plain.xml", &len);

	end = (size_t)(strrchr(body, '>') - body);
	for (size_t cut = 0; cut < end; cut++) {
		struct s3_list_page *page = NULL;
		struct dm_error err;

		if (s3_xml_parse_list(body, cut, NULL, 0, &page, &err) ==
			    -EPROTO &&
		    !page)
			refused++;
		s3_list_page_free(page);
	}
	CHECK_INT(refused, end);
	free(body);
}

/* Keys must also sort after the last key of the page before. */
static void test_order_across_pages(void)
{
	struct s3_list_page *page = NULL;
	struct dm_error err;
	size_t len;
	char *body = read_data("list_truncated.xml", &len);

	CHECK_INT(s3_xml_parse_list(body, len, "a", 1, &page, &err), -EPROTO);
	CHECK(page == NULL);
	CHECK_INT(s3_xml_parse_list(body, len, "b", 1, &page, &err), -EPROTO);
	CHECK_INT(s3_xml_parse_list(body, len, "\0", 1, &page, &err), 0);
	s3_list_page_free(page);
	CHECK_INT(s3_xml_parse_list(body, len, "", 0, &page, &err), 0);
	s3_list_page_free(page);
	free(body);
}

/* A listing page of n keys "k00000", "k00001", ... padded to pad bytes. */
static char *make_listing(size_t n, size_t pad, size_t *len)
{
	static const char head[] =
		"<ListBucketResult><IsTruncated>false</IsTruncated>";
	static const char entry[] =
		"<Contents><Key>k%05zu</Key><LastModified>"
		"2024-05-01T12:00:00Z</LastModified><ETag>&quot;"
		"0cc175b9c0f1b6a831c399e269772661&quot;</ETag><Size>1</Size>"
		"</Contents>";
	size_t cap = sizeof(head) + n * sizeof(entry) + pad + 64;
	char *body = malloc(cap);
	size_t used;

	used = (size_t)snprintf(body, cap, "%s", head);
	for (size_t i = 0; i < n; i++)
		used += (size_t)snprintf(body + used, cap - used, entry, i);
	if (pad > used) {
		used += (size_t)snprintf(body + used, cap - used, "<!--");
		memset(body + used, 'x', pad - used);
		used = pad;
		used += (size_t)snprintf(body + used, cap - used, "-->");
	}
	used += (size_t)snprintf(body + used, cap - used,
				 "</ListBucketResult>");
	*len = used;
	return body;
}

static void test_page_limits(void)
{
	struct s3_list_page *page = NULL;
	struct dm_error err;
	size_t len;
	char *body;

	body = make_listing(DM_LIST_PAGE_MAX, 0, &len);
	CHECK_INT(s3_xml_parse_list(body, len, NULL, 0, &page, &err), 0);
	CHECK(page && page->count == DM_LIST_PAGE_MAX);
	s3_list_page_free(page);
	free(body);

	body = make_listing(DM_LIST_PAGE_MAX + 1, 0, &len);
	CHECK_INT(s3_xml_parse_list(body, len, NULL, 0, &page, &err), -EPROTO);
	CHECK(strstr(err.message, "over 1000 keys") != NULL);
	free(body);

	body = make_listing(1, DM_LISTING_BODY_MAX, &len);
	CHECK(len > DM_LISTING_BODY_MAX);
	CHECK_INT(s3_xml_parse_list(body, len, NULL, 0, &page, &err),
		  -EMSGSIZE);
	CHECK(page == NULL);
	free(body);

	body = make_listing(1, DM_LISTING_BODY_MAX - 100, &len);
	CHECK(len <= DM_LISTING_BODY_MAX);
	CHECK_INT(s3_xml_parse_list(body, len, NULL, 0, &page, &err), 0);
	s3_list_page_free(page);
	free(body);
}

static int parse_error_file(const char *name, struct s3_error_body *out)
{
	size_t len;
	char *body = read_data(name, &len);
	struct dm_error err;
	int rc = s3_xml_parse_error(body, len, out, &err);

	free(body);
	return rc;
}

static void test_error_bodies(void)
{
	struct s3_error_body e;

	CHECK_INT(parse_error_file("error_aws.xml", &e), 0);
	CHECK_STR(e.code, "SignatureDoesNotMatch");
	CHECK_STR(e.request_id, "4442587FB7D0A2F9");
	CHECK_STR(e.resource, "/demo.gbai/a.bas");
	CHECK(strncmp(e.message, "The request signature", 21) == 0);

	CHECK_INT(parse_error_file("error_rgw.xml", &e), 0);
	CHECK_STR(e.code, "NoSuchKey");
	CHECK_STR(e.request_id,
		  "tx00000a1b2c3d4e5f60718-0066324b2a-1014-default");
	CHECK_STR(e.message, "");

	CHECK_INT(parse_error_file("error_control.xml", &e), 0);
	CHECK_STR(e.code, "Slow?Down?x");

	CHECK_INT(parse_error_file("error_html.xml", &e), -EPROTO);
	CHECK_STR(e.code, "");
	CHECK_INT(parse_error_file("list_plain.xml", &e), -EPROTO);
	CHECK_INT(parse_error_file("list_cut.xml", &e), -EPROTO);
}

static void test_bucket_lists(void)
{
	struct s3_bucket_list *list = NULL;
	struct dm_error err;
	size_t len;
	char *body;

	body = read_data("buckets.xml", &len);
	CHECK_INT(s3_xml_parse_buckets(body, len, &list, &err), 0);
	free(body);
	if (list) {
		CHECK_INT(list->count, 3);
		CHECK_STR(list->names[0], "Legacy_Bucket");
		CHECK_STR(list->names[1], "demo.gbai");
		CHECK_STR(list->names[2], "sales.gbai");
		s3_bucket_list_free(list);
	}

	body = read_data("buckets_empty.xml", &len);
	CHECK_INT(s3_xml_parse_buckets(body, len, &list, &err), 0);
	CHECK(list && list->count == 0);
	s3_bucket_list_free(list);
	free(body);

	body = read_data("buckets_bad_name.xml", &len);
	CHECK_INT(s3_xml_parse_buckets(body, len, &list, &err), -EPROTO);
	CHECK(list == NULL);
	free(body);

	body = read_data("buckets_slash.xml", &len);
	CHECK_INT(s3_xml_parse_buckets(body, len, &list, &err), -EPROTO);
	free(body);

	body = read_data("buckets_paginated.xml", &len);
	CHECK_INT(s3_xml_parse_buckets(body, len, &list, &err), -EPROTO);
	free(body);

	body = read_data("list_plain.xml", &len);
	CHECK_INT(s3_xml_parse_buckets(body, len, &list, &err), -EPROTO);
	free(body);
}

static bool time_is(const char *text, int64_t want)
{
	int64_t got = 0;

	return s3_xml_parse_time(text, strlen(text), &got) && got == want;
}

static bool time_refused(const char *text)
{
	int64_t got;

	return !s3_xml_parse_time(text, strlen(text), &got);
}

static void test_times(void)
{
	CHECK(time_is("1970-01-01T00:00:00Z", 0));
	CHECK(time_is("1969-12-31T23:59:59.999Z", -1));
	CHECK(time_is("2000-03-01T00:00:00.000Z", 951868800));
	CHECK(time_is("2024-02-29T23:59:59Z", 1709251199));
	CHECK(time_is("2024-05-01T14:00:00+02:00", 1714564800));
	CHECK(time_is("2024-05-01T09:30:00-02:30", 1714564800));
	CHECK(time_is("9999-12-31T23:59:59Z", 253402300799));

	CHECK(time_refused(""));
	CHECK(time_refused("2024-05-01T12:00:00"));
	CHECK(time_refused("2024-05-01 12:00:00Z"));
	CHECK(time_refused("2023-02-29T00:00:00Z"));
	CHECK(time_refused("2024-04-31T00:00:00Z"));
	CHECK(time_refused("2024-00-01T00:00:00Z"));
	CHECK(time_refused("2024-05-01T24:00:00Z"));
	CHECK(time_refused("2024-05-01T12:00:00.Z"));
	CHECK(time_refused("2024-05-01T12:00:00Zjunk"));
	CHECK(time_refused("2024-05-01T12:00:00+0200"));
	CHECK(time_refused("Wed, 01 May 2024 12:00:00 GMT"));
}

int main(void)
{
	test_plain_listing();
	test_url_encoded_listing();
	test_latin1_listing();
	test_truncated_listing();
	test_empty_listing();
	test_refused_listings();
	test_every_cut_refused();
	test_order_across_pages();
	test_page_limits();
	test_error_bodies();
	test_bucket_lists();
	test_times();
	return check_summary();
}
