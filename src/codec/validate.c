/* validate.c — the one generic validator behind every documented request body (README §6.3).
 * An endpoint hands over a field table; this file applies the leniency coercions (digit
 * strings for integers, numbers for strings, a lone string for an array ...), trims strings,
 * treats "" and null as not given, and on the first broken rule writes "<field>: <rule>" with
 * the exact wording clients see. Results go to the caller's struct at each field's offset. */
#include "codec/validate.h"

#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "codec/date.h"
#include "util/buf.h"
#include "util/pool.h"
#include "util/syntax.h"

#define NUM_TEXT_MAX 40 /* "%.17g" of any double, or any int64, fits */

/* A view of part of a string (not NUL-terminated). */
struct text {
    const char *s;
    size_t len;
};

/* ---- small helpers ------------------------------------------------------------------------ */

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static struct text trim(const char *s, size_t len)
{
    while (len > 0 && is_space(*s)) {
        s++;
        len--;
    }
    while (len > 0 && is_space(s[len - 1]))
        len--;
    return (struct text){s, len};
}

static struct text string_text(const json_t *v)
{
    return trim(json_string_value(v), json_string_length(v));
}

/* Absent, null, or a string that trims to nothing: §6.3 "not given". */
static bool not_given(const json_t *v)
{
    return v == NULL || json_is_null(v) || (json_is_string(v) && string_text(v).len == 0);
}

static void fail(struct validate_error *err, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail(struct validate_error *err, const char *field, const char *fmt, ...)
{
    int n = snprintf(err->message, sizeof err->message, "%s: ", field);
    if (n < 0 || (size_t)n >= sizeof err->message)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message + n, sizeof err->message - (size_t)n, fmt, ap);
    va_end(ap);
}

size_t utf8_length(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            n++;
    return n;
}

/* A JSON number as its shortest decimal text (179 -> "179", 1.5 -> "1.5"). */
static size_t number_text(const json_t *v, char out[NUM_TEXT_MAX])
{
    if (json_is_integer(v))
        return (size_t)snprintf(out, NUM_TEXT_MAX, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    double d = json_real_value(v);
    int n = 0;
    for (int prec = 15; prec <= 17; prec++) {
        n = snprintf(out, NUM_TEXT_MAX, "%.*g", prec, d);
        if (strtod(out, NULL) == d)
            break;
    }
    return (size_t)n;
}

/* ---- coercion primitives ------------------------------------------------------------------ */

/* Digits with an optional '-' into a non-negative magnitude; false on overflow past limit. */
static bool digits_value(const char *s, size_t len, uint64_t limit, uint64_t *out)
{
    if (len == 0)
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (limit - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

bool coerce_int_text(const char *s, size_t len, int64_t *out)
{
    bool neg = len > 0 && s[0] == '-';
    uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    uint64_t mag;
    if (!digits_value(s + neg, len - neg, limit, &mag))
        return false;
    *out = neg ? (int64_t)(0 - mag) : (int64_t)mag;
    return true;
}

bool coerce_int(const json_t *v, int64_t *out)
{
    if (json_is_integer(v)) {
        *out = json_integer_value(v);
        return true;
    }
    if (!json_is_string(v))
        return false;
    struct text t = string_text(v);
    return coerce_int_text(t.s, t.len, out);
}

/* -?digits(.digits)? — the decimal strings §6.3 accepts for numbers and money. */
static bool is_decimal(struct text t)
{
    size_t i = t.len > 0 && t.s[0] == '-';
    size_t int_start = i;
    while (i < t.len && t.s[i] >= '0' && t.s[i] <= '9')
        i++;
    if (i == int_start)
        return false;
    if (i == t.len)
        return true;
    if (t.s[i++] != '.' || i == t.len)
        return false;
    while (i < t.len && t.s[i] >= '0' && t.s[i] <= '9')
        i++;
    return i == t.len;
}

bool coerce_number(const json_t *v, double *out)
{
    if (json_is_number(v)) {
        *out = json_number_value(v);
        return true;
    }
    if (!json_is_string(v))
        return false;
    struct text t = string_text(v);
    char tmp[128];
    if (!is_decimal(t) || t.len >= sizeof tmp)
        return false;
    memcpy(tmp, t.s, t.len);
    tmp[t.len] = '\0';
    *out = strtod(tmp, NULL);
    return isfinite(*out);
}

enum money_result { MONEY_OK, MONEY_NOT_NUMBER, MONEY_TOO_PRECISE };

/* A decimal string to cents exactly: no binary rounding ever touches it. Decimals beyond the
 * second must be zeros ("295.000" is 295, "1.234" is refused). */
static enum money_result money_from_text(struct text t, int64_t *cents)
{
    if (!is_decimal(t))
        return MONEY_NOT_NUMBER;
    bool neg = t.s[0] == '-';
    const char *dot = memchr(t.s, '.', t.len);
    size_t int_len = (dot ? (size_t)(dot - t.s) : t.len) - neg;
    uint64_t units, frac = 0;
    if (!digits_value(t.s + neg, int_len, (uint64_t)INT64_MAX / 100 - 1, &units))
        return MONEY_NOT_NUMBER;
    size_t frac_len = dot ? t.len - (size_t)(dot + 1 - t.s) : 0;
    for (size_t k = 0; k < frac_len; k++) {
        unsigned d = (unsigned)(dot[1 + k] - '0');
        if (k < 2)
            frac = frac * 10 + d;
        else if (d != 0)
            return MONEY_TOO_PRECISE;
    }
    if (frac_len == 1)
        frac *= 10;
    int64_t c = (int64_t)(units * 100 + frac);
    *cents = neg ? -c : c;
    return MONEY_OK;
}

/* A JSON real is binary: 84.54 is 84.5400000000000062... so "two decimals" means that
 * v * 100 lies within a few units of rounding error of a whole number. */
static enum money_result money_from_real(double v, int64_t *cents)
{
    double r = v * 100.0;
    if (!isfinite(r) || fabs(r) >= 9.0e18)
        return MONEY_NOT_NUMBER;
    double whole = nearbyint(r);
    if (fabs(r - whole) > fmax(1e-7, fabs(r) * 4 * DBL_EPSILON))
        return MONEY_TOO_PRECISE;
    *cents = (int64_t)whole;
    return MONEY_OK;
}

static enum money_result money_value(const json_t *v, int64_t *cents)
{
    if (json_is_integer(v)) {
        json_int_t n = json_integer_value(v);
        if (n > INT64_MAX / 100 || n < INT64_MIN / 100)
            return MONEY_NOT_NUMBER;
        *cents = n * 100;
        return MONEY_OK;
    }
    if (json_is_real(v))
        return money_from_real(json_real_value(v), cents);
    if (json_is_string(v))
        return money_from_text(string_text(v), cents);
    return MONEY_NOT_NUMBER;
}

bool coerce_money(const json_t *v, int64_t *cents)
{
    return money_value(v, cents) == MONEY_OK;
}

bool coerce_bool(const json_t *v, bool *out)
{
    if (json_is_boolean(v)) {
        *out = json_is_true(v);
        return true;
    }
    if (!json_is_string(v))
        return false;
    struct text t = string_text(v);
    if (t.len == 4 && strncasecmp(t.s, "true", 4) == 0)
        *out = true;
    else if (t.len == 5 && strncasecmp(t.s, "false", 5) == 0)
        *out = false;
    else
        return false;
    return true;
}

/* ---- strings ---------------------------------------------------------------------------- */

/* The text of a string-typed value: a string trimmed, or a number in its shortest decimal form
 * (written to tmp). False for booleans, objects and arrays. */
static bool value_text(const json_t *v, char tmp[NUM_TEXT_MAX], struct text *t)
{
    if (json_is_string(v)) {
        *t = string_text(v);
        return true;
    }
    if (!json_is_number(v))
        return false;
    t->len = number_text(v, tmp);
    t->s = tmp;
    return true;
}

static bool pad_postal_code(const json_t *obj)
{
    const json_t *cc = json_object_get(obj, "countryCode");
    if (not_given(cc))
        return true;
    if (!json_is_string(cc))
        return false;
    struct text t = string_text(cc);
    return t.len == 2 && strncasecmp(t.s, "NO", 2) == 0;
}

/* §6.3 postal codes: a number loses its leading zeros in JSON, so 179 means "0179" in Norway. */
static void postal_code_text(const json_t *obj, char tmp[NUM_TEXT_MAX], struct text *t)
{
    if (t->len >= 4 || t->len == 0 || !pad_postal_code(obj))
        return;
    for (size_t i = 0; i < t->len; i++)
        if (t->s[i] < '0' || t->s[i] > '9')
            return;
    char digits[NUM_TEXT_MAX];
    memcpy(digits, t->s, t->len);
    size_t pad = 4 - t->len;
    memset(tmp, '0', pad);
    memcpy(tmp + pad, digits, t->len);
    t->s = tmp;
    t->len = 4;
}

static void fail_enum(struct validate_error *err, const struct field *f)
{
    struct buf list = BUF_INIT;
    for (const char *const *a = f->allowed; *a; a++)
        buf_printf(&list, "%s%s", a == f->allowed ? "" : ", ", *a);
    fail(err, f->name, "must be one of %s", list.data ? list.data : "");
    buf_free(&list);
}

/* The length limit, the format and the enum: the rules a string and every string-array item
 * obey. */
static bool check_text(const struct field *f, struct text t, struct validate_error *err)
{
    if (f->max_len && utf8_length(t.s, t.len) > f->max_len) {
        fail(err, f->name, "must not be longer than %zu characters", f->max_len);
        return false;
    }
    if ((f->flags & FIELD_EMAIL) && !email_syntax_ok(t.s, t.len)) {
        fail(err, f->name, "must be a valid e-mail address");
        return false;
    }
    if ((f->flags & FIELD_E164) && !e164_ok(t.s, t.len)) {
        fail(err, f->name, "must be an E.164 phone number (+ and 8 to 15 digits)");
        return false;
    }
    if (f->allowed == NULL)
        return true;
    for (const char *const *a = f->allowed; *a; a++)
        if (strlen(*a) == t.len && memcmp(*a, t.s, t.len) == 0)
            return true;
    fail_enum(err, f);
    return false;
}

static bool take_string(const json_t *obj, const json_t *v, const struct field *f,
                        h2o_mem_pool_t *pool, const char **out, struct validate_error *err)
{
    char tmp[NUM_TEXT_MAX];
    struct text t;
    if (!value_text(v, tmp, &t)) {
        fail(err, f->name, "must be a string");
        return false;
    }
    if ((f->flags & FIELD_POSTAL_CODE) && json_is_number(v))
        postal_code_text(obj, tmp, &t);
    if (t.len == 0)
        return true; /* " " is not given; required-ness was checked on the raw value */
    if (!check_text(f, t, err))
        return false;
    *out = pool_strndup(pool, t.s, t.len);
    return true;
}

/* ---- arrays of strings ------------------------------------------------------------------- */

/* Appends the item v to arr (capacity is the caller's worry); null and blank items are
 * skipped, as they would be as fields. */
static bool add_item(const json_t *v, const struct field *f, h2o_mem_pool_t *pool,
                     struct str_array *arr, struct validate_error *err)
{
    if (not_given(v))
        return true;
    char tmp[NUM_TEXT_MAX];
    struct text t;
    if (!value_text(v, tmp, &t)) {
        fail(err, f->name, "must be an array of strings");
        return false;
    }
    if (!check_text(f, t, err))
        return false;
    arr->items[arr->n++] = pool_strndup(pool, t.s, t.len);
    return true;
}

/* An XML array element arrives as an object: each member is an item, whatever its name, and
 * a name repeated (already an array) contributes each of its values in order. */
static size_t xml_item_count(const json_t *obj)
{
    size_t n = 0;
    const char *key;
    json_t *m;
    json_object_foreach((json_t *)obj, key, m)
        n += json_is_array(m) ? json_array_size(m) : 1;
    return n;
}

static bool add_xml_items(const json_t *obj, const struct field *f, h2o_mem_pool_t *pool,
                          struct str_array *arr, struct validate_error *err)
{
    const char *key;
    json_t *m;
    json_object_foreach((json_t *)obj, key, m) {
        if (!json_is_array(m)) {
            if (!add_item(m, f, pool, arr, err))
                return false;
            continue;
        }
        size_t i;
        json_t *item;
        json_array_foreach(m, i, item)
            if (!add_item(item, f, pool, arr, err))
                return false;
    }
    return true;
}

static bool take_string_array(const json_t *v, bool xml, const struct field *f,
                              h2o_mem_pool_t *pool, struct str_array *out,
                              struct validate_error *err)
{
    bool xml_object = xml && json_is_object(v);
    size_t cap = json_is_array(v) ? json_array_size(v) : xml_object ? xml_item_count(v) : 1;
    if (!json_is_array(v) && !xml_object && !json_is_string(v) && !json_is_number(v)) {
        fail(err, f->name, "must be an array of strings");
        return false;
    }
    struct str_array arr = {0, pool_alloc(pool, (cap ? cap : 1) * sizeof(char *))};
    if (json_is_array(v)) {
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item)
            if (!add_item(item, f, pool, &arr, err))
                return false;
    } else if (xml_object) {
        if (!add_xml_items(v, f, pool, &arr, err))
            return false;
    } else if (!add_item(v, f, pool, &arr, err)) {
        return false;
    }
    *out = arr;
    return true;
}

/* ---- the other types ---------------------------------------------------------------------- */

static bool take_money(const json_t *v, const struct field *f, struct opt_int *out,
                       struct validate_error *err)
{
    switch (money_value(v, &out->v)) {
    case MONEY_OK:
        out->set = true;
        return true;
    case MONEY_TOO_PRECISE:
        fail(err, f->name, "must have at most 2 decimals");
        return false;
    default:
        fail(err, f->name, "must be a number");
        return false;
    }
}

static bool take_timestamp(const json_t *v, const struct field *f, struct opt_int *out,
                           struct validate_error *err)
{
    bool ok;
    if (json_is_string(v)) {
        struct text t = string_text(v);
        ok = date_parse_text(t.s, t.len, &out->v);
    } else {
        ok = date_parse_value(v, &out->v);
    }
    if (!ok) {
        fail(err, f->name,
             "must be epoch milliseconds, an ISO-8601 date-time or a yyyy-MM-dd date");
        return false;
    }
    out->set = true;
    return true;
}

/* Writes the "not given" state of f into out, so callers need not clear their struct. */
static void set_absent(const struct field *f, void *out)
{
    void *p = (char *)out + f->offset;
    switch (f->type) {
    case FIELD_STRING: *(const char **)p = NULL; break;
    case FIELD_INT:
    case FIELD_MONEY:
    case FIELD_TIMESTAMP: *(struct opt_int *)p = (struct opt_int){false, 0}; break;
    case FIELD_NUMBER: *(struct opt_num *)p = (struct opt_num){false, 0}; break;
    case FIELD_BOOL: *(struct opt_bool *)p = (struct opt_bool){false, false}; break;
    case FIELD_STRING_ARRAY: *(struct str_array *)p = (struct str_array){0, NULL}; break;
    case FIELD_VALUE: *(const json_t **)p = NULL; break;
    }
}

static bool take_int(const json_t *v, const struct field *f, struct opt_int *out,
                     struct validate_error *err)
{
    if (!coerce_int(v, &out->v)) {
        fail(err, f->name, "must be an integer");
        return false;
    }
    out->set = true;
    return true;
}

static bool take_number(const json_t *v, const struct field *f, struct opt_num *out,
                        struct validate_error *err)
{
    if (!coerce_number(v, &out->v)) {
        fail(err, f->name, "must be a number");
        return false;
    }
    out->set = true;
    return true;
}

static bool take_bool(const json_t *v, const struct field *f, struct opt_bool *out,
                      struct validate_error *err)
{
    if (!coerce_bool(v, &out->v)) {
        fail(err, f->name, "must be a boolean");
        return false;
    }
    out->set = true;
    return true;
}

/* Validates one given value v of field f and stores it at its offset in out. */
static bool take_field(const json_t *obj, const json_t *v, bool xml, const struct field *f,
                       void *out, h2o_mem_pool_t *pool, struct validate_error *err)
{
    void *p = (char *)out + f->offset;
    switch (f->type) {
    case FIELD_STRING: return take_string(obj, v, f, pool, p, err);
    case FIELD_INT: return take_int(v, f, p, err);
    case FIELD_NUMBER: return take_number(v, f, p, err);
    case FIELD_MONEY: return take_money(v, f, p, err);
    case FIELD_BOOL: return take_bool(v, f, p, err);
    case FIELD_TIMESTAMP: return take_timestamp(v, f, p, err);
    case FIELD_STRING_ARRAY: return take_string_array(v, xml, f, pool, p, err);
    case FIELD_VALUE: *(const json_t **)p = v; return true;
    }
    return false;
}

bool validate_fields(const json_t *obj, bool xml, const struct field *fields, size_t n, void *out,
                     h2o_mem_pool_t *pool, struct validate_error *err)
{
    err->message[0] = '\0';
    if (!json_is_object(obj)) {
        snprintf(err->message, sizeof err->message, "request body: must be an object");
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        const struct field *f = &fields[i];
        const json_t *v = json_object_get(obj, f->name);
        set_absent(f, out);
        /* In XML an empty array element reads as "": an array given with no items. */
        bool empty_xml_array = xml && f->type == FIELD_STRING_ARRAY && json_is_string(v);
        if (not_given(v) && !empty_xml_array) {
            if (f->flags & FIELD_REQUIRED) {
                fail(err, f->name, "is required");
                return false;
            }
            continue;
        }
        if (!take_field(obj, v, xml, f, out, pool, err))
            return false;
    }
    return true;
}
