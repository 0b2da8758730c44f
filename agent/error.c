/*
 * error.c - filling and formatting struct dm_error.
 */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void dm_error_clear(struct dm_error *err)
{
	if (err)
		memset(err, 0, sizeof(*err));
}

int dm_error_set(struct dm_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;

	dm_error_clear(err);
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return code;
}

const char *dm_error_str(const struct dm_error *err, char *buf, size_t len)
{
	int n;

	if (len == 0)
		return buf;

	n = snprintf(buf, len, "%s",
		     err->message[0] ? err->message : strerror(-err->code));
	if (n < 0 || (size_t)n >= len)
		return buf;

	if (err->http_status)
		n += snprintf(buf + n, len - n, ": HTTP %ld", err->http_status);
	if (err->s3_code[0] && (size_t)n < len)
		n += snprintf(buf + n, len - n, " %s", err->s3_code);
	if (err->request_id[0] && (size_t)n < len)
		snprintf(buf + n, len - n, " (request %s)", err->request_id);
	return buf;
}
