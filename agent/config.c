/*
 * config.c - reading drivemon.conf with inih.
 *
 * The keys live in one table: section, name, how to parse the value, where
 * to store it and its default.  inih calls us once per key; we look the
 * key up in the table and stop at the first unknown key or bad value, and
 * inih gives us its line number.  Credentials are read afterwards, from
 * the environment or from a file that only its owner may read.
 */
#include "config.h"
#include "dm_limits.h"

#include <errno.h>
#include <fnmatch.h>
#include <ini.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* A bucket pattern of the buckets list; S3 names are far shorter. */
#define DM_BUCKET_PATTERN_MAX 256

enum value_type {
	VALUE_STRING,
	VALUE_BOOL,
	VALUE_DURATION,
	VALUE_SIZE,
	VALUE_COUNT,
};

struct config_key {
	const char *section;
	const char *name;
	enum value_type type;
	size_t offset;
	const char *fallback;
	unsigned long min, max; /* for counts and durations (ms) */
};

#define FIELD(f) offsetof(struct dm_config, f)

static const struct config_key config_keys[] = {
	{"drive", "endpoint", VALUE_STRING, FIELD(endpoint),
	 "file:///var/lib/drivemon/drive", 0, 0},
	{"drive", "region", VALUE_STRING, FIELD(region), "us-east-1", 0, 0},
	{"drive", "path_style", VALUE_BOOL, FIELD(path_style), "true", 0, 0},
	{"drive", "buckets", VALUE_STRING, FIELD(buckets), "*.gbai", 0, 0},
	{"drive", "credentials_file", VALUE_STRING, FIELD(credentials_file), "",
	 0, 0},
	{"agent", "work_root", VALUE_STRING, FIELD(work_root),
	 "/var/lib/drivemon/work", 0, 0},
	{"agent", "state_dir", VALUE_STRING, FIELD(state_dir),
	 "/var/lib/drivemon/state", 0, 0},
	{"agent", "poll_interval", VALUE_DURATION, FIELD(poll_interval_ms),
	 "10s", 100, 86400000},
	{"agent", "download_concurrency", VALUE_COUNT,
	 FIELD(download_concurrency), "8", 1, 64},
	{"agent", "max_object_size", VALUE_SIZE, FIELD(max_object_size), "512M",
	 0, 0},
	{"agent", "retry_base", VALUE_DURATION, FIELD(retry_base_ms), "5s", 100,
	 86400000},
	{"agent", "retry_max", VALUE_DURATION, FIELD(retry_max_ms), "1h", 100,
	 86400000},
	{"log", "level", VALUE_STRING, FIELD(log_level), "info", 0, 0},
	{"handlers", "workers", VALUE_COUNT, FIELD(handler_workers), "2", 1,
	 16},
	{"handlers", "settle", VALUE_DURATION, FIELD(settle_ms), "20ms", 0,
	 10000},
	{"hooks", "config", VALUE_STRING, FIELD(hook_config), "", 0, 0},
	{"hooks", "dialog", VALUE_STRING, FIELD(hook_dialog), "", 0, 0},
	{"hooks", "timeout", VALUE_DURATION, FIELD(hook_timeout_ms), "30s", 100,
	 3600000},
	{"dev", "enabled", VALUE_BOOL, FIELD(dev_mode), "false", 0, 0},
	{"fuse", "mountpoint", VALUE_STRING, FIELD(fuse_mountpoint), "", 0, 0},
	{"fuse", "allow_other", VALUE_BOOL, FIELD(fuse_allow_other), "false", 0,
	 0},
};

struct parse_state {
	struct dm_config *cfg;
	char problem[256];
};

bool config_parse_duration(const char *text, unsigned *ms)
{
	static const struct {
		const char *suffix;
		unsigned long long factor;
	} units[] = {{"ms", 1},
		     {"s", 1000},
		     {"m", 60000},
		     {"h", 3600000},
		     {"", 1000}};
	char *end;
	unsigned long long n;

	errno = 0;
	n = strtoull(text, &end, 10);
	if (errno || end == text || text[0] == '-')
		return false;

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].suffix) != 0)
			continue;
		if (n > 0xffffffffULL / units[i].factor)
			return false;
		*ms = (unsigned)(n * units[i].factor);
		return true;
	}
	return false;
}

bool config_parse_size(const char *text, uint64_t *bytes)
{
	static const char suffixes[] = "kmgt";
	const char *unit;
	char *end;
	unsigned long long n;
	int shift = 0;

	errno = 0;
	n = strtoull(text, &end, 10);
	if (errno || end == text || text[0] == '-')
		return false;

	if (*end) {
		unit = strchr(suffixes, (char)(*end | 0x20));
		if (!unit || end[1] != '\0')
			return false;
		shift = 10 * (int)(unit - suffixes + 1);
	}
	if (shift && n > (UINT64_MAX >> shift))
		return false;
	*bytes = (uint64_t)n << shift;
	return true;
}

static bool parse_bool(const char *text, bool *value)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};

	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(text, yes[i]) == 0)
			return (*value = true);
		if (strcasecmp(text, no[i]) == 0)
			return !(*value = false);
	}
	return false;
}

static bool parse_count(const char *text, unsigned *value)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(text, &end, 10);
	if (errno || end == text || *end || text[0] == '-' || n > 0xffffffffUL)
		return false;
	*value = (unsigned)n;
	return true;
}

/* Store one value; on error fill problem and return false. */
static bool set_value(struct dm_config *cfg, const struct config_key *key,
		      const char *value, char *problem, size_t len)
{
	void *field = (char *)cfg + key->offset;
	unsigned number = 0;

	switch (key->type) {
	case VALUE_STRING: {
		char *copy = strdup(value);

		if (!copy) {
			snprintf(problem, len, "out of memory");
			return false;
		}
		free(*(char **)field);
		*(char **)field = copy;
		return true;
	}
	case VALUE_BOOL:
		if (parse_bool(value, field))
			return true;
		snprintf(problem, len, "'%s' is not true or false", value);
		return false;
	case VALUE_SIZE:
		if (config_parse_size(value, field))
			return true;
		snprintf(problem, len, "'%s' is not a size such as 512M",
			 value);
		return false;
	case VALUE_DURATION:
		if (!config_parse_duration(value, &number)) {
			snprintf(problem, len,
				 "'%s' is not a duration such as 10s or 500ms",
				 value);
			return false;
		}
		break;
	case VALUE_COUNT:
		if (!parse_count(value, &number)) {
			snprintf(problem, len, "'%s' is not a whole number",
				 value);
			return false;
		}
		break;
	}

	if (number < key->min || number > key->max) {
		snprintf(problem, len, "%s = %s is out of range (%lu to %lu%s)",
			 key->name, value, key->min, key->max,
			 key->type == VALUE_DURATION ? " ms" : "");
		return false;
	}
	*(unsigned *)field = number;
	return true;
}

static const struct config_key *find_key(const char *section, const char *name)
{
	for (size_t i = 0; i < sizeof(config_keys) / sizeof(config_keys[0]);
	     i++) {
		if (strcmp(config_keys[i].section, section) == 0 &&
		    strcmp(config_keys[i].name, name) == 0)
			return &config_keys[i];
	}
	return NULL;
}

static int on_key(void *user, const char *section, const char *name,
		  const char *value)
{
	struct parse_state *state = user;
	const struct config_key *key = find_key(section, name);

	if (!key) {
		snprintf(state->problem, sizeof(state->problem),
			 "unknown key '%s' in section [%s]", name, section);
		return 0;
	}
	return set_value(state->cfg, key, value, state->problem,
			 sizeof(state->problem));
}

static int apply_defaults(struct dm_config *cfg, struct dm_error *err)
{
	char problem[256];

	for (size_t i = 0; i < sizeof(config_keys) / sizeof(config_keys[0]);
	     i++) {
		if (!set_value(cfg, &config_keys[i], config_keys[i].fallback,
			       problem, sizeof(problem)))
			return dm_error_set(err, -EINVAL, "default %s: %s",
					    config_keys[i].name, problem);
	}
	return 0;
}

/* Read "access_key = ..." and "secret_key = ..." from the credentials file. */
static int on_credential(void *user, const char *section, const char *name,
			 const char *value)
{
	struct parse_state *state = user;
	char **field;

	(void)section;
	if (strcmp(name, "access_key") == 0)
		field = &state->cfg->access_key;
	else if (strcmp(name, "secret_key") == 0)
		field = &state->cfg->secret_key;
	else {
		snprintf(state->problem, sizeof(state->problem),
			 "unknown key '%s' (want access_key, secret_key)",
			 name);
		return 0;
	}
	free(*field);
	*field = strdup(value);
	return *field != NULL;
}

static int load_credentials_file(struct dm_config *cfg, struct dm_error *err)
{
	const char *path = cfg->credentials_file;
	struct parse_state state = {.cfg = cfg};
	struct stat st;
	int line;

	if (stat(path, &st) < 0)
		return dm_error_set(err, -errno, "%s: cannot read: %s", path,
				    strerror(errno));
	if (st.st_mode & (S_IRWXG | S_IRWXO))
		return dm_error_set(
			err, -EPERM,
			"%s: mode %04o lets others read the secret; "
			"chmod 600 it",
			path, (unsigned)(st.st_mode & 07777));

	line = ini_parse(path, on_credential, &state);
	if (line < 0)
		return dm_error_set(err, -EACCES, "%s: cannot read", path);
	if (line > 0)
		return dm_error_set(err, -EINVAL, "%s:%d: %s", path, line,
				    state.problem);
	return 0;
}

static int load_credentials(struct dm_config *cfg, struct dm_error *err)
{
	const char *env_key = getenv("AWS_ACCESS_KEY_ID");
	const char *env_secret = getenv("AWS_SECRET_ACCESS_KEY");
	int rc;

	if (cfg->credentials_file[0]) {
		rc = load_credentials_file(cfg, err);
		if (rc < 0)
			return rc;
	}

	if (env_key && env_secret) {
		free(cfg->access_key);
		free(cfg->secret_key);
		cfg->access_key = strdup(env_key);
		cfg->secret_key = strdup(env_secret);
		if (!cfg->access_key || !cfg->secret_key)
			return dm_error_set(err, -ENOMEM, "out of memory");
	}
	return 0;
}

static int check_consistency(struct dm_config *cfg, unsigned flags,
			     struct dm_error *err)
{
	bool remote = strncmp(cfg->endpoint, "http://", 7) == 0 ||
		      strncmp(cfg->endpoint, "https://", 8) == 0;

	if (!remote && strncmp(cfg->endpoint, "file:///", 8) != 0)
		return dm_error_set(err, -EINVAL,
				    "%s: endpoint '%s' is neither http(s):// "
				    "nor file:///",
				    cfg->path, cfg->endpoint);
	if (remote && !(flags & CONFIG_NO_CREDENTIALS) &&
	    (!cfg->access_key || !cfg->secret_key))
		return dm_error_set(err, -EINVAL,
				    "%s: endpoint '%s' needs credentials: set "
				    "credentials_file or AWS_ACCESS_KEY_ID and "
				    "AWS_SECRET_ACCESS_KEY",
				    cfg->path, cfg->endpoint);
	if (cfg->work_root[0] != '/' || cfg->state_dir[0] != '/')
		return dm_error_set(err, -EINVAL,
				    "%s: work_root and state_dir must be "
				    "absolute paths",
				    cfg->path);
	if (cfg->retry_max_ms < cfg->retry_base_ms)
		return dm_error_set(err, -EINVAL,
				    "%s: retry_max is shorter than retry_base",
				    cfg->path);
	return 0;
}

int config_load(const char *path, unsigned flags, struct dm_config **out,
		struct dm_error *err)
{
	struct parse_state state = {0};
	struct dm_config *cfg;
	int line, rc;

	cfg = calloc(1, sizeof(*cfg));
	if (!cfg || !(cfg->path = strdup(path))) {
		rc = dm_error_set(err, -ENOMEM, "out of memory");
		goto out_free;
	}

	rc = apply_defaults(cfg, err);
	if (rc < 0)
		goto out_free;

	state.cfg = cfg;
	line = ini_parse(path, on_key, &state);
	if (line == -1) {
		rc = dm_error_set(err, -ENOENT, "%s: cannot open: %s", path,
				  strerror(errno));
		goto out_free;
	}
	if (line != 0) {
		rc = dm_error_set(err, -EINVAL, "%s:%d: %s", path, line,
				  state.problem[0] ? state.problem
						   : "syntax error");
		goto out_free;
	}

	if (!(flags & CONFIG_NO_CREDENTIALS)) {
		rc = load_credentials(cfg, err);
		if (rc < 0)
			goto out_free;
	}

	rc = check_consistency(cfg, flags, err);
	if (rc < 0)
		goto out_free;

	*out = cfg;
	return 0;

out_free:
	config_free(cfg);
	return rc;
}

void config_free(struct dm_config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < sizeof(config_keys) / sizeof(config_keys[0]);
	     i++) {
		if (config_keys[i].type == VALUE_STRING)
			free(*(char **)((char *)cfg + config_keys[i].offset));
	}
	free(cfg->access_key);
	free(cfg->secret_key);
	free(cfg->path);
	free(cfg);
}

const char *config_hook_command(const struct dm_config *cfg, const char *kind)
{
	if (strcmp(kind, "config") == 0)
		return cfg->hook_config;
	if (strcmp(kind, "dialog") == 0)
		return cfg->hook_dialog;
	return "";
}

bool config_bucket_wanted(const struct dm_config *cfg, const char *bucket)
{
	const char *item = cfg->buckets;

	while (*item) {
		size_t len = strcspn(item, ",");
		char pattern[DM_BUCKET_PATTERN_MAX];

		while (len && (*item == ' ' || *item == '\t')) {
			item++;
			len--;
		}
		while (len && (item[len - 1] == ' ' || item[len - 1] == '\t'))
			len--;
		if (len && len < sizeof(pattern)) {
			memcpy(pattern, item, len);
			pattern[len] = '\0';
			if (fnmatch(pattern, bucket, 0) == 0)
				return true;
		}
		item += strcspn(item, ",");
		if (*item == ',')
			item++;
	}
	return false;
}
