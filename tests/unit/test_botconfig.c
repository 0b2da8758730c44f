/*
 * test_botconfig.c - config.csv as a bot's author writes it, by hand or
 * from a spreadsheet, and as it goes wrong.
 *
 * Each case checks what the author would: which settings came out, with
 * which values, on which lines, and the exact problem lines the agent
 * reports.  Line numbers matter most after a quoted value that spans
 * lines, since that is where a line-by-line reader goes wrong.  The JSON
 * form must give back the same settings, and the diff must name what
 * changed between two versions.
 */
#include "check.h"

#include "botconfig.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int parse(const char *text, struct botconfig *cfg)
{
	return botconfig_parse(text, strlen(text), cfg);
}

/* Setting i is name = value, written on line. */
static void check_setting(const struct botconfig *cfg, size_t i,
			  const char *name, const char *value, unsigned line)
{
	CHECK(i < cfg->count);
	if (i >= cfg->count)
		return;
	CHECK_STR(cfg->settings[i].name, name);
	CHECK_STR(cfg->settings[i].value, value);
	CHECK_INT(cfg->settings[i].line, line);
}

static void check_clean(const struct botconfig *cfg)
{
	if (cfg->problems)
		fprintf(stderr, "unexpected problems:\n%s\n", cfg->problems);
	CHECK(cfg->problems == NULL);
	CHECK_INT(cfg->problem_count, 0);
	CHECK(!cfg->malformed);
}

static bool is_zeroed(const struct botconfig *cfg)
{
	return !cfg->settings && !cfg->count && !cfg->problems &&
	       !cfg->problem_count && !cfg->malformed;
}

static void test_plain(void)
{
	struct botconfig cfg;

	CHECK_INT(parse("name,value\n"
			"Theme Color,blue\n"
			"Answer Mode,direct\n"
			"llm-model,local\n",
			&cfg),
		  0);
	CHECK_INT(cfg.count, 3);
	check_setting(&cfg, 0, "Theme Color", "blue", 2);
	check_setting(&cfg, 1, "Answer Mode", "direct", 3);
	check_setting(&cfg, 2, "llm-model", "local", 4);
	check_clean(&cfg);
	CHECK_STR(botconfig_get(&cfg, "Answer Mode"), "direct");
	CHECK(botconfig_get(&cfg, "answer mode") == NULL);
	CHECK(botconfig_get(&cfg, "Missing") == NULL);
	botconfig_free(&cfg);
	CHECK(is_zeroed(&cfg));

	/* no header, no final line break */
	CHECK_INT(parse("A,1\nB,2", &cfg), 0);
	CHECK_INT(cfg.count, 2);
	check_setting(&cfg, 0, "A", "1", 1);
	check_setting(&cfg, 1, "B", "2", 2);
	check_clean(&cfg);
	botconfig_free(&cfg);

	/* a zeroed struct is accepted */
	memset(&cfg, 0, sizeof(cfg));
	botconfig_free(&cfg);
	CHECK(botconfig_get(&cfg, "A") == NULL);
}

static void test_quotes_and_spaces(void)
{
	struct botconfig cfg;

	CHECK_INT(parse("  Bot Name  ,  General Bot  \n"
			"Greeting,\"Hello, world\"\n"
			"Quote,\"She said \"\"hi\"\"\"\n"
			"\"Quoted Name\",x\n"
			"\"  Padded  \",\"  kept  \"\n"
			"Empty,\n"
			"Empty Quoted,\"\"\n"
			"Only Quotes,\"\"\"\"\n"
			"Spaced, \"after comma\" \n"
			"Tabbed\t,\tv\t\n",
			&cfg),
		  0);
	CHECK_INT(cfg.count, 10);
	check_setting(&cfg, 0, "Bot Name", "General Bot", 1);
	check_setting(&cfg, 1, "Greeting", "Hello, world", 2);
	check_setting(&cfg, 2, "Quote", "She said \"hi\"", 3);
	check_setting(&cfg, 3, "Quoted Name", "x", 4);
	/* names are always trimmed, quoted values never */
	check_setting(&cfg, 4, "Padded", "  kept  ", 5);
	check_setting(&cfg, 5, "Empty", "", 6);
	check_setting(&cfg, 6, "Empty Quoted", "", 7);
	check_setting(&cfg, 7, "Only Quotes", "\"", 8);
	check_setting(&cfg, 8, "Spaced", "after comma", 9);
	check_setting(&cfg, 9, "Tabbed", "v", 10);
	check_clean(&cfg);
	botconfig_free(&cfg);
}

static void test_multiline(void)
{
	struct botconfig cfg;

	CHECK_INT(parse("name,value\n"
			"Prompt,\"You are a helpful bot.\n"
			"# not a comment: part of the value\n"
			"\n"
			"Answer briefly, kindly.\"\n"
			"After,1\n"
			"\"Two\n"
			"Line Name\",2\n"
			"Last,\"a\n"
			"b\"",
			&cfg),
		  0);
	CHECK_INT(cfg.count, 3);
	check_setting(&cfg, 0, "Prompt",
		      "You are a helpful bot.\n"
		      "# not a comment: part of the value\n"
		      "\n"
		      "Answer briefly, kindly.",
		      2);
	check_setting(&cfg, 1, "After", "1", 6);
	check_setting(&cfg, 2, "Last", "a\nb", 9);
	CHECK_INT(cfg.problem_count, 1);
	CHECK_STR(cfg.problems, "7: name holds a control character");
	CHECK(!cfg.malformed);
	botconfig_free(&cfg);

	/* line breaks inside values are kept as written */
	CHECK_INT(parse("A,\"x\r\ny\"\r\nB,\"p\rq\"\rC,3\r\n", &cfg), 0);
	CHECK_INT(cfg.count, 3);
	check_setting(&cfg, 0, "A", "x\r\ny", 1);
	check_setting(&cfg, 1, "B", "p\rq", 3);
	check_setting(&cfg, 2, "C", "3", 5);
	check_clean(&cfg);
	botconfig_free(&cfg);
}

static void test_comments_and_blanks(void)
{
	struct botconfig cfg;

	CHECK_INT(parse("# Bot settings, edited by hand \"quoted\n"
			"\n"
			"   \n"
			"\t\n"
			"name,value\n"
			"#Theme Color,red\n"
			"Theme Color,blue\n"
			",\n"
			" , ,\n"
			"\"\",\"\"\n"
			"  # indented,is a setting\n"
			"Color#2,green # not a comment\n",
			&cfg),
		  0);
	CHECK_INT(cfg.count, 3);
	/* the header still counts: comments and blanks come before it */
	check_setting(&cfg, 0, "Theme Color", "blue", 7);
	check_setting(&cfg, 1, "# indented", "is a setting", 11);
	check_setting(&cfg, 2, "Color#2", "green # not a comment", 12);
	check_clean(&cfg);
	botconfig_free(&cfg);

	CHECK_INT(parse("# only a comment", &cfg), 0);
	CHECK_INT(cfg.count, 0);
	check_clean(&cfg);
	botconfig_free(&cfg);
}

static void test_header(void)
{
	struct botconfig cfg;

	CHECK_INT(parse(" Name , VALUE \nname,x\n", &cfg), 0);
	CHECK_INT(cfg.count, 1);
	check_setting(&cfg, 0, "name", "x", 2);
	check_clean(&cfg);
	botconfig_free(&cfg);

	CHECK_INT(parse("\"name\",\"value\"\r\n", &cfg), 0);
	CHECK_INT(cfg.count, 0);
	check_clean(&cfg);
	botconfig_free(&cfg);

	/* only the first record can be the header */
	CHECK_INT(parse("A,1\nname,value\n", &cfg), 0);
	CHECK_INT(cfg.count, 2);
	check_setting(&cfg, 1, "name", "value", 2);
	botconfig_free(&cfg);

	CHECK_INT(parse("name,values\n", &cfg), 0);
	CHECK_INT(cfg.count, 1);
	check_setting(&cfg, 0, "name", "values", 1);
	botconfig_free(&cfg);

	CHECK_INT(parse("name,value,comment\nA,1\n", &cfg), 0);
	CHECK_INT(cfg.count, 1);
	CHECK(cfg.malformed);
	botconfig_free(&cfg);
}

static void test_line_endings_and_bom(void)
{
	struct botconfig cfg;

	CHECK_INT(parse("\xef\xbb\xbfname,value\r\nA,1\r\n\r\nB, 2 \r\n", &cfg),
		  0);
	CHECK_INT(cfg.count, 2);
	check_setting(&cfg, 0, "A", "1", 2);
	check_setting(&cfg, 1, "B", "2", 4);
	check_clean(&cfg);
	botconfig_free(&cfg);

	/* a BOM before a comment, lone CRs as old Mac files have them */
	CHECK_INT(parse("\xef\xbb\xbf# c\rA,1\r\rB,2", &cfg), 0);
	CHECK_INT(cfg.count, 2);
	check_setting(&cfg, 0, "A", "1", 2);
	check_setting(&cfg, 1, "B", "2", 4);
	check_clean(&cfg);
	botconfig_free(&cfg);

	/* a BOM anywhere else is part of the text */
	CHECK_INT(parse("A,\xef\xbb\xbfx\n", &cfg), 0);
	check_setting(&cfg, 0, "A", "\xef\xbb\xbfx", 1);
	botconfig_free(&cfg);
}

static void test_duplicates(void)
{
	char text[200];
	struct botconfig cfg;

	CHECK_INT(parse("name,value\n"
			"Theme Color,blue\n"
			"Bot Name,Demo\n"
			"Theme Color,red\n"
			"  Theme Color  ,green\n"
			"theme color,lower case is another name\n",
			&cfg),
		  0);
	CHECK_INT(cfg.count, 3);
	check_setting(&cfg, 0, "Theme Color", "blue", 2);
	check_setting(&cfg, 2, "theme color", "lower case is another name", 6);
	CHECK_STR(botconfig_get(&cfg, "Theme Color"), "blue");
	CHECK_INT(cfg.problem_count, 2);
	CHECK_STR(cfg.problems,
		  "4: 'Theme Color' given again, first on line 2 which is "
		  "kept\n"
		  "5: 'Theme Color' given again, first on line 2 which is "
		  "kept");
	CHECK(!cfg.malformed);
	botconfig_free(&cfg);

	/* a long name is cut in the problem, on a character boundary */
	snprintf(text, sizeof(text), "%s,1\n%s,2\n",
		 "\xc3\xa9xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\xc3\xa9yyyy",
		 "\xc3\xa9xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\xc3\xa9yyyy");
	CHECK_INT(parse(text, &cfg), 0);
	CHECK_INT(cfg.count, 1);
	CHECK_STR(cfg.problems,
		  "2: '\xc3\xa9xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...' given "
		  "again, first on line 1 which is kept");
	botconfig_free(&cfg);
}

static void test_malformed(void)
{
	struct botconfig cfg;

	CHECK_INT(parse("name,value\n"
			"Theme Color\n"
			"Greeting,Hello, world\n"
			"A,1\n"
			"Say,He said \"hi\"\n"
			"Color,\"blue\"ish\n"
			"Multi,\"one\n"
			"two\" three\n"
			"B,2\n",
			&cfg),
		  0);
	CHECK_INT(cfg.count, 2);
	check_setting(&cfg, 0, "A", "1", 4);
	check_setting(&cfg, 1, "B", "2", 9);
	CHECK(cfg.malformed);
	CHECK_INT(cfg.problem_count, 5);
	CHECK_STR(cfg.problems,
		  "2: 1 field where name,value was expected\n"
		  "3: 3 fields where name,value was expected: quote a value "
		  "that holds a comma\n"
		  "5: misplaced quote: put the whole value in quotes and "
		  "double each quote inside it\n"
		  "6: misplaced quote: put the whole value in quotes and "
		  "double each quote inside it\n"
		  "8: misplaced quote: put the whole value in quotes and "
		  "double each quote inside it");
	botconfig_free(&cfg);
}

static void test_names(void)
{
	struct botconfig cfg;

	CHECK_INT(parse(",orphan value\n"
			"\"   \",x\n"
			"\"Tab\tInside\",x\n"
			"\"Line\nBreak\",x\n"
			"Good,1\n",
			&cfg),
		  0);
	CHECK_INT(cfg.count, 1);
	check_setting(&cfg, 0, "Good", "1", 6);
	CHECK(!cfg.malformed);
	CHECK_INT(cfg.problem_count, 4);
	CHECK_STR(cfg.problems, "1: empty name\n"
				"2: empty name\n"
				"3: name holds a control character\n"
				"4: name holds a control character");
	botconfig_free(&cfg);
}

static void test_utf8(void)
{
	static const char text[] =
		"Sauda\xc3\xa7\xc3\xa3o,Ol\xc3\xa1 \xe2\x9c\x93 \xf0\x9f\x98\x80\n"
		"Latin1,Ol\xe1\n"
		"Nul,a\0b\n"
		"Overlong,\xc0\xaf\n"
		"Surrogate,\xed\xa0\x80\n"
		"Cut,\xe2\x9c\n"
		"Too\xff,x\n";
	struct botconfig cfg;

	CHECK_INT(botconfig_parse(text, sizeof(text) - 1, &cfg), 0);
	CHECK_INT(cfg.count, 7);
	check_setting(&cfg, 0, "Sauda\xc3\xa7\xc3\xa3o",
		      "Ol\xc3\xa1 \xe2\x9c\x93 \xf0\x9f\x98\x80", 1);
	check_setting(&cfg, 1, "Latin1", "Ol\xef\xbf\xbd", 2);
	check_setting(&cfg, 2, "Nul",
		      "a\xef\xbf\xbd"
		      "b",
		      3);
	check_setting(&cfg, 3, "Overlong", "\xef\xbf\xbd\xef\xbf\xbd", 4);
	check_setting(&cfg, 4, "Surrogate",
		      "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", 5);
	check_setting(&cfg, 5, "Cut", "\xef\xbf\xbd\xef\xbf\xbd", 6);
	check_setting(&cfg, 6, "Too\xef\xbf\xbd", "x", 7);
	CHECK(!cfg.malformed);
	CHECK_INT(cfg.problem_count, 6);
	CHECK_STR(cfg.problems,
		  "2: bytes that are not UTF-8 text, replaced by U+FFFD\n"
		  "3: bytes that are not UTF-8 text, replaced by U+FFFD\n"
		  "4: bytes that are not UTF-8 text, replaced by U+FFFD\n"
		  "5: bytes that are not UTF-8 text, replaced by U+FFFD\n"
		  "6: bytes that are not UTF-8 text, replaced by U+FFFD\n"
		  "7: bytes that are not UTF-8 text, replaced by U+FFFD");
	botconfig_free(&cfg);
}

static void test_unterminated_quote(void)
{
	struct botconfig cfg;

	CHECK_INT(parse("A,1\n"
			"B,\"never closed\n"
			"C,3\n"
			"D,4\n",
			&cfg),
		  0);
	CHECK_INT(cfg.count, 1);
	check_setting(&cfg, 0, "A", "1", 1);
	CHECK(cfg.malformed);
	CHECK_STR(cfg.problems, "2: quote never closed: the record starting "
				"here is ignored");
	botconfig_free(&cfg);

	CHECK_INT(parse("\"", &cfg), 0);
	CHECK_INT(cfg.count, 0);
	CHECK(cfg.malformed);
	CHECK_INT(cfg.problem_count, 1);
	botconfig_free(&cfg);
}

static void test_empty(void)
{
	static const char *const texts[] = {
		"",
		"\n\n\n",
		"\xef\xbb\xbf",
		"\xef\xbb\xbf\r\n",
		"name,value",
		" \t \r\n# x\n",
	};
	struct botconfig cfg;

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		CHECK_INT(parse(texts[i], &cfg), 0);
		CHECK_INT(cfg.count, 0);
		check_clean(&cfg);
		botconfig_free(&cfg);
	}

	/* text need not be NUL-terminated, nor read past len */
	CHECK_INT(botconfig_parse("A,1\nB,2", 3, &cfg), 0);
	CHECK_INT(cfg.count, 1);
	check_setting(&cfg, 0, "A", "1", 1);
	botconfig_free(&cfg);
}

static uint32_t rnd_state = 2463534242u;

static uint32_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

/* Whatever the input, the settings keep the promises of botconfig.h. */
static bool settings_sound(const struct botconfig *cfg)
{
	for (size_t i = 0; i < cfg->count; i++) {
		const struct botconfig_setting *s = &cfg->settings[i];

		if (!s->name || !s->name[0] || !s->value || s->line < 1)
			return false;
		if (i > 0 && s->line <= cfg->settings[i - 1].line)
			return false;
		if (botconfig_get(cfg, s->name) != s->value)
			return false;
	}
	return true;
}

static void test_garbage(void)
{
	static const char alphabet[] = "ab,\"\n\r #\t\0\xff\xc3";
	char *text = malloc(64 << 10);
	struct botconfig cfg;

	for (unsigned round = 0; round < 200 && text; round++) {
		size_t len = rnd() % (64 << 10);

		for (size_t i = 0; i < len; i++)
			text[i] =
				round % 2 ? (char)rnd() : alphabet[rnd() % 13];
		CHECK_INT(botconfig_parse(text, len, &cfg), 0);
		CHECK(settings_sound(&cfg));
		CHECK(cfg.problem_count == 0 || cfg.problems);
		botconfig_free(&cfg);
	}
	free(text);

	/* a file of garbage lines: every problem counted, the first shown */
	text = malloc(300 * 4);
	if (!text)
		return;
	for (size_t i = 0; i < 300; i++)
		memcpy(text + i * 4, "xyz\n", 4);
	CHECK_INT(botconfig_parse(text, 300 * 4, &cfg), 0);
	CHECK_INT(cfg.problem_count, 300);
	CHECK(cfg.problems &&
	      strstr(cfg.problems,
		     "\n100: 1 field where name,value was expected") &&
	      !strstr(cfg.problems, "\n101:"));
	botconfig_free(&cfg);
	free(text);
}

static void test_bounds(void)
{
	size_t len = (BOTCONFIG_SETTINGS_MAX + 1) * 16;
	char *text = malloc(BOTCONFIG_FILE_MAX + 1);
	struct botconfig cfg = {.count = 7};
	char line[32];
	char *end;

	if (!text)
		return;
	memset(text, '\n', BOTCONFIG_FILE_MAX + 1);
	CHECK_INT(botconfig_parse(text, BOTCONFIG_FILE_MAX + 1, &cfg), -EFBIG);
	CHECK(is_zeroed(&cfg));
	CHECK_INT(botconfig_parse(text, BOTCONFIG_FILE_MAX, &cfg), 0);
	CHECK_INT(cfg.count, 0);
	botconfig_free(&cfg);

	/* one value as long as the file may be */
	memcpy(text, "Big,\"", 5);
	text[BOTCONFIG_FILE_MAX - 1] = '"';
	CHECK_INT(botconfig_parse(text, BOTCONFIG_FILE_MAX, &cfg), 0);
	CHECK_INT(cfg.count, 1);
	CHECK(cfg.count == 1 &&
	      strlen(cfg.settings[0].value) == BOTCONFIG_FILE_MAX - 6);
	botconfig_free(&cfg);

	end = text;
	for (unsigned i = 1; i <= BOTCONFIG_SETTINGS_MAX + 1; i++) {
		int n = snprintf(line, sizeof(line), "k%u,%u\n", i, i);

		memcpy(end, line, (size_t)n);
		end += n;
	}
	CHECK((size_t)(end - text) < len);
	CHECK_INT(botconfig_parse(text, (size_t)(end - text), &cfg), 0);
	CHECK_INT(cfg.count, BOTCONFIG_SETTINGS_MAX);
	CHECK(cfg.malformed);
	CHECK_STR(cfg.problems, "10001: more than 10000 settings, the rest of "
				"the file is ignored");
	CHECK_STR(botconfig_get(&cfg, "k10000"), "10000");
	botconfig_free(&cfg);

	/* exactly the maximum is fine */
	end -= strlen("k10001,10001\n");
	CHECK_INT(botconfig_parse(text, (size_t)(end - text), &cfg), 0);
	CHECK_INT(cfg.count, BOTCONFIG_SETTINGS_MAX);
	check_clean(&cfg);
	botconfig_free(&cfg);
	free(text);
}

static bool same_settings(const struct botconfig *a, const struct botconfig *b)
{
	if (a->count != b->count)
		return false;
	for (size_t i = 0; i < a->count; i++)
		if (strcmp(a->settings[i].name, b->settings[i].name) != 0 ||
		    strcmp(a->settings[i].value, b->settings[i].value) != 0)
			return false;
	return true;
}

static void test_json(void)
{
	static const char text[] =
		"Zeta,last letter first\n"
		"Alpha,\"comma, \"\"quote\"\" and \\ backslash / slash\"\n"
		"Sauda\xc3\xa7\xc3\xa3o,\xf0\x9f\x98\x80 \xe2\x9c\x93\n"
		"Control,\"tab\there\nline\x01\x1f\x7f\"\n"
		"Empty,\n";
	struct botconfig cfg, back;
	char *json;

	CHECK_INT(parse("A,1\nB,\"x,y\"\n", &cfg), 0);
	json = botconfig_to_json(&cfg);
	CHECK_STR(json, "{\"A\":\"1\",\"B\":\"x,y\"}");
	free(json);
	botconfig_free(&cfg);

	CHECK_INT(parse(text, &cfg), 0);
	CHECK_INT(cfg.count, 5);
	json = botconfig_to_json(&cfg);
	CHECK(json != NULL);
	CHECK_INT(botconfig_from_json(json, json ? strlen(json) : 0, &back), 0);
	CHECK(same_settings(&cfg, &back));
	CHECK_STR(back.settings[0].name, "Zeta");
	CHECK_INT(back.settings[0].line, 0);
	check_clean(&back);
	botconfig_free(&back);
	free(json);
	botconfig_free(&cfg);

	memset(&cfg, 0, sizeof(cfg));
	json = botconfig_to_json(&cfg);
	CHECK_STR(json, "{}");
	CHECK_INT(botconfig_from_json(json, 2, &back), 0);
	CHECK_INT(back.count, 0);
	botconfig_free(&back);
	free(json);
}

static void test_json_refused(void)
{
	static const char *const refused[] = {
		"",
		"[]",
		"\"text\"",
		"{\"A\":1}",
		"{\"A\":null}",
		"{\"A\":{\"B\":\"C\"}}",
		"{\"A\":\"1\"",
		"{\"A\":\"1\"} trailing",
		"{\"A\":\"1\"}{}",
		"{\"\":\"empty name\"}",
		"{\"Tab\\tName\":\"x\"}",
		"{\"A\":\"nul \\u0000 inside\"}",
		"{\"A\":\"\xff\"}",
		"{'A':'1'}",
	};
	struct botconfig back = {.count = 3};

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		int rc = botconfig_from_json(refused[i], strlen(refused[i]),
					     &back);

		if (rc != -EINVAL)
			fprintf(stderr, "accepted: %s\n", refused[i]);
		CHECK_INT(rc, -EINVAL);
		CHECK(is_zeroed(&back));
	}

	/* the length given is what counts, not a NUL */
	CHECK_INT(botconfig_from_json("{\"A\":\"1\"}xx", 9, &back), 0);
	CHECK_INT(back.count, 1);
	CHECK_STR(botconfig_get(&back, "A"), "1");
	botconfig_free(&back);
}

static char *diff_of(const char *old_text, const char *new_text)
{
	struct botconfig old, new;
	char *diff;

	CHECK_INT(parse(old_text, &old), 0);
	CHECK_INT(parse(new_text, &new), 0);
	diff = botconfig_diff(&old, &new);
	botconfig_free(&old);
	botconfig_free(&new);
	return diff;
}

static void check_diff(const char *old_text, const char *new_text,
		       const char *want)
{
	char *diff = diff_of(old_text, new_text);

	CHECK_STR(diff, want);
	free(diff);
}

static void test_diff(void)
{
	check_diff("A,1\nB,2\n", "B,2\nA,1\n", "");
	check_diff("", "", "");
	check_diff("", "A,1\nB,2\n", "+A, +B");
	check_diff("A,1\nB,2\n", "", "-A, -B");
	check_diff("Keep,1\n"
		   "Gone One,x\n"
		   "Changed,old\n"
		   "Gone Two,y\n",
		   "New Late,1\n"
		   "Changed,new\n"
		   "Keep,1\n"
		   "Added,\"a, b\"\n",
		   "+New Late, ~Changed, +Added, -Gone One, -Gone Two");
	/* case matters in names and values, as it does for the bot */
	check_diff("A,x\n", "a,x\nA,X\n", "+a, ~A");
	/* a value that only gains spaces inside quotes has changed */
	check_diff("A,x\n", "A,\" x\"\n", "~A");
	check_diff("A,x\n", "A,  x  \n", "");
}

/* Append one "name,value" line at *end, within buf of size cap. */
static void put_line(char *buf, size_t cap, char **end, const char *name,
		     const char *value)
{
	size_t used = (size_t)(*end - buf);
	int n = snprintf(*end, cap - used, "%s,%s\n", name, value);

	CHECK(n > 0 && (size_t)n < cap - used);
	*end += n;
}

static void test_diff_many(void)
{
	size_t n = 3000, cap = n * 16;
	char *old_text = malloc(cap), *new_text = malloc(cap);
	char name[16], value[16];
	char *diff, *o, *w;

	if (!old_text || !new_text) {
		free(old_text);
		free(new_text);
		return;
	}
	o = old_text;
	w = new_text;
	for (size_t i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "k%zu", i);
		snprintf(value, sizeof(value), "%zu", i == 20 ? 0 : i);
		put_line(old_text, cap, &o, name, name + 1);
		if (i != 10)
			put_line(new_text, cap, &w, name, value);
	}
	put_line(new_text, cap, &w, "k3000", "new");
	diff = diff_of(old_text, new_text);
	CHECK_STR(diff, "~k20, +k3000, -k10");
	free(diff);
	free(old_text);
	free(new_text);
}

int main(void)
{
	test_plain();
	test_quotes_and_spaces();
	test_multiline();
	test_comments_and_blanks();
	test_header();
	test_line_endings_and_bom();
	test_duplicates();
	test_malformed();
	test_names();
	test_utf8();
	test_unterminated_quote();
	test_empty();
	test_garbage();
	test_bounds();
	test_json();
	test_json_refused();
	test_diff();
	test_diff_many();
	return check_summary();
}
