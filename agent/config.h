/*
 * config.h - the agent's configuration, read from one INI file.
 *
 * Every key, its meaning and its default are listed in the table in
 * config.c and documented in drivemon.conf(5).  A bad file (unknown key,
 * bad value, missing file) or a credentials file that others can read is
 * refused with a message naming the file, the line and the problem; the
 * agent then does not start, or, on a reload, keeps its old configuration.
 */
#ifndef DRIVEMON_CONFIG_H
#define DRIVEMON_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"

#define DM_DEFAULT_CONFIG "/etc/drivemon/drivemon.conf"

struct dm_config {
	char *path; /* the file read */

	/* [drive] */
	char *endpoint; /* http(s)://host:port or file:///folder */
	char *region;
	bool path_style;
	char *buckets;		/* glob over ListBuckets, or a comma list */
	char *credentials_file; /* "" when none */
	char *access_key;	/* from the environment or the file */
	char *secret_key;

	/* [agent] */
	char *work_root;
	char *state_dir;
	unsigned poll_interval_ms;
	unsigned download_concurrency;
	uint64_t max_object_size;
	unsigned retry_base_ms; /* first retry delay of a failing object */
	unsigned retry_max_ms;	/* backoff never waits longer */
	char *log_level;

	/* [handlers] */
	unsigned handler_workers; /* threads that run handlers */
	unsigned settle_ms;	  /* quiet time before a change is handled */

	/* [hooks]: commands run after a handler, "" when none */
	char *hook_config;
	char *hook_dialog;
	unsigned hook_timeout_ms;

	/* [dev] */
	bool dev_mode; /* local edits go back to the bucket */

	/* [fuse]: read by drivemon-fs */
	char *fuse_mountpoint; /* "" when not configured */
	bool fuse_allow_other;
};

/* Flags of config_load(). */
enum {
	/* Skip the credentials: for tools that only read the state. */
	CONFIG_NO_CREDENTIALS = 1,
};

/*
 * Read the file at path into a fresh configuration.  Returns 0, or -errno
 * with err's message "PATH:LINE: problem".  The environment variables
 * AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY override the credentials
 * file.
 */
int config_load(const char *path, unsigned flags, struct dm_config **out,
		struct dm_error *err);

/* Free a configuration.  Accepts NULL. */
void config_free(struct dm_config *cfg);

/* Parse "10s", "500ms", "2m", "1h" into milliseconds. */
bool config_parse_duration(const char *text, unsigned *ms);

/* Parse "512M", "4k", "1G", "100" into bytes. */
bool config_parse_size(const char *text, uint64_t *bytes);

/* The hook command of a handler kind ("" when none configured). */
const char *config_hook_command(const struct dm_config *cfg, const char *kind);

/* True when bucket is one the configuration asks to mirror. */
bool config_bucket_wanted(const struct dm_config *cfg, const char *bucket);

#endif
