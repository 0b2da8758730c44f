/*
 * utf8.h - telling UTF-8 text from other bytes, for parsers of files that
 * people write (config.csv, .bas) whose content ends up in JSON.
 */
#ifndef DRIVEMON_UTF8_H
#define DRIVEMON_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Length of the UTF-8 character at s (n bytes available, n > 0), or 0
 * when the bytes are not one: a stray continuation byte, a cut or
 * overlong sequence, a surrogate, a code point past U+10FFFF.  NUL counts
 * as not text, since what is read becomes C strings.
 */
size_t utf8_char_len(const unsigned char *s, size_t n);

/* True when all len bytes of s are UTF-8 text. */
bool utf8_is_text(const char *s, size_t len);

#endif
