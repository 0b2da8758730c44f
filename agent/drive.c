/*
 * drive.c - choosing a drive from the configuration, and the calls that
 * forward to its operations.
 */
#include "drive.h"

#include <errno.h>
#include <string.h>

#include "config.h"

/* Seconds without a byte before a transfer is given up. */
#define S3_STALL_TIMEOUT_S    30
#define S3_CONNECT_TIMEOUT_MS 5000

int drive_open(const struct dm_config *cfg, struct store *store,
	       struct drive **out, struct dm_error *err)
{
	struct s3_settings s3 = {
		.endpoint = cfg->endpoint,
		.region = cfg->region,
		.path_style = cfg->path_style,
		.access_key = cfg->access_key,
		.secret_key = cfg->secret_key,
		.concurrency = cfg->download_concurrency,
		.max_object_size = cfg->max_object_size,
		.connect_timeout_ms = S3_CONNECT_TIMEOUT_MS,
		.low_speed_time_s = S3_STALL_TIMEOUT_S,
	};

	if (strncmp(cfg->endpoint, "file://", 7) == 0)
		return drive_file_open(cfg->endpoint + 7, cfg->max_object_size,
				       store, out, err);
	return drive_s3_open(&s3, out, err);
}

void drive_free(struct drive *d)
{
	if (d)
		d->ops->free(d);
}

int drive_list_buckets(struct drive *d, drive_bucket_fn fn, void *ctx,
		       struct dm_error *err)
{
	dm_error_clear(err);
	return d->ops->list_buckets(d, fn, ctx, err);
}

int drive_list(struct drive *d, const char *bucket, drive_page_fn fn, void *ctx,
	       struct dm_error *err)
{
	dm_error_clear(err);
	return d->ops->list(d, bucket, fn, ctx, err);
}

int drive_head(struct drive *d, const char *bucket, const char *key,
	       size_t key_len, struct drive_object *out, struct dm_error *err)
{
	dm_error_clear(err);
	return d->ops->head(d, bucket, key, key_len, out, err);
}

void drive_get_batch(struct drive *d, struct drive_get *gets, size_t count,
		     drive_interrupted_fn interrupted, void *ctx)
{
	d->ops->get_batch(d, gets, count, interrupted, ctx);
}

int drive_put(struct drive *d, struct drive_put *put, struct dm_error *err)
{
	dm_error_clear(err);
	return d->ops->put(d, put, err);
}

int drive_remove(struct drive *d, const char *bucket, const char *key,
		 size_t key_len, const char *if_match, struct dm_error *err)
{
	dm_error_clear(err);
	return d->ops->remove(d, bucket, key, key_len, if_match, err);
}
