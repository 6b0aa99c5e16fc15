/* xml_write.c — renders a reply value tree as XML (spec README §7.2).
 * The same jansson tree that json_render writes is walked here: list wrappers become the root,
 * array items take the singular of their parent's name, null gives no element. Everything
 * taken from the tree is made safe on the way out (names sanitised, text escaped, characters
 * XML 1.0 forbids dropped), so the output is well-formed whatever the tree holds. */
#include "codec/xml.h"

#include <stdlib.h>
#include <string.h>

#include "codec/json.h"

static bool ends_with(const char *s, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

/* Copies the first n bytes of s then suffix into out, truncating to cap. */
static void put_stem(char *out, size_t cap, const char *s, size_t n, const char *suffix)
{
    if (cap == 0)
        return;
    size_t k = strlen(suffix);
    if (n + k >= cap) {
        n = n < cap - 1 ? n : cap - 1;
        k = cap - 1 - n;
    }
    memcpy(out, s, n);
    memcpy(out + n, suffix, k);
    out[n + k] = '\0';
}

void xml_singular(const char *plural, char *out, size_t cap)
{
    size_t n = strlen(plural);
    if (ends_with(plural, n, "List") && n > 4)
        put_stem(out, cap, plural, n - 4, "");
    else if (ends_with(plural, n, "ies") && n > 3)
        put_stem(out, cap, plural, n - 3, "y");
    else if ((ends_with(plural, n, "sses") || ends_with(plural, n, "shes") ||
              ends_with(plural, n, "ches") || ends_with(plural, n, "xes")) &&
             n > 4)
        put_stem(out, cap, plural, n - 2, "");
    else if (ends_with(plural, n, "s") && n > 1)
        put_stem(out, cap, plural, n - 1, "");
    else
        put_stem(out, cap, "item", 4, "");
}

/* ---- names and text ------------------------------------------------------------------- */

static bool name_start_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool name_char(unsigned char c)
{
    return name_start_char(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

/* Writes name as an XML element name: ASCII letters, digits, '_', '-', '.' are kept, anything
 * else (space, ':', a leading digit, each non-ASCII code point) becomes '_'. Keys come from
 * our own endpoint tables, so this only matters for odd data, and then it keeps us well-formed. */
static void put_name(struct buf *out, const char *name)
{
    if (name[0] == '\0') {
        buf_putc(out, '_');
        return;
    }
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        if ((*p & 0xC0) == 0x80)
            continue; /* a UTF-8 continuation byte: its code point already gave one '_' */
        bool ok = p == (const unsigned char *)name ? name_start_char(*p) : name_char(*p);
        buf_putc(out, ok ? (char)*p : '_');
    }
}

/* Length of the UTF-8 sequence at p (valid UTF-8 assumed, as jansson guarantees). */
static size_t utf8_seq_len(const unsigned char *p, size_t left)
{
    size_t n = *p >= 0xF0 ? 4 : *p >= 0xE0 ? 3 : *p >= 0xC0 ? 2 : 1;
    return n <= left ? n : left;
}

/* XML 1.0 forbids control characters other than tab, LF, CR, and U+FFFE / U+FFFF. */
static bool legal_char(const unsigned char *p, size_t n)
{
    if (n == 1)
        return *p >= 0x20 || *p == '\t' || *p == '\n' || *p == '\r';
    return !(n == 3 && p[0] == 0xEF && p[1] == 0xBF && (p[2] == 0xBE || p[2] == 0xBF));
}

static void put_text(struct buf *out, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0, n; i < len; i += n) {
        n = utf8_seq_len(p + i, len - i);
        if (!legal_char(p + i, n))
            continue;
        switch (p[i]) {
        case '&': buf_puts(out, "&amp;"); break;
        case '<': buf_puts(out, "&lt;"); break;
        case '>': buf_puts(out, "&gt;"); break;
        case '\r': buf_puts(out, "&#13;"); break; /* a raw CR would be read back as LF */
        default: buf_append(out, p + i, n); break;
        }
    }
}

/* ---- elements -------------------------------------------------------------------------- */

static void put_value(struct buf *out, const char *name, const json_t *v);

static void open_tag(struct buf *out, const char *name)
{
    buf_putc(out, '<');
    put_name(out, name);
    buf_putc(out, '>');
}

static void close_tag(struct buf *out, const char *name)
{
    buf_puts(out, "</");
    put_name(out, name);
    buf_putc(out, '>');
}

static void empty_tag(struct buf *out, const char *name)
{
    buf_putc(out, '<');
    put_name(out, name);
    buf_puts(out, "/>");
}

static void put_members(struct buf *out, const json_t *obj)
{
    const char *key;
    json_t *member;
    json_object_foreach((json_t *)obj, key, member)
        put_value(out, key, member);
}

/* The items of an array, each named singular(name). */
static void put_items(struct buf *out, const char *name, const json_t *arr)
{
    char small[128];
    size_t cap = strlen(name) + 5;
    char *item_name = cap <= sizeof small ? small : xmalloc(cap);
    xml_singular(name, item_name, cap);
    size_t i;
    json_t *item;
    json_array_foreach(arr, i, item)
        put_value(out, item_name, item);
    if (item_name != small)
        free(item_name);
}

static void put_scalar(struct buf *out, const json_t *v)
{
    if (json_is_string(v))
        put_text(out, json_string_value(v), json_string_length(v));
    else
        json_render(out, v); /* true, false and numbers exactly as JSON writes them */
}

static void put_value(struct buf *out, const char *name, const json_t *v)
{
    if (v == NULL || json_is_null(v))
        return;
    bool container = json_is_object(v) || json_is_array(v);
    if (container && (json_is_object(v) ? json_object_size(v) : json_array_size(v)) == 0) {
        empty_tag(out, name);
        return;
    }
    open_tag(out, name);
    if (json_is_object(v))
        put_members(out, v);
    else if (json_is_array(v))
        put_items(out, name, v);
    else
        put_scalar(out, v);
    close_tag(out, name);
}

void xml_render(struct buf *out, const json_t *v, const char *root)
{
    buf_puts(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
    if (root == NULL)
        root = "data";
    if (json_is_object(v) && json_object_size(v) == 1) {
        void *it = json_object_iter((json_t *)v);
        json_t *only = json_object_iter_value(it);
        if (json_is_array(only)) {
            put_value(out, json_object_iter_key(it), only); /* a list wrapper is its own root */
            return;
        }
    }
    if (v == NULL || json_is_null(v))
        empty_tag(out, root); /* a document needs a root even when there is nothing to say */
    else
        put_value(out, root, v);
}
