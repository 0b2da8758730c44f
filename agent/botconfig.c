/*
 * botconfig.c - a bot's config.csv read into ordered settings.
 *
 * libcsv does the quoting; this file decides what a record is.  The text
 * is fed to libcsv one physical line at a time, so that the line where
 * each record starts is known and comment lines can be left out.  A line
 * is a comment or a blank only when no record is open, that is when libcsv
 * has ended the previous row: a quoted value that spans lines keeps its
 * record open, and a '#' starting one of its lines belongs to the value.
 * Because a line ends with its line break, a row can only end at the end
 * of a line, so "libcsv ended a row while reading this line" is the same
 * as "no record is open after it".
 *
 * libcsv runs in strict mode.  A quote inside an unquoted value, or text
 * after a closing quote, is reported on its line; the lenient mode would
 * instead reopen the quoted value and silently swallow the lines after it.
 *
 * Names are unique.  An index (open addressing over the settings array)
 * finds the first line of a name in constant time, so a file of
 * BOTCONFIG_SETTINGS_MAX settings parses in linear time; the diff uses it
 * too.  The JSON form goes through json-c, which keeps an object's members
 * in insertion order, so file order survives a round trip.
 */
#include "botconfig.h"

#include <csv.h>
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "utf8.h"

static const char utf8_bom[] = "\xef\xbb\xbf";

/* U+FFFD, written in place of each byte that is not UTF-8 text. */
static const char replacement_char[] = "\xef\xbf\xbd";

/* Names quoted in problems are cut to this many bytes. */
#define SHOWN_NAME_MAX 40

/* ---- growing text ---- */

struct text {
	char *data; /* NUL-terminated, or NULL while empty */
	size_t len;
	size_t cap;
};

static int text_printf(struct text *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int text_printf(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;

	if (t->len + (size_t)n + 1 > t->cap) {
		size_t cap = t->cap ? t->cap : 64;
		char *data;

		while (cap < t->len + (size_t)n + 1)
			cap *= 2;
		data = realloc(t->data, cap);
		if (!data)
			return -ENOMEM;
		t->data = data;
		t->cap = cap;
	}

	va_start(ap, fmt);
	vsnprintf(t->data + t->len, t->cap - t->len, fmt, ap);
	va_end(ap);
	t->len += (size_t)n;
	return 0;
}

/*
 * A NUL-terminated copy of len bytes, each byte that is not UTF-8 text
 * replaced by U+FFFD, in which case *replaced becomes true.
 */
static char *text_copy(const char *s, size_t len, bool *replaced)
{
	const unsigned char *u = (const unsigned char *)s;
	char *copy, *out;

	if (utf8_is_text(s, len)) {
		copy = malloc(len + 1);
		if (copy) {
			if (len)
				memcpy(copy, s, len);
			copy[len] = '\0';
		}
		return copy;
	}

	copy = malloc(len * (sizeof(replacement_char) - 1) + 1);
	if (!copy)
		return NULL;
	out = copy;
	for (size_t i = 0; i < len;) {
		size_t n = utf8_char_len(u + i, len - i);

		if (n) {
			memcpy(out, s + i, n);
			out += n;
			i += n;
		} else {
			memcpy(out, replacement_char,
			       sizeof(replacement_char) - 1);
			out += sizeof(replacement_char) - 1;
			i++;
		}
	}
	*out = '\0';
	*replaced = true;
	return copy;
}

/* Bytes of name to quote in a problem: whole characters, at most max. */
static int shown_len(const char *name, size_t max)
{
	size_t len = strlen(name);

	if (len <= max)
		return (int)len;
	while (max > 0 && ((unsigned char)name[max] & 0xc0) == 0x80)
		max--;
	return (int)max;
}

/* ---- the name index ---- */

struct name_index {
	uint32_t *slots; /* setting index + 1; 0 is a free slot */
	size_t size;	 /* a power of two, over twice the names held */
};

static uint32_t name_hash(const char *name)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (; *name; name++)
		h = (h ^ (unsigned char)*name) * 16777619u;
	return h;
}

/* The slot that holds name, or the free slot where it would go. */
static size_t index_slot(const struct name_index *ix,
			 const struct botconfig_setting *settings,
			 const char *name)
{
	size_t mask = ix->size - 1;
	size_t i = name_hash(name) & mask;

	while (ix->slots[i] && strcmp(settings[ix->slots[i] - 1].name, name))
		i = (i + 1) & mask;
	return i;
}

static const struct botconfig_setting *index_find(const struct name_index *ix,
						  const struct botconfig *cfg,
						  const char *name)
{
	uint32_t held = ix->slots[index_slot(ix, cfg->settings, name)];

	return held ? &cfg->settings[held - 1] : NULL;
}

/* Make room for wanted names; the first held settings are indexed again. */
static int index_reserve(struct name_index *ix,
			 const struct botconfig_setting *settings, size_t held,
			 size_t wanted)
{
	size_t size = ix->size ? ix->size : 16;
	uint32_t *slots;

	while (size <= 2 * wanted)
		size *= 2;
	if (size == ix->size)
		return 0;

	slots = calloc(size, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	free(ix->slots);
	ix->slots = slots;
	ix->size = size;
	for (size_t i = 0; i < held; i++)
		slots[index_slot(ix, settings, settings[i].name)] =
			(uint32_t)i + 1;
	return 0;
}

/* Index every setting of cfg; a repeated name keeps its first setting. */
static int index_build(struct name_index *ix, const struct botconfig *cfg)
{
	int rc = index_reserve(ix, cfg->settings, 0, cfg->count);

	if (rc < 0)
		return rc;
	for (size_t i = 0; i < cfg->count; i++) {
		size_t slot =
			index_slot(ix, cfg->settings, cfg->settings[i].name);

		if (!ix->slots[slot])
			ix->slots[slot] = (uint32_t)i + 1;
	}
	return 0;
}

/* ---- names ---- */

static bool is_blank_char(char c)
{
	return c == ' ' || c == '\t';
}

/* Spaces and tabs around s removed, in place. */
static void trim(char *s)
{
	size_t start = 0, end = strlen(s);

	while (start < end && is_blank_char(s[start]))
		start++;
	while (end > start && is_blank_char(s[end - 1]))
		end--;
	memmove(s, s + start, end - start);
	s[end - start] = '\0';
}

/* What is wrong with a setting's name, or NULL when nothing is. */
static const char *name_problem(const char *name)
{
	if (!name[0])
		return "empty name";
	for (const char *p = name; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return "name holds a control character";
	return NULL;
}

/* ---- parsing ---- */

struct parse {
	struct botconfig *cfg;
	struct csv_parser csv;
	size_t csv_block; /* libcsv's buffer step: the whole text */
	struct name_index index;
	struct text problems;
	size_t capacity;      /* settings allocated */
	unsigned line;	      /* the line being read */
	unsigned record_line; /* where the open record starts */
	bool in_record;	      /* libcsv holds part of a record */
	bool header_allowed;  /* no record read yet */
	bool stopped;	      /* too many settings: the rest is ignored */
	int error;	      /* -ENOMEM met inside a libcsv callback */

	/* the record being read */
	size_t fields;
	char *name;
	char *value;
	bool has_text; /* some field is not empty */
	bool replaced; /* bytes that are not UTF-8 were replaced */
};

static void add_problem(struct parse *ps, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void add_problem(struct parse *ps, unsigned line, const char *fmt, ...)
{
	char message[256];
	va_list ap;
	int rc;

	ps->cfg->problem_count++;
	if (ps->cfg->problem_count > BOTCONFIG_PROBLEMS_SHOWN)
		return;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	rc = text_printf(&ps->problems, "%s%u: %s",
			 ps->problems.len ? "\n" : "", line, message);
	if (rc < 0)
		ps->error = rc;
}

/*
 * libcsv is given a buffer step as large as the text, so its one buffer
 * holds any field at once: it otherwise grows by 128 bytes a time, and a
 * long value would cost a copy of itself per step.
 */
static void start_csv(struct parse *ps)
{
	csv_init(&ps->csv, CSV_STRICT | CSV_STRICT_FINI);
	csv_set_blk_size(&ps->csv, ps->csv_block);
}

static void forget_record(struct parse *ps)
{
	free(ps->name);
	free(ps->value);
	ps->name = ps->value = NULL;
	ps->fields = 0;
	ps->has_text = ps->replaced = false;
}

static void on_field(void *data, size_t len, void *arg)
{
	struct parse *ps = arg;
	char **field = ps->fields == 0	 ? &ps->name
		       : ps->fields == 1 ? &ps->value
					 : NULL;

	ps->fields++;
	ps->has_text |= len > 0;
	if (!field || ps->error)
		return;

	*field = text_copy(data, len, &ps->replaced);
	if (!*field)
		ps->error = -ENOMEM;
}

/* Whether s, spaces and tabs around it aside, is word in any case. */
static bool is_word(const char *s, const char *word)
{
	size_t len = strlen(word);

	while (is_blank_char(*s))
		s++;
	if (strncasecmp(s, word, len) != 0)
		return false;
	for (s += len; *s; s++)
		if (!is_blank_char(*s))
			return false;
	return true;
}

static bool is_header(const struct parse *ps)
{
	return ps->fields == 2 && is_word(ps->name, "name") &&
	       is_word(ps->value, "value");
}

static int grow_settings(struct parse *ps)
{
	size_t capacity = ps->capacity ? ps->capacity * 2 : 16;
	struct botconfig_setting *settings;

	if (ps->cfg->count < ps->capacity)
		return 0;
	settings = realloc(ps->cfg->settings, capacity * sizeof(*settings));
	if (!settings)
		return -ENOMEM;
	ps->cfg->settings = settings;
	ps->capacity = capacity;
	return 0;
}

/* The record's name and value become a setting, unless the name is taken. */
static int add_setting(struct parse *ps)
{
	struct botconfig *cfg = ps->cfg;
	struct botconfig_setting *s;
	uint32_t first;
	size_t slot;

	if (index_reserve(&ps->index, cfg->settings, cfg->count,
			  cfg->count + 1) < 0)
		return -ENOMEM;
	slot = index_slot(&ps->index, cfg->settings, ps->name);
	first = ps->index.slots[slot];
	if (first) {
		add_problem(ps, ps->record_line,
			    "'%.*s%s' given again, first on line %u which is "
			    "kept",
			    shown_len(ps->name, SHOWN_NAME_MAX), ps->name,
			    strlen(ps->name) > SHOWN_NAME_MAX ? "..." : "",
			    cfg->settings[first - 1].line);
		return 0;
	}

	if (cfg->count == BOTCONFIG_SETTINGS_MAX) {
		add_problem(ps, ps->record_line,
			    "more than %d settings, the rest of the file is "
			    "ignored",
			    BOTCONFIG_SETTINGS_MAX);
		cfg->malformed = true;
		ps->stopped = true;
		return 0;
	}

	if (grow_settings(ps) < 0)
		return -ENOMEM;
	s = &cfg->settings[cfg->count++];
	s->name = ps->name;
	s->value = ps->value;
	s->line = ps->record_line;
	ps->name = ps->value = NULL;
	ps->index.slots[slot] = (uint32_t)cfg->count;
	return 0;
}

/* Decide what the record that libcsv just ended is. */
static int take_record(struct parse *ps)
{
	const char *problem;

	if (!ps->has_text)
		return 0;
	trim(ps->name);
	if (ps->header_allowed) {
		ps->header_allowed = false;
		if (is_header(ps))
			return 0;
	}

	if (ps->fields != 2) {
		add_problem(ps, ps->record_line,
			    ps->fields == 1
				    ? "%zu field where name,value was expected"
				    : "%zu fields where name,value was "
				      "expected: quote a value that holds a "
				      "comma",
			    ps->fields);
		ps->cfg->malformed = true;
		return 0;
	}

	if (ps->replaced)
		add_problem(
			ps, ps->record_line,
			"bytes that are not UTF-8 text, replaced by U+FFFD");
	problem = name_problem(ps->name);
	if (problem) {
		add_problem(ps, ps->record_line, "%s", problem);
		return 0;
	}
	return add_setting(ps);
}

static void on_row(int terminator, void *arg)
{
	struct parse *ps = arg;

	(void)terminator;
	ps->in_record = false;
	if (!ps->error && !ps->stopped) {
		int rc = take_record(ps);

		if (rc < 0)
			ps->error = rc;
	}
	forget_record(ps);
}

/* libcsv refused a byte of this line: a quote where CSV allows none. */
static int misplaced_quote(struct parse *ps)
{
	if (csv_error(&ps->csv) != CSV_EPARSE)
		return -ENOMEM;

	add_problem(ps, ps->line,
		    "misplaced quote: put the whole value in quotes and "
		    "double each quote inside it");
	ps->cfg->malformed = true;
	ps->header_allowed = false;
	ps->in_record = false;
	forget_record(ps);
	csv_free(&ps->csv);
	start_csv(ps);
	return ps->error;
}

static bool is_blank_line(const char *line, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!is_blank_char(line[i]) && line[i] != '\r' &&
		    line[i] != '\n')
			return false;
	return true;
}

static int read_line(struct parse *ps, const char *line, size_t len)
{
	size_t used;

	if (!ps->in_record) {
		if (line[0] == '#' || is_blank_line(line, len))
			return 0;
		ps->in_record = true;
		ps->record_line = ps->line;
	}

	used = csv_parse(&ps->csv, line, len, on_field, on_row, ps);
	if (ps->error)
		return ps->error;
	if (used < len)
		return misplaced_quote(ps);
	return 0;
}

/* Where the line starting at pos ends: past its line break, or at len. */
static size_t line_end(const char *text, size_t len, size_t pos)
{
	for (; pos < len; pos++) {
		if (text[pos] == '\n')
			return pos + 1;
		if (text[pos] == '\r')
			return pos + 1 < len && text[pos + 1] == '\n' ? pos + 2
								      : pos + 1;
	}
	return len;
}

static int read_lines(struct parse *ps, const char *text, size_t len)
{
	size_t pos = 0;

	if (len >= 3 && memcmp(text, utf8_bom, 3) == 0)
		pos = 3;

	for (ps->line = 1; pos < len && !ps->stopped; ps->line++) {
		size_t end = line_end(text, len, pos);
		int rc = read_line(ps, text + pos, end - pos);

		if (rc < 0)
			return rc;
		pos = end;
	}
	return 0;
}

/* End the last record, which may lack a line break or a closing quote. */
static int finish_text(struct parse *ps)
{
	if (!ps->in_record || ps->stopped)
		return 0;

	if (csv_fini(&ps->csv, on_field, on_row, ps) != 0) {
		add_problem(ps, ps->record_line,
			    "quote never closed: the record starting here is "
			    "ignored");
		ps->cfg->malformed = true;
	}
	return ps->error;
}

int botconfig_parse(const char *text, size_t len, struct botconfig *out)
{
	struct parse ps = {
		.cfg = out, .csv_block = len + 1, .header_allowed = true};
	int rc;

	memset(out, 0, sizeof(*out));
	if (len > BOTCONFIG_FILE_MAX)
		return -EFBIG;
	start_csv(&ps);

	rc = read_lines(&ps, text, len);
	if (rc == 0)
		rc = finish_text(&ps);

	out->problems = ps.problems.data;
	csv_free(&ps.csv);
	forget_record(&ps);
	free(ps.index.slots);
	if (rc < 0)
		botconfig_free(out);
	return rc;
}

void botconfig_free(struct botconfig *cfg)
{
	for (size_t i = 0; i < cfg->count; i++) {
		free(cfg->settings[i].name);
		free(cfg->settings[i].value);
	}
	free(cfg->settings);
	free(cfg->problems);
	memset(cfg, 0, sizeof(*cfg));
}

const char *botconfig_get(const struct botconfig *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->count; i++)
		if (strcmp(cfg->settings[i].name, name) == 0)
			return cfg->settings[i].value;
	return NULL;
}

/* ---- JSON ---- */

static int add_member(struct json_object *obj,
		      const struct botconfig_setting *s)
{
	struct json_object *value =
		json_object_new_string_len(s->value, (int)strlen(s->value));

	if (!value)
		return -ENOMEM;
	if (json_object_object_add(obj, s->name, value) < 0) {
		json_object_put(value);
		return -ENOMEM;
	}
	return 0;
}

char *botconfig_to_json(const struct botconfig *cfg)
{
	struct json_object *obj = json_object_new_object();
	const char *json;
	char *copy = NULL;

	if (!obj)
		return NULL;
	for (size_t i = 0; i < cfg->count; i++)
		if (add_member(obj, &cfg->settings[i]) < 0)
			goto out_put;

	json = json_object_to_json_string_ext(
		obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (json)
		copy = strdup(json);
out_put:
	json_object_put(obj);
	return copy;
}

/* One member of the object as a setting; the rules are the parser's. */
static int read_member(const char *name, struct json_object *value,
		       struct botconfig_setting *s)
{
	const char *text;
	size_t len;

	if (!json_object_is_type(value, json_type_string) || name_problem(name))
		return -EINVAL;
	text = json_object_get_string(value);
	len = (size_t)json_object_get_string_len(value);
	if (strlen(text) != len)
		return -EINVAL;

	s->name = strdup(name);
	s->value = strdup(text);
	s->line = 0;
	return s->name && s->value ? 0 : -ENOMEM;
}

static int read_object(struct json_object *obj, struct botconfig *out)
{
	size_t count;

	if (!json_object_is_type(obj, json_type_object))
		return -EINVAL;
	count = (size_t)json_object_object_length(obj);
	if (count > BOTCONFIG_SETTINGS_MAX)
		return -EINVAL;
	out->settings = calloc(count ? count : 1, sizeof(*out->settings));
	if (!out->settings)
		return -ENOMEM;

	json_object_object_foreach(obj, name, value)
	{
		int rc = read_member(name, value, &out->settings[out->count]);

		out->count++;
		if (rc < 0)
			return rc;
	}
	return 0;
}

int botconfig_from_json(const char *json, size_t len, struct botconfig *out)
{
	struct json_tokener *tok;
	struct json_object *obj;
	int rc = -EINVAL;

	memset(out, 0, sizeof(*out));
	if (len >= INT_MAX)
		return -EINVAL;
	tok = json_tokener_new();
	if (!tok)
		return -ENOMEM;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
					    JSON_TOKENER_VALIDATE_UTF8);

	obj = json_tokener_parse_ex(tok, json, (int)len);
	if (obj && json_tokener_get_parse_end(tok) == len)
		rc = read_object(obj, out);

	json_object_put(obj);
	json_tokener_free(tok);
	if (rc < 0)
		botconfig_free(out);
	return rc;
}

/* ---- diff ---- */

static int add_change(struct text *t, char mark, const char *name)
{
	return text_printf(t, "%s%c%s", t->len ? ", " : "", mark, name);
}

static int list_changes(const struct botconfig *old,
			const struct botconfig *new, struct text *out)
{
	struct name_index old_index = {0}, new_index = {0};
	int rc;

	rc = index_build(&old_index, old);
	if (rc == 0)
		rc = index_build(&new_index, new);

	for (size_t i = 0; rc == 0 && i < new->count; i++) {
		const struct botconfig_setting *s = &new->settings[i];
		const struct botconfig_setting *was =
			index_find(&old_index, old, s->name);

		if (!was)
			rc = add_change(out, '+', s->name);
		else if (strcmp(was->value, s->value) != 0)
			rc = add_change(out, '~', s->name);
	}

	for (size_t i = 0; rc == 0 && i < old->count; i++)
		if (!index_find(&new_index, new, old->settings[i].name))
			rc = add_change(out, '-', old->settings[i].name);

	free(new_index.slots);
	free(old_index.slots);
	return rc;
}

char *botconfig_diff(const struct botconfig *old, const struct botconfig *new)
{
	struct text changes = {0};

	if (list_changes(old, new, &changes) < 0) {
		free(changes.data);
		return NULL;
	}
	return changes.data ? changes.data : strdup("");
}
