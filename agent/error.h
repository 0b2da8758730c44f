/*
 * error.h - the error detail that travels with a negative errno.
 *
 * Functions that act return 0 or -errno.  When the failure came from
 * outside (an HTTP status, an S3 <Code>, a parser, the file system) the
 * caller may also pass a struct dm_error, which the failing layer fills
 * once, where the foreign code enters our code.  The layer that handles
 * the error formats it with dm_error_str() and logs it; lower layers never
 * log what they return.
 */
#ifndef DRIVEMON_ERROR_H
#define DRIVEMON_ERROR_H

#include <stddef.h>

struct dm_error {
	int code;	     /* negative errno, 0 when no error */
	long http_status;    /* HTTP status, 0 when not an HTTP failure */
	char s3_code[48];    /* S3 <Code>, e.g. "NoSuchKey", or "" */
	char request_id[64]; /* S3 <RequestId>, or "" */
	char message[320];   /* what failed and why, lower case, no full stop */
};

/* Reset to "no error".  Accepts NULL. */
void dm_error_clear(struct dm_error *err);

/*
 * Record a failure: code is a negative errno, the message a printf
 * format.  Returns code, so that "return dm_error_set(err, -EIO, ...)"
 * reads as one step.  Accepts a NULL err and still returns code.
 */
int dm_error_set(struct dm_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * One line for a log or a status field: the message, then the HTTP status
 * and S3 code when present, e.g.
 *   "cannot get 'a.bas': HTTP 403 SignatureDoesNotMatch"
 * Writes into buf (always NUL-terminated) and returns buf.
 */
const char *dm_error_str(const struct dm_error *err, char *buf, size_t len);

#endif
