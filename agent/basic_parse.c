/*
 * basic_parse.c - statements and blocks, and basic_compile() itself.
 *
 * A statement is recognised by its first words, through two tables: the
 * keywords of the language (IF, FOR, SUB, TALK...) here, each with its
 * parse function, and the bot statements (USE KB, SEND MAIL...) in
 * basic_commands.c.  A line that fits neither is an assignment, a call of
 * a SUB or FUNCTION of the file, or an error.  A block parses statements
 * until a line starts with one of its closing phrases.  After an error
 * the parser reports it and resumes at the next line, so that one file
 * gives all its errors at once.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic_internal.h"
#include "utf8.h"

/* ---- the arena ---- */

#define ARENA_CHUNK (64u << 10)

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, size;
	max_align_t data[];
};

struct basic_arena {
	struct arena_chunk *head;
};

struct basic_arena *arena_new(void)
{
	return calloc(1, sizeof(struct basic_arena));
}

void arena_free(struct basic_arena *a)
{
	if (!a)
		return;
	while (a->head) {
		struct arena_chunk *next = a->head->next;

		free(a->head);
		a->head = next;
	}
	free(a);
}

void *arena_alloc(struct basic_arena *a, size_t size)
{
	struct arena_chunk *c = a->head;
	size_t align = sizeof(max_align_t);
	void *mem;

	size = (size + align - 1) / align * align;
	if (!c || c->size - c->used < size) {
		size_t cap = size > ARENA_CHUNK ? size : ARENA_CHUNK;

		c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->size = cap;
		c->used = 0;
		c->next = a->head;
		a->head = c;
	}
	mem = (char *)c->data + c->used;
	c->used += size;
	memset(mem, 0, size);
	return mem;
}

/* ---- nodes and diagnostics ---- */

void parser_report(struct parser *p, enum basic_severity severity,
		   unsigned line, unsigned col, const char *fmt, ...)
{
	struct basic_unit *u = p->unit;
	struct basic_diagnostic *d;
	char message[256];
	va_list ap;

	if (severity == BASIC_ERROR)
		u->errors++;
	else
		u->warnings++;
	if (u->diagnostic_count == BASIC_DIAGNOSTICS_MAX)
		return;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	d = &u->diagnostics[u->diagnostic_count];
	d->message = parser_strndup(p, message, strlen(message));
	if (!d->message)
		return;
	d->severity = severity;
	d->line = line;
	d->col = col;
	u->diagnostic_count++;
}

struct basic_node *node_new(struct parser *p, enum basic_node_kind kind,
			    const struct token *at)
{
	struct basic_node *n = arena_alloc(p->unit->arena, sizeof(*n));

	if (!n)
		return NULL;
	n->kind = kind;
	if (at) {
		n->line = n->end_line = at->line;
		n->col = at->col;
		n->end_col = at->col + (unsigned)at->len;
		n->text = at->start;
		n->text_len = at->len;
	}
	return n;
}

void node_add(struct basic_node *parent, struct basic_node *child)
{
	if (!parent || !child)
		return;
	if (parent->last_child)
		parent->last_child->next = child;
	else
		parent->child = child;
	parent->last_child = child;
}

void node_finish(struct parser *p, struct basic_node *node)
{
	const struct token *last = &p->lx.prev;
	unsigned end_col = last->col + (unsigned)last->len;

	/* Nothing consumed since the node began: it ends where it starts. */
	if (!last->start || last->line < node->line ||
	    (last->line == node->line && end_col < node->col))
		return;
	node->end_line = last->line;
	node->end_col = end_col;
}

char *parser_strndup(struct parser *p, const char *s, size_t len)
{
	char *copy = arena_alloc(p->unit->arena, len + 1);

	if (copy)
		memcpy(copy, s, len);
	return copy;
}

bool parser_enter(struct parser *p, const struct token *at)
{
	if (++p->depth <= BASIC_DEPTH_MAX)
		return true;
	parser_report(p, BASIC_ERROR, at->line, at->col,
		      "nested deeper than %d levels", BASIC_DEPTH_MAX);
	p->depth--;
	return false;
}

void parser_leave(struct parser *p)
{
	p->depth--;
}

/* ---- small steps ---- */

static const struct token *peek(struct parser *p, unsigned n)
{
	return lexer_peek(&p->lx, n);
}

static struct token next(struct parser *p)
{
	return lexer_next(&p->lx);
}

static const char *describe(const struct token *t, char *buf, size_t len)
{
	if (t->kind == TOKEN_NEWLINE)
		return "the end of the line";
	if (t->kind == TOKEN_EOF)
		return "the end of the file";
	snprintf(buf, len, "'%.*s'", (int)(t->len > 40 ? 40 : t->len),
		 t->start);
	return buf;
}

static struct basic_node *expected(struct parser *p, const char *what)
{
	const struct token *t = peek(p, 0);
	char buf[64];

	parser_report(p, BASIC_ERROR, t->line, t->col, "expected %s, found %s",
		      what, describe(t, buf, sizeof(buf)));
	return NULL;
}

static bool expect_word(struct parser *p, const char *word, const char *what)
{
	if (!token_is(peek(p, 0), word)) {
		expected(p, what);
		return false;
	}
	next(p);
	return true;
}

static struct basic_node *name_node(struct parser *p, enum basic_node_kind kind,
				    const char *what)
{
	struct token name;

	if (peek(p, 0)->kind != TOKEN_IDENT)
		return expected(p, what);
	name = next(p);
	return node_new(p, kind, &name);
}

/* A child holding text: the n-th word of a statement ("FOR", "DO"). */
static void set_text(struct basic_node *n, const char *text)
{
	n->text = text;
	n->text_len = text ? strlen(text) : 0;
}

static bool end_of_line(struct parser *p, const char *after)
{
	char what[96];

	if (at_statement_end(p))
		return true;
	snprintf(what, sizeof(what), "the end of the line after %s", after);
	expected(p, what);
	return false;
}

/* ---- blocks ---- */

static struct basic_node *parse_statement(struct parser *p);

/* How many words of the current line spell phrase, or 0. */
static unsigned spells(struct parser *p, const char *phrase)
{
	unsigned words = 0;

	while (*phrase) {
		const char *blank = strchr(phrase, ' ');
		size_t len = blank ? (size_t)(blank - phrase) : strlen(phrase);
		const struct token *t = peek(p, words);

		if (t->kind != TOKEN_IDENT || t->len != len ||
		    strncasecmp(t->start, phrase, len) != 0)
			return 0;
		words++;
		phrase += len + (blank ? 1 : 0);
	}
	return words;
}

/*
 * Does the line start with the closing phrase?  Not when a variable of
 * that name is used: "case.priority = 1" under a FOR EACH case.
 */
static bool closes(struct parser *p, const char *phrase)
{
	unsigned words = spells(p, phrase);
	const struct token *after = peek(p, words);

	return words > 0 && !token_is_op(after, ".") &&
	       !token_is_op(after, "=") && !token_is_op(after, "[");
}

/* Does the line start with a phrase that closes an enclosing block? */
static bool closes_outer_block(struct parser *p)
{
	unsigned tracked =
		p->open_count < BLOCKS_TRACKED ? p->open_count : BLOCKS_TRACKED;

	for (unsigned i = 0; i + 1 < tracked; i++)
		for (const char *const *c = p->open_blocks[i]; *c; c++)
			if (closes(p, *c))
				return true;
	return false;
}

/*
 * Statements into a BLOCK until a line starts with one of closers (a
 * NULL-terminated list of phrases).  Returns the block; *closer is the
 * index of the phrase found, its words not consumed, or -1 when the
 * block was left open: at the end of the file, or at a phrase closing an
 * enclosing block (NEXT under an IF missing its END IF), which is then
 * left for that block.  Either is reported as opened at line:col by what.
 */
static struct basic_node *parse_block(struct parser *p,
				      const char *const *closers, int *closer,
				      const struct token *opened,
				      const char *what)
{
	struct basic_node *block = node_new(p, BASIC_BLOCK, NULL), *statement;
	bool eof_closes = p->eof_closes_block;

	p->eof_closes_block = false;
	*closer = -1;
	if (!block || !parser_enter(p, opened))
		return NULL;
	block->line = block->end_line = opened->line;
	block->col = block->end_col = opened->col;
	if (p->open_count < BLOCKS_TRACKED)
		p->open_blocks[p->open_count] = closers;
	p->open_count++;

	for (;;) {
		const struct token *t = peek(p, 0);

		if (t->kind == TOKEN_NEWLINE) {
			next(p);
			continue;
		}
		for (int i = 0; closers[i] && *closer < 0; i++)
			if (closes(p, closers[i]))
				*closer = i;
		if (*closer >= 0)
			break;
		if (t->kind == TOKEN_EOF && eof_closes)
			break;
		if (t->kind == TOKEN_EOF || closes_outer_block(p)) {
			parser_report(p, BASIC_ERROR, opened->line, opened->col,
				      "%s is never closed with %s", what,
				      closers[0]);
			break;
		}
		statement = parse_statement(p);
		if (statement && !block->child) {
			block->line = statement->line;
			block->col = statement->col;
		}
		node_add(block, statement);
	}

	p->open_count--;
	parser_leave(p);
	node_finish(p, block);
	return block;
}

/* Consume a closing phrase and expect the line to end. */
static bool close_block(struct parser *p, const char *phrase)
{
	for (unsigned n = spells(p, phrase); n > 0; n--)
		next(p);
	return end_of_line(p, phrase);
}

/* ---- the statements of the language ---- */

typedef struct basic_node *(*statement_fn)(struct parser *p,
					   const struct token *first);

static struct basic_node *with_args(struct parser *p, enum basic_node_kind kind,
				    const struct token *first)
{
	struct basic_node *n = node_new(p, kind, first);

	next(p);
	if (!n || !parse_argument_list(p, n))
		return NULL;
	return n;
}

static struct basic_node *talk_statement(struct parser *p,
					 const struct token *first)
{
	return with_args(p, BASIC_TALK, first);
}

static struct basic_node *print_statement(struct parser *p,
					  const struct token *first)
{
	return with_args(p, BASIC_PRINT, first);
}

static struct basic_node *wait_statement(struct parser *p,
					 const struct token *first)
{
	return with_args(p, BASIC_WAIT, first);
}

static struct basic_node *return_statement(struct parser *p,
					   const struct token *first)
{
	struct basic_node *n = node_new(p, BASIC_RETURN, first);

	next(p);
	if (n && !at_statement_end(p))
		node_add(n, parse_value(p));
	return n;
}

/* HEAR name [AS type | AS "option", "option"...] */
static struct basic_node *hear_statement(struct parser *p,
					 const struct token *first)
{
	struct basic_node *n = node_new(p, BASIC_HEAR, first), *target, *opts;

	next(p);
	target = name_node(p, BASIC_IDENTIFIER, "a variable after HEAR");
	if (!n || !target)
		return NULL;
	node_add(n, target);
	if (!token_is(peek(p, 0), "AS"))
		return n;
	next(p);

	if (peek(p, 0)->kind == TOKEN_IDENT) {
		/* HEAR phone AS TEXT "Your phone?": the prompt may follow. */
		node_add(n, name_node(p, BASIC_HEAR_TYPE, "a type"));
		if (!at_statement_end(p))
			node_add(n, parse_expression(p));
		return n;
	}
	opts = node_new(p, BASIC_ARRAY, peek(p, 0));
	if (!opts || !parse_argument_list(p, opts))
		return NULL;
	node_add(n, opts);
	return n;
}

static bool is_literal(const struct basic_node *n)
{
	return n->kind == BASIC_STRING || n->kind == BASIC_NUMBER ||
	       n->kind == BASIC_BOOLEAN ||
	       (n->kind == BASIC_UNARY && n->child &&
		n->child->kind == BASIC_NUMBER);
}

/*
 * What a schema is made of must be known without running the script:
 * LIKE and DESCRIPTION take a literal, ENUM a list of them.
 */
static bool schema_value(struct parser *p, const struct basic_node *clause,
			 const struct basic_node *value)
{
	/* LIKE fax: older scripts give a one-word example unquoted. */
	bool ok = is_literal(value) || (clause->kind == BASIC_PARAM_LIKE &&
					value->kind == BASIC_IDENTIFIER);

	if (clause->kind == BASIC_PARAM_ENUM) {
		ok = value->kind == BASIC_ARRAY && value->child;
		for (const struct basic_node *v = value->child; ok && v;
		     v = v->next)
			ok = is_literal(v);
	}
	if (!ok)
		parser_report(p, BASIC_ERROR, value->line, value->col,
			      clause->kind == BASIC_PARAM_ENUM
				      ? "ENUM takes a list of literal values, "
					"such as [\"S\", \"M\"]"
				      : "%.*s takes a literal value",
			      (int)clause->text_len, clause->text);
	return ok;
}

static struct basic_node *description_statement(struct parser *p,
						const struct token *first)
{
	struct basic_node *n = node_new(p, BASIC_DESCRIPTION, first), *text;

	next(p);
	text = parse_expression(p);
	if (!n || !text || !schema_value(p, n, text))
		return NULL;
	node_add(n, text);
	return n;
}

/* The clauses of a PARAM after its type, in any order. */
static bool param_clauses(struct parser *p, struct basic_node *param)
{
	while (!at_statement_end(p)) {
		struct token word = *peek(p, 0);
		struct basic_node *clause, *value;

		if (token_is(&word, "OPTIONAL")) {
			next(p);
			node_add(param,
				 node_new(p, BASIC_PARAM_OPTIONAL, &word));
			continue;
		}
		if (token_is(&word, "LIKE"))
			clause = node_new(p, BASIC_PARAM_LIKE, &word);
		else if (token_is(&word, "DESCRIPTION"))
			clause = node_new(p, BASIC_DESCRIPTION, &word);
		else if (token_is(&word, "ENUM"))
			clause = node_new(p, BASIC_PARAM_ENUM, &word);
		else
			return expected(p, "LIKE, DESCRIPTION, ENUM or "
					   "OPTIONAL") != NULL;
		next(p);
		value = parse_expression(p);
		if (!clause || !value)
			return false;
		if (!schema_value(p, clause, value))
			return false;
		node_add(clause, value);
		node_finish(p, clause);
		node_add(param, clause);
	}
	return true;
}

/* PARAM name AS type [LIKE x] [DESCRIPTION x] [ENUM [...]] [OPTIONAL] */
static struct basic_node *param_statement(struct parser *p,
					  const struct token *first)
{
	struct basic_node *n, *type;

	if (p->executable_seen)
		parser_report(p, BASIC_WARNING, first->line, first->col,
			      "PARAM after executable statements: a tool "
			      "declares its parameters first");
	next(p);
	n = name_node(p, BASIC_PARAM, "a parameter name after PARAM");
	if (!n || !expect_word(p, "AS", "AS and a type after the name"))
		return NULL;
	n->line = first->line;
	n->col = first->col;
	type = name_node(p, BASIC_PARAM_TYPE, "a type after AS");
	if (!type)
		return NULL;
	if (!basic_type_known(type->text, type->text_len))
		parser_report(p, BASIC_ERROR, type->line, type->col,
			      "unknown parameter type '%.*s'",
			      (int)type->text_len, type->text);
	node_add(n, type);
	if (!param_clauses(p, n))
		return NULL;
	return n;
}

/* IF cond THEN statement [ELSE statement], all on one line. */
static struct basic_node *single_line_if(struct parser *p, struct basic_node *n)
{
	bool outer = p->single_line_if;
	struct basic_node *then_block = node_new(p, BASIC_BLOCK, peek(p, 0));

	p->single_line_if = true;
	node_add(then_block, parse_statement(p));
	node_finish(p, then_block);
	node_add(n, then_block);
	if (token_is(peek(p, 0), "ELSE")) {
		struct token at = next(p);
		struct basic_node *otherwise = node_new(p, BASIC_ELSE, &at);
		struct basic_node *block = node_new(p, BASIC_BLOCK, peek(p, 0));

		node_add(block, parse_statement(p));
		node_finish(p, block);
		node_add(otherwise, block);
		node_finish(p, otherwise);
		node_add(n, otherwise);
	}
	p->single_line_if = outer;
	return n;
}

static const char *const if_closers[] = {"END IF", "ENDIF", "ELSE IF",
					 "ELSEIF", "ELSE",  NULL};

static struct basic_node *if_condition(struct parser *p, struct basic_node *n)
{
	struct basic_node *cond = parse_expression(p);

	if (!n || !cond || !expect_word(p, "THEN", "THEN after the condition"))
		return NULL;
	node_add(n, cond);
	return n;
}

static struct basic_node *if_statement(struct parser *p,
				       const struct token *first)
{
	struct basic_node *n = node_new(p, BASIC_IF, first), *branch;
	int closer;

	next(p);
	if (!if_condition(p, n))
		return NULL;
	if (!at_statement_end(p) || p->single_line_if)
		return single_line_if(p, n);

	node_add(n, parse_block(p, if_closers, &closer, first, "IF"));
	branch = n;
	while (closer >= 2) {
		struct token at = *peek(p, 0);
		bool is_else = closer == 4;

		for (unsigned w = spells(p, if_closers[closer]); w > 0; w--)
			next(p);
		if (is_else) {
			branch = node_new(p, BASIC_ELSE, &at);
			if (!end_of_line(p, "ELSE"))
				return NULL;
		} else {
			branch = if_condition(p,
					      node_new(p, BASIC_ELSE_IF, &at));
			if (!branch)
				return NULL;
		}
		node_add(branch,
			 parse_block(p, if_closers, &closer, &at, "IF"));
		node_finish(p, branch);
		node_add(n, branch);
		if (is_else && closer >= 2) {
			expected(p, "END IF after the ELSE block");
			return NULL;
		}
	}
	if (closer < 0)
		return n;
	close_block(p, if_closers[closer]);
	return n;
}

static const char *const select_closers[] = {
	"END SELECT", "END SWITCH", "CASE ELSE", "DEFAULT", "CASE", NULL};

static struct basic_node *select_statement(struct parser *p,
					   const struct token *first)
{
	struct basic_node *n = node_new(p, BASIC_SELECT, first), *subject;
	int closer;

	next(p);
	if (token_is(first, "SELECT") &&
	    !expect_word(p, "CASE", "CASE after SELECT"))
		return NULL;
	subject = parse_expression(p);
	if (!n || !subject || !end_of_line(p, "the value to select on"))
		return NULL;
	node_add(n, subject);

	/* Nothing but blank lines may come before the first CASE. */
	parse_block(p, select_closers, &closer, first, "SELECT");
	while (closer >= 2) {
		struct token at = *peek(p, 0);
		struct basic_node *c;

		for (unsigned w = spells(p, select_closers[closer]); w > 0; w--)
			next(p);
		if (closer == 4) {
			c = node_new(p, BASIC_CASE, &at);
			if (!c || !parse_argument_list(p, c))
				return NULL;
		} else {
			c = node_new(p, BASIC_CASE_ELSE, &at);
		}
		if (!end_of_line(p, "CASE"))
			return NULL;
		node_add(c, parse_block(p, select_closers, &closer, &at,
					"SELECT"));
		node_finish(p, c);
		node_add(n, c);
	}
	if (closer >= 0)
		close_block(p, select_closers[closer]);
	return n;
}

static const char *const for_closers[] = {"NEXT", "END FOR", NULL};

/* NEXT may name the loop's variable. */
static void close_for(struct parser *p, int closer)
{
	if (closer < 0)
		return;
	next(p);
	if (closer == 0 && peek(p, 0)->kind == TOKEN_IDENT)
		next(p);
	else if (closer == 1)
		next(p);
	end_of_line(p, for_closers[closer]);
}

/* FOR i = a TO b [STEP c] */
static bool for_range(struct parser *p, struct basic_node *n)
{
	struct basic_node *from, *to;

	if (!token_is_op(peek(p, 0), "=")) {
		expected(p, "'=' or IN after the loop variable");
		return false;
	}
	next(p);
	from = parse_expression(p);
	if (!from || !expect_word(p, "TO", "TO after the start value"))
		return false;
	to = parse_expression(p);
	node_add(n, from);
	node_add(n, to);
	if (token_is(peek(p, 0), "STEP")) {
		next(p);
		node_add(n, parse_expression(p));
	}
	return to != NULL;
}

/* FOR [EACH] x IN list [DO], or a range; closed by NEXT or END FOR. */
static struct basic_node *for_statement(struct parser *p,
					const struct token *first)
{
	struct basic_node *n;
	bool each;
	int closer;

	next(p);
	each = token_is(peek(p, 0), "EACH");
	if (each)
		next(p);
	n = name_node(p, BASIC_FOR, "a loop variable");
	if (!n)
		return NULL;
	n->line = first->line;
	n->col = first->col;
	if (each || token_is(peek(p, 0), "IN")) {
		n->kind = BASIC_FOR_EACH;
		if (!expect_word(p, "IN", "IN after the loop variable"))
			return NULL;
		node_add(n, parse_expression(p));
	} else if (!for_range(p, n)) {
		return NULL;
	}
	if (token_is(peek(p, 0), "DO"))
		next(p);
	if (!end_of_line(p, "the FOR clause"))
		return NULL;

	node_add(n, parse_block(p, for_closers, &closer, first, "FOR"));
	close_for(p, closer);
	return n;
}

static const char *const loop_closers[] = {"LOOP", NULL};

/* DO [WHILE|UNTIL c] ... LOOP [WHILE|UNTIL c] */
static struct basic_node *do_statement(struct parser *p,
				       const struct token *first)
{
	struct basic_node *n = node_new(p, BASIC_DO, first);
	int closer;

	next(p);
	if (!n)
		return NULL;
	set_text(n, "none");
	if (token_is(peek(p, 0), "WHILE") || token_is(peek(p, 0), "UNTIL")) {
		set_text(n, token_is(peek(p, 0), "WHILE") ? "while" : "until");
		next(p);
		node_add(n, parse_expression(p));
	}
	if (!end_of_line(p, "DO"))
		return NULL;
	node_add(n, parse_block(p, loop_closers, &closer, first, "DO"));
	if (closer < 0)
		return n;
	next(p);
	if (token_is(peek(p, 0), "WHILE") || token_is(peek(p, 0), "UNTIL")) {
		bool is_while = token_is(peek(p, 0), "WHILE");

		if (strcmp(n->text, "none") != 0) {
			expected(p, "the end of the line: the DO already has "
				    "a condition");
			return n;
		}
		next(p);
		set_text(n, is_while ? "loop_while" : "loop_until");
		node_add(n, parse_expression(p));
	}
	end_of_line(p, "LOOP");
	return n;
}

static const char *const while_closers[] = {"WEND", "END WHILE", NULL};

static struct basic_node *while_statement(struct parser *p,
					  const struct token *first)
{
	struct basic_node *n = node_new(p, BASIC_WHILE, first), *cond;
	int closer;

	next(p);
	cond = parse_expression(p);
	if (!n || !cond || !end_of_line(p, "the WHILE condition"))
		return NULL;
	node_add(n, cond);
	node_add(n, parse_block(p, while_closers, &closer, first, "WHILE"));
	if (closer >= 0)
		close_block(p, while_closers[closer]);
	return n;
}

static struct basic_node *exit_statement(struct parser *p,
					 const struct token *first)
{
	static const char *const what[] = {"FOR",      "DO",	 "WHILE", "SUB",
					   "FUNCTION", "SELECT", NULL};
	struct basic_node *n = node_new(p, BASIC_EXIT, first);

	next(p);
	if (!n)
		return NULL;
	set_text(n, NULL); /* EXIT alone ends the dialog */
	if (at_statement_end(p))
		return n;
	for (int i = 0; what[i]; i++)
		if (token_is(peek(p, 0), what[i])) {
			struct token w = next(p);

			n->text = w.start;
			n->text_len = w.len;
			return n;
		}
	return expected(p, "FOR, DO, WHILE, SUB, FUNCTION or SELECT after "
			   "EXIT");
}

/* BREAK and CONTINUE, as scripts from other languages write them. */
static struct basic_node *loop_jump(struct parser *p, const struct token *first)
{
	struct basic_node *n = node_new(p, BASIC_EXIT, first);

	next(p);
	return n;
}

/* (name [AS type], ...) of a SUB or FUNCTION. */
static bool parameters(struct parser *p, struct basic_node *proc)
{
	if (!token_is_op(peek(p, 0), "("))
		return true;
	next(p);
	while (!token_is_op(peek(p, 0), ")")) {
		struct basic_node *param =
			name_node(p, BASIC_PARAMETER, "a parameter name");

		if (!param)
			return false;
		if (token_is(peek(p, 0), "AS")) {
			next(p);
			node_add(param, name_node(p, BASIC_PARAM_TYPE,
						  "a type after AS"));
		}
		node_add(proc, param);
		if (!token_is_op(peek(p, 0), ","))
			break;
		next(p);
	}
	if (!token_is_op(peek(p, 0), ")"))
		return expected(p, "')' after the parameters") != NULL;
	next(p);
	return true;
}

static void remember(struct parser *p, struct basic_node **list,
		     const struct basic_node *n);

static struct basic_node *procedure(struct parser *p, const struct token *first)
{
	static const char *const sub_closers[] = {"END SUB", NULL};
	static const char *const function_closers[] = {"END FUNCTION", NULL};
	bool is_sub = token_is(first, "SUB");
	struct basic_node *n;
	int closer;

	next(p);
	n = name_node(p, is_sub ? BASIC_SUB : BASIC_FUNCTION,
		      "a name after SUB or FUNCTION");
	if (!n || !parameters(p, n))
		return NULL;
	n->line = first->line;
	n->col = first->col;
	if (token_is(peek(p, 0), "AS")) {
		next(p);
		node_add(n, name_node(p, BASIC_PARAM_TYPE, "a type after AS"));
	}
	if (!end_of_line(p, "the declaration"))
		return NULL;
	node_add(n, parse_block(p, is_sub ? sub_closers : function_closers,
				&closer, first, is_sub ? "SUB" : "FUNCTION"));
	if (closer >= 0)
		close_block(p, is_sub ? sub_closers[0] : function_closers[0]);

	remember(p, &p->procs, n);
	return n;
}

/* CALL name [(args) | args] */
static struct basic_node *call_statement(struct parser *p,
					 const struct token *first)
{
	struct basic_node *n;

	next(p);
	n = name_node(p, BASIC_CALL, "a name after CALL");
	if (!n)
		return NULL;
	if (token_is_op(peek(p, 0), "(")) {
		next(p);
		if (!token_is_op(peek(p, 0), ")") && !parse_argument_list(p, n))
			return NULL;
		if (!token_is_op(peek(p, 0), ")"))
			return expected(p, "')' after the arguments");
		next(p);
	} else if (!parse_argument_list(p, n)) {
		return NULL;
	}
	n->line = first->line;
	n->col = first->col;
	return n;
}

/* Remember a node on one of the parser's side lists, for the end. */
static void remember(struct parser *p, struct basic_node **list,
		     const struct basic_node *n)
{
	struct basic_node *copy = arena_alloc(p->unit->arena, sizeof(*copy));

	if (!copy)
		return;
	*copy = *n;
	copy->child = copy->last_child = NULL;
	copy->next = *list;
	*list = copy;
}

static struct basic_node *goto_statement(struct parser *p,
					 const struct token *first)
{
	struct basic_node *n;

	next(p);
	n = name_node(p, BASIC_GOTO, "a label after GOTO");
	if (!n)
		return NULL;
	remember(p, &p->gotos, n);
	n->line = first->line;
	n->col = first->col;
	return n;
}

/* WITH name, then lines "[.]field = value", then END WITH. */
static struct basic_node *with_statement(struct parser *p,
					 const struct token *first)
{
	struct basic_node *n;

	next(p);
	n = name_node(p, BASIC_WITH, "a name after WITH");
	if (!n || !end_of_line(p, "WITH"))
		return NULL;
	n->line = first->line;
	n->col = first->col;
	while (!spells(p, "END WITH")) {
		const struct token *t = peek(p, 0);
		struct basic_node *assign, *field;

		if (t->kind == TOKEN_NEWLINE) {
			next(p);
			continue;
		}
		if (t->kind == TOKEN_EOF) {
			parser_report(p, BASIC_ERROR, first->line, first->col,
				      "WITH is never closed with END WITH");
			return n;
		}
		assign = node_new(p, BASIC_ASSIGN, t);
		if (token_is_op(t, "."))
			next(p);
		field = name_node(p, BASIC_MEMBER, "a field name");
		if (!assign || !field || !token_is_op(peek(p, 0), "=")) {
			if (field)
				expected(p, "'=' after the field name");
			lexer_skip_line(&p->lx);
			continue;
		}
		next(p);
		node_add(assign, field);
		node_add(assign, parse_value(p));
		node_finish(p, assign);
		node_add(n, assign);
		if (!end_of_line(p, "the field's value"))
			lexer_skip_line(&p->lx);
	}
	close_block(p, "END WITH");
	return n;
}

/* BEGIN TALK|MAIL|SYSTEM [args], verbatim lines, END TALK|MAIL|SYSTEM */
static struct basic_node *begin_statement(struct parser *p,
					  const struct token *first)
{
	static const char *const kinds[] = {"TALK", "MAIL", "SYSTEM", NULL};
	struct basic_node *n = node_new(p, BASIC_BEGIN, first), *body;
	const char *text, *kind = NULL;
	unsigned line;
	size_t len;

	next(p);
	for (int i = 0; kinds[i]; i++)
		if (token_is(peek(p, 0), kinds[i]))
			kind = kinds[i];
	if (!n || !kind)
		return expected(p, "TALK, MAIL or SYSTEM after BEGIN");
	next(p);
	set_text(n, kind);
	if (strcmp(kind, "SYSTEM") == 0 && token_is(peek(p, 0), "PROMPT")) {
		next(p);
		set_text(n, "SYSTEM PROMPT");
	}
	if (!parse_argument_list(p, n))
		return NULL;
	if (peek(p, 0)->kind != TOKEN_NEWLINE)
		return expected(p, "the end of the line after BEGIN");
	next(p);

	if (!lexer_raw_until_end(&p->lx, kind, &text, &len, &line)) {
		parser_report(p, BASIC_ERROR, first->line, first->col,
			      "BEGIN %s is never closed with END %s", kind,
			      kind);
		return n;
	}
	body = parse_verbatim(p, text, len, line);
	if (body)
		node_add(n, body);
	next(p); /* END and the kind, checked by the lexer */
	next(p);
	if (strcmp(kind, "SYSTEM") == 0 && token_is(peek(p, 0), "PROMPT"))
		next(p);
	return n;
}

/* A TABLE's field: name type[(size[, scale])] [modifier...] */
static struct basic_node *table_field(struct parser *p)
{
	struct basic_node *field, *type;

	/* "FIELD id AS STRING" is the spelled-out form of "id STRING". */
	if (token_is(peek(p, 0), "FIELD") && peek(p, 1)->kind == TOKEN_IDENT)
		next(p);
	field = name_node(p, BASIC_FIELD, "a field name");
	if (!field)
		return NULL;
	if (token_is(peek(p, 0), "AS"))
		next(p);
	type = name_node(p, BASIC_PARAM_TYPE, "the field's type");
	if (!type)
		return NULL;
	node_add(field, type);
	if (token_is_op(peek(p, 0), "(")) {
		next(p);
		if (!parse_argument_list(p, type))
			return NULL;
		if (!token_is_op(peek(p, 0), ")"))
			return expected(p, "')' after the size");
		next(p);
	}
	/* Modifiers: KEY, REQUIRED, DEFAULT 0, REFERENCES other(id). */
	while (peek(p, 0)->kind == TOKEN_IDENT) {
		struct basic_node *modifier =
			name_node(p, BASIC_IDENTIFIER, "a modifier");
		const struct token *t = peek(p, 0);

		if (modifier &&
		    (t->kind == TOKEN_NUMBER || t->kind == TOKEN_STRING ||
		     (t->kind == TOKEN_IDENT && token_is_op(peek(p, 1), "("))))
			node_add(modifier, parse_operand(p));
		node_add(field, modifier);
	}
	node_finish(p, field);
	return field;
}

static struct basic_node *table_statement(struct parser *p,
					  const struct token *first)
{
	struct basic_node *n;

	next(p);
	n = name_node(p, BASIC_TABLE, "a table name");
	if (!n)
		return NULL;
	n->line = first->line;
	n->col = first->col;
	if (token_is(peek(p, 0), "ON")) {
		next(p);
		node_add(n, parse_expression(p));
	}
	if (!end_of_line(p, "the table name"))
		return NULL;
	while (!spells(p, "END TABLE")) {
		const struct token *t = peek(p, 0);
		struct basic_node *field;

		if (t->kind == TOKEN_NEWLINE) {
			next(p);
			continue;
		}
		if (t->kind == TOKEN_EOF) {
			parser_report(p, BASIC_ERROR, first->line, first->col,
				      "TABLE is never closed with END TABLE");
			return n;
		}
		field = table_field(p);
		if (!field || !end_of_line(p, "the field")) {
			lexer_skip_line(&p->lx);
			continue;
		}
		node_add(n, field);
	}
	close_block(p, "END TABLE");
	return n;
}

/* ON EVENT|FORM|TIMEOUT|... [args], a block, END ON */
/* ON ERROR GOTO label|0, ON ERROR RESUME NEXT: one line, no block. */
static struct basic_node *on_error(struct parser *p, struct basic_node *n)
{
	struct token at = *peek(p, 0);
	struct basic_node *action;

	if (token_is(&at, "RESUME")) {
		next(p);
		if (!expect_word(p, "NEXT", "NEXT after RESUME"))
			return NULL;
		node_add(n, node_new(p, BASIC_RESUME, &at));
		return n;
	}
	if (!expect_word(p, "GOTO", "GOTO or RESUME NEXT after ON ERROR"))
		return NULL;
	if (peek(p, 0)->kind == TOKEN_NUMBER) {
		struct token zero = next(p);

		action =
			node_new(p, BASIC_GOTO, &zero); /* GOTO 0: no handler */
	} else {
		action = name_node(p, BASIC_GOTO, "a label after GOTO");
		if (action)
			remember(p, &p->gotos, action);
	}
	if (!action)
		return NULL;
	node_add(n, action);
	return n;
}

/*
 * ON EVENT|FORM|EMAIL|... [values and clauses], a block, END ON; or ON
 * ... CALL name on one line.  A block that reaches the end of the file
 * handles the rest of the script, as in one that starts ON EVENT "name".
 */
static struct basic_node *on_statement(struct parser *p,
				       const struct token *first)
{
	static const char *const closers[] = {"END ON", NULL};
	struct basic_node *n = node_new(p, BASIC_ON, first);
	int closer;

	next(p);
	if (!n)
		return NULL;
	set_text(n, NULL);
	if (peek(p, 0)->kind == TOKEN_IDENT && !token_is(peek(p, 0), "CALL")) {
		struct token event = next(p);

		n->text = event.start;
		n->text_len = event.len;
		if (token_is(&event, "ERROR"))
			return on_error(p, n);
	}
	if (!token_is(peek(p, 0), "CALL") &&
	    !parse_command_arguments(p, n, false))
		return NULL;
	if (token_is(peek(p, 0), "CALL")) {
		struct token at = *peek(p, 0);
		struct basic_node *call = call_statement(p, &at);

		node_add(n, call);
		return call ? n : NULL;
	}
	if (!end_of_line(p, "ON"))
		return NULL;

	p->eof_closes_block = true;
	node_add(n, parse_block(p, closers, &closer, first, "ON"));
	if (closer >= 0)
		close_block(p, closers[0]);
	return n;
}

static struct basic_node *parallel_statement(struct parser *p,
					     const struct token *first)
{
	static const char *const closers[] = {"END PARALLEL", NULL};
	struct basic_node *n = node_new(p, BASIC_PARALLEL, first);
	int closer;

	next(p);
	if (!n || !end_of_line(p, "PARALLEL"))
		return NULL;
	node_add(n, parse_block(p, closers, &closer, first, "PARALLEL"));
	if (closer >= 0)
		close_block(p, closers[0]);
	return n;
}

static struct basic_node *command_statement(struct parser *p,
					    const char *phrase, unsigned words);

/* target = value, after an optional LET or SET. */
static struct basic_node *assignment(struct parser *p,
				     struct basic_node *target)
{
	struct basic_node *n, *value;

	if (!token_is_op(peek(p, 0), "="))
		return expected(p, "'=' after the variable");
	if (target->kind != BASIC_IDENTIFIER && target->kind != BASIC_MEMBER &&
	    target->kind != BASIC_INDEX) {
		parser_report(p, BASIC_ERROR, target->line, target->col,
			      "cannot assign to a %s",
			      basic_node_kind_name(target->kind));
		return NULL;
	}
	next(p);
	value = parse_value(p);
	if (!value)
		return NULL;
	n = node_new(p, BASIC_ASSIGN, NULL);
	if (!n)
		return NULL;
	n->line = target->line;
	n->col = target->col;
	node_add(n, target);
	node_add(n, value);
	return n;
}

static struct basic_node *let_statement(struct parser *p,
					const struct token *first)
{
	struct basic_node *target, *n;

	/* SET "session.key", value: the session store, a command. */
	if (token_is(first, "SET") && peek(p, 1)->kind == TOKEN_STRING)
		return command_statement(p, "SET", 1);
	next(p);
	target = parse_target(p);
	if (!target)
		return NULL;
	n = assignment(p, target);
	if (n) {
		n->line = first->line;
		n->col = first->col;
	}
	return n;
}

static const struct {
	const char *word;
	statement_fn parse;
	bool declares; /* not executable: PARAM may still follow */
} statements[] = {
	{"IF", if_statement, false},
	{"SELECT", select_statement, false},
	{"SWITCH", select_statement, false},
	{"FOR", for_statement, false},
	{"DO", do_statement, false},
	{"WHILE", while_statement, false},
	{"EXIT", exit_statement, false},
	{"BREAK", loop_jump, false},
	{"CONTINUE", loop_jump, false},
	{"SUB", procedure, true},
	{"FUNCTION", procedure, true},
	{"CALL", call_statement, false},
	{"RETURN", return_statement, false},
	{"GOTO", goto_statement, false},
	{"WITH", with_statement, false},
	{"BEGIN", begin_statement, false},
	{"TABLE", table_statement, true},
	{"ON", on_statement, false},
	{"PARALLEL", parallel_statement, false},
	{"TALK", talk_statement, false},
	{"HEAR", hear_statement, false},
	{"PRINT", print_statement, false},
	{"WAIT", wait_statement, false},
	{"DESCRIPTION", description_statement, true},
	{"PARAM", param_statement, true},
	{"LET", let_statement, false},
	{"SET", let_statement, false},
};

#define STATEMENT_COUNT (sizeof(statements) / sizeof(statements[0]))

static struct basic_node *command_statement(struct parser *p,
					    const char *phrase, unsigned words)
{
	struct basic_node *n = node_new(p, BASIC_COMMAND, peek(p, 0));

	if (!n)
		return NULL;
	set_text(n, phrase);
	while (words--)
		next(p);
	if (!parse_command_arguments(p, n, false))
		return NULL;
	return n;
}

/*
 * A line that is no keyword and no bot statement: an assignment, a call
 * through an expression (obj.method(x)), or "name args" calling a SUB of
 * the file, which is checked once the whole file is read.
 */
static struct basic_node *other_statement(struct parser *p)
{
	const struct token *t = peek(p, 0);
	struct basic_node *target, *n;

	if (t->kind != TOKEN_IDENT)
		return expected(p, "a statement");
	if (token_is_op(peek(p, 1), "=") || token_is_op(peek(p, 1), ".") ||
	    token_is_op(peek(p, 1), "[") || token_is_op(peek(p, 1), "(")) {
		target = parse_target(p);
		if (!target)
			return NULL;
		if (token_is_op(peek(p, 0), "="))
			return assignment(p, target);
		if (target->kind == BASIC_INVOKE) {
			if (target->child->kind == BASIC_IDENTIFIER)
				remember(p, &p->calls, target->child);
			n = node_new(p, BASIC_EXPRESSION, NULL);
			if (n) {
				n->line = target->line;
				n->col = target->col;
				node_add(n, target);
			}
			return n;
		}
		return expected(p, "'=' or a call");
	}

	n = name_node(p, BASIC_CALL, "a statement");
	if (!n || !parse_argument_list(p, n))
		return NULL;
	remember(p, &p->calls, n);
	return n;
}

static void skip_comment(struct parser *p)
{
	lexer_skip_line(&p->lx);
}

static bool is_label(struct parser *p)
{
	const struct token *after = peek(p, 2);

	return peek(p, 0)->kind == TOKEN_IDENT &&
	       token_is_op(peek(p, 1), ":") &&
	       (after->kind == TOKEN_NEWLINE || after->kind == TOKEN_EOF);
}

static struct basic_node *label_statement(struct parser *p)
{
	struct token name = next(p);
	struct basic_node *n = node_new(p, BASIC_LABEL, &name);

	next(p); /* ':' */
	if (n)
		remember(p, &p->labels, n);
	return n;
}

static struct basic_node *keyword_statement(struct parser *p,
					    const struct token *first)
{
	for (size_t i = 0; i < STATEMENT_COUNT; i++)
		if (token_is(first, statements[i].word)) {
			if (!statements[i].declares)
				p->executable_seen = true;
			return statements[i].parse(p, first);
		}
	return NULL;
}

static bool is_keyword(const struct token *t)
{
	for (size_t i = 0; i < STATEMENT_COUNT; i++)
		if (token_is(t, statements[i].word))
			return true;
	return false;
}

/* Words that close a block, and the block they close. */
static const struct {
	const char *phrase, *opener;
} closing_words[] = {
	{"END IF", "IF"},
	{"ENDIF", "IF"},
	{"ELSE", "IF"},
	{"ELSEIF", "IF"},
	{"END SELECT", "SELECT"},
	{"END SWITCH", "SWITCH"},
	{"CASE", "SELECT"},
	{"NEXT", "FOR"},
	{"END FOR", "FOR"},
	{"LOOP", "DO"},
	{"WEND", "WHILE"},
	{"END WHILE", "WHILE"},
	{"END SUB", "SUB"},
	{"END FUNCTION", "FUNCTION"},
	{"END WITH", "WITH"},
	{"END TABLE", "TABLE"},
	{"END ON", "ON"},
	{"END PARALLEL", "PARALLEL"},
	{"END TALK", "BEGIN TALK"},
	{"END MAIL", "BEGIN MAIL"},
	{"END SYSTEM", "BEGIN SYSTEM"},
};

/* A closing word with no block of its kind open: say so. */
static bool stray_closer(struct parser *p)
{
	const struct token *t = peek(p, 0);

	for (size_t i = 0; i < sizeof(closing_words) / sizeof(closing_words[0]);
	     i++)
		if (closes(p, closing_words[i].phrase)) {
			parser_report(p, BASIC_ERROR, t->line, t->col,
				      "%s without an open %s",
				      closing_words[i].phrase,
				      closing_words[i].opener);
			return true;
		}
	return false;
}

static struct basic_node *statement_by_words(struct parser *p)
{
	struct token first = *peek(p, 0);
	const struct token *after;
	const char *phrase;
	unsigned words;

	/*
	 * "SET BOT MEMORY" is a command, "SET x = 1" an assignment, and
	 * "log = 1" or "log.info()" use a variable named like a command.
	 */
	phrase = command_match(&p->lx, &words);
	after = peek(p, words);
	if (phrase && (words > 1 ||
		       (!token_is_op(after, "=") && !token_is_op(after, ".") &&
			!token_is_op(after, "[")))) {
		p->executable_seen = true;
		return command_statement(p, phrase, words);
	}
	if (is_keyword(&first) && !token_is_op(peek(p, 1), "="))
		return keyword_statement(p, &first);
	p->executable_seen = true;
	return other_statement(p);
}

static struct basic_node *parse_statement(struct parser *p)
{
	const struct token *t = peek(p, 0);
	struct basic_node *n;
	char buf[64];

	if (token_is(t, "REM")) {
		skip_comment(p);
		return NULL;
	}
	if (t->kind == TOKEN_BAD) {
		parser_report(p, BASIC_ERROR, t->line, t->col,
			      t->open_len > 0 ? "a string that is never closed"
					      : "unexpected character %s",
			      describe(t, buf, sizeof(buf)));
		lexer_skip_line(&p->lx);
		return NULL;
	}
	if (is_label(p))
		return label_statement(p);
	if (stray_closer(p)) {
		lexer_skip_line(&p->lx);
		return NULL;
	}

	/* A block statement may end on a later line than it began. */
	n = statement_by_words(p);
	if (!n || (peek(p, 0)->line == p->lx.prev.line &&
		   !end_of_line(p, "the statement"))) {
		lexer_skip_line(&p->lx);
		return NULL;
	}
	node_finish(p, n);
	return n;
}

/* ---- the whole file ---- */

static int compare_names(const void *a, const void *b)
{
	const struct basic_node *x = *(struct basic_node *const *)a;
	const struct basic_node *y = *(struct basic_node *const *)b;
	size_t n = x->text_len < y->text_len ? x->text_len : y->text_len;
	int c = strncasecmp(x->text, y->text, n);

	if (c != 0)
		return c;
	return (x->text_len > y->text_len) - (x->text_len < y->text_len);
}

/* A side list as an array sorted by name, for lookups in log time. */
static struct basic_node **sorted(struct parser *p, struct basic_node *list,
				  size_t *count)
{
	struct basic_node **items;
	size_t n = 0;

	for (struct basic_node *l = list; l; l = l->next)
		n++;
	*count = n;
	items = arena_alloc(p->unit->arena, (n ? n : 1) * sizeof(*items));
	if (!items)
		return NULL;
	n = 0;
	for (struct basic_node *l = list; l; l = l->next)
		items[n++] = l;
	qsort(items, n, sizeof(*items), compare_names);
	return items;
}

static bool listed(struct basic_node **items, size_t count,
		   const struct basic_node *n)
{
	return count > 0 &&
	       bsearch(&n, items, count, sizeof(*items), compare_names) != NULL;
}

/* What can only be checked once every line is read. */
static void check_names(struct parser *p)
{
	size_t labels_n, gotos_n, procs_n;
	struct basic_node **labels = sorted(p, p->labels, &labels_n);
	struct basic_node **gotos = sorted(p, p->gotos, &gotos_n);
	struct basic_node **procs = sorted(p, p->procs, &procs_n);

	if (!labels || !gotos || !procs)
		return;
	for (struct basic_node *g = p->gotos; g; g = g->next)
		if (!listed(labels, labels_n, g))
			parser_report(p, BASIC_ERROR, g->line, g->col,
				      "GOTO to '%.*s', a label that does not "
				      "exist",
				      (int)g->text_len, g->text);
	for (struct basic_node *l = p->labels; l; l = l->next)
		if (!listed(gotos, gotos_n, l))
			parser_report(p, BASIC_WARNING, l->line, l->col,
				      "label '%.*s' is never used",
				      (int)l->text_len, l->text);
	for (struct basic_node *c = p->calls; c; c = c->next)
		if (!listed(procs, procs_n, c))
			parser_report(p, BASIC_ERROR, c->line, c->col,
				      "unknown statement '%.*s'",
				      (int)c->text_len, c->text);
}

/*
 * Names and strings go into JSON, which must be UTF-8: report the first
 * byte of each line that is not, and the NUL bytes.
 */
static void check_encoding(struct parser *p)
{
	const unsigned char *s = (const unsigned char *)p->unit->source;
	size_t len = p->unit->len, line_start = 0;
	unsigned line = 1;
	bool reported = false;

	for (size_t i = 0; i < len;) {
		size_t n = utf8_char_len(s + i, len - i);

		if (n == 0 && !reported) {
			parser_report(p, BASIC_ERROR, line,
				      (unsigned)(i - line_start) + 1,
				      "bytes that are not UTF-8 text");
			reported = true;
		}
		if (s[i] == '\n') {
			line++;
			line_start = i + 1;
			reported = false;
		}
		i += n ? n : 1;
	}
}

/* In line order; problems found at the end were appended last. */
static void sort_diagnostics(struct basic_unit *u)
{
	struct basic_diagnostic *d = u->diagnostics;

	for (size_t i = 1; i < u->diagnostic_count; i++) {
		struct basic_diagnostic held = d[i];
		size_t j = i;

		for (; j > 0 && (d[j - 1].line > held.line ||
				 (d[j - 1].line == held.line &&
				  d[j - 1].col > held.col));
		     j--)
			d[j] = d[j - 1];
		d[j] = held;
	}
}

int basic_compile(const char *source, size_t len, struct basic_unit **out)
{
	struct basic_unit *u;
	struct parser p = {0};

	*out = NULL;
	if (len > BASIC_SOURCE_MAX)
		return -EFBIG;
	u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	u->source = source;
	u->len = len;
	u->arena = arena_new();
	u->diagnostics = u->arena ? arena_alloc(u->arena,
						BASIC_DIAGNOSTICS_MAX *
							sizeof(*u->diagnostics))
				  : NULL;
	p.unit = u;
	lexer_init(&p.lx, source, len);
	u->root = u->diagnostics ? node_new(&p, BASIC_PROGRAM, NULL) : NULL;
	if (!u->root) {
		basic_unit_free(u);
		return -ENOMEM;
	}
	u->root->line = u->root->col = 1;
	check_encoding(&p);

	while (peek(&p, 0)->kind != TOKEN_EOF) {
		if (peek(&p, 0)->kind == TOKEN_NEWLINE) {
			next(&p);
			continue;
		}
		node_add(u->root, parse_statement(&p));
	}
	node_finish(&p, u->root);
	check_names(&p);
	sort_diagnostics(u);
	*out = u;
	return 0;
}

void basic_unit_free(struct basic_unit *unit)
{
	if (!unit)
		return;
	arena_free(unit->arena);
	free(unit);
}
