/*
 * basic_lex.c - the tokens of a BASIC source.
 *
 * The dialect is line-based, so a line break is a token, except inside
 * the brackets of object and array literals, which may span lines.  Words are
 * identifiers and keywords alike: which word is a keyword depends on where
 * it stands, and the parser decides.  Bytes from 0x80 up are letters, so
 * that names in any language written in UTF-8 are words.
 */
#include <ctype.h>
#include <string.h>

#include "basic_internal.h"

/* Two-byte punctuation first, so that "<=" wins over "<". */
static const char *const long_ops[] = {
	"<=", ">=", "<>", "==", "!=", "&&", "||", NULL};
static const char short_ops[] = "+-*/\\^&=<>()[]{},:;.!%?";

void lexer_init(struct lexer *lx, const char *src, size_t len)
{
	memset(lx, 0, sizeof(*lx));
	lx->src = lx->pos = lx->line_start = src;
	lx->end = src + len;
	lx->line = 1;

	/* A UTF-8 byte order mark is no part of the program. */
	if (len >= 3 && memcmp(src, "\xEF\xBB\xBF", 3) == 0)
		lx->pos = lx->line_start = src + 3;
}

static bool is_word_start(unsigned char c)
{
	return isalpha(c) || c == '_' || c >= 0x80;
}

static bool is_word_byte(unsigned char c)
{
	return isalnum(c) || c == '_' || c >= 0x80;
}

static void skip_to_line_end(struct lexer *lx)
{
	while (lx->pos < lx->end && *lx->pos != '\n')
		lx->pos++;
}

static void skip_blanks_and_comments(struct lexer *lx)
{
	while (lx->pos < lx->end) {
		char c = *lx->pos;

		if (c == ' ' || c == '\t' || c == '\r' || c == '\f' ||
		    c == '\v') {
			lx->pos++;
		} else if (c == '\'' || (c == '/' && lx->pos + 1 < lx->end &&
					 lx->pos[1] == '/')) {
			skip_to_line_end(lx);
		} else if (c == '\n' && lx->depth > 0) {
			lx->pos++;
			lx->line++;
			lx->line_start = lx->pos;
		} else {
			return;
		}
	}
}

/* Typographic quotes, which word processors put in pasted scripts. */
static const char left_quote[] = "\xe2\x80\x9c", right_quote[] = "\xe2\x80\x9d";

static bool at_bytes(const struct lexer *lx, const char *bytes, size_t n)
{
	return (size_t)(lx->end - lx->pos) >= n &&
	       memcmp(lx->pos, bytes, n) == 0;
}

/*
 * A string: "..." or “...”, either quote closing either (and “ closing
 * “, a slip that pasted scripts make).  "" inside is
 * one quote, and a backslash keeps the next byte from closing it.
 */
static void read_string(struct lexer *lx, struct token *t)
{
	t->open_len = *lx->pos == '"' ? 1 : 3;
	lx->pos += t->open_len;
	while (lx->pos < lx->end && *lx->pos != '\n') {
		if (*lx->pos == '\\' && lx->pos + 1 < lx->end &&
		    lx->pos[1] != '\n') {
			lx->pos += 2;
			continue;
		}
		if (*lx->pos == '"' && lx->pos + 1 < lx->end &&
		    lx->pos[1] == '"') {
			lx->pos += 2;
			continue;
		}
		if (*lx->pos == '"' || at_bytes(lx, right_quote, 3) ||
		    (t->open_len == 3 && at_bytes(lx, left_quote, 3))) {
			t->close_len = *lx->pos == '"' ? 1 : 3;
			lx->pos += t->close_len;
			t->kind = TOKEN_STRING;
			return;
		}
		lx->pos++;
	}
	t->kind = TOKEN_BAD; /* unterminated */
}

static void read_number(struct lexer *lx)
{
	while (lx->pos < lx->end && isdigit((unsigned char)*lx->pos))
		lx->pos++;
	if (lx->pos + 1 < lx->end && *lx->pos == '.' &&
	    isdigit((unsigned char)lx->pos[1])) {
		lx->pos++;
		while (lx->pos < lx->end && isdigit((unsigned char)*lx->pos))
			lx->pos++;
	}
	if (lx->pos < lx->end && (*lx->pos == 'e' || *lx->pos == 'E')) {
		const char *exp = lx->pos + 1;

		if (exp < lx->end && (*exp == '+' || *exp == '-'))
			exp++;
		if (exp < lx->end && isdigit((unsigned char)*exp)) {
			lx->pos = exp;
			while (lx->pos < lx->end &&
			       isdigit((unsigned char)*lx->pos))
				lx->pos++;
		}
	}
}

static void read_op(struct lexer *lx, struct token *t)
{
	for (const char *const *op = long_ops; *op; op++)
		if (lx->end - lx->pos >= 2 && memcmp(lx->pos, *op, 2) == 0) {
			lx->pos += 2;
			t->kind = TOKEN_OP;
			return;
		}

	t->kind = strchr(short_ops, *lx->pos) ? TOKEN_OP : TOKEN_BAD;
	if (t->kind == TOKEN_OP) {
		/* Only literals span lines: a "(" left open is an error
		 * at the end of its own line. */
		if (strchr("[{", *lx->pos))
			lx->depth++;
		else if (strchr("]}", *lx->pos) && lx->depth > 0)
			lx->depth--;
	}
	lx->pos++;
}

static struct token scan(struct lexer *lx)
{
	struct token t = {0};
	unsigned char c;

	skip_blanks_and_comments(lx);
	t.start = lx->pos;
	t.line = lx->line;
	t.col = (unsigned)(lx->pos - lx->line_start) + 1;
	if (lx->pos >= lx->end) {
		t.kind = TOKEN_EOF;
		return t;
	}

	c = (unsigned char)*lx->pos;
	if (c == '\n') {
		t.kind = TOKEN_NEWLINE;
		lx->pos++;
		lx->line++;
		lx->line_start = lx->pos;
	} else if (c == '"' || at_bytes(lx, left_quote, 3)) {
		read_string(lx, &t);
	} else if (isdigit(c) || (c == '.' && lx->pos + 1 < lx->end &&
				  isdigit((unsigned char)lx->pos[1]))) {
		t.kind = TOKEN_NUMBER;
		read_number(lx);
	} else if (is_word_start(c)) {
		t.kind = TOKEN_IDENT;
		while (lx->pos < lx->end &&
		       is_word_byte((unsigned char)*lx->pos))
			lx->pos++;
		if (lx->pos < lx->end && *lx->pos == '$')
			lx->pos++; /* classic string variables: name$ */
	} else {
		read_op(lx, &t);
	}
	t.len = (size_t)(lx->pos - t.start);
	return t;
}

const struct token *lexer_peek(struct lexer *lx, unsigned n)
{
	while (lx->ahead_count <= n && lx->ahead_count < LOOKAHEAD_MAX)
		lx->ahead[lx->ahead_count++] = scan(lx);
	return &lx->ahead[n < LOOKAHEAD_MAX ? n : LOOKAHEAD_MAX - 1];
}

struct token lexer_next(struct lexer *lx)
{
	struct token t = *lexer_peek(lx, 0);

	if (t.kind != TOKEN_EOF) {
		lx->ahead_count--;
		memmove(lx->ahead, lx->ahead + 1,
			lx->ahead_count * sizeof(lx->ahead[0]));
	}
	if (t.kind != TOKEN_NEWLINE && t.kind != TOKEN_EOF)
		lx->prev = t;
	return t;
}

void lexer_skip_line(struct lexer *lx)
{
	const struct token *t = lexer_peek(lx, 0);

	/* Back to where the current token starts, then past its line. */
	if (t->kind == TOKEN_EOF)
		return;
	if (t->kind == TOKEN_NEWLINE) {
		lexer_next(lx);
		lx->depth = 0;
		return;
	}
	lx->pos = t->start;
	lx->line = t->line;
	lx->line_start = t->start - (t->col - 1);
	lx->ahead_count = 0;
	lx->depth = 0;
	skip_to_line_end(lx);
	if (lx->pos < lx->end) {
		lx->pos++;
		lx->line++;
		lx->line_start = lx->pos;
	}
}

static const char *skip_blanks(const char *s, const char *end)
{
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	return s;
}

/* Does the line [line, end) start with END and then word, as words? */
static bool line_ends_block(const char *line, const char *end, const char *word)
{
	size_t n = strlen(word);

	line = skip_blanks(line, end);
	if (end - line < 4 || strncasecmp(line, "END", 3) != 0 ||
	    (line[3] != ' ' && line[3] != '\t'))
		return false;
	line = skip_blanks(line + 3, end);
	return (size_t)(end - line) >= n && strncasecmp(line, word, n) == 0 &&
	       ((size_t)(end - line) == n ||
		!is_word_byte((unsigned char)line[n]));
}

bool lexer_raw_until_end(struct lexer *lx, const char *word, const char **text,
			 size_t *len, unsigned *line)
{
	const char *first = lx->pos, *last_end = lx->pos;

	*line = lx->line;
	while (lx->pos < lx->end) {
		const char *eol =
			memchr(lx->pos, '\n', (size_t)(lx->end - lx->pos));

		if (!eol)
			eol = lx->end;
		if (line_ends_block(lx->pos, eol, word)) {
			*text = first;
			*len = (size_t)(last_end - first);
			return true;
		}
		last_end = eol;
		lx->pos = eol < lx->end ? eol + 1 : eol;
		if (eol < lx->end) {
			lx->line++;
			lx->line_start = lx->pos;
		}
	}
	*text = first;
	*len = (size_t)(lx->end - first);
	return false;
}
