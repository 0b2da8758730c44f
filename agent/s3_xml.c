/*
 * s3_xml.c - the S3 XML parsers: ListObjectsV2, ListBuckets and <Error>.
 *
 * A body is parsed into a libxml2 tree (bodies are bounded, so a tree
 * costs little and keeps the code a plain walk), then read in two passes:
 * the first counts and measures, so that the second copies every key into
 * one arena of the exact size.  Elements are matched by local name, so the
 * S3 namespace may be present or not.  Text is taken only from text and
 * CDATA nodes; an element holding markup where text is expected refuses
 * the body.
 *
 * Entity references are not substituted and a document with a DTD is
 * refused: S3 never sends one, and refusing it closes the door on entity
 * expansion tricks.  libxml2's own error printing is switched off; its
 * message is returned in the dm_error instead.
 *
 * What this file does not do: fetch, retry, or decide what a refused body
 * means for the mirror.
 */
#include "s3_xml.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <libxml/globals.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "digest.h"

/* No network, no DTD loading, no entity substitution, no stderr output. */
#define PARSE_OPTIONS \
	(XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING)

/* Fixed buffers for short fields: Size, LastModified, IsTruncated. */
#define FIELD_MAX 64

/* Big enough for an ETag with its quotes, so that a long one is detected. */
#define ETAG_TEXT_MAX (DM_ETAG_MAX + 2)

static bool is_element(const xmlNode *node, const char *name)
{
	return node->type == XML_ELEMENT_NODE &&
	       strcmp((const char *)node->name, name) == 0;
}

static const xmlNode *next_element(const xmlNode *node)
{
	while (node && node->type != XML_ELEMENT_NODE)
		node = node->next;
	return node;
}

static const xmlNode *first_child(const xmlNode *node)
{
	return next_element(node->children);
}

/* Report libxml2's own reason for refusing a body, without its newline. */
static int parse_failure(xmlParserCtxt *ctxt, struct dm_error *err)
{
	const xmlError *e = xmlCtxtGetLastError(ctxt);
	size_t len;

	if (!e || !e->message)
		return dm_error_set(err, -EPROTO, "malformed XML");
	if (e->code == XML_ERR_NO_MEMORY)
		return dm_error_set(err, -ENOMEM, "out of memory parsing XML");

	len = strcspn(e->message, "\r\n");
	return dm_error_set(err, -EPROTO, "malformed XML at line %d: %.*s",
			    e->line, (int)len, e->message);
}

/*
 * libxml2 reports some errors (bad encodings, I/O) through its per-thread
 * handlers whatever the parse options say, and those print on stderr.
 * They are switched off for the length of a parse; the parser context
 * still records the error for parse_failure().
 */
struct libxml_handlers {
	xmlGenericErrorFunc generic;
	void *generic_ctx;
	xmlStructuredErrorFunc structured;
	void *structured_ctx;
};

static void ignore_generic(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

static void ignore_structured(void *ctx, xmlErrorPtr error)
{
	(void)ctx;
	(void)error;
}

static void mute_libxml(struct libxml_handlers *saved)
{
	saved->generic = xmlGenericError;
	saved->generic_ctx = xmlGenericErrorContext;
	saved->structured = xmlStructuredError;
	saved->structured_ctx = xmlStructuredErrorContext;
	xmlSetGenericErrorFunc(NULL, ignore_generic);
	xmlSetStructuredErrorFunc(NULL, ignore_structured);
}

static void unmute_libxml(const struct libxml_handlers *saved)
{
	xmlSetGenericErrorFunc(saved->generic_ctx, saved->generic);
	xmlSetStructuredErrorFunc(saved->structured_ctx, saved->structured);
}

/*
 * Parse body into a tree whose root element is named root_name.  On
 * success the caller frees *doc with xmlFreeDoc().
 */
static int read_document(const char *body, size_t len, size_t max,
			 const char *root_name, xmlDoc **doc,
			 struct dm_error *err)
{
	struct libxml_handlers saved;
	xmlParserCtxt *ctxt;
	const xmlNode *root;
	int rc = 0;

	if (len == 0)
		return dm_error_set(err, -EPROTO, "empty answer");
	if (len > max)
		return dm_error_set(
			err, -EMSGSIZE,
			"answer of %zu bytes is over the limit of %zu bytes",
			len, max);

	ctxt = xmlNewParserCtxt();
	if (!ctxt)
		return dm_error_set(err, -ENOMEM, "out of memory parsing XML");

	mute_libxml(&saved);
	*doc = xmlCtxtReadMemory(ctxt, body, (int)len, NULL, NULL,
				 PARSE_OPTIONS);
	unmute_libxml(&saved);
	if (!*doc) {
		rc = parse_failure(ctxt, err);
		goto out_free_ctxt;
	}

	root = xmlDocGetRootElement(*doc);
	if ((*doc)->intSubset || (*doc)->extSubset)
		rc = dm_error_set(err, -EPROTO, "XML carries a DTD");
	else if (!root || !is_element(root, root_name))
		rc = dm_error_set(err, -EPROTO, "XML root is not <%s>",
				  root_name);
	if (rc < 0) {
		xmlFreeDoc(*doc);
		*doc = NULL;
	}

out_free_ctxt:
	xmlFreeParserCtxt(ctxt);
	return rc;
}

/* Length of an element's text; false when it holds markup, not text. */
static bool text_length(const xmlNode *node, size_t *len)
{
	*len = 0;
	for (const xmlNode *c = node->children; c; c = c->next) {
		if (c->type == XML_TEXT_NODE ||
		    c->type == XML_CDATA_SECTION_NODE)
			*len += strlen((const char *)c->content);
		else if (c->type != XML_COMMENT_NODE && c->type != XML_PI_NODE)
			return false;
	}
	return true;
}

/* Copy at most cap - 1 bytes of an element's text and a NUL into dst. */
static size_t text_copy(const xmlNode *node, char *dst, size_t cap)
{
	size_t len = 0;

	for (const xmlNode *c = node->children; c && len + 1 < cap;
	     c = c->next) {
		size_t n;

		if (c->type != XML_TEXT_NODE &&
		    c->type != XML_CDATA_SECTION_NODE)
			continue;
		n = strlen((const char *)c->content);
		if (n > cap - 1 - len)
			n = cap - 1 - len;
		memcpy(dst + len, c->content, n);
		len += n;
	}
	dst[len] = '\0';
	return len;
}

/* Replace control characters in place, so that text can go in a message. */
static char *masked(char *text)
{
	for (char *p = text; *p; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			*p = '?';
	return text;
}

/* Read a short field whole into buf, refusing it if it does not fit. */
static int read_field(const xmlNode *node, char *buf, size_t cap,
		      struct dm_error *err)
{
	size_t len;

	if (!text_length(node, &len) || len >= cap)
		return dm_error_set(err, -EPROTO, "bad <%s>",
				    (const char *)node->name);
	text_copy(node, buf, cap);
	return 0;
}

/* Keep the first element named name among siblings; a second is an error. */
static int take_once(const xmlNode *node, const char *name,
		     const xmlNode **slot, struct dm_error *err)
{
	if (!is_element(node, name))
		return 0;
	if (*slot)
		return dm_error_set(err, -EPROTO, "<%s> appears twice", name);
	*slot = node;
	return 0;
}

/*
 * Undo S3's url encoding in place: "%XX" is a byte and '+' a space (S3
 * writes a real '+' as "%2B").  Returns the decoded length, or -EPROTO.
 */
static ssize_t url_decode(char *s, size_t len)
{
	size_t in, out = 0;

	for (in = 0; in < len; in++) {
		int hi, lo;

		if (s[in] == '+') {
			s[out++] = ' ';
			continue;
		}
		if (s[in] != '%') {
			s[out++] = s[in];
			continue;
		}
		if (len - in < 3)
			return -EPROTO;
		hi = digest_hex_value(s[in + 1]);
		lo = digest_hex_value(s[in + 2]);
		if (hi < 0 || lo < 0)
			return -EPROTO;
		s[out++] = (char)(hi << 4 | lo);
		in += 2;
	}
	return (ssize_t)out;
}

static int compare_keys(const char *a, size_t a_len, const char *b,
			size_t b_len)
{
	int c = memcmp(a, b, a_len < b_len ? a_len : b_len);

	if (c != 0)
		return c;
	return (a_len > b_len) - (a_len < b_len);
}

/* Read exactly width digits at text[*i]. */
static bool read_digits(const char *text, size_t len, size_t *i, int width,
			int *value)
{
	*value = 0;
	for (int n = 0; n < width; n++, (*i)++) {
		if (*i >= len || text[*i] < '0' || text[*i] > '9')
			return false;
		*value = *value * 10 + (text[*i] - '0');
	}
	return true;
}

static bool read_char(const char *text, size_t len, size_t *i, char c)
{
	if (*i >= len || text[*i] != c)
		return false;
	(*i)++;
	return true;
}

/* Days from 1970-01-01 to a date of the proleptic Gregorian calendar. */
static int64_t days_from_civil(int year, int month, int day)
{
	int64_t era, year_of_era, day_of_year, day_of_era;

	year -= month <= 2;
	era = (year >= 0 ? year : year - 399) / 400;
	year_of_era = year - era * 400;
	day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
	day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 +
		     day_of_year;
	return era * 146097 + day_of_era - 719468;
}

static int days_in_month(int year, int month)
{
	static const int days[] = {31, 28, 31, 30, 31, 30,
				   31, 31, 30, 31, 30, 31};
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return days[month - 1] + (month == 2 && leap);
}

/* Read the zone designator: "Z", or "+HH:MM"/"-HH:MM" as seconds east. */
static bool read_zone(const char *text, size_t len, size_t *i, int *east)
{
	int hours, minutes, sign;

	*east = 0;
	if (read_char(text, len, i, 'Z'))
		return true;
	if (read_char(text, len, i, '+'))
		sign = 1;
	else if (read_char(text, len, i, '-'))
		sign = -1;
	else
		return false;
	if (!read_digits(text, len, i, 2, &hours) ||
	    !read_char(text, len, i, ':') ||
	    !read_digits(text, len, i, 2, &minutes) || hours > 23 ||
	    minutes > 59)
		return false;
	*east = sign * (hours * 3600 + minutes * 60);
	return true;
}

bool s3_xml_parse_time(const char *text, size_t len, int64_t *out)
{
	int year, month, day, hour, minute, second, east, digit;
	size_t i = 0;

	if (!read_digits(text, len, &i, 4, &year) ||
	    !read_char(text, len, &i, '-') ||
	    !read_digits(text, len, &i, 2, &month) ||
	    !read_char(text, len, &i, '-') ||
	    !read_digits(text, len, &i, 2, &day) ||
	    !read_char(text, len, &i, 'T') ||
	    !read_digits(text, len, &i, 2, &hour) ||
	    !read_char(text, len, &i, ':') ||
	    !read_digits(text, len, &i, 2, &minute) ||
	    !read_char(text, len, &i, ':') ||
	    !read_digits(text, len, &i, 2, &second))
		return false;

	if (read_char(text, len, &i, '.')) {
		if (!read_digits(text, len, &i, 1, &digit))
			return false;
		while (read_digits(text, len, &i, 1, &digit))
			;
	}
	if (!read_zone(text, len, &i, &east) || i != len)
		return false;

	if (month < 1 || month > 12 || day < 1 ||
	    day > days_in_month(year, month) || hour > 23 || minute > 59 ||
	    second > 60)
		return false;

	*out = days_from_civil(year, month, day) * 86400 + hour * 3600 +
	       minute * 60 + second - east;
	return true;
}

static int read_size(const xmlNode *node, uint64_t *size, struct dm_error *err)
{
	char text[FIELD_MAX];
	size_t i;
	int rc;

	rc = read_field(node, text, sizeof(text), err);
	if (rc < 0)
		return rc;

	*size = 0;
	for (i = 0; text[i]; i++) {
		unsigned digit = (unsigned)(text[i] - '0');

		if (digit > 9 || *size > (UINT64_MAX - digit) / 10)
			break;
		*size = *size * 10 + digit;
	}
	if (i == 0 || text[i])
		return dm_error_set(err, -EPROTO, "bad <Size> '%s'",
				    masked(text));
	return 0;
}

static int read_time(const xmlNode *node, int64_t *when, struct dm_error *err)
{
	char text[FIELD_MAX];
	int rc;

	rc = read_field(node, text, sizeof(text), err);
	if (rc < 0)
		return rc;

	if (!s3_xml_parse_time(text, strlen(text), when))
		return dm_error_set(err, -EPROTO, "bad <LastModified> '%s'",
				    masked(text));
	return 0;
}

bool s3_xml_parse_etag(const char *text, size_t len, char *etag)
{
	if (len >= 2 && text[0] == '"' && text[len - 1] == '"') {
		text++;
		len -= 2;
	}
	if (len >= DM_ETAG_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (text[i] <= ' ' || text[i] > '~' || text[i] == '"')
			return false;

	memcpy(etag, text, len);
	etag[len] = '\0';
	return true;
}

static int read_etag(const xmlNode *node, char *etag, struct dm_error *err)
{
	char text[ETAG_TEXT_MAX];
	int rc;

	rc = read_field(node, text, sizeof(text), err);
	if (rc < 0)
		return rc;

	if (!s3_xml_parse_etag(text, strlen(text), etag))
		return dm_error_set(err, -EPROTO, "bad <ETag> '%s'",
				    masked(text));
	return 0;
}

/* Copy a key into the arena at *pos, decoded when the page asks for it. */
static int read_key(const xmlNode *node, bool url_encoded, char **pos,
		    struct drive_object *obj, struct dm_error *err)
{
	size_t len;
	ssize_t decoded;

	if (!text_length(node, &len))
		return dm_error_set(err, -EPROTO, "bad <Key>");
	len = text_copy(node, *pos, len + 1);

	decoded = url_encoded ? url_decode(*pos, len) : (ssize_t)len;
	if (decoded < 0)
		return dm_error_set(err, -EPROTO, "bad escape in <Key>");
	if (decoded == 0)
		return dm_error_set(err, -EPROTO, "empty <Key>");

	(*pos)[decoded] = '\0';
	obj->key = *pos;
	obj->key_len = (size_t)decoded;
	*pos += decoded + 1;
	return 0;
}

/* The fields of one <Contents> we read; others are ignored. */
struct contents_fields {
	const xmlNode *key, *etag, *size, *last_modified;
};

static int find_contents_fields(const xmlNode *contents,
				struct contents_fields *f, struct dm_error *err)
{
	int rc = 0;

	memset(f, 0, sizeof(*f));
	for (const xmlNode *child = first_child(contents); child;
	     child = next_element(child->next)) {
		rc = take_once(child, "Key", &f->key, err);
		if (rc == 0)
			rc = take_once(child, "ETag", &f->etag, err);
		if (rc == 0)
			rc = take_once(child, "Size", &f->size, err);
		if (rc == 0)
			rc = take_once(child, "LastModified", &f->last_modified,
				       err);
		if (rc < 0)
			return rc;
	}

	if (!f->key)
		return dm_error_set(err, -EPROTO, "<Contents> lacks <Key>");
	if (!f->etag)
		return dm_error_set(err, -EPROTO, "<Contents> lacks <ETag>");
	if (!f->size)
		return dm_error_set(err, -EPROTO, "<Contents> lacks <Size>");
	if (!f->last_modified)
		return dm_error_set(err, -EPROTO,
				    "<Contents> lacks <LastModified>");
	return 0;
}

static int read_contents(const xmlNode *contents, bool url_encoded, char **pos,
			 struct drive_object *obj, struct dm_error *err)
{
	struct contents_fields f;
	int rc;

	rc = find_contents_fields(contents, &f, err);
	if (rc < 0)
		return rc;

	rc = read_key(f.key, url_encoded, pos, obj, err);
	if (rc < 0)
		return rc;

	rc = read_etag(f.etag, obj->etag, err);
	if (rc < 0)
		return rc;

	rc = read_size(f.size, &obj->size, err);
	if (rc < 0)
		return rc;

	return read_time(f.last_modified, &obj->last_modified, err);
}

/* What the first pass over a listing finds. */
struct list_survey {
	const xmlNode *truncated, *token, *encoding;
	size_t contents;    /* number of <Contents> */
	size_t arena_bytes; /* every key and the token, each with a NUL */
};

static int survey_contents(const xmlNode *contents, struct list_survey *s,
			   struct dm_error *err)
{
	size_t len;

	if (++s->contents > DM_LIST_PAGE_MAX)
		return dm_error_set(err, -EPROTO,
				    "listing page holds over %d keys",
				    DM_LIST_PAGE_MAX);

	for (const xmlNode *child = first_child(contents); child;
	     child = next_element(child->next)) {
		if (!is_element(child, "Key"))
			continue;
		if (!text_length(child, &len))
			return dm_error_set(err, -EPROTO, "bad <Key>");
		s->arena_bytes += len + 1;
	}
	return 0;
}

static int survey_list(const xmlNode *root, struct list_survey *s,
		       struct dm_error *err)
{
	size_t len;
	int rc = 0;

	memset(s, 0, sizeof(*s));
	for (const xmlNode *child = first_child(root); child;
	     child = next_element(child->next)) {
		if (is_element(child, "Contents"))
			rc = survey_contents(child, s, err);
		if (rc == 0)
			rc = take_once(child, "IsTruncated", &s->truncated,
				       err);
		if (rc == 0)
			rc = take_once(child, "NextContinuationToken",
				       &s->token, err);
		if (rc == 0)
			rc = take_once(child, "EncodingType", &s->encoding,
				       err);
		if (rc < 0)
			return rc;
	}

	if (s->token) {
		if (!text_length(s->token, &len))
			return dm_error_set(err, -EPROTO,
					    "bad <NextContinuationToken>");
		s->arena_bytes += len + 1;
	}
	return 0;
}

/* Read IsTruncated, EncodingType and the token into page. */
static int read_list_state(const struct list_survey *s,
			   struct s3_list_page *page, char **pos,
			   bool *url_encoded, struct dm_error *err)
{
	char text[FIELD_MAX];
	int rc;

	if (!s->truncated)
		return dm_error_set(err, -EPROTO,
				    "listing lacks <IsTruncated>");
	rc = read_field(s->truncated, text, sizeof(text), err);
	if (rc < 0)
		return rc;
	if (strcmp(text, "true") != 0 && strcmp(text, "false") != 0)
		return dm_error_set(err, -EPROTO, "bad <IsTruncated> '%s'",
				    masked(text));
	page->truncated = text[0] == 't';

	*url_encoded = false;
	if (s->encoding) {
		rc = read_field(s->encoding, text, sizeof(text), err);
		if (rc < 0)
			return rc;
		if (strcmp(text, "url") != 0)
			return dm_error_set(err, -EPROTO,
					    "unknown <EncodingType> '%s'",
					    masked(text));
		*url_encoded = true;
	}

	if (!page->truncated)
		return 0;
	if (s->token) {
		page->next_token = *pos;
		*pos += text_copy(s->token, *pos, SIZE_MAX) + 1;
	}
	if (!page->next_token || !page->next_token[0])
		return dm_error_set(
			err, -EPROTO,
			"truncated listing lacks <NextContinuationToken>");
	return 0;
}

static int check_order(const struct drive_object *obj, const char *after,
		       size_t after_len, struct dm_error *err)
{
	if (after &&
	    compare_keys(after, after_len, obj->key, obj->key_len) >= 0)
		return dm_error_set(err, -EPROTO,
				    "listing keys are out of order");
	return 0;
}

static struct s3_list_page *new_page(const struct list_survey *s)
{
	struct s3_list_page *page = calloc(1, sizeof(*page));

	if (!page)
		return NULL;
	page->objects =
		calloc(s->contents ? s->contents : 1, sizeof(*page->objects));
	page->arena = malloc(s->arena_bytes ? s->arena_bytes : 1);
	if (!page->objects || !page->arena) {
		s3_list_page_free(page);
		return NULL;
	}
	return page;
}

static int read_list(const xmlNode *root, const char *after, size_t after_len,
		     struct s3_list_page **out, struct dm_error *err)
{
	struct list_survey survey;
	struct s3_list_page *page;
	bool url_encoded = false;
	char *pos;
	int rc;

	rc = survey_list(root, &survey, err);
	if (rc < 0)
		return rc;

	page = new_page(&survey);
	if (!page)
		return dm_error_set(err, -ENOMEM, "out of memory");
	pos = page->arena;

	rc = read_list_state(&survey, page, &pos, &url_encoded, err);
	if (rc < 0)
		goto out_free_page;

	for (const xmlNode *child = first_child(root); child;
	     child = next_element(child->next)) {
		struct drive_object *obj;

		if (!is_element(child, "Contents"))
			continue;
		obj = &page->objects[page->count];
		rc = read_contents(child, url_encoded, &pos, obj, err);
		if (rc == 0)
			rc = check_order(obj, after, after_len, err);
		if (rc < 0)
			goto out_free_page;
		after = obj->key;
		after_len = obj->key_len;
		page->count++;
	}

	*out = page;
	return 0;

out_free_page:
	s3_list_page_free(page);
	return rc;
}

int s3_xml_parse_list(const char *body, size_t len, const char *after,
		      size_t after_len, struct s3_list_page **out,
		      struct dm_error *err)
{
	xmlDoc *doc;
	int rc;

	*out = NULL;
	rc = read_document(body, len, DM_LISTING_BODY_MAX, "ListBucketResult",
			   &doc, err);
	if (rc < 0)
		return rc;

	rc = read_list(xmlDocGetRootElement(doc), after, after_len, out, err);
	xmlFreeDoc(doc);
	return rc;
}

void s3_list_page_free(struct s3_list_page *page)
{
	if (!page)
		return;
	free(page->objects);
	free(page->arena);
	free(page);
}

/* A name that is safe as one folder name and plausible as a bucket. */
static bool bucket_name_ok(const char *name, size_t len)
{
	if (len == 0 || len > DM_NAME_MAX || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '-' ||
		      c == '_'))
			return false;
	}
	return true;
}

/* The <Name> of a <Bucket>; NULL when it has none or two. */
static const xmlNode *bucket_name_node(const xmlNode *bucket)
{
	const xmlNode *name = NULL;

	for (const xmlNode *child = first_child(bucket); child;
	     child = next_element(child->next)) {
		if (!is_element(child, "Name"))
			continue;
		if (name)
			return NULL;
		name = child;
	}
	return name;
}

/* Count the <Bucket> elements and the bytes their names need. */
static int survey_buckets(const xmlNode *root, const xmlNode **buckets,
			  size_t *count, size_t *arena_bytes,
			  struct dm_error *err)
{
	size_t len;
	int rc = 0;

	*buckets = NULL;
	*count = *arena_bytes = 0;
	for (const xmlNode *child = first_child(root); child;
	     child = next_element(child->next)) {
		rc = take_once(child, "Buckets", buckets, err);
		if (rc < 0)
			return rc;
		if (is_element(child, "ContinuationToken") && child->children)
			return dm_error_set(
				err, -EPROTO,
				"bucket list spans several pages, which is not supported");
	}
	if (!*buckets)
		return 0;

	for (const xmlNode *bucket = first_child(*buckets); bucket;
	     bucket = next_element(bucket->next)) {
		const xmlNode *name;

		if (!is_element(bucket, "Bucket"))
			continue;
		name = bucket_name_node(bucket);
		if (++*count > DM_BUCKETS_MAX)
			return dm_error_set(err, -EPROTO,
					    "bucket list holds over %d names",
					    DM_BUCKETS_MAX);
		if (!name || !text_length(name, &len))
			return dm_error_set(err, -EPROTO,
					    "<Bucket> lacks a <Name>");
		*arena_bytes += len + 1;
	}
	return 0;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sort the names and drop repeats. */
static void sort_unique(struct s3_bucket_list *list)
{
	size_t kept = 0;

	qsort(list->names, list->count, sizeof(*list->names), compare_names);
	for (size_t i = 0; i < list->count; i++)
		if (kept == 0 || strcmp(list->names[kept - 1], list->names[i]))
			list->names[kept++] = list->names[i];
	list->count = kept;
}

static struct s3_bucket_list *new_bucket_list(size_t count, size_t bytes)
{
	struct s3_bucket_list *list = calloc(1, sizeof(*list));

	if (!list)
		return NULL;
	list->names = calloc(count ? count : 1, sizeof(*list->names));
	list->arena = malloc(bytes ? bytes : 1);
	if (!list->names || !list->arena) {
		s3_bucket_list_free(list);
		return NULL;
	}
	return list;
}

static int read_buckets(const xmlNode *root, struct s3_bucket_list **out,
			struct dm_error *err)
{
	const xmlNode *buckets;
	struct s3_bucket_list *list;
	size_t count, bytes;
	char *pos;
	int rc;

	rc = survey_buckets(root, &buckets, &count, &bytes, err);
	if (rc < 0)
		return rc;

	list = new_bucket_list(count, bytes);
	if (!list)
		return dm_error_set(err, -ENOMEM, "out of memory");
	pos = list->arena;

	for (const xmlNode *b = buckets ? first_child(buckets) : NULL; b;
	     b = next_element(b->next)) {
		size_t len;

		if (!is_element(b, "Bucket"))
			continue;
		len = text_copy(bucket_name_node(b), pos, SIZE_MAX);
		if (!bucket_name_ok(pos, len)) {
			rc = dm_error_set(err, -EPROTO, "bad bucket name");
			goto out_free_list;
		}
		list->names[list->count++] = pos;
		pos += len + 1;
	}

	sort_unique(list);
	*out = list;
	return 0;

out_free_list:
	s3_bucket_list_free(list);
	return rc;
}

int s3_xml_parse_buckets(const char *body, size_t len,
			 struct s3_bucket_list **out, struct dm_error *err)
{
	xmlDoc *doc;
	int rc;

	*out = NULL;
	rc = read_document(body, len, DM_LISTING_BODY_MAX,
			   "ListAllMyBucketsResult", &doc, err);
	if (rc < 0)
		return rc;

	rc = read_buckets(xmlDocGetRootElement(doc), out, err);
	xmlFreeDoc(doc);
	return rc;
}

void s3_bucket_list_free(struct s3_bucket_list *list)
{
	if (!list)
		return;
	free(list->names);
	free(list->arena);
	free(list);
}

/* Copy an element's text, cut to fit, with control characters masked. */
static void copy_loggable(const xmlNode *node, char *dst, size_t cap)
{
	size_t len;

	if (!text_length(node, &len))
		return;
	text_copy(node, dst, cap);
	masked(dst);
}

int s3_xml_parse_error(const char *body, size_t len, struct s3_error_body *out,
		       struct dm_error *err)
{
	xmlDoc *doc;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = read_document(body, len, DM_ERROR_BODY_MAX, "Error", &doc, err);
	if (rc < 0)
		return rc;

	for (const xmlNode *child = first_child(xmlDocGetRootElement(doc));
	     child; child = next_element(child->next)) {
		if (is_element(child, "Code"))
			copy_loggable(child, out->code, sizeof(out->code));
		else if (is_element(child, "Message"))
			copy_loggable(child, out->message,
				      sizeof(out->message));
		else if (is_element(child, "RequestId"))
			copy_loggable(child, out->request_id,
				      sizeof(out->request_id));
		else if (is_element(child, "Resource"))
			copy_loggable(child, out->resource,
				      sizeof(out->resource));
	}

	xmlFreeDoc(doc);
	return 0;
}
