/* basic.h — parsing "Authorization: Basic base64(client_id:client_secret)" (RFC 7617 as
 * OAuth uses it, RFC 6749 §2.3.1): both parts are form-URL-decoded after base64 decoding.
 * Untrusted input: strict base64, bounded lengths, no NUL bytes; has a fuzz target. */
#ifndef CONNECTD_BASIC_H
#define CONNECTD_BASIC_H

#include <stdbool.h>
#include <stddef.h>

#define BASIC_PART_MAX 256

struct basic_credentials {
    char id[BASIC_PART_MAX + 1];
    char secret[BASIC_PART_MAX + 1];
};

enum basic_status {
    BASIC_NONE,      /* the header is not a Basic one (other scheme, or absent) */
    BASIC_OK,
    BASIC_MALFORMED, /* a Basic header that cannot be decoded */
};

/* header: the Authorization value (not NUL-terminated), or NULL. Scheme matched
 * case-insensitively; surrounding whitespace tolerated. */
enum basic_status basic_parse(const char *header, size_t len, struct basic_credentials *out);

/* The token of "Bearer <token>" (scheme case-insensitive). Returns false when the header is
 * not a Bearer one; *token and *token_len point into header (may be empty, or contain spaces when
 * a client sent two tokens: the caller rejects those). */
bool bearer_token(const char *header, size_t len, const char **token, size_t *token_len);

#endif
