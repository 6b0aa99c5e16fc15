/* form.c — application/x-www-form-urlencoded parsing (see form.h).
 * Query strings and form bodies are decoded once, into the request's h2o pool, so handlers
 * read plain NUL-terminated strings and never free anything. Bad escapes and NUL bytes are
 * refused outright: they would otherwise truncate values silently when used as C strings. */
#include "http/form.h"
#include "util/hex.h"

#include <string.h>
#include <strings.h>

/* Writing never overtakes reading (o <= i), which is why dst may equal src. */
size_t url_decode(const char *src, size_t len, char *dst, bool plus_is_space)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char c = src[i];
        if (c == '%') {
            if (i + 2 >= len)
                return (size_t)-1;
            int hi = hex_value(src[i + 1]), lo = hex_value(src[i + 2]);
            if (hi < 0 || lo < 0)
                return (size_t)-1;
            c = (char)(hi << 4 | lo);
            i += 2;
        } else if (c == '+' && plus_is_space) {
            c = ' ';
        }
        if (c == '\0')
            return (size_t)-1;
        dst[o++] = c;
    }
    return o;
}

/* Decodes src[0..len) into a fresh NUL-terminated pool string. */
static bool decode_into_pool(const char *src, size_t len, h2o_mem_pool_t *pool, char **out, size_t *out_len)
{
    char *dst = h2o_mem_alloc_pool(pool, len + 1);
    size_t n = url_decode(src, len, dst, true);
    if (n == (size_t)-1)
        return false;
    dst[n] = '\0';
    *out = dst;
    *out_len = n;
    return true;
}

/* "name=value" or "name" (value ""); the first '=' splits, later ones belong to the value. */
static bool parse_piece(const char *p, size_t len, h2o_mem_pool_t *pool, struct form_param *fp)
{
    const char *eq = memchr(p, '=', len);
    size_t name_len = eq ? (size_t)(eq - p) : len;
    if (!decode_into_pool(p, name_len, pool, &fp->name, &fp->name_len))
        return false;
    if (eq == NULL)
        return decode_into_pool("", 0, pool, &fp->value, &fp->value_len);
    return decode_into_pool(eq + 1, len - name_len - 1, pool, &fp->value, &fp->value_len);
}

static size_t count_pieces(const char *s, size_t len)
{
    size_t n = 1;
    for (size_t i = 0; i < len; i++)
        n += s[i] == '&';
    return n;
}

bool form_parse(const char *s, size_t len, h2o_mem_pool_t *pool, struct form *out)
{
    out->n = 0;
    out->params = NULL;
    if (len == 0)
        return true;
    struct form_param *params = h2o_mem_alloc_pool(pool, count_pieces(s, len) * sizeof *params);
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        const char *amp = memchr(s + i, '&', len - i);
        size_t end = amp ? (size_t)(amp - s) : len;
        if (end > i) {
            if (!parse_piece(s + i, end - i, pool, &params[n]))
                return false;
            n++;
        }
        i = end + 1;
    }
    out->n = n;
    out->params = params;
    return true;
}

const char *form_get(const struct form *f, const char *name, size_t *count)
{
    const char *first = NULL;
    size_t c = 0;
    for (size_t i = 0; i < f->n; i++) {
        if (strcmp(f->params[i].name, name) != 0)
            continue;
        if (c++ == 0)
            first = f->params[i].value;
    }
    if (count)
        *count = c;
    return first;
}

/* Spec README §6.4. "true"/"false" are matched in any case, as §6.3 does for boolean body
 * fields; anything else is the caller's 400 ValidationException. */
bool form_flag(const struct form *f, const char *name, bool dflt, bool *out)
{
    *out = dflt;
    const char *v = form_get(f, name, NULL);
    if (v == NULL)
        return true;
    if (v[0] == '\0' || strcmp(v, "1") == 0 || strcasecmp(v, "true") == 0) {
        *out = true;
        return true;
    }
    if (strcmp(v, "0") == 0 || strcasecmp(v, "false") == 0) {
        *out = false;
        return true;
    }
    return false;
}
