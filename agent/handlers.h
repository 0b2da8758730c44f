/*
 * handlers.h - which handler turns which source file into artifacts.
 *
 * A bot's package is a bucket "<bot>.gbai" whose top folders are named
 * "<bot>.<type>": .gbdialog, .gbkb, .gbtheme, .gbot.  The registry is one
 * table from a package folder type and a file pattern inside that folder
 * to a handler; a source file with no row has no handler and is only
 * mirrored.  New file types are new rows.
 *
 * A handler is a pure function: it gets the bytes of one source and what
 * it produced last time from that source, and returns its artifacts or a
 * diagnostic.  It does no I/O; the processor reads the file, calls the
 * handler on a worker thread and writes the result to the store.
 */
#ifndef DRIVEMON_HANDLERS_H
#define DRIVEMON_HANDLERS_H

#include <stdbool.h>
#include <stddef.h>

/* Longest artifact kind, without its NUL (the store allows 31). */
#define HANDLER_KIND_MAX 31

/* One artifact: kind and name identify it within a bot. */
struct handler_artifact {
	char kind[HANDLER_KIND_MAX + 1];
	char *name;
	char *content;
	size_t content_len;
};

struct handler_input {
	const char *bot; /* the bucket name without ".gbai" */
	const char *bucket;
	const char *key; /* the source, relative to its bucket */
	const char *content;
	size_t content_len;

	/* What this source produced last time, if anything (borrowed). */
	const struct handler_artifact *previous;
	size_t previous_count;
};

struct handler_result {
	struct handler_artifact *artifacts; /* malloc'd, for the processor */
	size_t count;
	char *diagnostics; /* malloc'd "LINE: problem" lines, or NULL */
	char *summary;	   /* malloc'd one line for the log, or NULL */
};

/*
 * Returns 0 with the artifacts in result (diagnostics may then hold
 * warnings), or a negative errno with diagnostics saying why; the
 * previous artifacts are then kept.
 */
typedef int (*handler_fn)(const struct handler_input *in,
			  struct handler_result *result);

/* Artifact kinds a handler may produce, at most. */
#define HANDLER_KINDS_MAX 4

struct handler {
	const char *kind;	 /* the source's kind, and the hook's name */
	const char *folder_type; /* ".gbot": the package folder's suffix */
	const char *pattern;	 /* fnmatch() pattern inside that folder */
	bool any_depth;		 /* pattern also matches in sub-folders */
	size_t max_size;	 /* larger sources are refused */
	handler_fn run;
	/* the kinds of artifacts it produces, NULL-terminated */
	const char *artifact_kinds[HANDLER_KINDS_MAX + 1];
};

/*
 * The handler of a source key ("<bot>.gbot/config.csv"), or NULL when the
 * key has none.
 */
const struct handler *handler_find(const char *key);

/*
 * Does path, relative to the handler's package folder ("start.bas",
 * "sales/report.bas"), match the handler's pattern?
 */
bool handler_matches(const struct handler *h, const char *path);

/* Every handler, for scans: *count rows. */
const struct handler *handler_table(size_t *count);

/* Add one artifact to a result, copying name and content.  0 or -ENOMEM. */
int handler_result_add(struct handler_result *result, const char *kind,
		       const char *name, const char *content, size_t len);

/* Free what a handler put in a result, and zero it. */
void handler_result_clear(struct handler_result *result);

/* The handlers themselves. */
int handler_config(const struct handler_input *in,
		   struct handler_result *result);
int handler_dialog(const struct handler_input *in,
		   struct handler_result *result);

#endif
