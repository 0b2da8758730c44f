/*
 * test_config.c - reading drivemon.conf: values, defaults and the errors
 * a user sees for a bad file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "config.h"

static char dir[] = "/tmp/test_config.XXXXXX";

static const char *write_file(const char *name, const char *text, int mode)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	chmod(path, (mode_t)mode);
	return path;
}

static int load(const char *text, struct dm_config **cfg, struct dm_error *err)
{
	return config_load(write_file("drivemon.conf", text, 0644), 0, cfg,
			   err);
}

static void test_values_and_defaults(void)
{
	struct dm_config *cfg = NULL;
	struct dm_error err;
	int rc = load("[drive]\n"
		      "endpoint = file:///srv/drive ; a folder of buckets\n"
		      "buckets = a.gbai, b.gbai\n"
		      "[agent]\n"
		      "work_root = /w\n"
		      "state_dir = /s\n"
		      "poll_interval = 1500ms\n"
		      "max_object_size = 4k\n",
		      &cfg, &err);

	CHECK_INT(rc, 0);
	if (rc < 0)
		return;
	CHECK_STR(cfg->endpoint, "file:///srv/drive");
	CHECK_STR(cfg->region, "us-east-1");
	CHECK(cfg->path_style);
	CHECK_INT(cfg->poll_interval_ms, 1500);
	CHECK_INT(cfg->max_object_size, 4096);
	CHECK_INT(cfg->download_concurrency, 8);
	CHECK(config_bucket_wanted(cfg, "a.gbai"));
	CHECK(config_bucket_wanted(cfg, "b.gbai"));
	CHECK(!config_bucket_wanted(cfg, "c.gbai"));
	config_free(cfg);
}

static void test_errors_name_file_and_line(void)
{
	struct dm_config *cfg = NULL;
	struct dm_error err;
	char want[512];

	CHECK_INT(load("[agent]\nwork_root = /w\nfrobnicate = 1\n", &cfg, &err),
		  -EINVAL);
	snprintf(want, sizeof(want),
		 "%s/drivemon.conf:3: unknown key 'frobnicate' in section "
		 "[agent]",
		 dir);
	CHECK_STR(err.message, want);

	CHECK_INT(load("[agent]\npoll_interval = soon\n", &cfg, &err), -EINVAL);
	CHECK(strstr(err.message, ":2: 'soon' is not a duration") != NULL);

	CHECK_INT(load("[agent]\ndownload_concurrency = 0\n", &cfg, &err),
		  -EINVAL);
	CHECK(strstr(err.message, "out of range") != NULL);

	CHECK_INT(load("[drive]\npath_style = maybe\n", &cfg, &err), -EINVAL);
	CHECK(strstr(err.message, ":2: 'maybe' is not true or false") != NULL);

	CHECK_INT(config_load("/nonexistent/drivemon.conf", 0, &cfg, &err),
		  -ENOENT);
	CHECK(strstr(err.message, "/nonexistent/drivemon.conf: cannot open") ==
	      err.message);
}

static void test_credentials(void)
{
	struct dm_config *cfg = NULL;
	struct dm_error err;
	char text[512], creds[256];

	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	snprintf(
		creds, sizeof(creds), "%s",
		write_file("credentials",
			   "access_key = AK:with:colons\nsecret_key = s3cr3t\n",
			   0644));
	snprintf(text, sizeof(text),
		 "[drive]\nendpoint = http://127.0.0.1:1\ncredentials_file = "
		 "%s\n",
		 creds);

	CHECK_INT(load(text, &cfg, &err), -EPERM);
	CHECK(strstr(err.message, "lets others read the secret") != NULL);

	chmod(creds, 0600);
	CHECK_INT(load(text, &cfg, &err), 0);
	if (cfg) {
		CHECK_STR(cfg->access_key, "AK:with:colons");
		CHECK_STR(cfg->secret_key, "s3cr3t");
		config_free(cfg);
		cfg = NULL;
	}

	setenv("AWS_ACCESS_KEY_ID", "from-env", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "env-secret", 1);
	CHECK_INT(load(text, &cfg, &err), 0);
	if (cfg) {
		CHECK_STR(cfg->access_key, "from-env");
		config_free(cfg);
		cfg = NULL;
	}
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");

	CHECK_INT(load("[drive]\nendpoint = http://127.0.0.1:1\n", &cfg, &err),
		  -EINVAL);
	CHECK(strstr(err.message, "needs credentials") != NULL);
}

static void test_parsers(void)
{
	unsigned ms;
	uint64_t bytes;

	CHECK(config_parse_duration("10s", &ms) && ms == 10000);
	CHECK(config_parse_duration("2m", &ms) && ms == 120000);
	CHECK(config_parse_duration("250ms", &ms) && ms == 250);
	CHECK(config_parse_duration("3", &ms) && ms == 3000);
	CHECK(!config_parse_duration("-1s", &ms));
	CHECK(!config_parse_duration("10 s", &ms));
	CHECK(!config_parse_duration("99999999999h", &ms));
	CHECK(config_parse_size("512M", &bytes) && bytes == 512ull << 20);
	CHECK(config_parse_size("1g", &bytes) && bytes == 1ull << 30);
	CHECK(config_parse_size("100", &bytes) && bytes == 100);
	CHECK(!config_parse_size("12X", &bytes));
	CHECK(!config_parse_size("20000000T", &bytes));
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	test_values_and_defaults();
	test_errors_name_file_and_line();
	test_credentials();
	test_parsers();

	unlink(write_file("drivemon.conf", "", 0600));
	unlink(write_file("credentials", "", 0600));
	rmdir(dir);
	return check_summary();
}
