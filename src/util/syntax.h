/* syntax.h — the shapes of contact identifiers, checked the same way everywhere: by the login
 * pages (credential normalisation), by the field validator (e-mail and phone fields of the API)
 * and by the credential check. Pure functions over bytes; no normalisation here. */
#ifndef CONNECTD_SYNTAX_H
#define CONNECTD_SYNTAX_H

#include <stdbool.h>
#include <stddef.h>

/* local@domain: a local part of RFC 5322 atext and dots (no leading, trailing or doubled dot,
 * at most 64 bytes), a domain of two or more labels of letters, digits and hyphens (1..63
 * each, not starting or ending with '-', the last not all digits). ASCII only, on purpose:
 * stricter than RFC 5321, to catch typos. */
bool email_syntax_ok(const char *s, size_t n);

/* E.164 as the API writes it: '+' and 8 to 15 digits, the first not 0. */
bool e164_ok(const char *s, size_t n);

#endif
