/*
 * botconfig.h - a bot's settings from its config.csv.
 *
 * The file holds "name,value" lines in CSV (libcsv does the quoting
 * rules): values may be quoted, hold commas, quotes ("" inside quotes) and
 * line breaks.  Blank lines and lines whose first character is '#' are
 * skipped (inside a quoted value they are part of the value); a row whose
 * fields are all empty, as spreadsheets write for an empty row, counts as
 * blank.  A first line "name,value" (any case) is a header, not a key.
 * Names and unquoted values are trimmed of spaces and tabs.  "\n",
 * "\r\n" and a lone "\r" end a line; a UTF-8 BOM at the start is ignored.
 * The result is the ordered list of settings as written.
 *
 * Problems are reported with their line number: a line with other than two
 * fields, a quote inside an unquoted value or text after a closing quote,
 * an empty name or one holding a control character, a name given twice
 * (the first one is kept), bytes that are not UTF-8, an unterminated quote.
 * Wrong field counts, misplaced or unterminated quotes and more than
 * BOTCONFIG_SETTINGS_MAX settings make the file malformed; the other
 * problems drop or mend one setting.  A file with problems still yields
 * the settings that parsed; the caller decides whether to use them (the
 * handler keeps the previous config when any line is malformed).
 *
 * Every setting has a unique, non-empty name without control characters;
 * names and values are valid UTF-8 without NUL bytes (bytes that are not
 * are replaced by U+FFFD and reported), so they are safe to log and to
 * send as JSON.  This module does no I/O and no logging.
 */
#ifndef DRIVEMON_BOTCONFIG_H
#define DRIVEMON_BOTCONFIG_H

#include <stdbool.h>
#include <stddef.h>

/* Bounds on outside input: config.csv of a bot is a few kilobytes. */
#define BOTCONFIG_FILE_MAX     (1u << 20)
#define BOTCONFIG_SETTINGS_MAX 10000

/*
 * Problems described in the text; a file of garbage has one per line, and
 * the first few tell the user what is wrong.  problem_count counts all.
 */
#define BOTCONFIG_PROBLEMS_SHOWN 100

struct botconfig_setting {
	char *name;
	char *value;
	unsigned line; /* where its record starts, from 1; 0 from JSON */
};

struct botconfig {
	struct botconfig_setting *settings; /* in file order */
	size_t count;
	char *problems;		/* "LINE: problem" lines in line order,
				 * "\n"-separated, at most
				 * BOTCONFIG_PROBLEMS_SHOWN of them, or NULL
				 * when the file is clean */
	unsigned problem_count; /* all problems, shown or not */
	bool malformed;		/* a line could not be read as name,value */
};

/*
 * Parse text (len bytes, need not be NUL-terminated).  Returns 0 with *out
 * filled (free it with botconfig_free()), or -ENOMEM, or -EFBIG for text
 * over BOTCONFIG_FILE_MAX; on error *out is zeroed.
 */
int botconfig_parse(const char *text, size_t len, struct botconfig *out);

/* Free what botconfig_parse() filled.  Accepts a zeroed struct. */
void botconfig_free(struct botconfig *cfg);

/* The value of name, or NULL. */
const char *botconfig_get(const struct botconfig *cfg, const char *name);

/*
 * The settings as one JSON object, names in file order, as a malloc'd
 * NUL-terminated string; NULL when out of memory.
 */
char *botconfig_to_json(const struct botconfig *cfg);

/*
 * Parse the JSON made by botconfig_to_json() back (for the previous
 * version of a config).  Returns 0, or -EINVAL for anything but an
 * object of strings whose names obey the rules above, or -ENOMEM; on error
 * *out is zeroed.  Settings read so have line 0 and no problems.
 */
int botconfig_from_json(const char *json, size_t len, struct botconfig *out);

/*
 * Names added, removed or whose value changed from old to new, as one
 * malloc'd string such as "+Added Name, -Removed, ~Changed" (new's order,
 * then removed ones in old's order); "" when nothing changed; NULL when
 * out of memory.
 */
char *botconfig_diff(const struct botconfig *old, const struct botconfig *new);

#endif
