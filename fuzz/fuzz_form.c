/* fuzz_form.c — libFuzzer target for query strings and form bodies (src/http/form.c, spec
 * README §6.4, §13). Arbitrary bytes go to form_parse (into an h2o pool, as per request) and
 * to url_decode, in place and not, with and without '+' as space. Checks every parameter is a
 * NUL-free C string of its stated length, lookups find what was parsed, and both decoders agree. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/form.h"

#define CHECK(c)                                                                                  \
    do {                                                                                          \
        if (!(c)) {                                                                               \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #c);            \
            abort();                                                                              \
        }                                                                                         \
    } while (0)

static void check_decode(const char *raw, size_t size, bool plus)
{
    char *dst = malloc(size ? size : 1);
    size_t n = url_decode(raw, size, dst, plus);
    char *inplace = malloc(size ? size : 1);
    memcpy(inplace, raw, size);
    size_t m = url_decode(inplace, size, inplace, plus);
    CHECK(n == m);
    if (n != (size_t)-1) {
        CHECK(n <= size);
        CHECK(memcmp(dst, inplace, n) == 0);
        CHECK(memchr(dst, '\0', n) == NULL);
        if (plus)
            CHECK(memchr(dst, '+', n) == NULL || memmem(raw, size, "%2B", 3) || memmem(raw, size, "%2b", 3));
        if (memchr(raw, '%', size) == NULL)
            CHECK(n == size);
    }
    free(inplace);
    free(dst);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *raw = malloc(size ? size : 1);
    memcpy(raw, data, size);

    h2o_mem_pool_t pool;
    h2o_mem_init_pool(&pool);
    struct form f;
    bool ok = form_parse(raw, size, &pool, &f);
    /* A form is refused exactly when its text as a whole has a bad escape or a NUL: every
     * escape that crosses a '&' or '=' is bad on both readings. */
    char *whole = malloc(size ? size : 1);
    CHECK(ok == (url_decode(raw, size, whole, true) != (size_t)-1));
    free(whole);
    if (ok) {
        size_t pieces = 1;
        for (size_t i = 0; i < size; i++)
            pieces += raw[i] == '&';
        CHECK(f.n <= pieces && (f.n == 0 || f.params != NULL));
        for (size_t i = 0; i < f.n; i++) {
            const struct form_param *p = &f.params[i];
            CHECK(p->name && p->value);
            CHECK(strlen(p->name) == p->name_len && strlen(p->value) == p->value_len);
            CHECK(p->name_len + p->value_len <= size);
        }
        if (f.n > 0) {
            size_t count;
            const char *v = form_get(&f, f.params[0].name, &count);
            CHECK(v == f.params[0].value && count >= 1);
            bool flag;
            form_flag(&f, f.params[f.n - 1].name, false, &flag);
        }
    }
    h2o_mem_clear_pool(&pool);

    check_decode(raw, size, true);
    check_decode(raw, size, false);
    free(raw);
    return 0;
}
