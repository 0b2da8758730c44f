/*
 * dm_limits.h - every bound on input that comes from outside, in one place.
 *
 * Each constant says why it has the value it has.  Code that reads
 * outside input checks against these and reports a clear error instead of
 * growing without end.
 */
#ifndef DRIVEMON_DM_LIMITS_H
#define DRIVEMON_DM_LIMITS_H

/*
 * Longest object key we mirror, in bytes.  S3 allows 1024, but the store
 * keys objects by a 4-byte bucket id followed by the key, and LMDB keys are
 * at most 511 bytes; 500 leaves room and is far above what bot packages
 * use.  Longer keys are refused as "over-long" with an error naming them.
 */
#define DM_KEY_MAX 500

/* One path component on Linux (NAME_MAX). */
#define DM_NAME_MAX 255

/* S3 bucket names are at most 63 characters. */
#define DM_BUCKET_MAX 63

/* Quoted or not, an S3 ETag is an MD5 in hex, maybe with "-N"; 80 is ample. */
#define DM_ETAG_MAX 80

/*
 * ListObjectsV2 answers at most 1000 keys a page; with 1 KiB keys and the
 * other fields that is under 2 MiB.  A larger body is refused rather than
 * buffered.
 */
#define DM_LISTING_BODY_MAX (4u << 20)

/* S3 error bodies are a few hundred bytes; anything past this is cut. */
#define DM_ERROR_BODY_MAX (16u << 10)

/* Keys per listing page, S3's own maximum; the file drive uses it too. */
#define DM_LIST_PAGE_MAX 1000

/* Buckets one agent mirrors; ListBuckets results past this are refused. */
#define DM_BUCKETS_MAX 100000

/* Parallel downloads: more than this buys nothing on one connection pool. */
#define DM_CONCURRENCY_MAX 64

#endif
