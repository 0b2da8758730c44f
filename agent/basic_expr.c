/*
 * basic_expr.c - expressions: precedence climbing over a table of binary
 * operators, then unary operators, postfix chains (a.b[i].c()) and
 * primaries, among them object and array literals and strings with
 * ${expr} interpolation, whose inner expressions are parsed by a lexer
 * over the string's bytes so that their positions are the file's.
 */
#include <stdio.h>
#include <string.h>

#include "basic_internal.h"

/* Binary operators, lowest precedence first; words match in any case. */
struct binary_op {
	const char *text;
	unsigned level;
	bool word;
};

static const struct binary_op binary_ops[] = {
	{"OR", 1, true},  {"XOR", 1, true},  {"||", 1, false},
	{"AND", 2, true}, {"&&", 2, false},  {"=", 4, false},
	{"==", 4, false}, {"<>", 4, false},  {"!=", 4, false},
	{"<", 4, false},  {">", 4, false},   {"<=", 4, false},
	{">=", 4, false}, {"LIKE", 4, true}, {"CONTAINS", 4, true},
	{"IS", 4, true},  {"&", 5, false},   {"+", 6, false},
	{"-", 6, false},  {"*", 7, false},   {"/", 7, false},
	{"\\", 7, false}, {"MOD", 7, true},  {"%", 7, false},
};

#define LEVEL_NOT    3
#define LEVEL_CONCAT 5
#define LEVEL_LOWEST 1

/* Words that end an expression and never begin one. */
static const char *const stop_words[] = {
	"THEN",	    "ELSE", "ELSEIF",	"TO",	"STEP", "AND",
	"OR",	    "MOD",  "IN",	"AS",	"LIKE", "END",
	"NEXT",	    "LOOP", "WEND",	"CASE", "EACH", "DESCRIPTION",
	"OPTIONAL", "ENUM", "CONTAINS", "IS",	"DO",	NULL,
};

static bool is_stop_word(const struct token *t)
{
	for (const char *const *w = stop_words; *w; w++)
		if (token_is(t, *w))
			return true;
	return false;
}

bool begins_expression(const struct token *t)
{
	switch (t->kind) {
	case TOKEN_NUMBER:
	case TOKEN_STRING:
		return true;
	case TOKEN_IDENT:
		return !is_stop_word(t);
	case TOKEN_OP:
		return token_is_op(t, "(") || token_is_op(t, "[") ||
		       token_is_op(t, "{") || token_is_op(t, "-") ||
		       token_is_op(t, "+") || token_is_op(t, "!");
	default:
		return false;
	}
}

bool at_statement_end(struct parser *p)
{
	const struct token *t = lexer_peek(&p->lx, 0);

	return t->kind == TOKEN_NEWLINE || t->kind == TOKEN_EOF ||
	       (p->single_line_if && token_is(t, "ELSE"));
}

/* "'word'" or "the end of the line", for messages. */
static const char *describe(const struct token *t, char *buf, size_t len)
{
	if (t->kind == TOKEN_NEWLINE)
		return "the end of the line";
	if (t->kind == TOKEN_EOF)
		return "the end of the file";
	if (t->kind == TOKEN_BAD && t->open_len > 0)
		return "a string that is never closed";
	snprintf(buf, len, "'%.*s'", (int)(t->len > 40 ? 40 : t->len),
		 t->start);
	return buf;
}

static struct basic_node *unexpected(struct parser *p, const char *wanted)
{
	const struct token *t = lexer_peek(&p->lx, 0);
	char buf[64];

	parser_report(p, BASIC_ERROR, t->line, t->col, "expected %s, found %s",
		      wanted, describe(t, buf, sizeof(buf)));
	return NULL;
}

static bool expect_op(struct parser *p, const char *op, const char *wanted)
{
	if (!token_is_op(lexer_peek(&p->lx, 0), op)) {
		unexpected(p, wanted);
		return false;
	}
	lexer_next(&p->lx);
	return true;
}

/* ---- strings ---- */

/* The byte a backslash escape stands for, or 0 when it is no escape. */
static char escaped(char c)
{
	switch (c) {
	case 'n':
		return '\n';
	case 't':
		return '\t';
	case 'r':
		return '\r';
	case '\\':
	case '"':
		return c;
	default:
		return 0;
	}
}

/*
 * The literal's text without its quotes: "" is one quote, and \n \t \r
 * \\ \" are escapes; any other backslash stays as written.
 */
static char *decode_string(struct parser *p, const char *s, size_t len,
			   size_t *out_len)
{
	char *out = arena_alloc(p->unit->arena, len + 1);
	size_t n = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\\' && i + 1 < len && escaped(s[i + 1])) {
			out[n++] = escaped(s[++i]);
			continue;
		}
		out[n++] = s[i];
		if (s[i] == '"' && i + 1 < len && s[i + 1] == '"')
			i++;
	}
	*out_len = n;
	return out;
}

/* Parse the expression of "${...}" at s (len bytes), on line:col. */
static struct basic_node *interpolated(struct parser *p, const char *s,
				       size_t len, unsigned line, unsigned col)
{
	struct lexer saved = p->lx;
	struct basic_node *e;

	lexer_init(&p->lx, s, len);
	p->lx.line = line;
	p->lx.line_start = s - (col - 1);
	e = parse_expression(p);
	if (e && lexer_peek(&p->lx, 0)->kind != TOKEN_EOF)
		e = unexpected(p, "'}' closing the interpolation");
	p->lx = saved;
	return e;
}

/* Text that a template is made of, and where it lies in the file. */
struct template_text {
	const char *start, *end;
	bool quoted;		/* a literal: "" stands for one quote */
	unsigned line;		/* of start */
	const char *line_start; /* of start's line */
};

static void position_of(const struct template_text *tt, const char *at,
			unsigned *line, unsigned *col)
{
	const char *line_start = tt->line_start;

	*line = tt->line;
	for (const char *c = tt->start; c < at; c++)
		if (*c == '\n') {
			(*line)++;
			line_start = c + 1;
		}
	*col = (unsigned)(at - line_start) + 1;
}

/* A string part of a template, spanning its bytes s to s + len. */
static struct basic_node *text_part(struct parser *p,
				    const struct template_text *tt,
				    const struct token *at, const char *s,
				    size_t len)
{
	struct basic_node *n = node_new(p, BASIC_STRING, at);

	if (!n)
		return NULL;
	position_of(tt, s, &n->line, &n->col);
	position_of(tt, s + len, &n->end_line, &n->end_col);
	if (tt->quoted) {
		n->text = decode_string(p, s, len, &n->text_len);
	} else {
		n->text = s;
		n->text_len = len;
	}
	return n;
}

/*
 * A TEMPLATE whose children are the string parts and the expressions of
 * the text's "${...}", in order; a STRING when it has none.
 */
static struct basic_node *template_of(struct parser *p, const struct token *at,
				      const struct template_text *tt)
{
	const char *s = tt->start;
	struct basic_node *tpl;

	if (!memmem(s, (size_t)(tt->end - s), "${", 2)) {
		struct basic_node *n =
			text_part(p, tt, at, s, (size_t)(tt->end - s));

		/* A whole literal spans its quotes too. */
		if (n && tt->quoted) {
			n->line = n->end_line = at->line;
			n->col = at->col;
			n->end_col = at->col + (unsigned)at->len;
		}
		return n;
	}
	tpl = node_new(p, BASIC_TEMPLATE, at);
	if (tpl) {
		tpl->text = NULL;
		tpl->text_len = 0;
	}
	while (tpl && s < tt->end) {
		const char *open = memmem(s, (size_t)(tt->end - s), "${", 2);
		const char *close;
		unsigned line, col;
		struct basic_node *e;

		if (!open) {
			node_add(tpl, text_part(p, tt, at, s,
						(size_t)(tt->end - s)));
			break;
		}
		if (open > s)
			node_add(tpl,
				 text_part(p, tt, at, s, (size_t)(open - s)));
		close = memchr(open, '}', (size_t)(tt->end - open));
		position_of(tt, open + 2, &line, &col);
		if (!close) {
			parser_report(p, BASIC_ERROR, line, col - 2,
				      "'${' is never closed with '}'");
			return NULL;
		}
		e = interpolated(p, open + 2, (size_t)(close - open - 2), line,
				 col);
		if (!e)
			return NULL;
		node_add(tpl, e);
		s = close + 1;
	}
	return tpl;
}

static struct basic_node *string_literal(struct parser *p)
{
	struct token t = lexer_next(&p->lx);
	struct template_text tt = {
		.start = t.start + t.open_len,
		.end = t.start + t.len - t.close_len,
		.quoted = true,
		.line = t.line,
		.line_start = t.start - (t.col - 1),
	};
	struct basic_node *n = template_of(p, &t, &tt);

	if (n)
		node_finish(p, n);
	return n;
}

struct basic_node *parse_verbatim(struct parser *p, const char *text,
				  size_t len, unsigned line)
{
	struct token at = {.kind = TOKEN_STRING,
			   .start = text,
			   .len = 0,
			   .line = line,
			   .col = 1};
	struct template_text tt = {
		.start = text,
		.end = text + len,
		.line = line,
		.line_start = text,
	};
	struct basic_node *n = template_of(p, &at, &tt);

	if (n)
		position_of(&tt, tt.end, &n->end_line, &n->end_col);
	return n;
}

/* ---- literals ---- */

bool parse_list_until(struct parser *p, struct basic_node *parent,
		      const char *closer, basic_item_fn item,
		      const char *wanted)
{
	while (!token_is_op(lexer_peek(&p->lx, 0), closer)) {
		struct basic_node *n = item(p);

		if (!n)
			return false;
		node_add(parent, n);
		if (!token_is_op(lexer_peek(&p->lx, 0), ","))
			break;
		lexer_next(&p->lx);
	}
	return expect_op(p, closer, wanted);
}

static struct basic_node *array_literal(struct parser *p)
{
	struct token open = lexer_next(&p->lx);
	struct basic_node *arr = node_new(p, BASIC_ARRAY, &open);

	if (!arr || !parse_list_until(p, arr, "]", parse_expression,
				      "',' or ']' in the array"))
		return NULL;
	node_finish(p, arr);
	return arr;
}

static struct basic_node *object_property(struct parser *p)
{
	const struct token *t = lexer_peek(&p->lx, 0);
	struct basic_node *prop, *value;
	struct token name;

	if (t->kind != TOKEN_IDENT && t->kind != TOKEN_STRING)
		return unexpected(p, "a property name");
	name = lexer_next(&p->lx);
	prop = node_new(p, BASIC_PROPERTY, &name);
	if (!prop)
		return NULL;
	if (name.kind == TOKEN_STRING)
		prop->text =
			decode_string(p, name.start + name.open_len,
				      name.len - name.open_len - name.close_len,
				      &prop->text_len);
	if (!expect_op(p, ":", "':' after the property name"))
		return NULL;
	value = parse_expression(p);
	if (!value)
		return NULL;
	node_add(prop, value);
	node_finish(p, prop);
	return prop;
}

static struct basic_node *object_literal(struct parser *p)
{
	struct token open = lexer_next(&p->lx);
	struct basic_node *obj = node_new(p, BASIC_OBJECT, &open);

	if (!obj || !parse_list_until(p, obj, "}", object_property,
				      "',' or '}' in the object"))
		return NULL;
	node_finish(p, obj);
	return obj;
}

/* NEW ARRAY, NEW OBJECT, with arguments in parentheses or none. */
static struct basic_node *new_literal(struct parser *p)
{
	struct token at = lexer_next(&p->lx);
	const struct token *what = lexer_peek(&p->lx, 0);
	struct basic_node *n;

	if (!token_is(what, "ARRAY") && !token_is(what, "OBJECT"))
		return unexpected(p, "ARRAY or OBJECT after NEW");
	n = node_new(p, BASIC_NEW, &at);
	if (!n)
		return NULL;
	n->text = token_is(what, "ARRAY") ? "array" : "object";
	n->text_len = strlen(n->text);
	lexer_next(&p->lx);
	if (token_is_op(lexer_peek(&p->lx, 0), "(")) {
		lexer_next(&p->lx);
		if (!token_is_op(lexer_peek(&p->lx, 0), ")") &&
		    !parse_argument_list(p, n))
			return NULL;
		if (!expect_op(p, ")", "')'"))
			return NULL;
	}
	node_finish(p, n);
	return n;
}

static bool command_follows(struct lexer *lx, unsigned words);
static bool is_keyword_call(struct parser *p);
static struct basic_node *keyword_call(struct parser *p, bool in_expression);
static struct basic_node *command_node(struct parser *p, const char *phrase,
				       unsigned words, bool in_expression);

static struct basic_node *word_primary(struct parser *p)
{
	const struct token *t = lexer_peek(&p->lx, 0);
	const char *phrase;
	struct basic_node *n;
	struct token word;
	unsigned words;

	/* A word followed by a value is a call: TALK FORMAT n AS "0.00". */
	phrase = command_match(&p->lx, &words);
	if (phrase && (words > 1 || command_follows(&p->lx, words)))
		return command_node(p, phrase, words, true);
	if (is_keyword_call(p))
		return keyword_call(p, true);
	if (is_stop_word(t) && !token_is_op(lexer_peek(&p->lx, 1), ".") &&
	    !token_is_op(lexer_peek(&p->lx, 1), "[") &&
	    !token_is_op(lexer_peek(&p->lx, 1), "("))
		return unexpected(p, "a value");
	if (token_is(t, "NEW") && (token_is(lexer_peek(&p->lx, 1), "ARRAY") ||
				   token_is(lexer_peek(&p->lx, 1), "OBJECT")))
		return new_literal(p);

	word = lexer_next(&p->lx);
	if (token_is(&word, "TRUE") || token_is(&word, "FALSE")) {
		n = node_new(p, BASIC_BOOLEAN, &word);
		if (n) {
			n->text = token_is(&word, "TRUE") ? "true" : "false";
			n->text_len = strlen(n->text);
		}
	} else if (token_is(&word, "NULL") || token_is(&word, "NOTHING")) {
		n = node_new(p, BASIC_NULL_VALUE, &word);
		if (n)
			n->text = NULL;
	} else {
		n = node_new(p, BASIC_IDENTIFIER, &word);
	}
	if (n)
		node_finish(p, n);
	return n;
}

static struct basic_node *primary(struct parser *p)
{
	const struct token *t = lexer_peek(&p->lx, 0);
	struct basic_node *n;

	switch (t->kind) {
	case TOKEN_NUMBER:
		n = node_new(p, BASIC_NUMBER, t);
		lexer_next(&p->lx);
		if (n)
			node_finish(p, n);
		return n;
	case TOKEN_STRING:
		return string_literal(p);
	case TOKEN_IDENT:
		return word_primary(p);
	default:
		break;
	}
	if (token_is_op(t, "(")) {
		lexer_next(&p->lx);
		n = parse_expression(p);
		if (n && !expect_op(p, ")", "')'"))
			return NULL;
		return n;
	}
	if (token_is_op(t, "["))
		return array_literal(p);
	if (token_is_op(t, "{"))
		return object_literal(p);
	return unexpected(p, "a value");
}

/* ---- postfix chains ---- */

static struct basic_node *wrap(struct parser *p, enum basic_node_kind kind,
			       struct basic_node *inner)
{
	struct basic_node *n = node_new(p, kind, NULL);

	if (!n)
		return NULL;
	n->line = inner->line;
	n->col = inner->col;
	node_add(n, inner);
	return n;
}

static struct basic_node *member(struct parser *p, struct basic_node *object)
{
	struct basic_node *m;
	struct token name;

	lexer_next(&p->lx);
	if (lexer_peek(&p->lx, 0)->kind != TOKEN_IDENT)
		return unexpected(p, "a member name after '.'");
	name = lexer_next(&p->lx);
	m = wrap(p, BASIC_MEMBER, object);
	if (m) {
		m->text = name.start;
		m->text_len = name.len;
	}
	return m;
}

static struct basic_node *postfix(struct parser *p)
{
	struct basic_node *n = primary(p);

	while (n) {
		const struct token *t = lexer_peek(&p->lx, 0);

		if (token_is_op(t, ".")) {
			n = member(p, n);
		} else if (token_is_op(t, "[")) {
			lexer_next(&p->lx);
			n = wrap(p, BASIC_INDEX, n);
			if (n) {
				struct basic_node *index = parse_expression(p);

				if (!index || !expect_op(p, "]", "']'"))
					return NULL;
				node_add(n, index);
			}
		} else if (token_is_op(t, "(")) {
			lexer_next(&p->lx);
			n = wrap(p, BASIC_INVOKE, n);
			if (n && !token_is_op(lexer_peek(&p->lx, 0), ")") &&
			    !parse_argument_list(p, n))
				return NULL;
			if (n && !expect_op(p, ")", "',' or ')'"))
				return NULL;
		} else {
			break;
		}
		if (n)
			node_finish(p, n);
	}
	return n;
}

/* ---- operators ---- */

static struct basic_node *unary(struct parser *p);

/* ^ binds tighter than a sign and to the right: -2 ^ 2 ^ 3. */
static struct basic_node *power(struct parser *p)
{
	struct basic_node *base = postfix(p), *n, *exponent;

	if (!base || !token_is_op(lexer_peek(&p->lx, 0), "^"))
		return base;
	lexer_next(&p->lx);
	exponent = unary(p);
	if (!exponent)
		return NULL;
	n = wrap(p, BASIC_BINARY, base);
	if (!n)
		return NULL;
	n->text = "^";
	n->text_len = 1;
	node_add(n, exponent);
	node_finish(p, n);
	return n;
}

static struct basic_node *
prefixed(struct parser *p, struct basic_node *(*operand)(struct parser *))
{
	struct token op = lexer_next(&p->lx);
	struct basic_node *n = node_new(p, BASIC_UNARY, &op), *inner;

	if (!n)
		return NULL;
	if (op.kind == TOKEN_IDENT) {
		n->text = "NOT";
		n->text_len = 3;
	}
	inner = operand(p);
	if (!inner)
		return NULL;
	node_add(n, inner);
	node_finish(p, n);
	return n;
}

static struct basic_node *unary(struct parser *p)
{
	const struct token *t = lexer_peek(&p->lx, 0);
	struct basic_node *n;

	if (!parser_enter(p, t))
		return NULL;
	if (token_is_op(t, "-") || token_is_op(t, "+"))
		n = prefixed(p, unary);
	else
		n = power(p);
	parser_leave(p);
	return n;
}

/* The binary operator t spells, of any level, or NULL: one scan. */
static const struct binary_op *binary_op_of(const struct token *t)
{
	if (t->kind != TOKEN_OP && t->kind != TOKEN_IDENT)
		return NULL;
	for (size_t i = 0; i < sizeof(binary_ops) / sizeof(binary_ops[0]);
	     i++) {
		const struct binary_op *op = &binary_ops[i];

		if (op->word ? token_is(t, op->text) : token_is_op(t, op->text))
			return op;
	}
	return NULL;
}

static struct basic_node *climb(struct parser *p, unsigned min_level);

/* NOT binds looser than comparisons: NOT a = b is NOT (a = b). */
static struct basic_node *negation(struct parser *p)
{
	const struct token *t = lexer_peek(&p->lx, 0);
	struct basic_node *n;

	if (!token_is(t, "NOT") && !token_is_op(t, "!"))
		return climb(p, LEVEL_NOT + 1);
	if (!parser_enter(p, t))
		return NULL;
	n = prefixed(p, negation);
	parser_leave(p);
	return n;
}

/*
 * Precedence climbing: an operand, then each operator of at least
 * min_level with its right side, left-associative.  One look at the
 * operator table per operator, whatever the number of levels.
 */
static struct basic_node *climb(struct parser *p, unsigned min_level)
{
	struct basic_node *lhs =
		min_level <= LEVEL_NOT ? negation(p) : unary(p);
	const struct binary_op *op;

	while (lhs && (op = binary_op_of(lexer_peek(&p->lx, 0))) &&
	       op->level >= min_level) {
		const char *text = op->text;
		struct basic_node *n, *rhs;

		lexer_next(&p->lx);
		if (strcmp(text, "IS") == 0 &&
		    token_is(lexer_peek(&p->lx, 0), "NOT")) {
			lexer_next(&p->lx);
			text = "IS NOT";
		}
		rhs = climb(p, op->level + 1);
		if (!rhs)
			return NULL;
		n = wrap(p, BASIC_BINARY, lhs);
		if (!n)
			return NULL;
		n->text = text;
		n->text_len = strlen(text);
		node_add(n, rhs);
		node_finish(p, n);
		lhs = n;
	}
	return lhs;
}

struct basic_node *parse_expression(struct parser *p)
{
	return climb(p, LEVEL_LOWEST);
}

struct basic_node *parse_operand(struct parser *p)
{
	return climb(p, LEVEL_CONCAT);
}

struct basic_node *parse_target(struct parser *p)
{
	return postfix(p);
}

/* ---- values and argument lists ---- */

bool parse_argument_list(struct parser *p, struct basic_node *parent)
{
	if (at_statement_end(p))
		return true;
	for (;;) {
		struct basic_node *arg = parse_expression(p);

		if (!arg)
			return false;
		node_add(parent, arg);
		if (!token_is_op(lexer_peek(&p->lx, 0), ","))
			return true;
		lexer_next(&p->lx);
	}
}

/*
 * Is the one-word command at the current token really one?  Only when a
 * value follows: "update + 1" and "log.info()" use a variable.
 */
static bool command_follows(struct lexer *lx, unsigned words)
{
	const struct token *next = lexer_peek(lx, words);

	return next->kind == TOKEN_NUMBER || next->kind == TOKEN_STRING ||
	       token_is_op(next, "(") || token_is_op(next, "{") ||
	       (next->kind == TOKEN_IDENT && !is_stop_word(next));
}

/* FORMAT d, "yyyy": a word followed by a value, not by an operator. */
static bool is_keyword_call(struct parser *p)
{
	const struct token *word = lexer_peek(&p->lx, 0);
	const struct token *next = lexer_peek(&p->lx, 1);

	/* Among a command's arguments "body USING x" is a clause. */
	if (p->command_args > 0 && command_clause_word(next))
		return false;

	if (word->kind != TOKEN_IDENT || is_stop_word(word) ||
	    token_is(word, "NOT") || token_is(word, "NEW") ||
	    token_is(word, "TRUE") || token_is(word, "FALSE") ||
	    token_is(word, "NULL"))
		return false;
	return next->kind == TOKEN_NUMBER || next->kind == TOKEN_STRING ||
	       (next->kind == TOKEN_IDENT && !is_stop_word(next));
}

/* Is the token after the phrase's words a "(" right after the last word? */
static bool called_with_parentheses(struct lexer *lx, unsigned words)
{
	const struct token *last = lexer_peek(lx, words - 1);
	const struct token *next = lexer_peek(lx, words);

	return token_is_op(next, "(") && next->start == last->start + last->len;
}

/* FORMAT d, "yyyy", with the arguments as a command's. */
static struct basic_node *keyword_call(struct parser *p, bool in_expression)
{
	struct token name = lexer_next(&p->lx);
	struct basic_node *n = node_new(p, BASIC_KEYWORD_CALL, &name);

	if (!n || !parse_command_arguments(p, n, in_expression))
		return NULL;
	node_finish(p, n);
	return n;
}

/* The command whose phrase of words words is at the current token. */
static struct basic_node *command_node(struct parser *p, const char *phrase,
				       unsigned words, bool in_expression)
{
	struct basic_node *n =
		node_new(p, BASIC_COMMAND, lexer_peek(&p->lx, 0));

	if (!n)
		return NULL;
	n->text = phrase;
	n->text_len = strlen(phrase);
	while (words--)
		lexer_next(&p->lx);
	if (!parse_command_arguments(p, n, in_expression))
		return NULL;
	node_finish(p, n);
	return n;
}

struct basic_node *parse_value(struct parser *p)
{
	const char *phrase;
	unsigned words;

	/*
	 * A command heading the value takes whole expressions as arguments
	 * (x = FIND "t", "a=" & b); one called with parentheses is an
	 * operand like any other (x = GET BOT MEMORY("k") + 1).
	 */
	phrase = command_match(&p->lx, &words);
	if (phrase && called_with_parentheses(&p->lx, words))
		return parse_expression(p);
	if (phrase && (words > 1 || command_follows(&p->lx, words)))
		return command_node(p, phrase, words, false);

	if (is_keyword_call(p))
		return keyword_call(p, false);
	return parse_expression(p);
}
