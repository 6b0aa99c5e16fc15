/* fuzz_json.c — libFuzzer target for JSON request bodies (src/codec/json.c, spec README §6.1).
 * Feeds arbitrary bytes to json_parse_body and checks the depth fence: nothing deeper than the
 * limit is ever returned, and a lower limit accepts exactly the shallow documents (the pre-scan
 * agrees with jansson). Whatever parses is rendered with json_render and must parse back. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "codec/json.h"
#include "util/buf.h"

#define CHECK(c)                                                                                  \
    do {                                                                                          \
        if (!(c)) {                                                                               \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #c);            \
            abort();                                                                              \
        }                                                                                         \
    } while (0)

#define LOW_DEPTH 2

/* Nesting depth of a value: a scalar is 0, an array or object 1 + its deepest member. */
static int tree_depth(const json_t *v)
{
    int d = 0;
    if (json_is_array(v)) {
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item) {
            int k = tree_depth(item);
            d = k > d ? k : d;
        }
        return d + 1;
    }
    if (json_is_object(v)) {
        const char *key;
        json_t *m;
        json_object_foreach((json_t *)v, key, m) {
            int k = tree_depth(m);
            d = k > d ? k : d;
        }
        return d + 1;
    }
    return 0;
}

/* Equality that allows the rounding of reals to 15 significant digits by json_render. */
static bool same_value(const json_t *a, const json_t *b)
{
    if (json_is_real(a) && json_is_real(b)) {
        double x = json_real_value(a), y = json_real_value(b);
        return x == y || fabs(x - y) <= fabs(x) * 1e-14;
    }
    if (json_is_array(a) && json_is_array(b)) {
        if (json_array_size(a) != json_array_size(b))
            return false;
        for (size_t i = 0; i < json_array_size(a); i++)
            if (!same_value(json_array_get(a, i), json_array_get(b, i)))
                return false;
        return true;
    }
    if (json_is_object(a) && json_is_object(b)) {
        if (json_object_size(a) != json_object_size(b))
            return false;
        const char *key;
        json_t *m;
        json_object_foreach((json_t *)a, key, m) {
            if (!same_value(m, json_object_get(b, key)))
                return false;
        }
        return true;
    }
    return json_equal((json_t *)a, (json_t *)b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    json_t *v = json_parse_body(text, size, JSON_MAX_DEPTH);
    json_t *low = json_parse_body(text, size, LOW_DEPTH);
    if (v == NULL) {
        CHECK(low == NULL); /* a lower limit never accepts more */
        return 0;
    }
    int depth = tree_depth(v);
    CHECK(depth <= JSON_MAX_DEPTH);
    CHECK((low != NULL) == (depth <= LOW_DEPTH));
    if (low)
        CHECK(json_equal(v, low));

    struct buf out = BUF_INIT;
    json_render(&out, v);
    CHECK(out.len > 0 && out.data != NULL);
    json_t *again = json_parse_body(out.data, out.len, JSON_MAX_DEPTH);
    CHECK(again != NULL);
    CHECK(same_value(v, again));

    json_decref(again);
    buf_free(&out);
    json_decref(low);
    json_decref(v);
    return 0;
}
