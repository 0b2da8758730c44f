/*
 * hooks.h - running an operator's command after a handler.
 *
 * A hook is configured per handler kind as a command line in argv form:
 * words separated by blanks, a word in double quotes may hold blanks, and
 * no shell ever sees it.  It runs with the source's path appended as its
 * last argument and with DRIVEMON_BOT, DRIVEMON_KIND, DRIVEMON_BUCKET,
 * DRIVEMON_KEY and DRIVEMON_ETAG in its environment; its standard output
 * is discarded, the end of its standard error is kept for the report, and
 * it is killed when it outlives the timeout.
 */
#ifndef DRIVEMON_HOOKS_H
#define DRIVEMON_HOOKS_H

/* What the hook is told about the source. */
struct hook_subject {
	const char *bot, *kind, *bucket, *key, *etag;
	const char *path; /* absolute path of the source file */
};

/*
 * Run command for subject.  Returns 0 when it exited with status 0;
 * otherwise a negative errno and *report (malloc'd, or NULL when out of
 * memory) says what happened: "exit status 3", "killed by signal 9",
 * "timed out after 30000 ms", "cannot run: ...", followed by the end of
 * its standard error.
 */
int hook_run(const char *command, const struct hook_subject *subject,
	     unsigned timeout_ms, char **report);

#endif
