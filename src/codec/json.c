/* json.c — JSON bodies in, JSON replies out, over jansson (spec README §6.1, §7.3).
 * Parsing is guarded by a linear pre-scan of the nesting depth, so a hostile body costs at
 * most one pass before it is refused. Rendering uses 15 significant digits for reals: enough
 * for any money amount we store, and few enough that 84.54 prints as 84.54. The XML writer
 * renders numbers through json_render too, so both formats agree digit for digit. */
#include "codec/json.h"

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

static int append_cb(const char *chunk, size_t size, void *data)
{
    buf_append(data, chunk, size);
    return 0;
}

void json_render(struct buf *out, const json_t *v)
{
    size_t flags = JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15);
    json_dump_callback(v, append_cb, out, flags);
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
