/* fuzz_xml.c — libFuzzer target for XML request bodies (src/codec/xml_read.c, xml_write.c;
 * spec README §6.2, §7.2). Arbitrary bytes go to xml_parse; a result must have the documented
 * shape (an object of strings, objects and arrays of them, objects nested no deeper than the
 * limit). The result is then rendered with xml_render, which must re-parse, and must give the
 * same tree back whenever no array or odd element name makes the mapping lossy. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Generous limit for re-parsing rendered output: arrays add one element level each. */
#define REPARSE_DEPTH (4 * JSON_MAX_DEPTH)

struct shape {
    bool lossy; /* arrays, or a name put_name would rewrite: the round trip changes the tree */
};

static bool plain_name(const char *s)
{
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
        return false;
    for (s++; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '-' || *s == '.'))
            return false;
    return true;
}

/* Checks what xml.h promises about the value of an element member; returns the object nesting
 * depth below (and including) v. */
static int check_member(const json_t *v, struct shape *sh);

static int check_object(const json_t *obj, struct shape *sh)
{
    CHECK(json_is_object(obj));
    int d = 0;
    const char *key;
    json_t *m;
    json_object_foreach((json_t *)obj, key, m) {
        CHECK(key[0] != '\0');
        if (!plain_name(key))
            sh->lossy = true;
        int k;
        if (json_is_array(m)) {
            sh->lossy = true;
            CHECK(json_array_size(m) >= 2); /* an array only ever comes from a repeated name */
            k = 0;
            size_t i;
            json_t *item;
            json_array_foreach(m, i, item) {
                CHECK(!json_is_array(item));
                int j = check_member(item, sh);
                k = j > k ? j : k;
            }
        } else {
            k = check_member(m, sh);
        }
        d = k > d ? k : d;
    }
    return d + 1;
}

static int check_member(const json_t *v, struct shape *sh)
{
    if (json_is_string(v))
        return 0;
    return check_object(v, sh);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *v = xml_parse((const char *)data, size, JSON_MAX_DEPTH);
    if (v == NULL)
        return 0;
    struct shape sh = {false};
    CHECK(check_object(v, &sh) <= JSON_MAX_DEPTH);

    struct buf out = BUF_INIT;
    xml_render(&out, v, "data");
    CHECK(out.data != NULL);
    json_t *again = xml_parse(out.data, out.len, REPARSE_DEPTH);
    if (again == NULL) {
        fprintf(stderr, "xml_render output does not re-parse:\n%s\n", out.data);
        CHECK(again != NULL);
    }
    if (!sh.lossy)
        CHECK(json_equal(v, again));

    json_decref(again);
    buf_free(&out);
    json_decref(v);
    return 0;
}
