/*
 * fuzz_botconfig.c - libFuzzer target for the config.csv parser.
 *
 * Each input is parsed as config.csv, and what comes out must keep the
 * promises of botconfig.h: every setting has a name and a value, names are
 * non-empty, free of control characters and unique, lines start at 1 and
 * increase, the problem text has one "LINE: " line per problem shown, in
 * line order, and a malformed file has problems.  The settings must come
 * back unchanged from their JSON form, and differ from it in nothing.  The
 * input is also given to the JSON reader, whose result must survive a
 * second round trip.  A broken contract aborts, which libFuzzer reports as
 * a crash.
 *
 * Build and run from the repository root (the seed corpus is the unit
 * tests' data; new inputs go to the first directory):
 *
 *   clang -g -O1 -std=c17 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
 *     -Iagent tests/unit/fuzz_botconfig.c agent/botconfig.c agent/utf8.c \
 *     -lcsv -ljson-c -o /tmp/fuzz_botconfig
 *   mkdir -p /tmp/fuzz-botconfig-corpus
 *   /tmp/fuzz_botconfig -max_total_time=120 /tmp/fuzz-botconfig-corpus \
 *     tests/unit/data/botconfig
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "botconfig.h"

static void require(bool ok)
{
	if (!ok)
		abort();
}

static void check_settings(const struct botconfig *cfg, bool from_file)
{
	for (size_t i = 0; i < cfg->count; i++) {
		const struct botconfig_setting *s = &cfg->settings[i];

		require(s->name && s->value && s->name[0]);
		for (const char *p = s->name; *p; p++)
			require((unsigned char)*p >= 0x20 && *p != 0x7f);
		require(botconfig_get(cfg, s->name) == s->value);
		if (!from_file)
			require(s->line == 0);
		else if (i == 0)
			require(s->line >= 1);
		else
			require(s->line > cfg->settings[i - 1].line);
	}
}

/* One "LINE: problem" line per problem shown, lines never decreasing. */
static void check_problems(const struct botconfig *cfg)
{
	unsigned shown = 0;
	unsigned long last = 0;
	const char *p = cfg->problems;

	require(!cfg->malformed || cfg->problem_count > 0);
	require(!cfg->problems == !cfg->problem_count);
	while (p) {
		char *end;
		unsigned long line = strtoul(p, &end, 10);

		require(end != p && end[0] == ':' && end[1] == ' ');
		require(line >= 1 && line >= last);
		last = line;
		shown++;
		p = strchr(end, '\n');
		if (p)
			p++;
	}
	require(shown == (cfg->problem_count < BOTCONFIG_PROBLEMS_SHOWN
				  ? cfg->problem_count
				  : BOTCONFIG_PROBLEMS_SHOWN));
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

/* The JSON form gives the same settings back, and no difference. */
static void check_round_trip(const struct botconfig *cfg)
{
	struct botconfig back;
	char *json = botconfig_to_json(cfg);
	char *diff;

	require(json != NULL);
	require(botconfig_from_json(json, strlen(json), &back) == 0);
	require(same_settings(cfg, &back));
	check_settings(&back, false);

	diff = botconfig_diff(cfg, &back);
	require(diff && diff[0] == '\0');
	free(diff);
	botconfig_free(&back);
	free(json);
}

static void fuzz_csv(const char *text, size_t len)
{
	struct botconfig cfg;
	int rc = botconfig_parse(text, len, &cfg);

	if (len > BOTCONFIG_FILE_MAX) {
		require(rc == -EFBIG && cfg.count == 0);
		return;
	}
	require(rc == 0);
	require(cfg.count <= BOTCONFIG_SETTINGS_MAX);
	check_settings(&cfg, true);
	check_problems(&cfg);
	check_round_trip(&cfg);
	botconfig_free(&cfg);
}

static void fuzz_json(const char *json, size_t len)
{
	struct botconfig cfg;
	int rc = botconfig_from_json(json, len, &cfg);

	if (rc < 0) {
		require(rc == -EINVAL && cfg.count == 0 && !cfg.settings);
		return;
	}
	check_settings(&cfg, false);
	require(!cfg.problems && !cfg.problem_count && !cfg.malformed);
	check_round_trip(&cfg);
	botconfig_free(&cfg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;

	fuzz_csv(text, size);
	fuzz_json(text, size);
	return 0;
}
