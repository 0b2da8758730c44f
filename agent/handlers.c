/*
 * handlers.c - the registry of handlers and the results they fill.
 */
#include "handlers.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "basic.h"
#include "botconfig.h"

static const struct handler handler_rows[] = {
	{"config",
	 ".gbot",
	 "config.csv",
	 false,
	 BOTCONFIG_FILE_MAX,
	 handler_config,
	 {"config", NULL}},
	{"dialog",
	 ".gbdialog",
	 "*.bas",
	 true,
	 BASIC_SOURCE_MAX,
	 handler_dialog,
	 {"dialog", "tool_mcp", "tool_openai", NULL}},
};

#define HANDLER_COUNT (sizeof(handler_rows) / sizeof(handler_rows[0]))

const struct handler *handler_table(size_t *count)
{
	*count = HANDLER_COUNT;
	return handler_rows;
}

/* Does the first component of key end with folder_type? */
static bool in_folder_type(const char *key, size_t folder_len,
			   const char *folder_type)
{
	size_t type_len = strlen(folder_type);

	return folder_len > type_len &&
	       memcmp(key + folder_len - type_len, folder_type, type_len) == 0;
}

bool handler_matches(const struct handler *h, const char *path)
{
	return fnmatch(h->pattern, path, h->any_depth ? 0 : FNM_PATHNAME) == 0;
}

const struct handler *handler_find(const char *key)
{
	const char *slash = strchr(key, '/');
	size_t folder_len;

	if (!slash || slash == key)
		return NULL;
	folder_len = (size_t)(slash - key);

	for (size_t i = 0; i < HANDLER_COUNT; i++) {
		const struct handler *h = &handler_rows[i];

		if (in_folder_type(key, folder_len, h->folder_type) &&
		    handler_matches(h, slash + 1))
			return h;
	}
	return NULL;
}

int handler_result_add(struct handler_result *result, const char *kind,
		       const char *name, const char *content, size_t len)
{
	struct handler_artifact *grown, *a;

	grown = realloc(result->artifacts,
			(result->count + 1) * sizeof(*result->artifacts));
	if (!grown)
		return -ENOMEM;
	result->artifacts = grown;

	a = &grown[result->count];
	memset(a, 0, sizeof(*a));
	strncpy(a->kind, kind, HANDLER_KIND_MAX);
	a->name = strdup(name);
	a->content = malloc(len + 1);
	if (!a->name || !a->content) {
		free(a->name);
		free(a->content);
		return -ENOMEM;
	}
	memcpy(a->content, content, len);
	a->content[len] = '\0';
	a->content_len = len;
	result->count++;
	return 0;
}

void handler_result_clear(struct handler_result *result)
{
	for (size_t i = 0; i < result->count; i++) {
		free(result->artifacts[i].name);
		free(result->artifacts[i].content);
	}
	free(result->artifacts);
	free(result->diagnostics);
	free(result->summary);
	memset(result, 0, sizeof(*result));
}
