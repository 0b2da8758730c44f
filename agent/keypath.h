/*
 * keypath.h - deciding whether an object key can become a local path.
 *
 * An object "k" of bucket "b" is mirrored at work_root/b/k.  A key that
 * would leave that folder, or that no file system can hold, is refused
 * here, before anything is written, with the reason in words.
 */
#ifndef DRIVEMON_KEYPATH_H
#define DRIVEMON_KEYPATH_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/*
 * 0 when key (len bytes, any bytes) is a safe relative path: not empty,
 * at most DM_KEY_MAX bytes, no NUL, not absolute, no empty, "." or ".."
 * component, no component over DM_NAME_MAX bytes.  Otherwise -EINVAL with
 * err saying which rule the key breaks.
 */
int keypath_check(const char *key, size_t len, struct dm_error *err);

/* True for a key ending in "/": a console's folder marker, not a file. */
bool keypath_is_folder_marker(const char *key, size_t len);

/* True when bucket is a name S3 allows, and so a safe folder name. */
bool keypath_bucket_valid(const char *bucket);

#endif
