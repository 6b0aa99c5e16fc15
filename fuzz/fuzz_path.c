/* fuzz_path.c — libFuzzer target for request-path splitting (src/http/path.c, spec README §3).
 * Arbitrary bytes are a raw request target for path_parse (scratch exactly as large as the
 * contract asks, so ASan catches any overrun) and path_normalize. Checks: at most
 * PATH_MAX_SEGMENTS non-empty segments without NUL, a normalised path with no "//" and no
 * trailing '/', and that normalising changes neither the segments nor an already-normal path. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/path.h"

#define CHECK(c)                                                                                  \
    do {                                                                                          \
        if (!(c)) {                                                                               \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #c);            \
            abort();                                                                              \
        }                                                                                         \
    } while (0)

static void check_segments(const struct path *p, const char *scratch, size_t len)
{
    CHECK(p->nseg <= PATH_MAX_SEGMENTS);
    size_t total = 0;
    for (size_t i = 0; i < p->nseg; i++) {
        const struct path_segment *s = &p->seg[i];
        CHECK(s->len > 0);
        CHECK(s->p >= scratch && s->p + s->len <= scratch + len);
        CHECK(memchr(s->p, '\0', s->len) == NULL);
        total += s->len;
    }
    CHECK(total <= len);
}

static bool same_segments(const struct path *a, const struct path *b)
{
    if (a->nseg != b->nseg)
        return false;
    for (size_t i = 0; i < a->nseg; i++)
        if (a->seg[i].len != b->seg[i].len || memcmp(a->seg[i].p, b->seg[i].p, a->seg[i].len) != 0)
            return false;
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *raw = malloc(size ? size : 1);
    memcpy(raw, data, size);
    char *scratch = malloc(size ? size : 1);
    struct path p;
    enum path_status st = path_parse(raw, size, scratch, size, &p);
    CHECK(st <= PATH_TOO_LONG);
    if (st == PATH_OK)
        check_segments(&p, scratch, size);
    else
        CHECK(st != PATH_TOO_LONG); /* scratch of len bytes is enough */
    if (size > 1) {
        struct path q;
        CHECK(path_parse(raw, size, scratch, size - 1, &q) == (raw[0] == '/' ? PATH_TOO_LONG : PATH_NOT_ABSOLUTE));
    }

    char *norm = malloc(size + 1);
    size_t n = path_normalize(raw, size, norm);
    CHECK(n <= size || (size == 0 && n == 0));
    CHECK(norm[n] == '\0');
    if (size > 0 && raw[0] == '/') {
        CHECK(n >= 1 && norm[0] == '/');
        CHECK(memmem(norm, n, "//", 2) == NULL);
        CHECK(n == 1 || norm[n - 1] != '/');
        /* The normalised path splits into the same segments ("%2F" never makes one). */
        char *scratch2 = malloc(n);
        struct path q;
        enum path_status st2 = path_parse(norm, n, scratch2, n, &q);
        CHECK(st2 == st);
        if (st == PATH_OK)
            CHECK(same_segments(&p, &q));
        size_t slashes = 0;
        for (size_t i = 0; i < n; i++)
            slashes += norm[i] == '/';
        if (st == PATH_OK)
            CHECK(p.nseg == (n == 1 ? 0 : slashes));
        /* Idempotent. */
        char *norm2 = malloc(n + 1);
        CHECK(path_normalize(norm, n, norm2) == n && memcmp(norm, norm2, n + 1) == 0);
        free(norm2);
        free(scratch2);
    } else {
        CHECK(n == size && memcmp(norm, raw, size) == 0);
        CHECK(st == PATH_NOT_ABSOLUTE);
    }
    free(norm);
    free(scratch);
    free(raw);
    return 0;
}
