/* password.h — user passwords for the login pages (spec/identity.md §4.1): Argon2id over
 * libargon2, stored as the standard PHC string "$argon2id$v=19$m=..,t=..,p=..$salt$hash" so
 * each hash records its own cost and the costs can be raised later (password_needs_rehash).
 * Client secrets are not passwords: they use the fast keyed hash in util/crypto.h. */
#ifndef CONNECTD_PASSWORD_H
#define CONNECTD_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct password_params {
    uint32_t t_cost;      /* passes over memory */
    uint32_t m_cost_kib;  /* memory in KiB; at least 8 * parallelism */
    uint32_t parallelism; /* lanes (and threads); 1 keeps a login to one core */
};

/* OWASP's Argon2id baseline (19 MiB, 2 passes, 1 lane): ~tens of ms on one core, so a
 * 2-core server can still take a burst of logins. */
#define PASSWORD_PARAMS_DEFAULT ((struct password_params){2, 19456, 1})
/* Deliberately weak, for tests only: a hash takes about a millisecond. */
#define PASSWORD_PARAMS_TEST ((struct password_params){1, 1024, 1})

/* Room for an encoded hash of any parameters this module accepts, NUL included. */
#define PASSWORD_ENCODED_MAX 160

/* Password policy, in code points (UTF-8). */
#define PASSWORD_MIN_CHARS 8
#define PASSWORD_MAX_CHARS 128

/* Hashes password with a fresh random 16-byte salt and a 32-byte tag into out[cap] as a PHC
 * string. p NULL means PASSWORD_PARAMS_DEFAULT. False (out = "") if the parameters are out of
 * range, cap is too small or the RNG or libargon2 failed. */
bool password_hash(const char *password, const struct password_params *p, char *out, size_t cap);

/* True only if encoded is a well-formed Argon2id (v=19) string and password matches it.
 * The comparison is constant-time (libargon2's own). Malformed, truncated, other-algorithm or
 * absurd-cost strings give false without computing anything. */
bool password_verify(const char *password, const char *encoded);

/* True when encoded should be replaced by a fresh hash at the next successful login: it is
 * malformed or not Argon2id v=19, or any of its costs is below p's (NULL = default). */
bool password_needs_rehash(const char *encoded, const struct password_params *p);

/* Spends the time of one password_verify against a hash made with p (NULL = default), and
 * always "fails". Call it for an unknown credential or a user who may not log in, so that the
 * answer takes as long as a wrong password (no enumeration by timing, spec §4.1). */
void password_dummy_verify(const char *password, const struct password_params *p);

/* Policy for a new password: valid UTF-8, PASSWORD_MIN_CHARS..PASSWORD_MAX_CHARS code
 * points, no control characters, not only whitespace. On false, *why (if why is not NULL)
 * is a short English sentence for the form. */
bool password_acceptable(const char *password, const char **why);

#endif
