/*
 * basic_commands.c - the bot statements of the dialect, as one table.
 *
 * A row is a phrase of one to four words, the shape of what follows it,
 * and where it may stand: on a line of its own, as the value of an
 * assignment, or both.  The dialect grows by adding rows; the parser has
 * no code for any one of them.  Phrases are matched longest first, so
 * "SET BOT MEMORY" wins over a "SET" assignment and "GET BOT MEMORY" over
 * an HTTP "GET".
 */
#include <string.h>
#include <strings.h>

#include "basic_internal.h"

#define BOTH	  true, true
#define STATEMENT false, true
#define VALUE	  true, false

static const struct command commands[] = {
	/* knowledge, tools, models */
	{"USE KB", SHAPE_ARGS, STATEMENT},
	{"USE TOOL", SHAPE_ARGS, STATEMENT},
	{"USE WEBSITE", SHAPE_ARGS, STATEMENT},
	{"USE MODEL", SHAPE_ARGS, STATEMENT},
	{"CLEAR KB", SHAPE_ARGS, STATEMENT},
	{"CLEAR TOOLS", SHAPE_ARGS, STATEMENT},
	{"CLEAR SUGGESTIONS", SHAPE_ARGS, STATEMENT},
	{"CLEAR WEBSITES", SHAPE_ARGS, STATEMENT},
	{"ADD TOOL", SHAPE_ARGS, STATEMENT},
	{"ADD KB", SHAPE_ARGS, STATEMENT},
	{"ADD SUGGESTION", SHAPE_KEY_AS, STATEMENT},
	{"ADD SWITCHER", SHAPE_KEY_AS, STATEMENT},
	{"ADD MEMBER", SHAPE_ARGS, STATEMENT},
	/* the conversation and the bot's state */
	{"SET CONTEXT", SHAPE_KEY_AS, STATEMENT},
	{"SET SCHEDULE", SHAPE_ARGS, STATEMENT},
	{"SET BOT MEMORY", SHAPE_ARGS, STATEMENT},
	{"SET USER MEMORY", SHAPE_ARGS, STATEMENT},
	{"SET USER", SHAPE_ARGS, STATEMENT},
	{"SET HEADER", SHAPE_ARGS, STATEMENT},
	{"SET PAGE MODE", SHAPE_ARGS, STATEMENT},
	{"GET BOT MEMORY", SHAPE_ARGS, VALUE},
	{"GET USER MEMORY", SHAPE_ARGS, VALUE},
	{"REMEMBER", SHAPE_ARGS, STATEMENT},
	{"TRANSFER TO HUMAN", SHAPE_ARGS, STATEMENT},
	/* messages and files */
	{"SEND EMAIL", SHAPE_ARGS, STATEMENT},
	{"SEND MAIL", SHAPE_ARGS, STATEMENT},
	{"SEND FILE", SHAPE_ARGS, STATEMENT},
	{"SEND SMS", SHAPE_ARGS, STATEMENT},
	{"SEND TEMPLATE", SHAPE_ARGS, STATEMENT},
	{"DOWNLOAD", SHAPE_ARGS, BOTH},
	{"UPLOAD", SHAPE_ARGS, BOTH},
	{"READ", SHAPE_ARGS, VALUE},
	{"WRITE", SHAPE_ARGS, STATEMENT},
	{"COPY", SHAPE_ARGS, STATEMENT},
	{"MOVE", SHAPE_ARGS, STATEMENT},
	{"CONVERT", SHAPE_ARGS, VALUE},
	/* data */
	{"SAVE FROM UNSTRUCTURED", SHAPE_ARGS, BOTH},
	{"SAVE", SHAPE_ARGS, BOTH},
	{"INSERT", SHAPE_ARGS, BOTH},
	{"UPDATE", SHAPE_ARGS, BOTH},
	{"DELETE", SHAPE_ARGS, BOTH},
	{"MERGE", SHAPE_ARGS, BOTH},
	{"FIND", SHAPE_ARGS, VALUE},
	{"FILTER", SHAPE_ARGS, VALUE},
	{"AGGREGATE", SHAPE_ARGS, VALUE},
	{"CHART", SHAPE_ARGS, VALUE},
	/* the web */
	{"WEBHOOK", SHAPE_ARGS, STATEMENT},
	{"GET", SHAPE_ARGS, VALUE},
	{"POST", SHAPE_ARGS, BOTH},
	{"PUT", SHAPE_ARGS, BOTH},
	{"PATCH", SHAPE_ARGS, BOTH},
	{"DELETE HTTP", SHAPE_ARGS, BOTH},
	{"GRAPHQL", SHAPE_ARGS, VALUE},
	{"SOAP", SHAPE_ARGS, VALUE},
	{"SCRAPE", SHAPE_ARGS, VALUE},
	/* models */
	{"LLM", SHAPE_ARGS, VALUE},
	{"SUMMARIZE", SHAPE_ARGS, VALUE},
	{"TRANSLATE", SHAPE_ARGS, VALUE},
	{"CREATE SITE", SHAPE_ARGS, BOTH},
	{"CREATE DRAFT", SHAPE_ARGS, BOTH},
	/* underscore-named builtins */
	{"CREATE_TASK", SHAPE_ARGS, BOTH},
	{"CREATE_USER", SHAPE_ARGS, BOTH},
	{"ADD_MEMBER", SHAPE_ARGS, BOTH},
	{"BOOK_MEETING", SHAPE_ARGS, BOTH},
	{"SEND_MAIL", SHAPE_ARGS, STATEMENT},
	{"USE_KB", SHAPE_ARGS, STATEMENT},
	{"USE_TOOL", SHAPE_ARGS, STATEMENT},
	{"SET_CONTEXT", SHAPE_KEY_AS, STATEMENT},
	{"ADD_SUGGESTION", SHAPE_KEY_AS, STATEMENT},
	{"CLEAR_SUGGESTIONS", SHAPE_ARGS, STATEMENT},
	{"GENERATE_PDF", SHAPE_ARGS, BOTH},
	{"QR_CODE", SHAPE_ARGS, VALUE},
	{"HTTP_GET", SHAPE_ARGS, VALUE},
	{"HTTP_POST", SHAPE_ARGS, BOTH},
};

#define COMMAND_COUNT (sizeof(commands) / sizeof(commands[0]))

/* Does the phrase's word count equal the tokens from the current one? */
static unsigned spelled_words(struct lexer *lx, const char *phrase)
{
	unsigned words = 0;

	while (*phrase) {
		const char *blank = strchr(phrase, ' ');
		size_t len = blank ? (size_t)(blank - phrase) : strlen(phrase);
		const struct token *t = lexer_peek(lx, words);

		if (t->kind != TOKEN_IDENT || t->len != len ||
		    strncasecmp(t->start, phrase, len) != 0)
			return 0;
		words++;
		phrase += len + (blank ? 1 : 0);
	}
	return words;
}

const struct command *command_match(struct lexer *lx, unsigned *words)
{
	const struct command *best = NULL;
	unsigned best_words = 0;

	if (lexer_peek(lx, 0)->kind != TOKEN_IDENT)
		return NULL;
	for (size_t i = 0; i < COMMAND_COUNT; i++) {
		unsigned n = spelled_words(lx, commands[i].phrase);

		if (n > best_words) {
			best = &commands[i];
			best_words = n;
		}
	}
	*words = best_words;
	return best;
}

bool parse_command_arguments(struct parser *p, const struct command *c,
			     struct basic_node *node)
{
	struct basic_node *key;

	if (c->shape == SHAPE_ARGS || at_statement_end(p))
		return parse_argument_list(p, node);

	/* SHAPE_KEY_AS: key AS value, or key, value. */
	key = parse_expression(p);
	if (!key)
		return false;
	node_add(node, key);
	if (token_is(lexer_peek(&p->lx, 0), "AS") ||
	    token_is_op(lexer_peek(&p->lx, 0), ",")) {
		struct basic_node *value;

		lexer_next(&p->lx);
		value = parse_expression(p);
		if (!value)
			return false;
		node_add(node, value);
	}
	return true;
}
