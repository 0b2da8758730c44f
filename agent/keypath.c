/*
 * keypath.c - the rules that keep every mirrored file inside its bucket.
 */
#include "keypath.h"

#include <errno.h>
#include <string.h>

#include "dm_limits.h"

static int check_component(const char *part, size_t len, struct dm_error *err)
{
	if (len == 0)
		return dm_error_set(err, -EINVAL,
				    "has an empty path component");
	if ((len == 1 && part[0] == '.') ||
	    (len == 2 && part[0] == '.' && part[1] == '.'))
		return dm_error_set(err, -EINVAL, "has a '%.*s' path component",
				    (int)len, part);
	if (len > DM_NAME_MAX)
		return dm_error_set(
			err, -EINVAL,
			"has a path component of %zu bytes (at most "
			"%d)",
			len, DM_NAME_MAX);
	return 0;
}

int keypath_check(const char *key, size_t len, struct dm_error *err)
{
	const char *part = key, *end = key + len;

	if (len == 0)
		return dm_error_set(err, -EINVAL, "is empty");
	if (len > DM_KEY_MAX)
		return dm_error_set(err, -EINVAL,
				    "is over-long: %zu bytes (at most %d)", len,
				    DM_KEY_MAX);
	if (memchr(key, '\0', len))
		return dm_error_set(err, -EINVAL, "contains a NUL byte");
	if (key[0] == '/')
		return dm_error_set(err, -EINVAL, "is an absolute path");

	while (part < end) {
		const char *slash = memchr(part, '/', (size_t)(end - part));
		size_t part_len =
			slash ? (size_t)(slash - part) : (size_t)(end - part);
		int rc = check_component(part, part_len, err);

		if (rc < 0)
			return rc;
		part += part_len + 1;
	}
	return 0;
}

bool keypath_is_folder_marker(const char *key, size_t len)
{
	return len > 0 && key[len - 1] == '/';
}

bool keypath_bucket_valid(const char *bucket)
{
	size_t len = strlen(bucket);

	if (len < 3 || len > DM_BUCKET_MAX)
		return false;
	if (bucket[0] == '.' || bucket[0] == '-' || bucket[len - 1] == '.' ||
	    bucket[len - 1] == '-')
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = bucket[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '-' || (c >= 'A' && c <= 'Z') ||
		      c == '_'))
			return false;
		if (c == '.' && bucket[i + 1] == '.')
			return false;
	}
	return true;
}
