/*
 * digest.h - MD5 of files and the hex form S3 uses for ETags.
 *
 * S3's ETag of an object uploaded in one part is the hex MD5 of its
 * content; the mirror compares the two to prove a download is whole.
 */
#ifndef DRIVEMON_DIGEST_H
#define DRIVEMON_DIGEST_H

#include <stdbool.h>
#include <stddef.h>

#define DIGEST_MD5_LEN 16

/* MD5 of everything readable from fd, from its start; 0 or -errno. */
int digest_md5_fd(int fd, unsigned char md5[DIGEST_MD5_LEN]);

/* MD5 of len bytes in memory. */
void digest_md5(const void *bytes, size_t len,
		unsigned char md5[DIGEST_MD5_LEN]);

/* Lower-case hex of n bytes into out, which holds 2 * n + 1 bytes. */
void digest_hex(const unsigned char *bytes, size_t n, char *out);

/* The value of one hex digit, or -1 when c is not one. */
int digest_hex_value(char c);

/*
 * True when etag is a single-part S3 ETag (32 hex digits), in which case
 * its bytes are written to md5.  Multipart ETags ("...-N") give false.
 */
bool digest_etag_md5(const char *etag, unsigned char md5[DIGEST_MD5_LEN]);

#endif
