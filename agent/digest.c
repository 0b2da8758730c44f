/*
 * digest.c - MD5 through OpenSSL's EVP interface, and hex conversion.
 */
#include "digest.h"

#include <errno.h>
#include <openssl/evp.h>
#include <string.h>
#include <unistd.h>

int digest_md5_fd(int fd, unsigned char md5[DIGEST_MD5_LEN])
{
	unsigned char buf[64 * 1024];
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	off_t offset = 0;
	ssize_t n;
	int rc = 0;

	if (!ctx)
		return -ENOMEM;

	EVP_DigestInit_ex(ctx, EVP_md5(), NULL);
	while ((n = pread(fd, buf, sizeof(buf), offset)) > 0) {
		EVP_DigestUpdate(ctx, buf, (size_t)n);
		offset += n;
	}
	if (n < 0)
		rc = -errno;
	else
		EVP_DigestFinal_ex(ctx, md5, NULL);

	EVP_MD_CTX_free(ctx);
	return rc;
}

void digest_md5(const void *bytes, size_t len,
		unsigned char md5[DIGEST_MD5_LEN])
{
	EVP_Digest(bytes, len, md5, NULL, EVP_md5(), NULL);
}

void digest_hex(const unsigned char *bytes, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[bytes[i] >> 4];
		out[2 * i + 1] = hex[bytes[i] & 15];
	}
	out[2 * n] = '\0';
}

int digest_hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool digest_etag_md5(const char *etag, unsigned char md5[DIGEST_MD5_LEN])
{
	if (strlen(etag) != 2 * DIGEST_MD5_LEN)
		return false;

	for (size_t i = 0; i < DIGEST_MD5_LEN; i++) {
		int high = digest_hex_value(etag[2 * i]);
		int low = digest_hex_value(etag[2 * i + 1]);

		if (high < 0 || low < 0)
			return false;
		md5[i] = (unsigned char)(high << 4 | low);
	}
	return true;
}
