/*
 * test_keypath.c - which object keys may become paths under work_root.
 */
#include <errno.h>
#include <string.h>

#include "check.h"
#include "keypath.h"
#include "dm_limits.h"

static int check_key(const char *key)
{
	return keypath_check(key, strlen(key), NULL);
}

static void test_accepted(void)
{
	static const char *const good[] = {
		"a",
		"demo.gbdialog/start.bas",
		"with space/and+plus%25.txt",
		"ünïcödé/日本.md",
		"a/b/c/d/e/f/g.txt",
		".hidden",
		"..dots",
		"x..y/z",
		"trailing.",
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		CHECK_INT(check_key(good[i]), 0);
}

static void test_refused(void)
{
	static const char *const bad[] = {
		"",	"/etc/passwd", "../escape", "a/../../escape", "a/./b",
		"a//b", "..",	       ".",	    "a/..",	      "a/.",
	};
	struct dm_error err;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_INT(check_key(bad[i]), -EINVAL);

	CHECK_INT(keypath_check("../x", 4, &err), -EINVAL);
	CHECK_STR(err.message, "has a '..' path component");
	CHECK_INT(keypath_check("/x", 2, &err), -EINVAL);
	CHECK_STR(err.message, "is an absolute path");
	CHECK_INT(keypath_check("a\0b", 3, &err), -EINVAL);
	CHECK_STR(err.message, "contains a NUL byte");
}

static void test_lengths(void)
{
	char key[DM_KEY_MAX + 2];
	struct dm_error err;

	memset(key, 'k', sizeof(key));
	for (size_t i = 100; i < DM_KEY_MAX; i += 101)
		key[i] = '/';
	CHECK_INT(keypath_check(key, DM_KEY_MAX, NULL), 0);
	CHECK_INT(keypath_check(key, DM_KEY_MAX + 1, &err), -EINVAL);
	CHECK(strstr(err.message, "over-long") != NULL);

	memset(key, 'n', DM_NAME_MAX + 1);
	CHECK_INT(keypath_check(key, DM_NAME_MAX, NULL), 0);
	CHECK_INT(keypath_check(key, DM_NAME_MAX + 1, NULL), -EINVAL);
}

static void test_markers_and_buckets(void)
{
	CHECK(keypath_is_folder_marker("dir/", 4));
	CHECK(!keypath_is_folder_marker("dir", 3));
	CHECK(keypath_bucket_valid("demo.gbai"));
	CHECK(keypath_bucket_valid("my-bot-2.gbai"));
	CHECK(!keypath_bucket_valid(".."));
	CHECK(!keypath_bucket_valid("a/b.gbai"));
	CHECK(!keypath_bucket_valid(".drivemon-partial"));
	CHECK(!keypath_bucket_valid("a..b"));
	CHECK(!keypath_bucket_valid("ab"));
}

int main(void)
{
	test_accepted();
	test_refused();
	test_lengths();
	test_markers_and_buckets();
	return check_summary();
}
