/*
 * test_drive_put.c - conditional uploads and deletes through both drives:
 * a folder drive in a fresh folder under /tmp, and the S3 drive against
 * the Ceph gateway that ctest's rgw fixture started (DM_RGW_DIR,
 * DM_RGW_PORT).
 *
 * The same scenarios run on each drive and are checked through the
 * drive's own HEAD and GET.  Each drive is also checked from outside: the
 * folder drive by looking at its files, the S3 drive with the harness's
 * second client (s3util.py, boto3), so that a key encoded wrongly, or an
 * object written under another name, cannot pass unseen.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <openssl/evp.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "digest.h"
#include "drive.h"
#include "store.h"

extern char **environ;

/* Keys that S3 clients and signers get wrong. */
static const char *const awkward_keys[] = {
	"dir with space/a b.txt",
	"plus+sign.txt",
	"per%cent%20.txt",
	"unicode/caf\xc3\xa9-\xe6\x97\xa5\xe6\x9c\xac.txt",
	"query?and#hash&=.txt",
};

static char root[] = "/tmp/test_drive_put.XXXXXX";

/* The drive under test and how to look at it from outside. */
struct target {
	const char *name; /* "file" or "s3", for messages */
	struct drive *drive;
	const char *bucket;
	/* Content of bucket/key as seen without the drive, or NULL. */
	char *(*outside_read)(const struct target *t, const char *key);
};

static void md5_hex(const void *data, size_t len, char out[DM_ETAG_MAX])
{
	unsigned char md5[DIGEST_MD5_LEN];

	EVP_Digest(data, len, md5, NULL, EVP_md5(), NULL);
	digest_hex(md5, sizeof(md5), out);
}

static void path_in_root(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", root, name);
}

/* The whole content of a file, NUL-terminated, or NULL. */
static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *data = NULL;
	size_t len = 0;
	long size;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (data = malloc((size_t)size + 1)))
		len = fread(data, 1, (size_t)size, f);
	fclose(f);
	if (data)
		data[len] = '\0';
	return data;
}

/* A file holding len bytes of data, read from its start by a put. */
static int content_fd(const void *data, size_t len)
{
	char path[256];
	int fd;

	path_in_root(path, sizeof(path), "content.XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	unlink(path);
	if (write(fd, data, len) != (ssize_t)len) {
		close(fd);
		return -1;
	}
	/* The drive must read from offset 0, wherever the caller left it. */
	return fd;
}

static int put_text(struct target *t, const char *key, const char *text,
		    const char *if_match, bool if_none_match,
		    char etag[DM_ETAG_MAX], struct dm_error *err)
{
	struct drive_put put = {
		.bucket = t->bucket,
		.key = key,
		.key_len = strlen(key),
		.fd = content_fd(text, strlen(text)),
		.if_match = if_match,
		.if_none_match = if_none_match,
	};
	int rc;

	if (put.fd < 0)
		return -EIO;
	rc = drive_put(t->drive, &put, err);
	close(put.fd);
	if (etag)
		snprintf(etag, DM_ETAG_MAX, "%s", put.etag);
	/* Every failure carries its detail. */
	if (rc < 0)
		CHECK_INT(err->code, rc);
	return rc;
}

/* The content of bucket/key through the drive's GET, or NULL. */
static char *drive_read(const struct target *t, const char *key)
{
	char path[256], *data;
	struct drive_get get = {
		.bucket = t->bucket,
		.key = key,
		.key_len = strlen(key),
	};

	path_in_root(path, sizeof(path), "get.tmp");
	get.fd = open(path, O_CREAT | O_TRUNC | O_RDWR | O_CLOEXEC, 0600);
	if (get.fd < 0)
		return NULL;
	drive_get_batch(t->drive, &get, 1, NULL, NULL);
	close(get.fd);
	if (get.result < 0)
		return NULL;
	data = read_file(path);
	unlink(path);
	return data;
}

/* True when both the drive and an outside reader see text at key. */
static bool holds(const struct target *t, const char *key, const char *text)
{
	char *inside = drive_read(t, key);
	char *outside = t->outside_read(t, key);
	bool same = inside && outside && strcmp(inside, text) == 0 &&
		    strcmp(outside, text) == 0;

	if (!same)
		fprintf(stderr,
			"%s: '%s' holds \"%s\" (drive) \"%s\" "
			"(outside), want \"%s\"\n",
			t->name, key, inside ? inside : "(none)",
			outside ? outside : "(none)", text);
	free(inside);
	free(outside);
	return same;
}

static bool absent(const struct target *t, const char *key)
{
	struct drive_object o;
	struct dm_error err;
	char *outside = t->outside_read(t, key);
	bool gone = drive_head(t->drive, t->bucket, key, strlen(key), &o,
			       &err) == -ENOENT &&
		    !outside;

	free(outside);
	return gone;
}

/* The ETag a HEAD reports, or "" */
static void head_etag(const struct target *t, const char *key,
		      char etag[DM_ETAG_MAX])
{
	struct drive_object o;
	struct dm_error err;

	etag[0] = '\0';
	if (drive_head(t->drive, t->bucket, key, strlen(key), &o, &err) == 0)
		snprintf(etag, DM_ETAG_MAX, "%s", o.etag);
}

static void test_conditional_puts(struct target *t)
{
	char first[DM_ETAG_MAX], second[DM_ETAG_MAX], got[DM_ETAG_MAX];
	char want[DM_ETAG_MAX];
	const char *key = "cond/object.txt";
	struct dm_error err;

	/* A new object, only if there is none yet. */
	CHECK_INT(put_text(t, key, "first", NULL, true, first, &err), 0);
	md5_hex("first", 5, want);
	CHECK_STR(first, want);
	head_etag(t, key, got);
	CHECK_STR(got, want);
	CHECK(holds(t, key, "first"));

	/* Replaced while it still has the ETag we know. */
	CHECK_INT(put_text(t, key, "second", first, false, second, &err), 0);
	md5_hex("second", 6, want);
	CHECK_STR(second, want);
	head_etag(t, key, got);
	CHECK_STR(got, want);
	CHECK(holds(t, key, "second"));

	/* A stale ETag writes nothing. */
	CHECK_INT(put_text(t, key, "third", first, false, NULL, &err), -ESTALE);
	CHECK(strstr(err.message, key) != NULL);
	CHECK(holds(t, key, "second"));

	/* If-None-Match on an object that exists writes nothing. */
	CHECK_INT(put_text(t, key, "fourth", NULL, true, NULL, &err), -ESTALE);
	CHECK(holds(t, key, "second"));

	/* If-Match on an object that does not exist creates nothing. */
	CHECK_INT(put_text(t, "cond/missing.txt", "fifth", second, false, NULL,
			   &err),
		  -ESTALE);
	CHECK(absent(t, "cond/missing.txt"));

	/* Without a condition, a put simply replaces. */
	CHECK_INT(put_text(t, key, "sixth", NULL, false, got, &err), 0);
	md5_hex("sixth", 5, want);
	CHECK_STR(got, want);
	CHECK(holds(t, key, "sixth"));
}

static void test_awkward_keys(struct target *t)
{
	char etag[DM_ETAG_MAX], got[DM_ETAG_MAX], want[DM_ETAG_MAX];
	struct dm_error err;

	for (size_t i = 0; i < sizeof(awkward_keys) / sizeof(awkward_keys[0]);
	     i++) {
		const char *key = awkward_keys[i];

		CHECK_INT(put_text(t, key, key, NULL, true, etag, &err), 0);
		md5_hex(key, strlen(key), want);
		CHECK_STR(etag, want);
		head_etag(t, key, got);
		CHECK_STR(got, want);
		CHECK(holds(t, key, key));

		CHECK_INT(drive_remove(t->drive, t->bucket, key, strlen(key),
				       etag, &err),
			  0);
		CHECK(absent(t, key));
	}
}

/* A body larger than libcurl's buffers, read in many callbacks. */
static void test_large_body(struct target *t)
{
	size_t len = 3 * 1024 * 1024 + 17;
	char *data = malloc(len + 1), want[DM_ETAG_MAX];
	struct dm_error err;
	struct drive_put put = {
		.bucket = t->bucket,
		.key = "large/body.bin",
		.key_len = strlen("large/body.bin"),
	};
	char *back;

	if (!data)
		return;
	for (size_t i = 0; i < len; i++)
		data[i] = (char)('a' + (i * 7 + i / 4093) % 26);
	data[len] = '\0';
	put.fd = content_fd(data, len);
	CHECK(put.fd >= 0);

	CHECK_INT(drive_put(t->drive, &put, &err), 0);
	md5_hex(data, len, want);
	CHECK_STR(put.etag, want);
	back = t->outside_read(t, put.key);
	CHECK(back && strcmp(back, data) == 0);

	CHECK_INT(drive_remove(t->drive, t->bucket, put.key, put.key_len, NULL,
			       &err),
		  0);
	free(back);
	close(put.fd);
	free(data);
}

static void test_removes(struct target *t)
{
	char etag[DM_ETAG_MAX], stale[DM_ETAG_MAX];
	const char *key = "gone/soon.txt";
	struct dm_error err;

	CHECK_INT(put_text(t, key, "old", NULL, false, stale, &err), 0);
	CHECK_INT(put_text(t, key, "new", NULL, false, etag, &err), 0);

	/* A stale ETag deletes nothing. */
	CHECK_INT(drive_remove(t->drive, t->bucket, key, strlen(key), stale,
			       &err),
		  -ESTALE);
	CHECK(strstr(err.message, key) != NULL);
	CHECK(holds(t, key, "new"));

	CHECK_INT(
		drive_remove(t->drive, t->bucket, key, strlen(key), etag, &err),
		0);
	CHECK(absent(t, key));

	/* Already gone, with or without a condition: done. */
	CHECK_INT(
		drive_remove(t->drive, t->bucket, key, strlen(key), NULL, &err),
		0);
	CHECK_INT(
		drive_remove(t->drive, t->bucket, key, strlen(key), etag, &err),
		0);
	CHECK_INT(drive_remove(t->drive, t->bucket, "never/was", 9, NULL, &err),
		  0);
}

static void test_missing_bucket(struct target *t)
{
	struct target lost = *t;
	struct dm_error err;
	char line[512];
	int rc;

	lost.bucket = "drivemon-no-such-bucket";
	rc = put_text(&lost, "some/key.txt", "x", NULL, false, NULL, &err);
	CHECK_INT(rc, -ENOENT);
	dm_error_str(&err, line, sizeof(line));
	CHECK(strstr(line, "drivemon-no-such-bucket/some/key.txt") != NULL);
	if (strcmp(t->name, "s3") == 0) {
		CHECK_INT(err.http_status, 404);
		CHECK_STR(err.s3_code, "NoSuchBucket");
		CHECK(strstr(line, "NoSuchBucket") != NULL);
	}
	fprintf(stderr, "%s: a put into a missing bucket says: %s\n", t->name,
		line);
}

static void run_scenarios(struct target *t)
{
	test_conditional_puts(t);
	test_awkward_keys(t);
	test_large_body(t);
	test_removes(t);
	test_missing_bucket(t);
}

/* ---- the folder drive ---- */

static char *folder_read(const struct target *t, const char *key)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/drive/%s/%s", root, t->bucket, key);
	return read_file(path);
}

static bool exists_in_root(const char *name)
{
	char path[512];
	struct stat st;

	path_in_root(path, sizeof(path), name);
	return lstat(path, &st) == 0;
}

/* True when the bucket folder holds a leftover temporary file. */
static bool has_temporaries(const char *bucket_dir)
{
	DIR *dir = opendir(bucket_dir);
	struct dirent *de;
	bool found = false;

	if (!dir)
		return false;
	while ((de = readdir(dir)))
		found |= strncmp(de->d_name, ".drivemon-put", 13) == 0;
	closedir(dir);
	return found;
}

/* One key looked for in a listing. */
struct sought {
	const char *key;
	char etag[DM_ETAG_MAX]; /* "" while not seen */
};

static int find_in_page(void *ctx, const struct drive_object *objects,
			size_t count)
{
	struct sought *s = ctx;

	for (size_t i = 0; i < count; i++)
		if (objects[i].key_len == strlen(s->key) &&
		    memcmp(objects[i].key, s->key, objects[i].key_len) == 0)
			snprintf(s->etag, sizeof(s->etag), "%s",
				 objects[i].etag);
	return 0;
}

/* The ETag a listing gives key, or "" when it is not listed. */
static void listed_etag(struct target *t, const char *key,
			char etag[DM_ETAG_MAX])
{
	struct sought s = {.key = key};
	struct dm_error err;

	CHECK_INT(drive_list(t->drive, t->bucket, find_in_page, &s, &err), 0);
	snprintf(etag, DM_ETAG_MAX, "%s", s.etag);
}

static void test_folder_specifics(struct target *t)
{
	char etag[DM_ETAG_MAX], want[DM_ETAG_MAX], listed[DM_ETAG_MAX];
	char bucket_dir[512], leftover[600];
	struct dm_error err;
	int fd;

	/* A key that would leave the bucket writes nothing anywhere. */
	CHECK_INT(put_text(t, "../escaped.txt", "x", NULL, false, NULL, &err),
		  -EINVAL);
	CHECK(strstr(err.message, "../escaped.txt") != NULL);
	CHECK(!exists_in_root("drive/escaped.txt"));
	CHECK_INT(put_text(t, "a/../../escaped.txt", "x", NULL, false, NULL,
			   &err),
		  -EINVAL);
	CHECK_INT(drive_remove(t->drive, t->bucket, "../bucket-two/keep.txt",
			       22, NULL, &err),
		  -EINVAL);
	CHECK(exists_in_root("drive/bucket-two/keep.txt"));

	/* A put creates the folders; a delete takes away those left empty,
	 * never the bucket folder. */
	CHECK_INT(put_text(t, "deep/er/file.txt", "x", NULL, false, NULL, &err),
		  0);
	CHECK(exists_in_root("drive/bucket-one/deep/er/file.txt"));
	CHECK_INT(drive_remove(t->drive, t->bucket, "deep/er/file.txt", 16,
			       NULL, &err),
		  0);
	CHECK(!exists_in_root("drive/bucket-one/deep"));
	CHECK(exists_in_root("drive/bucket-one"));

	/* A folder is no object: a delete of its name removes nothing. */
	CHECK_INT(put_text(t, "dir/inside.txt", "x", NULL, false, NULL, &err),
		  0);
	CHECK_INT(drive_remove(t->drive, t->bucket, "dir", 3, NULL, &err), 0);
	CHECK(exists_in_root("drive/bucket-one/dir/inside.txt"));
	CHECK_INT(put_text(t, "dir", "x", NULL, true, NULL, &err), -EISDIR);
	CHECK(strstr(err.message, "bucket-one/dir") != NULL);

	/* Same size, written at once: the listing must not answer the cached
	 * ETag of the content replaced. */
	CHECK_INT(put_text(t, "same.txt", "aaaa", NULL, false, NULL, &err), 0);
	listed_etag(t, "same.txt", listed);
	md5_hex("aaaa", 4, want);
	CHECK_STR(listed, want);
	CHECK_INT(put_text(t, "same.txt", "bbbb", want, false, etag, &err), 0);
	listed_etag(t, "same.txt", listed);
	md5_hex("bbbb", 4, want);
	CHECK_STR(listed, want);
	CHECK_STR(etag, want);

	/* Uploads leave no temporary file; one left by a killed process is
	 * not listed as an object. */
	snprintf(bucket_dir, sizeof(bucket_dir), "%s/drive/bucket-one", root);
	CHECK(!has_temporaries(bucket_dir));
	snprintf(leftover, sizeof(leftover), "%s/.drivemon-put.1.1",
		 bucket_dir);
	fd = open(leftover, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	CHECK(fd >= 0 && write(fd, "half", 4) == 4);
	if (fd >= 0)
		close(fd);
	listed_etag(t, ".drivemon-put.1.1", listed);
	CHECK_STR(listed, "");
	listed_etag(t, "same.txt", listed);
	CHECK_STR(listed, want);
}

static void test_folder_drive(struct store *store)
{
	struct target t = {
		.name = "file",
		.bucket = "bucket-one",
		.outside_read = folder_read,
	};
	char drive_root[512], path[512];
	struct dm_error err;
	int fd;

	path_in_root(drive_root, sizeof(drive_root), "drive");
	path_in_root(path, sizeof(path), "drive/bucket-one");
	mkdir(drive_root, 0755);
	mkdir(path, 0755);
	path_in_root(path, sizeof(path), "drive/bucket-two");
	mkdir(path, 0755);
	path_in_root(path, sizeof(path), "drive/bucket-two/keep.txt");
	fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	if (fd >= 0)
		close(fd);

	CHECK_INT(drive_file_open(drive_root, 1u << 30, store, &t.drive, &err),
		  0);
	if (!t.drive)
		return;
	run_scenarios(&t);
	test_folder_specifics(&t);
	drive_free(t.drive);
}

/* ---- the S3 drive ---- */

struct gateway {
	char endpoint[64];
	char access_key[128];
	char secret_key[128];
	const char *harness;
};

static struct gateway gateway;

/* Run the harness's own S3 client; true when it succeeds. */
static bool s3util(const char *command, const char *bucket, const char *key,
		   const char *file)
{
	char script[512];
	const char *argv[] = {"/usr/bin/python3",
			      script,
			      "--endpoint",
			      gateway.endpoint,
			      command,
			      bucket,
			      key,
			      file,
			      NULL};
	pid_t pid;
	int status;

	snprintf(script, sizeof(script), "%s/s3util.py", gateway.harness);
	if (posix_spawn(&pid, argv[0], NULL, NULL, (char **)argv, environ))
		return false;
	if (waitpid(pid, &status, 0) < 0)
		return false;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static char *gateway_read(const struct target *t, const char *key)
{
	char path[256], *data = NULL;
	int fd;

	path_in_root(path, sizeof(path), "outside.XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return NULL;
	close(fd);
	if (s3util("get", t->bucket, key, path))
		data = read_file(path);
	unlink(path);
	return data;
}

/* Copy "NAME=value" of credentials.env into out. */
static void env_value(const char *text, const char *name, char *out, size_t cap)
{
	const char *line = strstr(text, name);

	out[0] = '\0';
	if (!line || line[strlen(name)] != '=')
		return;
	line += strlen(name) + 1;
	snprintf(out, cap, "%.*s", (int)strcspn(line, "\n"), line);
}

/* Find the gateway the rgw fixture started; false when there is none. */
static bool find_gateway(void)
{
	const char *dir = getenv("DM_RGW_DIR"), *port = getenv("DM_RGW_PORT");
	char path[512], *text;

	gateway.harness = getenv("DM_HARNESS");
	if (!dir || !port || !gateway.harness) {
		fprintf(stderr, "DM_RGW_DIR, DM_RGW_PORT and DM_HARNESS must "
				"name the test gateway (run through ctest)\n");
		return false;
	}
	snprintf(path, sizeof(path), "%s/credentials.env", dir);
	text = read_file(path);
	if (!text) {
		fprintf(stderr, "cannot read %s\n", path);
		return false;
	}
	env_value(text, "AWS_ACCESS_KEY_ID", gateway.access_key,
		  sizeof(gateway.access_key));
	env_value(text, "AWS_SECRET_ACCESS_KEY", gateway.secret_key,
		  sizeof(gateway.secret_key));
	free(text);
	snprintf(gateway.endpoint, sizeof(gateway.endpoint),
		 "http://127.0.0.1:%s", port);

	/* s3util.py takes the keys from the environment. */
	setenv("AWS_ACCESS_KEY_ID", gateway.access_key, 1);
	setenv("AWS_SECRET_ACCESS_KEY", gateway.secret_key, 1);
	return gateway.access_key[0] && gateway.secret_key[0];
}

static void test_s3_drive(void)
{
	char bucket[64];
	struct target t = {
		.name = "s3",
		.bucket = bucket,
		.outside_read = gateway_read,
	};
	struct s3_settings settings = {
		.endpoint = gateway.endpoint,
		.region = "us-east-1",
		.path_style = true,
		.access_key = gateway.access_key,
		.secret_key = gateway.secret_key,
		.concurrency = 2,
		.max_object_size = 1u << 30,
		.connect_timeout_ms = 5000,
		.low_speed_time_s = 30,
	};
	struct dm_error err;

	snprintf(bucket, sizeof(bucket), "drive-put-%ld", (long)getpid());
	CHECK(s3util("mb", bucket, NULL, NULL));
	CHECK_INT(drive_s3_open(&settings, &t.drive, &err), 0);
	if (t.drive)
		run_scenarios(&t);
	drive_free(t.drive);
	s3util("rb", bucket, NULL, NULL);
}

static int remove_entry(const char *path, const struct stat *st, int type,
			struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

int main(void)
{
	struct store *store = NULL;
	struct dm_error err;
	char state[512];

	if (!mkdtemp(root)) {
		perror("mkdtemp");
		return 1;
	}
	path_in_root(state, sizeof(state), "state");
	CHECK_INT(store_open(state, STORE_READ_WRITE, &store, &err), 0);
	if (store)
		test_folder_drive(store);
	store_close(store);

	CHECK(find_gateway());
	if (gateway.access_key[0])
		test_s3_drive();

	if (check_failed == 0)
		nftw(root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	return check_summary();
}
