/* form.h — application/x-www-form-urlencoded parsing, for query strings and form bodies.
 * '+' is a space, %XX is decoded; names and values are copied, decoded, into the pool.
 * Used by query parameters everywhere and by the OAuth token endpoint (spec README §13). */
#ifndef CONNECTD_FORM_H
#define CONNECTD_FORM_H

#include <stdbool.h>
#include <stddef.h>

#include <h2o/memory.h>

struct form_param {
    char *name; /* NUL-terminated, decoded */
    size_t name_len;
    char *value; /* NUL-terminated, decoded; "" for "?flag" and "?flag=" */
    size_t value_len;
};

struct form {
    size_t n;
    struct form_param *params;
};

/* Parses s[0..len). Returns false on a bad %-escape or a decoded NUL. Empty pieces ("a&&b")
 * are skipped. */
bool form_parse(const char *s, size_t len, h2o_mem_pool_t *pool, struct form *out);

/* The value of the first parameter called name, or NULL. count (may be NULL) receives how
 * many times it occurs (OAuth rejects a parameter repeated within one source). */
const char *form_get(const struct form *f, const char *name, size_t *count);

/* Percent-decodes in place semantics: decodes src into dst (dst may equal src); plus_is_space
 * for form data. Returns the decoded length, or (size_t)-1 on a bad escape or NUL. */
size_t url_decode(const char *src, size_t len, char *dst, bool plus_is_space);

/* Boolean query flag (spec README §6.4): "true", "1", "" -> true; "false", "0" -> false;
 * anything else -> returns false from the function. absent -> *out = dflt. */
bool form_flag(const struct form *f, const char *name, bool dflt, bool *out);

#endif
