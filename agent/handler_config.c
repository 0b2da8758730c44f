/*
 * handler_config.c - a bot's config.csv becomes its config artifact.
 *
 * The artifact (kind "config", name "config") is the settings as one JSON
 * object in file order, and it replaces the previous one whole: a setting
 * removed from the file is gone from the bot's config.  A file with a line
 * that cannot be read as name,value is refused and the previous config
 * stays in force; lesser problems (a name given twice) are reported and
 * the file is applied.  The summary names the settings that changed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "botconfig.h"
#include "handlers.h"

static void previous_config(const struct handler_input *in,
			    struct botconfig *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < in->previous_count; i++) {
		const struct handler_artifact *a = &in->previous[i];

		if (strcmp(a->kind, "config") == 0 &&
		    strcmp(a->name, "config") == 0) {
			if (botconfig_from_json(a->content, a->content_len,
						out) < 0)
				memset(out, 0, sizeof(*out));
			return;
		}
	}
}

static char *describe_change(const struct botconfig *old,
			     const struct botconfig *new)
{
	char *diff = botconfig_diff(old, new);
	char *summary = NULL;

	if (!diff)
		return NULL;
	if (asprintf(&summary, "%zu settings, %s", new->count,
		     diff[0] ? diff : "none changed") < 0)
		summary = NULL;
	free(diff);
	return summary;
}

int handler_config(const struct handler_input *in,
		   struct handler_result *result)
{
	struct botconfig cfg, old;
	char *json;
	int rc;

	rc = botconfig_parse(in->content, in->content_len, &cfg);
	if (rc == -EFBIG) {
		result->diagnostics = strdup("file too large for a config");
		return rc;
	}
	if (rc < 0)
		return rc;

	if (cfg.problems)
		result->diagnostics = strdup(cfg.problems);
	if (cfg.malformed) {
		botconfig_free(&cfg);
		return -EINVAL;
	}

	json = botconfig_to_json(&cfg);
	rc = json ? handler_result_add(result, "config", "config", json,
				       strlen(json))
		  : -ENOMEM;
	free(json);

	previous_config(in, &old);
	if (rc == 0)
		result->summary = describe_change(&old, &cfg);
	botconfig_free(&old);
	botconfig_free(&cfg);
	return rc;
}
