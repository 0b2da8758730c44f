/*
 * basic_internal.h - what the compiler's files share: the arena, the
 * tokens, the lexer and the parser's state.  Nothing outside basic_*.c
 * includes it; basic.h is the compiler's face.
 */
#ifndef DRIVEMON_BASIC_INTERNAL_H
#define DRIVEMON_BASIC_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "basic.h"

/* ---- arena: every node, string and diagnostic of a unit ---- */

struct basic_arena;

struct basic_arena *arena_new(void);
void arena_free(struct basic_arena *a);
/* Zeroed memory, or NULL when out of memory. */
void *arena_alloc(struct basic_arena *a, size_t size);

/* ---- tokens ---- */

enum token_kind {
	TOKEN_EOF,
	TOKEN_NEWLINE,
	TOKEN_IDENT,
	TOKEN_NUMBER,
	TOKEN_STRING, /* start and len include the quotes */
	TOKEN_OP,     /* punctuation: "+", "<=", "(", ... */
	TOKEN_BAD,    /* a byte or a string the lexer cannot read */
};

struct token {
	enum token_kind kind;
	const char *start;
	size_t len;
	unsigned line, col;
	/* a string's opening and closing quote: 1 byte, or 3 for “ and ” */
	unsigned char open_len, close_len;
};

/* Tokens looked at ahead of the current one, at most. */
#define LOOKAHEAD_MAX 6

/*
 * The lexer skips blanks and comments (' and // to the end of the line;
 * REM is the parser's), and reports a line break only outside the
 * brackets [ ] and { }, so that array and object literals may span lines.
 */
struct lexer {
	const char *src, *end, *pos;
	unsigned line;
	const char *line_start;
	int depth; /* open ( [ { */
	struct token ahead[LOOKAHEAD_MAX];
	unsigned ahead_count;
	struct token prev; /* the last token consumed but line breaks */
};

void lexer_init(struct lexer *lx, const char *src, size_t len);
/* The n-th token from the current one (0 = current). */
const struct token *lexer_peek(struct lexer *lx, unsigned n);
/* Consume the current token. */
struct token lexer_next(struct lexer *lx);
/*
 * Drop what was looked at and go to the start of the next physical line,
 * forgetting open brackets: how the parser recovers from an error.
 */
void lexer_skip_line(struct lexer *lx);
/*
 * Read whole lines verbatim until one that starts "END word" (any case),
 * which is left as the next tokens.  *text, *len: the lines read, from the
 * start of the first one to the end of the last.  Returns false at the
 * end of the source.  No token may be looked at ahead when called.
 */
bool lexer_raw_until_end(struct lexer *lx, const char *word, const char **text,
			 size_t *len, unsigned *line);

/*
 * Case-insensitive: is t the word w (w upper case)?  Inline, and the
 * first letter compared first, because the parser asks it of every word
 * against its tables.
 */
static inline bool token_is(const struct token *t, const char *w)
{
	size_t n;

	if (t->kind != TOKEN_IDENT ||
	    ((unsigned char)t->start[0] | 0x20) != ((unsigned char)w[0] | 0x20))
		return false;
	n = strlen(w);
	return t->len == n && strncasecmp(t->start, w, n) == 0;
}

/* Is t the punctuation op? */
static inline bool token_is_op(const struct token *t, const char *op)
{
	size_t n;

	if (t->kind != TOKEN_OP || t->start[0] != op[0])
		return false;
	n = strlen(op);
	return t->len == n && memcmp(t->start, op, n) == 0;
}

/* ---- the parser ---- */

/* Open blocks the parser remembers for recovery (deeper ones still parse). */
#define BLOCKS_TRACKED 64

struct parser {
	struct basic_unit *unit;
	struct lexer lx;
	int depth;
	bool single_line_if; /* ELSE also ends a statement */
	bool executable_seen;
	bool eof_closes_block; /* the next block may end with the file */
	unsigned command_args; /* inside a command's arguments */
	/* checked once the whole file is read */
	struct basic_node *labels, *gotos, *calls, *procs;

	/* The closing phrases of the blocks open now, innermost last. */
	const char *const *open_blocks[BLOCKS_TRACKED];
	unsigned open_count;
};

/* Count a level of nesting; false (reported) past BASIC_DEPTH_MAX. */
bool parser_enter(struct parser *p, const struct token *at);
void parser_leave(struct parser *p);

/* Is name (len bytes) a PARAM type the schemas know? (basic_schema.c) */
bool basic_type_known(const char *name, size_t len);

/* Report a problem at line:col; the message is formatted.  */
void parser_report(struct parser *p, enum basic_severity severity,
		   unsigned line, unsigned col, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

struct basic_node *node_new(struct parser *p, enum basic_node_kind kind,
			    const struct token *at);
void node_add(struct basic_node *parent, struct basic_node *child);
/* The node ends where the token consumed last ends. */
void node_finish(struct parser *p, struct basic_node *node);
/* A copy of len bytes in the arena, NUL-terminated. */
char *parser_strndup(struct parser *p, const char *s, size_t len);

/*
 * Expressions (basic_expr.c).  Each returns the node, or NULL after
 * reporting an error.
 */
struct basic_node *parse_expression(struct parser *p);
/*
 * The value after "=" of an assignment: also a keyword-style call
 * without parentheses (FORMAT d, "yyyy") or a command phrase that
 * yields a value (GET BOT MEMORY "k").
 */
struct basic_node *parse_value(struct parser *p);
/* An operand of a comparison: arithmetic and "&", no comparison. */
struct basic_node *parse_operand(struct parser *p);
/* What may stand left of "=": a name and its postfix chain (a.b[i]). */
struct basic_node *parse_target(struct parser *p);
/*
 * Verbatim text (BEGIN TALK...END TALK) starting on line: a STRING, or a
 * TEMPLATE when it holds ${expr}.
 */
struct basic_node *parse_verbatim(struct parser *p, const char *text,
				  size_t len, unsigned line);
/*
 * item {"," item} into parent, then the closing punctuation closer, which
 * is consumed; an error naming wanted when something else comes.
 */
typedef struct basic_node *(*basic_item_fn)(struct parser *p);
bool parse_list_until(struct parser *p, struct basic_node *parent,
		      const char *closer, basic_item_fn item,
		      const char *wanted);
/* expr {"," expr} into parent until the end of the statement. */
bool parse_argument_list(struct parser *p, struct basic_node *parent);
/* Does the current token end a statement? */
bool at_statement_end(struct parser *p);
/* Does t begin an expression (and is no word that ends one)? */
bool begins_expression(const struct token *t);

/* ---- the table of bot statements (basic_commands.c) ---- */

/*
 * The longest phrase of the table that the tokens from the current one
 * spell ("SET BOT MEMORY"); *words receives its word count.  NULL when
 * none.
 */
const char *command_match(struct lexer *lx, unsigned *words);

/*
 * Parse the arguments after a command's words, or a keyword call's name,
 * into node: values separated by commas or marked by clause words.  In
 * an expression (in_expression) each value is an operand that stops at
 * comparisons and logic, so that GET "k" = "v" compares the result.
 */
bool parse_command_arguments(struct parser *p, struct basic_node *node,
			     bool in_expression);

/* Is t a word that marks a value in command arguments (TO, AS, WITH)? */
bool command_clause_word(const struct token *t);

#endif
