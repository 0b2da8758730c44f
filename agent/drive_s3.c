/*
 * drive_s3.c - the drive over S3's HTTP API, spoken with libcurl.
 *
 * Requests are signed by libcurl's SigV4 signer.  That signer signs the
 * path and query exactly as written, so this file writes them in the
 * canonical form S3 computes on its side: keys percent-encoded except for
 * unreserved characters and '/', uppercase escapes, query parameters
 * sorted by name.  It also does not add the payload hash S3 requires, so
 * every request carries x-amz-content-sha256: an upload the SHA-256 of
 * its body, computed before it is sent, every other request that of an
 * empty body.  The access key and secret go to libcurl separately because
 * access keys may contain ':'.
 *
 * One easy handle serves listings, HEADs, uploads and deletes one at a
 * time; a pool of `concurrency` easy handles in one multi handle serves
 * downloads.  The handles live as long as the drive so that their
 * connections are reused from one request and one batch to the next.
 *
 * Conditional uploads and deletes send If-Match or If-None-Match, and
 * also check the condition with a HEAD just before, because some S3
 * servers ignore those headers.  Between the HEAD and the request another
 * writer may still slip in; only a server that honours the headers closes
 * that gap.
 *
 * Every failure is converted here, once, into -errno plus a dm_error
 * naming the bucket and key: HTTP statuses through http_errors[], curl
 * codes through curl_errors[], with S3's <Code> and request id.  Nothing
 * here logs, retries or sleeps, and no message carries a credential.
 *
 * curl types never leave this file.
 */
#include "digest.h"
#include "drive.h"
#include "s3_xml.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/evp.h>

/* The SHA-256 of an empty body, which is what every request sends. */
#define EMPTY_BODY_SHA256 \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* S3 takes at most 5 GiB in one PUT; more needs a multipart upload. */
#define SINGLE_PUT_MAX (5ULL << 30)

/* Bytes of a SHA-256 digest. */
#define SHA256_LEN 32

/* Longest wait for network events before asking whether to stop. */
#define POLL_MS 200

/* "bucket/key" as messages show it, cut beyond this. */
#define SUBJECT_MAX 160

/* A body kept in memory, with a hard maximum. */
struct buffer {
	char *data;
	size_t len, cap;
	size_t max;
	bool cut; /* drop bytes past max instead of failing */
};

/* One request on one easy handle, and what it has seen so far. */
struct transfer {
	CURL *easy;
	char errbuf[CURL_ERROR_SIZE];
	const char *verb; /* for messages: "list", "head", "get", "put"... */
	char subject[SUBJECT_MAX];
	size_t body_max;   /* largest success body kept in memory */
	bool body_started; /* status and headers have been looked at */
	long status;
	struct buffer body; /* a listing, or an error body */
	int write_error;    /* negative errno met while taking the body */

	/* downloads: the body goes to get->fd, hashed on the way */
	struct drive_get *get;
	bool to_file;
	EVP_MD_CTX *md5;
	uint64_t written;
	uint64_t max_size;
};

struct s3_drive {
	struct drive base;
	char *scheme;	 /* "http://" or "https://" */
	char *host;	 /* host[:port] of the endpoint */
	char *base_path; /* the endpoint's own path, without a final '/' */
	bool path_style;
	char *access_key; /* NULL for anonymous requests */
	char *secret_key;
	char *sigv4; /* "aws:amz:REGION:s3" */
	long connect_timeout_ms;
	long low_speed_time_s;
	struct curl_slist *headers;
	struct transfer control; /* listings, HEADs, uploads, deletes */
	CURLM *multi;		 /* downloads */
	struct transfer *slots;	 /* concurrency download slots */
	unsigned concurrency;
};

/* HTTP statuses as errno; anything else is -EIO. */
static const struct {
	long status;
	int code;
} http_errors[] = {
	{400, -EINVAL},	    /* a request S3 finds malformed */
	{401, -EACCES},	    /* some gateways' answer to a bad key */
	{403, -EACCES},	    /* AccessDenied, SignatureDoesNotMatch */
	{404, -ENOENT},	    /* NoSuchKey, NoSuchBucket */
	{405, -EOPNOTSUPP}, /* MethodNotAllowed */
	{409, -EBUSY},	    /* OperationAborted: a conflicting operation */
	{412, -ESTALE},	    /* PreconditionFailed: If-Match, If-None-Match */
	{416, -ERANGE},	    /* InvalidRange */
	{429, -EAGAIN},	    /* too many requests: try later */
	{500, -EAGAIN},	    /* InternalError: S3 says retry */
	{501, -EOPNOTSUPP}, /* NotImplemented */
	{502, -EAGAIN},	    /* a proxy could not reach S3 */
	{503, -EAGAIN},	    /* SlowDown, ServiceUnavailable */
	{504, -EAGAIN},	    /* a proxy timed out */
};

/* curl's codes as errno; anything else is -EIO (partial body, TLS...). */
static const struct {
	CURLcode curl;
	int code;
} curl_errors[] = {
	{CURLE_COULDNT_CONNECT, -ECONNREFUSED},
	{CURLE_OPERATION_TIMEDOUT, -ETIMEDOUT},
	{CURLE_COULDNT_RESOLVE_HOST, -EHOSTUNREACH},
	{CURLE_COULDNT_RESOLVE_PROXY, -EHOSTUNREACH},
	{CURLE_SEND_ERROR, -ECONNRESET},
	{CURLE_RECV_ERROR, -ECONNRESET},
	{CURLE_FILESIZE_EXCEEDED, -EFBIG},
	{CURLE_OUT_OF_MEMORY, -ENOMEM},
	{CURLE_ABORTED_BY_CALLBACK, -EINTR},
	{CURLE_UNSUPPORTED_PROTOCOL, -EPROTO}, /* e.g. an answer in HTTP/0.9 */
	{CURLE_WEIRD_SERVER_REPLY, -EPROTO},
	{CURLE_URL_MALFORMAT, -EINVAL},
};

static struct s3_drive *to_s3(struct drive *drive)
{
	return (struct s3_drive *)drive;
}

static int http_status_errno(long status)
{
	for (size_t i = 0; i < sizeof(http_errors) / sizeof(http_errors[0]);
	     i++)
		if (http_errors[i].status == status)
			return http_errors[i].code;
	return -EIO;
}

static int curl_code_errno(CURLcode cc)
{
	for (size_t i = 0; i < sizeof(curl_errors) / sizeof(curl_errors[0]);
	     i++)
		if (curl_errors[i].curl == cc)
			return curl_errors[i].code;
	return -EIO;
}

/*
 * Write "bucket/key" for a message: printable bytes as they are (UTF-8
 * included), control bytes and '\' as \xHH, cut with "..." if too long.
 */
static void describe(char *out, const char *bucket, const char *key,
		     size_t key_len)
{
	size_t used = (size_t)snprintf(out, SUBJECT_MAX, "%s%s", bucket,
				       key ? "/" : "");

	for (size_t i = 0; key && i < key_len && used < SUBJECT_MAX; i++) {
		unsigned char c = (unsigned char)key[i];

		if (used + 8 >= SUBJECT_MAX) {
			snprintf(out + used, SUBJECT_MAX - used, "...");
			return;
		}
		if (c < ' ' || c == 0x7f || c == '\\')
			used += (size_t)snprintf(out + used, SUBJECT_MAX - used,
						 "\\x%02X", c);
		else
			out[used++] = (char)c;
	}
	out[used < SUBJECT_MAX ? used : SUBJECT_MAX - 1] = '\0';
}

static bool unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	       c == '~';
}

/* Percent-encode s at p as SigV4 wants it; returns the end. */
static char *encode(char *p, const char *s, size_t len, bool keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (unreserved(c) || (keep_slash && c == '/')) {
			*p++ = (char)c;
			continue;
		}
		*p++ = '%';
		*p++ = hex[c >> 4];
		*p++ = hex[c & 15];
	}
	return p;
}

/*
 * The URL of the service (bucket NULL), a bucket (key NULL) or an object.
 * query is written as given: the caller sorts and encodes it.
 */
static char *make_url(const struct s3_drive *d, const char *bucket,
		      const char *key, size_t key_len, const char *query)
{
	size_t bucket_len = bucket ? strlen(bucket) : 0;
	size_t need = strlen(d->scheme) + strlen(d->host) +
		      strlen(d->base_path) + 4 * bucket_len + 3 * key_len +
		      strlen(query) + 8;
	char *url = malloc(need), *p;

	if (!url)
		return NULL;

	p = stpcpy(url, d->scheme);
	if (bucket && !d->path_style)
		p = stpcpy(stpcpy(p, bucket), ".");
	p = stpcpy(stpcpy(p, d->host), d->base_path);
	*p++ = '/';
	if (bucket && d->path_style) {
		p = encode(p, bucket, bucket_len, false);
		if (key)
			*p++ = '/';
	}
	if (key)
		p = encode(p, key, key_len, true);
	if (query[0])
		p = stpcpy(stpcpy(p, "?"), query);
	*p = '\0';
	return url;
}

static int buffer_append(struct buffer *b, const char *data, size_t len)
{
	size_t cap;
	char *grown;

	if (len > b->max - b->len) {
		if (!b->cut)
			return -EMSGSIZE;
		len = b->max - b->len;
	}
	if (b->len + len > b->cap) {
		cap = b->cap ? b->cap : 4096;
		while (cap < b->len + len)
			cap *= 2;
		grown = realloc(b->data, cap);
		if (!grown)
			return -ENOMEM;
		b->data = grown;
		b->cap = cap;
	}
	memcpy(b->data + b->len, data, len);
	b->len += len;
	return 0;
}

static int write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * First bytes of a body: now the status and headers are known.  A
 * download with a success status goes to the file, after checking its
 * announced length; anything else is kept in memory (an error body is
 * cut to DM_ERROR_BODY_MAX, a listing refused past body_max).
 */
static int start_body(struct transfer *t)
{
	curl_off_t length = -1;

	t->body_started = true;
	curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &t->status);

	if (t->status / 100 != 2) {
		t->body.max = DM_ERROR_BODY_MAX;
		t->body.cut = true;
		return 0;
	}
	t->body.max = t->body_max;
	t->body.cut = false;
	if (!t->get)
		return 0;

	curl_easy_getinfo(t->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length);
	if (length > 0 && (uint64_t)length > t->max_size)
		return -EFBIG;
	t->to_file = true;
	return 0;
}

static int take_file_bytes(struct transfer *t, const char *data, size_t len)
{
	if (len > t->max_size - t->written)
		return -EFBIG;
	if (EVP_DigestUpdate(t->md5, data, len) != 1)
		return -ENOMEM;
	t->written += len;
	return write_all(t->get->fd, data, len);
}

static size_t on_body(char *data, size_t size, size_t count, void *arg)
{
	struct transfer *t = arg;
	size_t len = size * count;
	int rc = 0;

	if (!t->body_started)
		rc = start_body(t);
	if (rc == 0 && t->to_file)
		rc = take_file_bytes(t, data, len);
	else if (rc == 0)
		rc = buffer_append(&t->body, data, len);

	if (rc < 0) {
		t->write_error = rc;
		return CURL_WRITEFUNC_ERROR;
	}
	return len;
}

/* Options every request shares; -ENOMEM if libcurl cannot keep them. */
static int set_common_options(const struct s3_drive *d, struct transfer *t,
			      const char *url)
{
	CURL *h = t->easy;

	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(h, CURLOPT_FILETIME, 1L);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, t->errbuf);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, d->headers);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(h, CURLOPT_PRIVATE, t);
	if (d->connect_timeout_ms > 0)
		curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
				 d->connect_timeout_ms);
	if (d->low_speed_time_s > 0) {
		curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
		curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME,
				 d->low_speed_time_s);
	}

	if (curl_easy_setopt(h, CURLOPT_URL, url) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") !=
		    CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_USERAGENT,
			     "drivemon/" DRIVEMON_VERSION) != CURLE_OK)
		return -ENOMEM;
	if (!d->access_key)
		return 0;
	if (curl_easy_setopt(h, CURLOPT_USERNAME, d->access_key) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_PASSWORD, d->secret_key) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_AWS_SIGV4, d->sigv4) != CURLE_OK)
		return -ENOMEM;
	return 0;
}

/* Make t ready for one request: verb and subject name it in messages. */
static int prepare(const struct s3_drive *d, struct transfer *t,
		   const char *verb, const char *bucket, const char *key,
		   size_t key_len, const char *url)
{
	t->verb = verb;
	describe(t->subject, bucket, key, key_len);
	t->errbuf[0] = '\0';
	t->body_started = false;
	t->status = 0;
	t->body.len = 0;
	t->write_error = 0;
	t->to_file = false;
	t->written = 0;
	return set_common_options(d, t, url);
}

/* Keep only what a message may show of S3's request id header. */
static void request_id_header(CURL *h, char *out, size_t cap)
{
	struct curl_header *hdr;

	if (curl_easy_header(h, "x-amz-request-id", 0, CURLH_HEADER, -1,
			     &hdr) != CURLHE_OK)
		return;
	snprintf(out, cap, "%s", hdr->value);
	for (char *p = out; *p; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			*p = '?';
}

static int write_failure(const struct transfer *t, struct dm_error *err)
{
	switch (t->write_error) {
	case -EFBIG:
		return dm_error_set(
			err, -EFBIG,
			"cannot %s '%s': object over the limit of %llu bytes",
			t->verb, t->subject, (unsigned long long)t->max_size);
	case -EMSGSIZE:
		return dm_error_set(
			err, -EMSGSIZE,
			"cannot %s '%s': answer over the limit of %zu bytes",
			t->verb, t->subject, t->body_max);
	default:
		return dm_error_set(err, t->write_error,
				    "cannot %s '%s': cannot write: %s", t->verb,
				    t->subject, strerror(-t->write_error));
	}
}

static int curl_failure(const struct transfer *t, CURLcode cc,
			struct dm_error *err)
{
	const char *why = t->errbuf[0] ? t->errbuf : curl_easy_strerror(cc);
	int code = curl_code_errno(cc);

	if (cc == CURLE_FILESIZE_EXCEEDED)
		return dm_error_set(
			err, code,
			"cannot %s '%s': object over the limit of %llu bytes",
			t->verb, t->subject, (unsigned long long)t->max_size);
	return dm_error_set(err, code, "cannot %s '%s': %s", t->verb,
			    t->subject, why);
}

/* An HTTP error status, with S3's <Error> body when there is one. */
static int http_failure(const struct transfer *t, struct dm_error *err)
{
	struct s3_error_body body;
	int code = http_status_errno(t->status);

	if (t->body.len == 0 ||
	    s3_xml_parse_error(t->body.data, t->body.len, &body, NULL) < 0)
		memset(&body, 0, sizeof(body));

	dm_error_set(err, code, "cannot %s '%s'", t->verb, t->subject);
	err->http_status = t->status;
	snprintf(err->s3_code, sizeof(err->s3_code), "%s", body.code);
	snprintf(err->request_id, sizeof(err->request_id), "%s",
		 body.request_id);
	if (!err->request_id[0])
		request_id_header(t->easy, err->request_id,
				  sizeof(err->request_id));
	return code;
}

/* Turn how a transfer ended into 0 or -errno with err filled. */
static int transfer_result(struct transfer *t, CURLcode cc,
			   struct dm_error *err)
{
	curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &t->status);

	if (t->write_error)
		return write_failure(t, err);
	if (cc != CURLE_OK)
		return curl_failure(t, cc, err);
	if (t->status / 100 != 2)
		return http_failure(t, err);
	return 0;
}

/* Read the ETag header of a successful answer, unquoted, into etag. */
static int read_etag(const struct transfer *t, char etag[DM_ETAG_MAX],
		     struct dm_error *err)
{
	struct curl_header *hdr;

	if (curl_easy_header(t->easy, "ETag", 0, CURLH_HEADER, -1, &hdr) !=
		    CURLHE_OK ||
	    !s3_xml_parse_etag(hdr->value, strlen(hdr->value), etag))
		return dm_error_set(err, -EPROTO,
				    "cannot %s '%s': answer has no valid ETag",
				    t->verb, t->subject);
	return 0;
}

/*
 * Read the ETag, time and (when need_length) length of a successful
 * answer into obj.
 */
static int read_metadata(const struct transfer *t, bool need_length,
			 struct drive_object *obj, struct dm_error *err)
{
	curl_off_t length = -1, filetime = -1;
	int rc;

	rc = read_etag(t, obj->etag, err);
	if (rc < 0)
		return rc;

	curl_easy_getinfo(t->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length);
	curl_easy_getinfo(t->easy, CURLINFO_FILETIME_T, &filetime);
	if (filetime < 0)
		return dm_error_set(
			err, -EPROTO,
			"cannot %s '%s': answer lacks Last-Modified", t->verb,
			t->subject);
	if (need_length && length < 0)
		return dm_error_set(
			err, -EPROTO,
			"cannot %s '%s': answer lacks Content-Length", t->verb,
			t->subject);
	obj->size = length < 0 ? 0 : (uint64_t)length;
	obj->last_modified = filetime;
	return 0;
}

static int perform(struct transfer *t, struct dm_error *err)
{
	return transfer_result(t, curl_easy_perform(t->easy), err);
}

/* The query of one ListObjectsV2 request, sorted by parameter name. */
static char *list_query(const char *token)
{
	static const char fixed[] = "encoding-type=url&list-type=2";
	size_t token_len = token ? strlen(token) : 0;
	char *query = malloc(sizeof(fixed) + 3 * token_len + 24), *p = query;

	if (!query)
		return NULL;
	if (token) {
		p = stpcpy(p, "continuation-token=");
		p = stpcpy(encode(p, token, token_len, false), "&");
	}
	stpcpy(p, fixed);
	return query;
}

/* Add the subject to a parser's message. */
static int refused_body(const struct transfer *t, struct dm_error *err)
{
	char why[sizeof(err->message)];

	snprintf(why, sizeof(why), "%s", err->message);
	return dm_error_set(err, err->code, "cannot %s '%s': %s", t->verb,
			    t->subject, why);
}

/* Fetch and parse one page; keys must follow the previous page's last. */
static int fetch_page(struct s3_drive *d, const char *bucket, const char *token,
		      const char *after, size_t after_len,
		      struct s3_list_page **page, struct dm_error *err)
{
	struct transfer *t = &d->control;
	char *query, *url = NULL;
	int rc = -ENOMEM;

	query = list_query(token);
	if (query)
		url = make_url(d, bucket, NULL, 0, query);
	if (url)
		rc = prepare(d, t, "list", bucket, NULL, 0, url);
	if (rc < 0) {
		rc = dm_error_set(err, rc, "cannot list '%s': out of memory",
				  bucket);
		goto out_free_url;
	}

	rc = perform(t, err);
	if (rc < 0)
		goto out_free_url;

	rc = s3_xml_parse_list(t->body.data, t->body.len, after, after_len,
			       page, err);
	if (rc < 0)
		rc = refused_body(t, err);

out_free_url:
	free(url);
	free(query);
	return rc;
}

/*
 * Remember where the next page starts: the token to send and the last key
 * seen, which the next page's keys must follow.
 */
static int remember_position(const struct s3_list_page *page, char **token,
			     char **last, size_t *last_len, const char *bucket,
			     struct dm_error *err)
{
	const struct drive_object *end;

	if (page->count > 0) {
		end = &page->objects[page->count - 1];
		free(*last);
		*last = malloc(end->key_len ? end->key_len : 1);
		if (!*last)
			return dm_error_set(err, -ENOMEM,
					    "cannot list '%s': out of memory",
					    bucket);
		memcpy(*last, end->key, end->key_len);
		*last_len = end->key_len;
	}
	if (!page->truncated)
		return 0;

	if (*token && strcmp(*token, page->next_token) == 0)
		return dm_error_set(
			err, -EPROTO,
			"cannot list '%s': the server repeats its continuation token",
			bucket);
	free(*token);
	*token = strdup(page->next_token);
	if (!*token)
		return dm_error_set(err, -ENOMEM,
				    "cannot list '%s': out of memory", bucket);
	return 0;
}

static int s3_list(struct drive *drive, const char *bucket, drive_page_fn fn,
		   void *ctx, struct dm_error *err)
{
	struct s3_drive *d = to_s3(drive);
	struct s3_list_page *page;
	struct dm_error scratch;
	char *token = NULL, *last = NULL;
	size_t last_len = 0;
	bool more;
	int rc;

	if (!err)
		err = &scratch;
	dm_error_clear(err);

	do {
		rc = fetch_page(d, bucket, token, last, last_len, &page, err);
		if (rc < 0)
			break;

		rc = fn(ctx, page->objects, page->count);
		if (rc == 0)
			rc = remember_position(page, &token, &last, &last_len,
					       bucket, err);
		more = page->truncated;
		s3_list_page_free(page);
	} while (rc == 0 && more);

	free(last);
	free(token);
	return rc;
}

static int s3_list_buckets(struct drive *drive, drive_bucket_fn fn, void *ctx,
			   struct dm_error *err)
{
	struct s3_drive *d = to_s3(drive);
	struct transfer *t = &d->control;
	struct s3_bucket_list *list = NULL;
	struct dm_error scratch;
	char *url;
	int rc = -ENOMEM;

	if (!err)
		err = &scratch;
	dm_error_clear(err);

	url = make_url(d, NULL, NULL, 0, "");
	if (url)
		rc = prepare(d, t, "list buckets at", d->host, NULL, 0, url);
	if (rc < 0) {
		rc = dm_error_set(err, rc,
				  "cannot list buckets: out of memory");
		goto out_free_url;
	}

	rc = perform(t, err);
	if (rc < 0)
		goto out_free_url;

	rc = s3_xml_parse_buckets(t->body.data, t->body.len, &list, err);
	if (rc < 0) {
		rc = refused_body(t, err);
		goto out_free_url;
	}

	for (size_t i = 0; i < list->count && rc == 0; i++)
		rc = fn(ctx, list->names[i]);
	s3_bucket_list_free(list);

out_free_url:
	free(url);
	return rc;
}

static int s3_head(struct drive *drive, const char *bucket, const char *key,
		   size_t key_len, struct drive_object *out,
		   struct dm_error *err)
{
	struct s3_drive *d = to_s3(drive);
	struct transfer *t = &d->control;
	struct dm_error scratch;
	char *url;
	int rc = -ENOMEM;

	if (!err)
		err = &scratch;
	dm_error_clear(err);
	memset(out, 0, sizeof(*out));

	url = make_url(d, bucket, key, key_len, "");
	if (url)
		rc = prepare(d, t, "head", bucket, key, key_len, url);
	if (rc == 0 && curl_easy_setopt(t->easy, CURLOPT_NOBODY, 1L))
		rc = -ENOMEM;
	if (rc < 0) {
		rc = dm_error_set(err, rc, "cannot head '%s': out of memory",
				  t->subject);
		goto out_free_url;
	}

	rc = perform(t, err);
	if (rc == 0)
		rc = read_metadata(t, true, out, err);
	out->key = key;
	out->key_len = key_len;

out_free_url:
	free(url);
	return rc;
}

/* Check that the body's MD5 is its single-part ETag, when it is one. */
static int verify_content(const struct transfer *t, struct dm_error *err)
{
	const struct drive_get *g = t->get;
	unsigned char want[DIGEST_MD5_LEN];

	if (!digest_etag_md5(g->etag, want))
		return 0;
	if (memcmp(want, g->md5, sizeof(want)) != 0)
		return dm_error_set(
			err, -EIO,
			"cannot get '%s': content does not match its ETag",
			t->subject);
	return 0;
}

/*
 * An object without a Content-Length is found too large only once past
 * the limit; take back what was written, since an object over the limit
 * must leave the file empty.
 */
static void undo_partial_write(const struct transfer *t)
{
	if (t->written == 0)
		return;
	if (ftruncate(t->get->fd, 0) == 0)
		lseek(t->get->fd, 0, SEEK_SET);
}

/* Fill the entry of a download that ended, with cc curl's verdict. */
static void finish_get(struct transfer *t, CURLcode cc)
{
	struct drive_get *g = t->get;
	struct drive_object meta;
	unsigned int md_len;
	int rc;

	rc = transfer_result(t, cc, &g->error);
	if (rc == -EFBIG)
		undo_partial_write(t);
	if (rc == 0 && EVP_DigestFinal_ex(t->md5, g->md5, &md_len) != 1)
		rc = dm_error_set(&g->error, -ENOMEM,
				  "cannot get '%s': cannot compute MD5",
				  t->subject);
	if (rc == 0)
		rc = read_metadata(t, false, &meta, &g->error);
	if (rc == 0) {
		memcpy(g->etag, meta.etag, sizeof(g->etag));
		g->last_modified = meta.last_modified;
		g->size = t->written;
		rc = verify_content(t, &g->error);
	}
	g->result = rc;
	t->get = NULL;
}

static void fail_entry(struct drive_get *g, int code, const char *why)
{
	char subject[SUBJECT_MAX];

	describe(subject, g->bucket ? g->bucket : "", g->key, g->key_len);
	g->result = dm_error_set(&g->error, code, "cannot get '%s': %s",
				 subject, why);
}

/* Start the download of g on the free slot t; fails only g. */
static void start_get(struct s3_drive *d, struct transfer *t,
		      struct drive_get *g)
{
	char *url;
	int rc = -ENOMEM;

	if (!g->bucket || !g->bucket[0] || !g->key || g->key_len == 0) {
		fail_entry(g, -EINVAL, "no bucket or key");
		return;
	}
	if (g->fd < 0) {
		fail_entry(g, -EBADF, "no file to write to");
		return;
	}

	url = make_url(d, g->bucket, g->key, g->key_len, "");
	if (url)
		rc = prepare(d, t, "get", g->bucket, g->key, g->key_len, url);
	free(url);
	if (rc == 0 && d->base.max_object_size > 0)
		curl_easy_setopt(t->easy, CURLOPT_MAXFILESIZE_LARGE,
				 (curl_off_t)d->base.max_object_size);
	if (rc == 0 && EVP_DigestInit_ex(t->md5, EVP_md5(), NULL) != 1)
		rc = -ENOMEM;
	if (rc == 0 && curl_multi_add_handle(d->multi, t->easy) != CURLM_OK)
		rc = -ENOMEM;
	if (rc < 0) {
		fail_entry(g, rc, "out of memory");
		return;
	}

	t->get = g;
	t->max_size = d->base.max_object_size;
}

static struct transfer *free_slot(struct s3_drive *d)
{
	for (unsigned i = 0; i < d->concurrency; i++)
		if (!d->slots[i].get)
			return &d->slots[i];
	return NULL;
}

/* Fill the entries of finished downloads; returns how many finished. */
static size_t collect_finished(struct s3_drive *d)
{
	struct transfer *t;
	CURLMsg *msg;
	int queued;
	size_t done = 0;

	while ((msg = curl_multi_info_read(d->multi, &queued))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &t);
		finish_get(t, msg->data.result);
		curl_multi_remove_handle(d->multi, t->easy);
		done++;
	}
	return done;
}

/* Abort every download in flight and every one not yet started. */
static void abort_all(struct s3_drive *d, struct drive_get *waiting,
		      size_t count)
{
	for (unsigned i = 0; i < d->concurrency; i++) {
		struct transfer *t = &d->slots[i];

		if (!t->get)
			continue;
		curl_multi_remove_handle(d->multi, t->easy);
		fail_entry(t->get, -EINTR, "interrupted");
		t->get = NULL;
	}
	for (size_t i = 0; i < count; i++)
		fail_entry(&waiting[i], -EINTR, "interrupted");
}

static void reset_entry(struct drive_get *g)
{
	g->result = 0;
	dm_error_clear(&g->error);
	g->etag[0] = '\0';
	g->size = 0;
	g->last_modified = 0;
	memset(g->md5, 0, sizeof(g->md5));
}

static void s3_get_batch(struct drive *drive, struct drive_get *gets,
			 size_t count, drive_interrupted_fn interrupted,
			 void *ctx)
{
	struct s3_drive *d = to_s3(drive);
	size_t next = 0, active = 0;
	struct transfer *slot;
	int running;

	for (size_t i = 0; i < count; i++)
		reset_entry(&gets[i]);

	while (next < count || active > 0) {
		if (interrupted && interrupted(ctx)) {
			abort_all(d, gets + next, count - next);
			return;
		}

		while (next < count && (slot = free_slot(d))) {
			start_get(d, slot, &gets[next++]);
			active += slot->get != NULL;
		}

		curl_multi_perform(d->multi, &running);
		active -= collect_finished(d);
		if (active > 0)
			curl_multi_poll(d->multi, NULL, 0, POLL_MS, NULL);
	}
}

/* What an upload or a delete requires of the object already there. */
struct condition {
	char if_match[DM_ETAG_MAX]; /* unquoted; "" for none */
	bool if_none_match;
};

/* The body of an upload, read from the caller's file at our own offset. */
struct upload {
	int fd;
	uint64_t size;	 /* bytes to send, from the file's start */
	uint64_t offset; /* next byte to send */
	int error;	 /* negative errno met while reading */
	unsigned char md5[DIGEST_MD5_LEN];
	char sha256_hex[2 * SHA256_LEN + 1];
};

/*
 * pread() len bytes at offset; returns the bytes read, 0 at the end of the
 * file, or -errno.
 */
static ssize_t read_at(int fd, void *buf, size_t len, uint64_t offset)
{
	ssize_t n;

	do
		n = pread(fd, buf, len, (off_t)offset);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

/*
 * Hash the content before sending it: its MD5 goes in Content-MD5 so
 * that the server refuses a body damaged on the way, its SHA-256 in the
 * signature.  A file that ends before up->size bytes gives -EIO.
 */
static int hash_upload(struct upload *up)
{
	unsigned char buf[64 * 1024], sha256[SHA256_LEN];
	EVP_MD_CTX *md5 = EVP_MD_CTX_new(), *sha = EVP_MD_CTX_new();
	uint64_t done = 0;
	int rc = -ENOMEM;

	if (!md5 || !sha || EVP_DigestInit_ex(md5, EVP_md5(), NULL) != 1 ||
	    EVP_DigestInit_ex(sha, EVP_sha256(), NULL) != 1)
		goto out_free;

	rc = 0;
	while (rc == 0 && done < up->size) {
		size_t want = up->size - done < sizeof(buf)
				      ? (size_t)(up->size - done)
				      : sizeof(buf);
		ssize_t n = read_at(up->fd, buf, want, done);

		if (n <= 0)
			rc = n < 0 ? (int)n : -EIO;
		else if (EVP_DigestUpdate(md5, buf, (size_t)n) != 1 ||
			 EVP_DigestUpdate(sha, buf, (size_t)n) != 1)
			rc = -ENOMEM;
		else
			done += (uint64_t)n;
	}
	if (rc == 0 && (EVP_DigestFinal_ex(md5, up->md5, NULL) != 1 ||
			EVP_DigestFinal_ex(sha, sha256, NULL) != 1))
		rc = -ENOMEM;
	if (rc == 0)
		digest_hex(sha256, sizeof(sha256), up->sha256_hex);

out_free:
	EVP_MD_CTX_free(sha);
	EVP_MD_CTX_free(md5);
	return rc;
}

/* libcurl asks for the next bytes of the body. */
static size_t on_upload_read(char *buf, size_t size, size_t count, void *arg)
{
	struct upload *up = arg;
	size_t want = size * count;
	ssize_t n;

	if (want > up->size - up->offset)
		want = (size_t)(up->size - up->offset);
	if (want == 0)
		return 0;

	n = read_at(up->fd, buf, want, up->offset);
	if (n <= 0) {
		/* The file shrank since it was hashed. */
		up->error = n < 0 ? (int)n : -EIO;
		return CURL_READFUNC_ABORT;
	}
	up->offset += (uint64_t)n;
	return (size_t)n;
}

/* libcurl rewinds the body to send it again, e.g. on a new connection. */
static int on_upload_seek(void *arg, curl_off_t offset, int origin)
{
	struct upload *up = arg;

	if (origin != SEEK_SET || offset < 0 || (uint64_t)offset > up->size)
		return CURL_SEEKFUNC_CANTSEEK;
	up->offset = (uint64_t)offset;
	return CURL_SEEKFUNC_OK;
}

static int set_upload_options(CURL *h, struct upload *up)
{
	up->offset = 0;
	if (curl_easy_setopt(h, CURLOPT_UPLOAD, 1L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE,
			     (curl_off_t)up->size) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_READFUNCTION, on_upload_read) !=
		    CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_READDATA, up) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, on_upload_seek) !=
		    CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_SEEKDATA, up) != CURLE_OK)
		return -ENOMEM;
	return 0;
}

static int add_header(struct curl_slist **list, const char *name,
		      const char *value)
{
	char line[160];
	struct curl_slist *longer;

	snprintf(line, sizeof(line), "%s: %s", name, value);
	longer = curl_slist_append(*list, line);
	if (!longer)
		return -ENOMEM;
	*list = longer;
	return 0;
}

/*
 * The headers of an upload of up, or of a delete when up is NULL: the
 * payload's hash, the body's MD5 and the condition.
 */
static int object_headers(const struct upload *up, const struct condition *c,
			  struct curl_slist **out)
{
	char md5_base64[32];
	struct curl_slist *list = NULL;
	int rc;

	rc = add_header(&list, "x-amz-content-sha256",
			up ? up->sha256_hex : EMPTY_BODY_SHA256);
	if (rc == 0 && up) {
		EVP_EncodeBlock((unsigned char *)md5_base64, up->md5,
				sizeof(up->md5));
		rc = add_header(&list, "Content-MD5", md5_base64);
	}
	/* Unquoted, though HTTP quotes entity tags: Ceph RGW before 2025
	 * compares If-Match byte for byte with its unquoted ETag, so that a
	 * quoted one never matches there; S3, MinIO and later RGW take it
	 * without quotes as well. */
	if (rc == 0 && c->if_match[0])
		rc = add_header(&list, "If-Match", c->if_match);
	if (rc == 0 && c->if_none_match)
		rc = add_header(&list, "If-None-Match", "*");

	if (rc < 0) {
		curl_slist_free_all(list);
		return rc;
	}
	*out = list;
	return 0;
}

/*
 * Send a PUT of up, or a DELETE when up is NULL, of bucket/key with the
 * condition's headers.  Returns 0 or -errno with err filled; the answer
 * stays on the control handle for the caller to read.
 */
static int send_object_request(struct s3_drive *d, const char *verb,
			       const char *bucket, const char *key,
			       size_t key_len, struct upload *up,
			       const struct condition *c, struct dm_error *err)
{
	struct transfer *t = &d->control;
	struct curl_slist *headers = NULL;
	CURLcode cc;
	char *url;
	int rc = -ENOMEM;

	url = make_url(d, bucket, key, key_len, "");
	if (url)
		rc = prepare(d, t, verb, bucket, key, key_len, url);
	if (rc == 0)
		rc = object_headers(up, c, &headers);
	if (rc == 0 &&
	    curl_easy_setopt(t->easy, CURLOPT_HTTPHEADER, headers) != CURLE_OK)
		rc = -ENOMEM;
	if (rc == 0 && up)
		rc = set_upload_options(t->easy, up);
	else if (rc == 0 && curl_easy_setopt(t->easy, CURLOPT_CUSTOMREQUEST,
					     "DELETE") != CURLE_OK)
		rc = -ENOMEM;
	if (rc < 0) {
		describe(t->subject, bucket, key, key_len);
		rc = dm_error_set(err, rc, "cannot %s '%s': out of memory",
				  verb, t->subject);
		goto out_free;
	}

	cc = curl_easy_perform(t->easy);
	if (up && up->error)
		rc = dm_error_set(err, up->error,
				  "cannot %s '%s': cannot read the content: %s",
				  verb, t->subject, strerror(-up->error));
	else
		rc = transfer_result(t, cc, err);

	/* The list is freed below: the handle must not point to it. */
	curl_easy_setopt(t->easy, CURLOPT_HTTPHEADER, d->headers);
out_free:
	curl_slist_free_all(headers);
	free(url);
	return rc;
}

/* Take the caller's ETag, quoted or not; it goes into a header. */
static int make_condition(const char *if_match, bool if_none_match,
			  const char *verb, const char *subject,
			  struct condition *c, struct dm_error *err)
{
	memset(c, 0, sizeof(*c));
	c->if_none_match = if_none_match;
	if (if_match &&
	    !s3_xml_parse_etag(if_match, strlen(if_match), c->if_match))
		return dm_error_set(
			err, -EINVAL,
			"cannot %s '%s': the expected ETag is malformed", verb,
			subject);
	return 0;
}

/*
 * Check the condition with a HEAD, for servers that ignore If-Match and
 * If-None-Match.  Returns 0 when it holds or the object is absent
 * (*absent then tells), -ESTALE when it fails, or the HEAD's error.
 */
static int head_condition(struct s3_drive *d, const char *verb,
			  const char *bucket, const char *key, size_t key_len,
			  const struct condition *c, bool *absent,
			  struct dm_error *err)
{
	char subject[SUBJECT_MAX];
	struct drive_object now;
	int rc;

	*absent = false;
	if (!c->if_match[0] && !c->if_none_match)
		return 0;

	rc = s3_head(&d->base, bucket, key, key_len, &now, err);
	if (rc == -ENOENT) {
		dm_error_clear(err);
		*absent = true;
		return 0;
	}
	if (rc < 0)
		return rc;

	describe(subject, bucket, key, key_len);
	if (c->if_none_match)
		return dm_error_set(err, -ESTALE,
				    "cannot %s '%s': the object exists already",
				    verb, subject);
	if (strcmp(now.etag, c->if_match) != 0)
		return dm_error_set(
			err, -ESTALE,
			"cannot %s '%s': its ETag is now %s, not %s", verb,
			subject, now.etag, c->if_match);
	return 0;
}

/* Refuse an upload S3 could not take in one PUT, or that names no key. */
static int check_upload(const struct s3_drive *d, const struct drive_put *put,
			const char *subject, struct upload *up,
			struct dm_error *err)
{
	struct stat st;

	if (!put->bucket || !put->bucket[0] || !put->key || !put->key_len)
		return dm_error_set(err, -EINVAL,
				    "cannot put '%s': no bucket or key",
				    subject);
	if (fstat(put->fd, &st) < 0 || !S_ISREG(st.st_mode))
		return dm_error_set(
			err, -EBADF,
			"cannot put '%s': the content is not a regular file",
			subject);
	if ((uint64_t)st.st_size > d->base.max_object_size)
		return dm_error_set(
			err, -EFBIG,
			"cannot put '%s': %lld bytes is over max_object_size",
			subject, (long long)st.st_size);
	if ((uint64_t)st.st_size > SINGLE_PUT_MAX)
		return dm_error_set(
			err, -EFBIG,
			"cannot put '%s': %lld bytes is over the 5 GiB of one PUT",
			subject, (long long)st.st_size);

	up->fd = put->fd;
	up->size = (uint64_t)st.st_size;
	return 0;
}

static int s3_put(struct drive *drive, struct drive_put *put,
		  struct dm_error *err)
{
	struct s3_drive *d = to_s3(drive);
	char subject[SUBJECT_MAX];
	struct dm_error scratch;
	struct condition cond;
	struct upload up = {0};
	bool absent;
	int rc;

	if (!err)
		err = &scratch;
	put->etag[0] = '\0';
	describe(subject, put->bucket ? put->bucket : "", put->key,
		 put->key ? put->key_len : 0);
	rc = check_upload(d, put, subject, &up, err);
	if (rc == 0)
		rc = make_condition(put->if_match, put->if_none_match, "put",
				    subject, &cond, err);
	if (rc < 0)
		return rc;

	rc = hash_upload(&up);
	if (rc < 0)
		return dm_error_set(
			err, rc, "cannot put '%s': cannot read the content: %s",
			subject, strerror(-rc));

	rc = head_condition(d, "put", put->bucket, put->key, put->key_len,
			    &cond, &absent, err);
	if (rc == 0 && absent && cond.if_match[0])
		rc = dm_error_set(err, -ESTALE,
				  "cannot put '%s': the object is gone",
				  subject);
	if (rc < 0)
		return rc;

	rc = send_object_request(d, "put", put->bucket, put->key, put->key_len,
				 &up, &cond, err);
	/* S3 says NoSuchKey when an If-Match object vanished after the HEAD. */
	if (rc == -ENOENT && cond.if_match[0] &&
	    strcmp(err->s3_code, "NoSuchKey") == 0)
		rc = err->code = -ESTALE;
	if (rc == 0)
		rc = read_etag(&d->control, put->etag, err);
	return rc;
}

static int s3_remove(struct drive *drive, const char *bucket, const char *key,
		     size_t key_len, const char *if_match, struct dm_error *err)
{
	struct s3_drive *d = to_s3(drive);
	char subject[SUBJECT_MAX];
	struct dm_error scratch;
	struct condition cond;
	bool absent;
	int rc;

	if (!err)
		err = &scratch;
	describe(subject, bucket ? bucket : "", key, key ? key_len : 0);
	if (!bucket || !bucket[0] || !key || !key_len)
		return dm_error_set(err, -EINVAL,
				    "cannot delete '%s': no bucket or key",
				    subject);

	rc = make_condition(if_match, false, "delete", subject, &cond, err);
	if (rc == 0)
		rc = head_condition(d, "delete", bucket, key, key_len, &cond,
				    &absent, err);
	if (rc < 0 || absent)
		return rc;

	rc = send_object_request(d, "delete", bucket, key, key_len, NULL, &cond,
				 err);
	/* S3 answers 204 for a key already gone; some servers say 404. */
	if (rc == -ENOENT && strcmp(err->s3_code, "NoSuchKey") == 0) {
		dm_error_clear(err);
		rc = 0;
	}
	return rc;
}

static void free_transfer(struct transfer *t)
{
	curl_easy_cleanup(t->easy);
	EVP_MD_CTX_free(t->md5);
	free(t->body.data);
}

/* Forget a secret before its memory goes back to the allocator. */
static void free_secret(char *secret)
{
	if (secret)
		explicit_bzero(secret, strlen(secret));
	free(secret);
}

static void s3_free(struct drive *drive)
{
	struct s3_drive *d = to_s3(drive);

	if (!d)
		return;
	for (unsigned i = 0; d->slots && i < d->concurrency; i++)
		free_transfer(&d->slots[i]);
	free(d->slots);
	curl_multi_cleanup(d->multi);
	free_transfer(&d->control);
	curl_slist_free_all(d->headers);
	free(d->scheme);
	free(d->host);
	free(d->base_path);
	free(d->access_key);
	free_secret(d->secret_key);
	free(d->sigv4);
	free(d);
	curl_global_cleanup();
}

static const struct drive_ops s3_ops = {
	.scheme = "s3",
	.list_buckets = s3_list_buckets,
	.list = s3_list,
	.head = s3_head,
	.get_batch = s3_get_batch,
	.put = s3_put,
	.remove = s3_remove,
	.free = s3_free,
};

/* Split "http://host:port/path/" into scheme, host and path. */
static int split_endpoint(struct s3_drive *d, const char *endpoint,
			  struct dm_error *err)
{
	size_t scheme_len, host_len, path_len;
	const char *host;

	if (strncmp(endpoint, "http://", 7) == 0)
		scheme_len = 7;
	else if (strncmp(endpoint, "https://", 8) == 0)
		scheme_len = 8;
	else
		return dm_error_set(
			err, -EINVAL,
			"S3 endpoint '%s' is not http:// or https://",
			endpoint);

	host = endpoint + scheme_len;
	host_len = strcspn(host, "/");
	path_len = strlen(host + host_len);
	while (path_len > 0 && host[host_len + path_len - 1] == '/')
		path_len--;
	if (host_len == 0 ||
	    strcspn(endpoint, "@?# \t\r\n") != strlen(endpoint))
		return dm_error_set(err, -EINVAL,
				    "S3 endpoint '%s' is not a plain URL",
				    endpoint);

	d->scheme = strndup(endpoint, scheme_len);
	d->host = strndup(host, host_len);
	d->base_path = strndup(host + host_len, path_len);
	if (!d->scheme || !d->host || !d->base_path)
		return dm_error_set(err, -ENOMEM, "out of memory");
	return 0;
}

static int check_settings(const struct s3_settings *s, struct dm_error *err)
{
	bool has_key = s->access_key && s->access_key[0];
	bool has_secret = s->secret_key && s->secret_key[0];

	if (!s->endpoint)
		return dm_error_set(err, -EINVAL, "no S3 endpoint");
	if (s->concurrency < 1 || s->concurrency > DM_CONCURRENCY_MAX)
		return dm_error_set(
			err, -EINVAL,
			"download concurrency %u is not within 1..%d",
			s->concurrency, DM_CONCURRENCY_MAX);
	if (has_key != has_secret)
		return dm_error_set(err, -EINVAL,
				    "S3 access key and secret key go together");
	if (s->region && strchr(s->region, ':'))
		return dm_error_set(err, -EINVAL, "S3 region '%s' holds ':'",
				    s->region);
	return 0;
}

static int copy_credentials(struct s3_drive *d, const struct s3_settings *s,
			    struct dm_error *err)
{
	const char *region =
		s->region && s->region[0] ? s->region : "us-east-1";
	size_t sigv4_len = strlen("aws:amz::s3") + strlen(region) + 1;

	if (!s->access_key || !s->access_key[0])
		return 0;
	d->access_key = strdup(s->access_key);
	d->secret_key = strdup(s->secret_key);
	d->sigv4 = malloc(sigv4_len);
	if (d->sigv4)
		snprintf(d->sigv4, sigv4_len, "aws:amz:%s:s3", region);
	if (!d->access_key || !d->secret_key || !d->sigv4)
		return dm_error_set(err, -ENOMEM, "out of memory");
	return 0;
}

static int new_transfer(struct transfer *t)
{
	t->easy = curl_easy_init();
	t->md5 = EVP_MD_CTX_new();
	return t->easy && t->md5 ? 0 : -ENOMEM;
}

/* The handles: one for listings and HEADs, a pool for downloads. */
static int make_handles(struct s3_drive *d, struct dm_error *err)
{
	int rc;

	d->headers = curl_slist_append(
		NULL, "x-amz-content-sha256: " EMPTY_BODY_SHA256);
	d->multi = curl_multi_init();
	d->slots = calloc(d->concurrency, sizeof(*d->slots));
	rc = d->headers && d->multi && d->slots ? 0 : -ENOMEM;
	if (rc == 0)
		rc = new_transfer(&d->control);
	for (unsigned i = 0; rc == 0 && i < d->concurrency; i++)
		rc = new_transfer(&d->slots[i]);
	if (rc < 0)
		return dm_error_set(err, rc, "out of memory");

	d->control.body_max = DM_LISTING_BODY_MAX;
	return 0;
}

int drive_s3_open(const struct s3_settings *settings, struct drive **out,
		  struct dm_error *err)
{
	struct s3_drive *d;
	int rc;

	*out = NULL;
	rc = check_settings(settings, err);
	if (rc < 0)
		return rc;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return dm_error_set(err, -ENOMEM, "cannot initialise libcurl");
	d = calloc(1, sizeof(*d));
	if (!d) {
		curl_global_cleanup();
		return dm_error_set(err, -ENOMEM, "out of memory");
	}
	d->base.ops = &s3_ops;
	d->base.max_object_size = settings->max_object_size;
	d->path_style = settings->path_style;
	d->concurrency = settings->concurrency;
	d->connect_timeout_ms = settings->connect_timeout_ms;
	d->low_speed_time_s = settings->low_speed_time_s;

	rc = split_endpoint(d, settings->endpoint, err);
	if (rc == 0)
		rc = copy_credentials(d, settings, err);
	if (rc == 0)
		rc = make_handles(d, err);
	if (rc < 0)
		goto out_free_drive;

	*out = &d->base;
	return 0;

out_free_drive:
	s3_free(&d->base);
	return rc;
}
