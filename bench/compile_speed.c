/*
 * compile_speed.c - source megabytes the BASIC compiler reads per second,
 * on one core, over a large generated script.
 *
 * The script repeats a block that uses most of the dialect (tool
 * metadata aside): assignments, IF blocks, loops, SELECT, bot commands
 * with clauses, templates, object and array literals, a SUB per block.
 * It is as large as the compiler takes (BASIC_SOURCE_MAX).  Each round
 * compiles it once; the figures are the median of the rounds in CPU time
 * of this thread, so other load on the machine counts little.  A second
 * figure includes writing the tree as JSON, as the agent does.
 *
 * Usage: compile_speed [ROUNDS]   (default 9)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "basic.h"

static const char block[] =
	"' block %u\n"
	"total%u = price * quantity + tax(%u) - discount / 2\n"
	"IF total%u > 100 AND customer.vip = TRUE THEN\n"
	"    TALK \"Dear ${customer.name}, your total is ${total%u}.\"\n"
	"ELSE IF total%u > 50 THEN\n"
	"    TALK \"Almost there: \" & FORMAT(total%u, \"0.00\")\n"
	"ELSE\n"
	"    SEND EMAIL TO customer.email SUBJECT \"Order %u\" BODY text\n"
	"END IF\n"
	"FOR i = 1 TO 10 STEP 2\n"
	"    items[i] = {name: \"item\", qty: i, tags: [\"a\", \"b\"]}\n"
	"NEXT i\n"
	"SELECT CASE status\n"
	"    CASE \"open\", \"new\"\n"
	"        SAVE \"orders.csv\", id, total%u, NOW()\n"
	"    CASE ELSE\n"
	"        rows = FIND \"orders.csv\", \"status=\" & status\n"
	"END SELECT\n"
	"SUB step%u(value AS NUMBER)\n"
	"    IF value IS NULL THEN EXIT SUB\n"
	"    answer = LLM \"Summarize \" & value\n"
	"END SUB\n"
	"step%u total%u\n\n";

static double cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *generate(size_t *len)
{
	char *text = malloc(BASIC_SOURCE_MAX);
	char piece[2048];
	size_t used = 0;

	if (!text)
		return NULL;
	for (unsigned i = 0;; i++) {
		int n = snprintf(piece, sizeof(piece), block, i, i, i, i, i, i,
				 i, i, i, i, i, i);

		if (n < 0 || used + (size_t)n > BASIC_SOURCE_MAX)
			break;
		memcpy(text + used, piece, (size_t)n);
		used += (size_t)n;
	}
	*len = used;
	return text;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Seconds of one compile (and JSON when with_json), or -1 on failure. */
static double one_round(const char *text, size_t len, bool with_json)
{
	struct basic_unit *unit;
	double start = cpu_seconds();
	char *json = NULL;

	if (basic_compile(text, len, &unit) < 0 || unit->errors > 0) {
		basic_unit_free(unit);
		return -1;
	}
	if (with_json)
		json = basic_ast_json(unit, false);
	basic_unit_free(unit);
	free(json);
	return cpu_seconds() - start;
}

static double median_mb_per_s(const char *text, size_t len, unsigned rounds,
			      bool with_json)
{
	double *seconds = calloc(rounds, sizeof(*seconds)), median;

	if (!seconds)
		return -1;
	for (unsigned r = 0; r < rounds; r++)
		if ((seconds[r] = one_round(text, len, with_json)) < 0) {
			free(seconds);
			return -1;
		}
	qsort(seconds, rounds, sizeof(*seconds), by_value);
	median = seconds[rounds / 2];
	free(seconds);
	return (double)len / (1024.0 * 1024.0) / median;
}

int main(int argc, char **argv)
{
	unsigned rounds = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 9;
	double parse, with_json;
	size_t len;
	char *text = generate(&len);

	if (!text || rounds == 0) {
		fprintf(stderr, "usage: compile_speed [ROUNDS]\n");
		return 2;
	}
	parse = median_mb_per_s(text, len, rounds, false);
	with_json = median_mb_per_s(text, len, rounds, true);
	free(text);
	if (parse < 0 || with_json < 0) {
		fprintf(stderr, "compile_speed: the generated script did not "
				"compile cleanly\n");
		return 1;
	}
	printf("compile, %.1f MiB script, median of %u: %.1f MiB/s "
	       "(aim 20, ratio %.2f); with the AST as JSON: %.1f MiB/s\n",
	       (double)len / (1024.0 * 1024.0), rounds, parse, parse / 20.0,
	       with_json);
	return 0;
}
