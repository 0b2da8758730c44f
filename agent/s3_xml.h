/*
 * s3_xml.h - reading the XML bodies S3 answers: listings, bucket lists and
 * error bodies.
 *
 * The parsers take a whole body in memory (the S3 drive buffers it under a
 * hard maximum) and either return a complete, checked result or refuse the
 * body.  They never fetch anything: no network, no external entities, and a
 * document carrying a DTD is refused outright.  They never log.
 *
 * Every refusal of a listing or bucket list is -EPROTO (malformed,
 * truncated or implausible) or -EMSGSIZE (over DM_LISTING_BODY_MAX), with
 * err's message saying what was wrong, without a subject: the caller adds
 * "cannot list 'bucket'".  -ENOMEM when memory runs out.
 *
 * Pure functions over their arguments: any thread may call them.
 */
#ifndef DRIVEMON_S3_XML_H
#define DRIVEMON_S3_XML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drive.h"
#include "error.h"

/* One page of a ListObjectsV2 answer. */
struct s3_list_page {
	struct drive_object *objects; /* count entries, keys in byte order */
	size_t count;
	bool truncated;	  /* more pages follow */
	char *next_token; /* NUL-terminated; NULL when !truncated */
	char *arena;	  /* owns every key and the token */
};

/*
 * Parse a ListObjectsV2 body.  Keys are percent-decoded when the body says
 * <EncodingType>url</EncodingType> (a '+' then stands for a space, as S3
 * writes it), so a key may hold any byte, NUL included: use key_len.  Each
 * key is also followed by a NUL that is not part of it.
 *
 * after/after_len is the last key of the previous page (after NULL for the
 * first page): every key of this page must sort strictly after it, and
 * each key strictly after the one before, in byte order.
 *
 * Refused with -EPROTO: malformed or cut XML, a root other than
 * ListBucketResult, a missing or repeated field, more than
 * DM_LIST_PAGE_MAX keys, an empty key, keys out of order, a bad Size,
 * LastModified or percent escape, an ETag of DM_ETAG_MAX bytes or more, a
 * missing IsTruncated, and a truncated page without NextContinuationToken.
 *
 * On success *out owns everything it points to; free it with
 * s3_list_page_free().
 */
int s3_xml_parse_list(const char *body, size_t len, const char *after,
		      size_t after_len, struct s3_list_page **out,
		      struct dm_error *err);

/* Free a page.  Accepts NULL. */
void s3_list_page_free(struct s3_list_page *page);

/* The bucket names of a ListAllMyBucketsResult. */
struct s3_bucket_list {
	char **names; /* count names, sorted, each once */
	size_t count;
	char *arena; /* owns the names */
};

/*
 * Parse a ListBuckets body.  Names are sorted and duplicates dropped.  A
 * name that could not be a folder name (empty, ".", "..", over
 * DM_NAME_MAX bytes, or a byte outside [A-Za-z0-9._-]) refuses the whole
 * body with -EPROTO, as do more than DM_BUCKETS_MAX names.  Free *out with
 * s3_bucket_list_free().
 */
int s3_xml_parse_buckets(const char *body, size_t len,
			 struct s3_bucket_list **out, struct dm_error *err);

/* Free a bucket list.  Accepts NULL. */
void s3_bucket_list_free(struct s3_bucket_list *list);

/*
 * The fields of an S3 <Error> body, NUL-terminated, cut to fit, with
 * control characters replaced by '?' so that they can be logged.
 */
struct s3_error_body {
	char code[48];
	char message[256];
	char request_id[64];
	char resource[256];
};

/*
 * Parse an error body; fields it lacks are left empty.  Returns 0, or
 * -EPROTO when the body is not an <Error> document (or -EMSGSIZE over
 * DM_ERROR_BODY_MAX); out is then all empty.
 */
int s3_xml_parse_error(const char *body, size_t len, struct s3_error_body *out,
		       struct dm_error *err);

/*
 * Parse an ISO-8601 UTC time as S3 writes it, "2024-05-01T12:00:00.000Z"
 * (fraction optional, "Z" or "+HH:MM"/"-HH:MM"), into seconds since the
 * epoch, the fraction dropped.  text need not be NUL-terminated.
 */
bool s3_xml_parse_time(const char *text, size_t len, int64_t *out);

/*
 * Take an ETag as S3 writes it, in a listing or an ETag header: the
 * surrounding quotes are dropped, the rest must be printable ASCII without
 * quotes or spaces and shorter than DM_ETAG_MAX.  Writes it NUL-terminated
 * to etag (DM_ETAG_MAX bytes).  text need not be NUL-terminated.
 */
bool s3_xml_parse_etag(const char *text, size_t len, char *etag);

#endif
