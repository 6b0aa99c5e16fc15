/* fuzz_basic.c — libFuzzer target for the Authorization header readers (src/oauth/basic.c,
 * spec identity.md §3.2, README §5.1). Arbitrary bytes go to basic_parse and bearer_token, as
 * they are and behind a "Basic " prefix (so the fuzzer reaches the decoder at once). Checks the
 * status agrees with the scheme, accepted parts are bounded NUL-free C strings, an accepted
 * header re-encodes to the same text (strict base64 has one spelling) and a re-encoded pair of
 * decoded parts parses back to the same parts, and the Bearer token is a trimmed slice. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "oauth/basic.h"

#define CHECK(c)                                                                                  \
    do {                                                                                          \
        if (!(c)) {                                                                               \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #c);            \
            abort();                                                                              \
        }                                                                                         \
    } while (0)

static bool is_ws(char c)
{
    return c == ' ' || c == '\t';
}

/* The text after "<scheme><ws>" with surrounding whitespace trimmed, when s has that scheme. */
static bool after_scheme(const char *s, size_t len, const char *scheme, const char **rest, size_t *rest_len)
{
    size_t n = strlen(scheme);
    while (len > 0 && is_ws(*s))
        s++, len--;
    while (len > 0 && is_ws(s[len - 1]))
        len--;
    if (len < n || strncasecmp(s, scheme, n) != 0 || (len > n && !is_ws(s[n])))
        return false;
    s += n, len -= n;
    while (len > 0 && is_ws(*s))
        s++, len--;
    *rest = s;
    *rest_len = len;
    return true;
}

static size_t b64_encode(const unsigned char *p, size_t n, char *out)
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0u) | (i + 2 < n ? p[i + 2] : 0u);
        out[o++] = a[v >> 18 & 63];
        out[o++] = a[v >> 12 & 63];
        if (i + 1 < n)
            out[o++] = a[v >> 6 & 63];
        if (i + 2 < n)
            out[o++] = a[v & 63];
    }
    return o;
}

/* Percent-encodes every byte, so any decoded part survives the round trip. */
static size_t pct_encode(const char *s, char *out)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (; *s; s++) {
        out[o++] = '%';
        out[o++] = hex[(unsigned char)*s >> 4];
        out[o++] = hex[(unsigned char)*s & 15];
    }
    return o;
}

static void check_ok(const struct basic_credentials *c)
{
    size_t il = strnlen(c->id, sizeof c->id), sl = strnlen(c->secret, sizeof c->secret);
    CHECK(il >= 1 && il <= BASIC_PART_MAX);
    CHECK(sl >= 1 && sl <= BASIC_PART_MAX);
}

/* An accepted header's credentials, base64 re-encoded without padding, spell the same text. */
static void check_canonical(const char *raw, size_t size)
{
    const char *b;
    size_t blen;
    CHECK(after_scheme(raw, size, "Basic", &b, &blen));
    while (blen > 0 && b[blen - 1] == '=')
        blen--;
    /* Decode with the reference alphabet to bytes, re-encode, compare. */
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    unsigned char *plain = malloc(blen + 1);
    size_t n = 0;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < blen; i++) {
        const char *p = memchr(a, b[i], 64);
        CHECK(p != NULL && b[i] != '\0');
        acc = (acc << 6 | (unsigned)(p - a)) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            plain[n++] = (unsigned char)(acc >> bits);
        }
    }
    char *again = malloc(blen + 4);
    CHECK(b64_encode(plain, n, again) == blen && memcmp(again, b, blen) == 0);
    CHECK(memchr(plain, ':', n) != NULL);
    free(again);
    free(plain);
}

/* "Basic base64(pct(id) ':' pct(secret))" parses back to the same parts. */
static void check_round_trip(const struct basic_credentials *c)
{
    char plain[6 * BASIC_PART_MAX + 2];
    size_t n = pct_encode(c->id, plain);
    plain[n++] = ':';
    n += pct_encode(c->secret, plain + n);
    char header[6 + 4 * sizeof plain / 3 + 8];
    memcpy(header, "Basic ", 6);
    size_t h = 6 + b64_encode((const unsigned char *)plain, n, header + 6);
    struct basic_credentials back;
    CHECK(basic_parse(header, h, &back) == BASIC_OK);
    CHECK(strcmp(back.id, c->id) == 0 && strcmp(back.secret, c->secret) == 0);
}

static void check_basic(const char *raw, size_t size)
{
    struct basic_credentials c;
    memset(&c, 0x5a, sizeof c);
    enum basic_status st = basic_parse(raw, size, &c);
    const char *rest;
    size_t rest_len;
    bool is_basic = after_scheme(raw, size, "Basic", &rest, &rest_len);
    CHECK(st == BASIC_NONE || st == BASIC_OK || st == BASIC_MALFORMED);
    CHECK((st == BASIC_NONE) == !is_basic);
    if (st == BASIC_OK) {
        check_ok(&c);
        check_canonical(raw, size);
        check_round_trip(&c);
    } else {
        CHECK(c.id[0] == '\0' && c.secret[0] == '\0');
    }
}

static void check_bearer(const char *raw, size_t size)
{
    const char *tok = NULL, *rest;
    size_t n = 0, rest_len;
    bool ok = bearer_token(raw, size, &tok, &n);
    CHECK(ok == after_scheme(raw, size, "Bearer", &rest, &rest_len));
    if (ok) {
        CHECK(tok == rest && n == rest_len);
        CHECK(tok >= raw && tok + n <= raw + size);
        CHECK(n == 0 || (!is_ws(tok[0]) && !is_ws(tok[n - 1])));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size copy, so reading past len is caught by ASan. */
    char *raw = malloc(size ? size : 1);
    memcpy(raw, data, size);
    check_basic(raw, size);
    check_bearer(raw, size);
    free(raw);

    char *prefixed = malloc(size + 6);
    memcpy(prefixed, "Basic ", 6);
    memcpy(prefixed + 6, data, size);
    check_basic(prefixed, size + 6);
    free(prefixed);

    struct basic_credentials c;
    CHECK(basic_parse(NULL, size, &c) == BASIC_NONE);
    return 0;
}
