/* json.c — JSON bodies in, JSON replies out, over jansson (spec README §6.1, §7.3).
 * Parsing is guarded by a linear pre-scan of the nesting depth, so a hostile body costs at
 * most one pass before it is refused. Rendering uses 15 significant digits for reals: enough
 * for any money amount we store, and few enough that 84.54 prints as 84.54. The XML writer
 * renders numbers through json_render too, so both formats agree digit for digit. */
#include "codec/json.h"

#include <stdio.h>
#include <string.h>

#include "codec/date.h"

/* True when no array or object in data nests deeper than max_depth. Brackets inside strings
 * do not count; a backslash escapes the next byte, which is all we need to find a string's
 * end. Malformed text may pass: jansson rejects it next. */
static bool depth_within(const char *data, size_t len, int max_depth)
{
    int depth = 0;
    bool in_string = false;
    for (size_t i = 0; i < len; i++) {
        char c = data[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > max_depth)
                return false;
        } else if (c == ']' || c == '}') {
            depth--;
        }
    }
    return true;
}

/* Reals are rendered with 15 significant digits; the few doubles within a rounding step of
 * DBL_MAX would render as a number above it that no reader can parse back. No field of the
 * API means anything near that size, so such a body is refused as malformed. */
#define REAL_RENDER_MAX 1.79769313486231e308

static bool reals_renderable(const json_t *v)
{
    const char *key;
    json_t *item;
    size_t i;
    switch (json_typeof(v)) {
    case JSON_REAL:
        return json_real_value(v) <= REAL_RENDER_MAX && json_real_value(v) >= -REAL_RENDER_MAX;
    case JSON_OBJECT:
        json_object_foreach((json_t *)v, key, item)
            if (!reals_renderable(item))
                return false;
        return true;
    case JSON_ARRAY:
        json_array_foreach(v, i, item)
            if (!reals_renderable(item))
                return false;
        return true;
    default:
        return true;
    }
}

json_t *json_parse_body(const char *data, size_t len, int max_depth)
{
    if (data == NULL || !depth_within(data, len, max_depth))
        return NULL;
    json_error_t err;
    /* No JSON_ALLOW_NUL: a \u0000 inside a string would truncate it in every C consumer. */
    json_t *v = json_loadb(data, len, JSON_DECODE_ANY, &err);
    if (v && !reals_renderable(v)) {
        json_decref(v);
        return NULL;
    }
    return v;
}

/* ---- rendering ----------------------------------------------------------------------------------
 * The writer walks the jansson tree itself and prints what json_dumps would print with
 * JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15), byte for byte (tests/unit/test_json.c
 * compares the two): jansson's own dumper hands every token to a callback and formats numbers
 * with printf, which made it a tenth of the cost of a customer read. */

/* Bytes that need an escape: controls, '"' and '\\'. Text is scanned eight bytes at a time
 * (a word has one when any of its bytes is below 0x20 or equal to one of the two), since
 * almost every string has none. */
#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

static bool needs_escape(unsigned char c)
{
    return c < 0x20 || c == '"' || c == '\\';
}

static bool word_needs_escape(uint64_t w)
{
    uint64_t quote = w ^ (ONES * '"'), backslash = w ^ (ONES * '\\');
    uint64_t zero_or_low = ((w - ONES * 0x20) & ~w) | ((quote - ONES) & ~quote) | ((backslash - ONES) & ~backslash);
    return (zero_or_low & HIGHS) != 0;
}

/* The length of s's run without escapes. The last word is padded with plain letters. */
static size_t plain_prefix(const char *s, size_t len)
{
    size_t i = 0;
    uint64_t w;
    for (; i + 8 <= len; i += 8) {
        memcpy(&w, s + i, 8);
        if (word_needs_escape(w))
            goto find;
    }
    if (i == len)
        return len;
    w = ONES * 'a';
    memcpy(&w, s + i, len - i);
    if (!word_needs_escape(w))
        return len;
find:
    while (i < len && !needs_escape((unsigned char)s[i]))
        i++;
    return i;
}

static void put_escape(struct buf *b, unsigned char c)
{
    static const char HEX[] = "0123456789ABCDEF";
    char esc[6] = {'\\', (char)c};
    size_t n = 2;
    switch (c) {
    case '"':
    case '\\': break;
    case '\b': esc[1] = 'b'; break;
    case '\f': esc[1] = 'f'; break;
    case '\n': esc[1] = 'n'; break;
    case '\r': esc[1] = 'r'; break;
    case '\t': esc[1] = 't'; break;
    default:
        memcpy(esc + 1, "u00", 3);
        esc[4] = HEX[c >> 4];
        esc[5] = HEX[c & 15];
        n = 6;
    }
    buf_append(b, esc, n);
}

static void put_string(struct buf *b, const char *s, size_t len)
{
    buf_reserve(b, len + 2);
    buf_putc(b, '"');
    for (size_t i = 0;;) {
        size_t run = plain_prefix(s + i, len - i);
        buf_append(b, s + i, run);
        i += run;
        if (i == len)
            break;
        put_escape(b, (unsigned char)s[i++]);
    }
    buf_putc(b, '"');
}

/* jansson's real format: %.15g, with ".0" added when that reads as an integer, and the
 * exponent without '+' or leading zeros. */
static void put_real(struct buf *b, double v)
{
    char tmp[40];
    int n = snprintf(tmp, sizeof tmp, "%.15g", v);
    if (n <= 0 || (size_t)n >= sizeof tmp - 2)
        return;
    char *e = strchr(tmp, 'e');
    if (e == NULL && strchr(tmp, '.') == NULL) {
        memcpy(tmp + n, ".0", 3);
        n += 2;
    }
    if (e) {
        char *digits = e + 1, *from = e + 1;
        if (*from == '+')
            from++;
        else if (*from == '-')
            digits = from = e + 2;
        while (*from == '0' && from[1] != '\0')
            from++;
        if (from != digits) {
            memmove(digits, from, strlen(from) + 1);
            n = (int)strlen(tmp);
        }
    }
    buf_append(b, tmp, (size_t)n);
}

static void put_value(struct buf *b, const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char *key;
        json_t *item;
        bool first = true;
        buf_putc(b, '{');
        json_object_foreach((json_t *)v, key, item) {
            if (!first)
                buf_putc(b, ',');
            first = false;
            put_string(b, key, strlen(key));
            buf_putc(b, ':');
            put_value(b, item);
        }
        buf_putc(b, '}');
        break;
    }
    case JSON_ARRAY: {
        size_t i;
        json_t *item;
        buf_putc(b, '[');
        json_array_foreach(v, i, item) {
            if (i)
                buf_putc(b, ',');
            put_value(b, item);
        }
        buf_putc(b, ']');
        break;
    }
    case JSON_STRING: put_string(b, json_string_value(v), json_string_length(v)); break;
    case JSON_INTEGER: buf_put_int(b, (long long)json_integer_value(v)); break;
    case JSON_REAL: put_real(b, json_real_value(v)); break;
    case JSON_TRUE: buf_puts(b, "true"); break;
    case JSON_FALSE: buf_puts(b, "false"); break;
    case JSON_NULL: buf_puts(b, "null"); break;
    }
}

void json_render(struct buf *out, const json_t *v)
{
    if (v)
        put_value(out, v);
}

json_t *json_money(int64_t cents)
{
    if (cents % 100 == 0)
        return json_integer(cents / 100);
    /* The nearest double to cents/100 prints back as exactly two (or one) decimals at
     * 15 significant digits (DBL_DIG) for every amount below 10^15 cents. */
    return json_real((double)cents / 100.0);
}

json_t *json_instant(int64_t ms)
{
    return json_integer(date_out_ms(ms));
}
