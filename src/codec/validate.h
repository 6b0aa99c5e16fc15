/* validate.h — declarative validation of request fields (spec README §6.3).
 * An endpoint describes its body as a table of fields (name, type, required, limit, enum,
 * where to store the result); one generic validator applies the leniency coercions and writes
 * the documented error text "<field>: <rule>". Fifty endpoints share it instead of fifty
 * hand-written validators. The coercion primitives are exported for query and path params. */
#ifndef CONNECTD_VALIDATE_H
#define CONNECTD_VALIDATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <h2o/memory.h>

enum field_type {
    FIELD_STRING,       /* -> const char * (trimmed, NUL-terminated, NULL when absent or "") */
    FIELD_INT,          /* -> struct opt_int */
    FIELD_NUMBER,       /* -> struct opt_num */
    FIELD_MONEY,        /* -> struct opt_int holding cents; at most 2 decimals */
    FIELD_BOOL,         /* -> struct opt_bool */
    FIELD_TIMESTAMP,    /* -> struct opt_int holding epoch ms (spec README §8) */
    FIELD_STRING_ARRAY, /* -> struct str_array; a single string is a one-item array */
    FIELD_VALUE,        /* -> const json_t * (borrowed): objects and arrays an endpoint walks itself */
};

#define FIELD_REQUIRED 0x1
#define FIELD_POSTAL_CODE 0x2 /* a numeric value is zero-padded to 4 digits when countryCode is NO or absent */
#define FIELD_EMAIL 0x4       /* strings and items: a valid e-mail address (util/syntax.h) */
#define FIELD_E164 0x8        /* strings and items: an E.164 phone number, '+' and 8..15 digits */
#define FIELD_WRITE_ONLY 0x10 /* accepted and stored, never rendered in a reply (codec/record.h) */

struct field {
    const char *name;
    enum field_type type;
    unsigned flags;
    size_t max_len;             /* strings and string items: max characters (code points); 0 = none */
    const char *const *allowed; /* NULL-terminated list of allowed values (case-sensitive), or NULL */
    size_t offset;              /* offsetof(the output struct, member) */
};

struct opt_int {
    bool set;
    int64_t v;
};

struct opt_num {
    bool set;
    double v;
};

struct opt_bool {
    bool set;
    bool v;
};

struct str_array {
    size_t n;
    const char **items;
};

#define VALIDATE_MSG_MAX 256

struct validate_error {
    char message[VALIDATE_MSG_MAX]; /* "externalId: must not be longer than 60 characters" */
};

/* Validates obj (a JSON object; anything else is an error "request body: must be an object")
 * against fields[0..n), filling out. xml says the value came from an XML body (an array field
 * may then arrive as an object whose members are the items). Strings are copied into pool.
 * Returns false with err filled at the first failure, in table order. */
bool validate_fields(const json_t *obj, bool xml, const struct field *fields, size_t n, void *out,
                     h2o_mem_pool_t *pool, struct validate_error *err);

/* Coercion primitives (each false when the value does not fit the type). */
bool coerce_int(const json_t *v, int64_t *out);         /* integer or digit string, optional '-' */
bool coerce_number(const json_t *v, double *out);       /* number or decimal string */
bool coerce_money(const json_t *v, int64_t *cents);     /* as number, at most 2 decimals */
bool coerce_bool(const json_t *v, bool *out);           /* true/false or "true"/"false" any case */
bool coerce_int_text(const char *s, size_t len, int64_t *out); /* for query and path parameters */

/* Number of Unicode code points in a UTF-8 string. */
size_t utf8_length(const char *s, size_t len);

#endif
