/* credential.h — turning what a user types into the login form into the stored credential
 * form of spec/identity.md §1.1: type A (e-mail, lower-cased) or type B (mobile, E.164).
 * Pure string work, no lookups: the login pages normalise first, then ask the store. */
#ifndef CONNECTD_CREDENTIAL_H
#define CONNECTD_CREDENTIAL_H

#include <stddef.h>

enum credential_kind {
    CREDENTIAL_EMAIL,
    CREDENTIAL_PHONE,
    CREDENTIAL_INVALID,
};

/* A credential is at most 60 characters (spec §1); a buffer of this size always suffices. */
#define CREDENTIAL_MAX 60
#define CREDENTIAL_BUF (CREDENTIAL_MAX + 1)

/* Trims surrounding whitespace, then:
 * - anything with an '@' must be an e-mail: exactly one '@', a local part of printable ASCII
 *   without spaces (no leading, trailing or doubled dot), a domain of two or more labels of
 *   letters, digits and hyphens (no label starting or ending with '-', top label not all
 *   digits), at most 60 characters; it is lower-cased. Internationalised addresses are not
 *   accepted (conservative on purpose).
 * - otherwise it must be a phone number: spaces, '-', '.', '(' and ')' are dropped; a leading
 *   "+" or "00" introduces the country code; exactly 8 digits with no prefix are taken as a
 *   Norwegian number and get "+47" (the service's home market; Norwegian numbers have no
 *   trunk prefix, so an 8-digit entry is unambiguous there). Any other unprefixed number is
 *   refused rather than guessed. The result is "+" and 8..15 digits, the first not 0.
 * Writes the normalised form to out[cap] (CREDENTIAL_BUF is enough), "" when invalid. */
enum credential_kind credential_normalize(const char *input, char *out, size_t cap);

/* The one-letter credential type of §1.1: 'A' for e-mail, 'B' for phone, '\0' for invalid. */
char credential_type_code(enum credential_kind kind);

#endif
