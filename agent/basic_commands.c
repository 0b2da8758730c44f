/*
 * basic_commands.c - the bot statements of the dialect, as one table.
 *
 * A row is a phrase of one to four words.  What follows a phrase is a
 * list of values separated by commas, in which clause words (TO, AS,
 * WITH, SUBJECT...) may also mark a value, as bot authors write
 * "SEND EMAIL TO a SUBJECT s BODY b" or "ADD SUGGESTION k AS text".  A
 * command stands on a line of its own or yields a value anywhere an
 * expression may ("IF GET "tier" = "vip" THEN").  The dialect grows by
 * adding rows; the parser has no code for any one of them.  Phrases are
 * matched longest first, so "SET BOT MEMORY" wins over a SET assignment
 * and "GET BOT MEMORY" over an HTTP GET.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "basic_internal.h"

static const char *const commands[] = {
	/* knowledge, tools, models */
	"USE KB",
	"USE TOOL",
	"USE WEBSITE",
	"USE MODEL",
	"USE MCP",
	"CLEAR KB",
	"CLEAR TOOLS",
	"CLEAR SUGGESTIONS",
	"CLEAR WEBSITES",
	"CLEAR HEADERS",
	"CLEAR ERROR",
	"ADD TOOL",
	"ADD KB",
	"ADD SUGGESTION",
	"ADD SUGGESTION TOOL",
	"ADD SWITCHER",
	"ADD MEMBER",
	"ADD NOTE",
	"REMOVE TOOL",
	"LIST TOOLS",
	"MCP LIST TOOLS",
	"MCP INVOKE",
	/* the conversation and the bot's state */
	"SET CONTEXT",
	"SET SCHEDULE",
	"SET BOT MEMORY",
	"SET USER MEMORY",
	"SET USER",
	"SET HEADER",
	"SET PAGE MODE",
	"SET ANSWER MODE",
	"SET MAX LINES",
	"SET PRIORITY",
	"SET KB",
	"GET BOT MEMORY",
	"GET USER MEMORY",
	"GET LAST",
	"REMEMBER",
	"RECALL",
	"TRANSFER TO HUMAN",
	/* messages */
	"TALK TO",
	"SEND EMAIL",
	"SEND MAIL",
	"SEND FILE",
	"SEND SMS",
	"SEND TEMPLATE",
	"SEND WHATSAPP",
	"SMS",
	"NOTIFY AGENT",
	"TAG CONVERSATION",
	"ANALYZE SENTIMENT",
	"GET TIPS",
	"GET ATTENDANTS",
	/* files */
	"DOWNLOAD",
	"UPLOAD",
	"READ",
	"WRITE",
	"COPY",
	"MOVE",
	"CONVERT",
	"COMPRESS",
	"EXTRACT",
	"DELETE FILE",
	"CREATE FILE",
	"GENERATE PDF",
	"MERGE PDF",
	/* data */
	"SAVE FROM UNSTRUCTURED",
	"SAVE",
	"INSERT",
	"UPDATE",
	"DELETE",
	"MERGE",
	"FIND",
	"FILTER",
	"AGGREGATE",
	"CHART",
	"GROUP BY",
	"APPEND",
	"LOG",
	"TRIGGER",
	/* the web */
	"WEBHOOK",
	"GET",
	"POST",
	"PUT",
	"PATCH",
	"DELETE HTTP",
	"GRAPHQL",
	"SOAP",
	"SCRAPE",
	"POST TO INSTAGRAM",
	"GET INSTAGRAM METRICS",
	"GET INSTAGRAM POSTS",
	/* models and media */
	"LLM",
	"SUMMARIZE",
	"TRANSLATE",
	"REWRITE",
	"CREATE SITE",
	"CREATE DRAFT",
	"CREATE TASK",
	"GET IMAGE",
	"DESCRIBE IMAGE",
	"DESCRIBE VIDEO",
	"SPEECH TO TEXT",
	"PLAY",
	"REFRESH",
	"BOOK",
	/* checks and errors */
	"DEBUG",
	"THROW",
	"ASSERT",
	"IS NUMERIC",
	"IS VALID",
	/* underscore-named builtins */
	"CREATE_TASK",
	"CREATE_USER",
	"ADD_MEMBER",
	"BOOK_MEETING",
	"SEND_MAIL",
	"USE_KB",
	"USE_TOOL",
	"USE_WEBSITE",
	"SET_CONTEXT",
	"ADD_SUGGESTION",
	"ADD_SUGGESTION_TOOL",
	"CLEAR_SUGGESTIONS",
	"GENERATE_PDF",
	"QR_CODE",
	"HTTP_GET",
	"HTTP_POST",
	"ADD_TOOL",
	"REMOVE_TOOL",
	"LIST_TOOLS",
	"CLEAR_TOOLS",
	"ADD_KB",
	"SET_KB",
	"SET_BOT_MEMORY",
	"GET_BOT_MEMORY",
	"SAVE_FROM_UNSTRUCTURED",
	"CLEAR_KB",
	"SET_SCHEDULE",
	"SET_HEADER",
	"CLEAR_HEADERS",
	"DELETE_HTTP",
	"DELETE_FILE",
	"MERGE_PDF",
	"GROUP_BY",
};

#define COMMAND_COUNT (sizeof(commands) / sizeof(commands[0]))

/* Words that may mark a value inside a command's arguments. */
static const char *const clause_words[] = {
	"AS",	   "TO",       "FROM",	 "SUBJECT", "BODY", "USING", "WITH",
	"REFRESH", "TEMPLATE", "PROMPT", "WHERE",   "INTO", "LIMIT", NULL,
};

/*
 * The phrases sorted by their first word, built once: a word is looked up
 * in log time instead of against every row, since the parser asks for
 * every word that starts a statement or a value.
 */
static const char *by_first_word[COMMAND_COUNT];
static pthread_once_t index_once = PTHREAD_ONCE_INIT;

static size_t first_word_len(const char *phrase)
{
	const char *blank = strchr(phrase, ' ');

	return blank ? (size_t)(blank - phrase) : strlen(phrase);
}

static int compare_words(const char *a, size_t a_len, const char *b,
			 size_t b_len)
{
	int c = strncasecmp(a, b, a_len < b_len ? a_len : b_len);

	if (c != 0)
		return c;
	return (a_len > b_len) - (a_len < b_len);
}

static int compare_phrases(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;

	return compare_words(x, first_word_len(x), y, first_word_len(y));
}

static void build_index(void)
{
	memcpy(by_first_word, commands, sizeof(commands));
	qsort(by_first_word, COMMAND_COUNT, sizeof(by_first_word[0]),
	      compare_phrases);
}

/* The first phrase whose first word is the token's, or COMMAND_COUNT. */
static size_t first_candidate(const struct token *t)
{
	size_t lo = 0, hi = COMMAND_COUNT;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *phrase = by_first_word[mid];

		if (compare_words(phrase, first_word_len(phrase), t->start,
				  t->len) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* How many tokens from the current one spell phrase, or 0. */
static unsigned spelled_words(struct lexer *lx, const char *phrase)
{
	unsigned words = 0;

	while (*phrase) {
		size_t len = first_word_len(phrase);
		const struct token *t = lexer_peek(lx, words);

		if (t->kind != TOKEN_IDENT || t->len != len ||
		    strncasecmp(t->start, phrase, len) != 0)
			return 0;
		words++;
		phrase += len + (phrase[len] == ' ');
	}
	return words;
}

const char *command_match(struct lexer *lx, unsigned *words)
{
	const struct token *t = lexer_peek(lx, 0);
	const char *best = NULL;
	unsigned best_words = 0;

	if (t->kind != TOKEN_IDENT)
		return NULL;
	pthread_once(&index_once, build_index);
	for (size_t i = first_candidate(t); i < COMMAND_COUNT; i++) {
		const char *phrase = by_first_word[i];
		unsigned n;

		if (compare_words(phrase, first_word_len(phrase), t->start,
				  t->len) != 0)
			break;
		n = spelled_words(lx, phrase);
		if (n > best_words) {
			best = phrase;
			best_words = n;
		}
	}
	*words = best_words;
	return best;
}

bool command_clause_word(const struct token *t)
{
	for (const char *const *w = clause_words; *w; w++)
		if (token_is(t, *w))
			return true;
	return false;
}

/*
 * A clause word marks a value when a value follows it, or (not right
 * after a comma) another clause word: "SEND MAIL to, subject, body USING
 * x" names variables, "SEND MAIL TO a" and "WITH TEMPLATE t" are clauses.
 */
static bool at_clause(struct parser *p, bool after_comma)
{
	const struct token *next = lexer_peek(&p->lx, 1);

	if (!command_clause_word(lexer_peek(&p->lx, 0)))
		return false;
	if (command_clause_word(next))
		return !after_comma;
	return begins_expression(next) && !token_is_op(next, "-") &&
	       !token_is_op(next, "+");
}

static struct basic_node *clause(struct parser *p, bool in_expression)
{
	struct token word = lexer_next(&p->lx);
	struct basic_node *c = node_new(p, BASIC_CLAUSE, &word);
	const struct token *t = lexer_peek(&p->lx, 0);

	if (!c)
		return NULL;
	if (!command_clause_word(t) && begins_expression(t)) {
		struct basic_node *value =
			in_expression ? parse_operand(p) : parse_expression(p);

		if (!value)
			return NULL;
		node_add(c, value);
	}
	node_finish(p, c);
	return c;
}

/* USE_WEBSITE("url", "30d"): the arguments in parentheses. */
static bool parenthesized_arguments(struct parser *p, struct basic_node *node)
{
	lexer_next(&p->lx);
	return parse_list_until(p, node, ")", parse_expression,
				"',' or ')' in the arguments");
}

static bool argument_list(struct parser *p, struct basic_node *node,
			  bool in_expression);

bool parse_command_arguments(struct parser *p, struct basic_node *node,
			     bool in_expression)
{
	bool ok;

	p->command_args++;
	ok = argument_list(p, node, in_expression);
	p->command_args--;
	return ok;
}

static bool argument_list(struct parser *p, struct basic_node *node,
			  bool in_expression)
{
	bool expect_value = true;

	/* Right after the name, "(" opens the list: f(a, b), not f (a), b. */
	if (token_is_op(lexer_peek(&p->lx, 0), "(") &&
	    lexer_peek(&p->lx, 0)->start == p->lx.prev.start + p->lx.prev.len)
		return parenthesized_arguments(p, node);

	while (!at_statement_end(p)) {
		struct basic_node *item;

		if (at_clause(p, expect_value && node->child)) {
			item = clause(p, in_expression);
		} else if (expect_value) {
			item = in_expression ? parse_operand(p)
					     : parse_expression(p);
		} else {
			break;
		}
		if (!item)
			return false;
		node_add(node, item);

		expect_value = token_is_op(lexer_peek(&p->lx, 0), ",");
		if (expect_value)
			lexer_next(&p->lx);
		else if (!at_clause(p, false))
			break;
	}
	return true;
}
