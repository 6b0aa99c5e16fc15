/* basic.c — the Authorization header schemes the server reads (basic.h): Basic client
 * credentials for the token endpoint (spec identity.md §3.2) and Bearer tokens for /capi
 * (spec README §5.1). The input is untrusted: base64 is decoded strictly (standard alphabet,
 * padding optional, canonical trailing bits), every length is bounded before any copy, and
 * temporary copies of the secret are wiped. Parts are form-URL-decoded with form.c's decoder. */
#include "oauth/basic.h"
#include "http/form.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

/* A part decodes to at most one byte per input byte and at least one per three ("%XX"), so a
 * part longer than this cannot fit BASIC_PART_MAX after decoding. */
#define PART_RAW_MAX (3 * BASIC_PART_MAX)
#define DECODED_MAX (2 * PART_RAW_MAX + 1)

static bool is_ws(char c)
{
    return c == ' ' || c == '\t';
}

static void trim(const char **s, size_t *len)
{
    while (*len > 0 && is_ws(**s)) {
        (*s)++;
        (*len)--;
    }
    while (*len > 0 && is_ws((*s)[*len - 1]))
        (*len)--;
}

/* When s (trimmed) starts with the scheme name followed by whitespace or the end, moves s past
 * the name and the whitespace and returns true. */
static bool take_scheme(const char **s, size_t *len, const char *scheme)
{
    size_t n = strlen(scheme);
    trim(s, len);
    if (*len < n || strncasecmp(*s, scheme, n) != 0 || (*len > n && !is_ws((*s)[n])))
        return false;
    *s += n;
    *len -= n;
    trim(s, len);
    return true;
}

static int b64_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* Strict standard base64, "=" padding optional (but complete when present). Bits below the
 * last whole byte must be zero, so each byte string has exactly one accepted spelling (with
 * and without padding). Returns the decoded length, or (size_t)-1. */
static size_t b64_decode(const char *in, size_t len, unsigned char *out, size_t cap)
{
    if (len % 4 == 0 && len >= 2 && in[len - 1] == '=')
        len -= in[len - 2] == '=' ? 2 : 1;
    if (len % 4 == 1)
        return (size_t)-1;
    size_t n = len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0);
    if (n > cap)
        return (size_t)-1;
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        int v = b64_value(in[i]);
        if (v < 0)
            return (size_t)-1;
        acc = (acc << 6 | (uint32_t)v) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
        }
    }
    if (acc & ((1u << bits) - 1))
        return (size_t)-1; /* non-canonical trailing bits */
    return o;
}

/* Form-decodes raw[0..len) into dst (BASIC_PART_MAX + 1), NUL-terminated; false when it is
 * empty, badly escaped, holds a NUL or is too long. */
static bool decode_part(const char *raw, size_t len, char *dst)
{
    char tmp[PART_RAW_MAX];
    if (len == 0 || len > PART_RAW_MAX)
        return false;
    size_t n = url_decode(raw, len, tmp, true);
    bool ok = n != (size_t)-1 && n > 0 && n <= BASIC_PART_MAX;
    if (ok) {
        memcpy(dst, tmp, n);
        dst[n] = '\0';
    }
    explicit_bzero(tmp, sizeof tmp);
    return ok;
}

enum basic_status basic_parse(const char *header, size_t len, struct basic_credentials *out)
{
    out->id[0] = out->secret[0] = '\0';
    if (header == NULL || !take_scheme(&header, &len, "Basic"))
        return BASIC_NONE;

    unsigned char plain[DECODED_MAX];
    size_t n = b64_decode(header, len, plain, sizeof plain);
    enum basic_status st = BASIC_MALFORMED;
    const unsigned char *colon = n == (size_t)-1 ? NULL : memchr(plain, ':', n);
    if (colon != NULL) {
        const char *id = (const char *)plain, *secret = (const char *)colon + 1;
        size_t idlen = (size_t)((const char *)colon - id), secretlen = n - idlen - 1;
        if (decode_part(id, idlen, out->id) && decode_part(secret, secretlen, out->secret))
            st = BASIC_OK;
    }
    explicit_bzero(plain, sizeof plain);
    if (st != BASIC_OK)
        explicit_bzero(out, sizeof *out);
    return st;
}

bool bearer_token(const char *header, size_t len, const char **token, size_t *token_len)
{
    if (header == NULL || !take_scheme(&header, &len, "Bearer"))
        return false;
    *token = header;
    *token_len = len;
    return true;
}
