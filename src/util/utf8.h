/* utf8.h — making text safe to echo: messages that quote client input (a content type, a
 * grant type, the start of a token) must stay valid UTF-8 (jansson refuses anything else)
 * and must not smuggle control characters into JSON, XML or header values. */
#ifndef CONNECTD_UTF8_H
#define CONNECTD_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* Replaces in place every byte that is not part of a valid UTF-8 sequence, and every control
 * character, with '?'. */
void utf8_scrub(char *s);

/* Copies at most n characters of s (printable ASCII only; anything else becomes '?') into
 * out, NUL-terminated: the "first 6 characters of the token" of spec README §5.1. */
void text_prefix(const char *s, size_t n, char *out, size_t cap);

/* Whether a and b (UTF-8) are equal ignoring case (simple folding of Latin, Greek and
 * Cyrillic letters): "Ødegård" equals "ØDEGÅRD". */
bool utf8_casefold_equal(const char *a, const char *b);

#endif
