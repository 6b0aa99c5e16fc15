/* fuzz_body.c — libFuzzer target for request-body dispatch (src/codec/body.c, spec README
 * §6.1). Input format: the first line is the Content-Type header value ("-" alone means the
 * header is absent), the rest is the body; an input without '\n' is a body with no header.
 * Checks the status/value contract, then renders every accepted value as JSON and as XML
 * (xml_render must stay well-formed for any tree a JSON body can give) and re-parses both. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/body.h"
#include "codec/json.h"
#include "codec/xml.h"
#include "util/buf.h"

#define CHECK(c)                                                                                  \
    do {                                                                                          \
        if (!(c)) {                                                                               \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #c);            \
            abort();                                                                              \
        }                                                                                         \
    } while (0)

static bool all_space(const char *s, size_t n)
{
    size_t i = 0;
    if (n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    for (; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
            return false;
    return true;
}

static int tree_depth(const json_t *v)
{
    int d = 0;
    size_t i;
    const char *key;
    json_t *m;
    if (json_is_array(v)) {
        json_array_foreach(v, i, m) {
            int k = tree_depth(m);
            d = k > d ? k : d;
        }
        return d + 1;
    }
    if (json_is_object(v)) {
        json_object_foreach((json_t *)v, key, m) {
            int k = tree_depth(m);
            d = k > d ? k : d;
        }
        return d + 1;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    const char *nl = memchr(in, '\n', size);
    const char *ct = NULL, *body = in;
    size_t ct_len = 0, len = size;
    if (nl) {
        ct_len = (size_t)(nl - in);
        ct = ct_len == 1 && in[0] == '-' ? NULL : in;
        body = nl + 1;
        len = size - ct_len - 1;
    }
    /* Exact-size copies, so ASan sees any read past either buffer. */
    char *ct_copy = ct ? malloc(ct_len ? ct_len : 1) : NULL;
    char *body_copy = malloc(len ? len : 1);
    if (ct)
        memcpy(ct_copy, ct, ct_len);
    memcpy(body_copy, body, len);

    struct body b;
    enum body_status st = body_parse(ct_copy, ct_len, body_copy, len, &b);
    CHECK(st == BODY_OK || st == BODY_UNSUPPORTED_MEDIA_TYPE || st == BODY_MALFORMED);
    CHECK((st == BODY_OK) == (b.value != NULL));
    if (st == BODY_UNSUPPORTED_MEDIA_TYPE)
        CHECK(ct != NULL);
    if (st == BODY_OK && all_space(body_copy, len))
        CHECK(json_is_object(b.value) && json_object_size(b.value) == 0);
    if (st == BODY_OK && b.xml)
        CHECK(json_is_object(b.value));

    if (st == BODY_OK) {
        /* A JSON body is within the limit; an XML one counts objects only, so its arrays
         * (repeated names) may add as many levels again. */
        int depth = tree_depth(b.value);
        if (!b.xml)
            CHECK(depth <= JSON_MAX_DEPTH);
        struct buf out = BUF_INIT;
        json_render(&out, b.value);
        json_t *j = json_parse_body(out.data, out.len, depth);
        CHECK(j != NULL);
        json_decref(j);

        /* The rendered document nests exactly as deep as the tree: the root element stands
         * for the outermost value, as in xml_parse. */
        buf_reset(&out);
        xml_render(&out, b.value, "data");
        json_t *x = xml_parse(out.data, out.len, depth);
        if (x == NULL) {
            fprintf(stderr, "xml_render output does not re-parse:\n%s\n", out.data);
            CHECK(x != NULL);
        }
        json_decref(x);
        buf_free(&out);
        json_decref(b.value);
    }
    free(body_copy);
    free(ct_copy);
    return 0;
}
