/* test_basic.c — src/oauth/basic.c: "Authorization: Basic" client credentials (spec
 * identity.md §3.2: base64, then each part form-URL-decoded) and "Bearer" tokens (spec README
 * §5.1). Headers are built by base64-encoding here so each test shows the plain credentials. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "oauth/basic.h"

static void b64(const char *in, size_t n, char *out, bool pad)
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *p = (const unsigned char *)in;
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
        out[o++] = a[v >> 18 & 63];
        out[o++] = a[v >> 12 & 63];
        if (i + 1 < n)
            out[o++] = a[v >> 6 & 63];
        else if (pad)
            out[o++] = '=';
        if (i + 2 < n)
            out[o++] = a[v & 63];
        else if (pad)
            out[o++] = '=';
    }
    out[o] = '\0';
}

/* "<scheme> base64(plain)" */
static enum basic_status parse_plain(const char *scheme, const char *plain, size_t n, struct basic_credentials *c)
{
    static char header[8192];
    size_t k = (size_t)snprintf(header, sizeof header, "%s", scheme);
    b64(plain, n, header + k, true);
    return basic_parse(header, strlen(header), c);
}

static enum basic_status parse(const char *header, struct basic_credentials *c)
{
    return basic_parse(header, strlen(header), c);
}

Test(basic, test_valid_header_gives_id_and_secret)
{
    struct basic_credentials c;
    cr_assert_eq(parse("Basic dXNlcjpwYXNz", &c), BASIC_OK);
    cr_assert_str_eq(c.id, "user");
    cr_assert_str_eq(c.secret, "pass");
}

Test(basic, test_scheme_is_case_insensitive_and_whitespace_tolerated)
{
    struct basic_credentials c;
    cr_assert_eq(parse("basic dXNlcjpwYXNz", &c), BASIC_OK);
    cr_assert_eq(parse("BASIC dXNlcjpwYXNz", &c), BASIC_OK);
    cr_assert_eq(parse("bAsIc \t dXNlcjpwYXNz", &c), BASIC_OK);
    cr_assert_eq(parse("  Basic dXNlcjpwYXNz \t", &c), BASIC_OK);
    cr_assert_str_eq(c.id, "user");
    cr_assert_str_eq(c.secret, "pass");
}

Test(basic, test_header_is_not_nul_terminated)
{
    struct basic_credentials c;
    const char h[] = "Basic dXNlcjpwYXNzXXXX";
    cr_assert_eq(basic_parse(h, strlen("Basic dXNlcjpwYXNz"), &c), BASIC_OK);
    cr_assert_str_eq(c.secret, "pass");
}

Test(basic, test_parts_are_form_url_decoded)
{
    struct basic_credentials c;
    const char *plain = "no.mediaconnect.test:a%2Bb+c%3Ad%25";
    cr_assert_eq(parse_plain("Basic ", plain, strlen(plain), &c), BASIC_OK);
    cr_assert_str_eq(c.id, "no.mediaconnect.test");
    cr_assert_str_eq(c.secret, "a+b c:d%");
    plain = "my%20client:s";
    cr_assert_eq(parse_plain("Basic ", plain, strlen(plain), &c), BASIC_OK);
    cr_assert_str_eq(c.id, "my client");
}

Test(basic, test_raw_unencoded_parts_are_accepted)
{
    struct basic_credentials c;
    const char *plain = "no.mediaconnect.test:Xy_9-AbC.def_GHIjkl-0123456789abcdefghijklmno";
    cr_assert_eq(parse_plain("Basic ", plain, strlen(plain), &c), BASIC_OK);
    cr_assert_str_eq(c.id, "no.mediaconnect.test");
    cr_assert_str_eq(c.secret, "Xy_9-AbC.def_GHIjkl-0123456789abcdefghijklmno");
}

Test(basic, test_split_is_at_the_first_colon)
{
    struct basic_credentials c;
    const char *plain = "client:se:cr:et";
    cr_assert_eq(parse_plain("Basic ", plain, strlen(plain), &c), BASIC_OK);
    cr_assert_str_eq(c.id, "client");
    cr_assert_str_eq(c.secret, "se:cr:et");
}

Test(basic, test_padding_is_optional)
{
    struct basic_credentials c;
    /* "ab:c" -> 4 bytes, 2 padding characters; "abc:de" -> 6 bytes, none; "a:bcd" -> 1 pad */
    cr_assert_eq(parse("Basic YWI6Yw==", &c), BASIC_OK);
    cr_assert_str_eq(c.secret, "c");
    cr_assert_eq(parse("Basic YWI6Yw", &c), BASIC_OK);
    cr_assert_str_eq(c.secret, "c");
    cr_assert_eq(parse("Basic YTpiY2Q=", &c), BASIC_OK);
    cr_assert_eq(parse("Basic YTpiY2Q", &c), BASIC_OK);
    cr_assert_str_eq(c.secret, "bcd");
}

Test(basic, test_missing_colon_is_malformed)
{
    struct basic_credentials c;
    cr_assert_eq(parse_plain("Basic ", "userpass", 8, &c), BASIC_MALFORMED);
    cr_assert_str_eq(c.id, "");
    cr_assert_str_eq(c.secret, "");
}

Test(basic, test_empty_id_or_secret_is_malformed)
{
    struct basic_credentials c;
    cr_assert_eq(parse_plain("Basic ", ":secret", 7, &c), BASIC_MALFORMED);
    cr_assert_eq(parse_plain("Basic ", "client:", 7, &c), BASIC_MALFORMED);
    cr_assert_eq(parse_plain("Basic ", ":", 1, &c), BASIC_MALFORMED);
}

Test(basic, test_bad_base64_is_malformed)
{
    struct basic_credentials c;
    cr_assert_eq(parse("Basic dXNlcjpwYXNz!", &c), BASIC_MALFORMED);       /* bad character */
    cr_assert_eq(parse("Basic dXNlcjpw-XNz", &c), BASIC_MALFORMED);        /* URL-safe alphabet */
    cr_assert_eq(parse("Basic dXNlcjp wYXNz", &c), BASIC_MALFORMED);       /* inner space */
    cr_assert_eq(parse("Basic dXNlcjpwYXNzY", &c), BASIC_MALFORMED);       /* length 4n+1 */
    cr_assert_eq(parse("Basic YWI6Yw=", &c), BASIC_MALFORMED);             /* incomplete padding */
    cr_assert_eq(parse("Basic YWI6Yw===", &c), BASIC_MALFORMED);           /* too much padding */
    cr_assert_eq(parse("Basic YW=6Yw==", &c), BASIC_MALFORMED);            /* padding inside */
    cr_assert_eq(parse("Basic YWI6Yx==", &c), BASIC_MALFORMED);            /* non-zero trailing bits */
    cr_assert_eq(parse("Basic ====", &c), BASIC_MALFORMED);
    cr_assert_eq(parse("Basic ", &c), BASIC_MALFORMED);                    /* no credentials */
    cr_assert_eq(parse("Basic", &c), BASIC_MALFORMED);
}

Test(basic, test_bad_url_escape_is_malformed)
{
    struct basic_credentials c;
    cr_assert_eq(parse_plain("Basic ", "client:a%2", 10, &c), BASIC_MALFORMED);
    cr_assert_eq(parse_plain("Basic ", "cl%zzient:a", 11, &c), BASIC_MALFORMED);
}

Test(basic, test_other_scheme_is_none)
{
    struct basic_credentials c;
    cr_assert_eq(parse("Bearer dXNlcjpwYXNz", &c), BASIC_NONE);
    cr_assert_eq(parse("Digest username=\"x\"", &c), BASIC_NONE);
    cr_assert_eq(parse("BasicdXNlcjpwYXNz", &c), BASIC_NONE);
    cr_assert_eq(parse("Basi dXNlcjpwYXNz", &c), BASIC_NONE);
    cr_assert_eq(parse("", &c), BASIC_NONE);
    cr_assert_eq(parse("   ", &c), BASIC_NONE);
}

Test(basic, test_absent_header_is_none)
{
    struct basic_credentials c;
    cr_assert_eq(basic_parse(NULL, 0, &c), BASIC_NONE);
    cr_assert_eq(basic_parse(NULL, 10, &c), BASIC_NONE);
}

Test(basic, test_parts_longer_than_part_max_are_malformed)
{
    struct basic_credentials c;
    char plain[3 * BASIC_PART_MAX + 16];

    memset(plain, 'i', BASIC_PART_MAX);
    plain[BASIC_PART_MAX] = ':';
    memset(plain + BASIC_PART_MAX + 1, 's', BASIC_PART_MAX);
    cr_assert_eq(parse_plain("Basic ", plain, 2 * BASIC_PART_MAX + 1, &c), BASIC_OK, "exactly the maximum");
    cr_assert_eq(strlen(c.id), BASIC_PART_MAX);
    cr_assert_eq(strlen(c.secret), BASIC_PART_MAX);

    memset(plain, 'i', BASIC_PART_MAX + 1);
    plain[BASIC_PART_MAX + 1] = ':';
    plain[BASIC_PART_MAX + 2] = 's';
    cr_assert_eq(parse_plain("Basic ", plain, BASIC_PART_MAX + 3, &c), BASIC_MALFORMED, "id one too long");

    plain[0] = 'i';
    plain[1] = ':';
    memset(plain + 2, 's', BASIC_PART_MAX + 1);
    cr_assert_eq(parse_plain("Basic ", plain, BASIC_PART_MAX + 3, &c), BASIC_MALFORMED, "secret one too long");
}

Test(basic, test_length_limit_applies_after_url_decoding)
{
    struct basic_credentials c;
    char plain[3 * BASIC_PART_MAX + 16];
    size_t n = 0;
    plain[n++] = 'i';
    plain[n++] = ':';
    for (int i = 0; i < BASIC_PART_MAX; i++) {
        memcpy(plain + n, "%41", 3); /* 768 encoded characters, 256 decoded */
        n += 3;
    }
    cr_assert_eq(parse_plain("Basic ", plain, n, &c), BASIC_OK);
    cr_assert_eq(strlen(c.secret), BASIC_PART_MAX);
    cr_assert_eq(c.secret[0], 'A');
    plain[n++] = 'x';
    cr_assert_eq(parse_plain("Basic ", plain, n, &c), BASIC_MALFORMED);
}

Test(basic, test_huge_header_is_malformed)
{
    struct basic_credentials c;
    static char plain[6000];
    memset(plain, 'a', sizeof plain);
    plain[10] = ':';
    cr_assert_eq(parse_plain("Basic ", plain, sizeof plain, &c), BASIC_MALFORMED);
}

Test(basic, test_nul_bytes_are_malformed)
{
    struct basic_credentials c;
    cr_assert_eq(parse_plain("Basic ", "cli\0ent:secret", 14, &c), BASIC_MALFORMED);
    cr_assert_eq(parse_plain("Basic ", "client:sec\0ret", 14, &c), BASIC_MALFORMED);
    cr_assert_eq(parse_plain("Basic ", "client:sec%00ret", 16, &c), BASIC_MALFORMED);
    const char h[] = "Basic dXNlc\0pwYXNz";
    cr_assert_eq(basic_parse(h, sizeof h - 1, &c), BASIC_MALFORMED);
}

/* ---- bearer_token ------------------------------------------------------------------------ */

static bool bearer(const char *h, char *tok)
{
    const char *t = NULL;
    size_t n = 0;
    if (!bearer_token(h, strlen(h), &t, &n))
        return false;
    cr_assert(t >= h && t + n <= h + strlen(h));
    memcpy(tok, t, n);
    tok[n] = '\0';
    return true;
}

Test(bearer, test_valid_bearer_gives_the_token)
{
    char t[128];
    cr_assert(bearer("Bearer 2f1c7e9a-6a5b-4a7e-9c1e-3b8e0f4d2a11", t));
    cr_assert_str_eq(t, "2f1c7e9a-6a5b-4a7e-9c1e-3b8e0f4d2a11");
}

Test(bearer, test_scheme_is_case_insensitive_and_token_trimmed)
{
    char t[128];
    cr_assert(bearer("bearer abc", t));
    cr_assert_str_eq(t, "abc");
    cr_assert(bearer("BEARER abc", t));
    cr_assert(bearer("  BeArEr   abc \t", t));
    cr_assert_str_eq(t, "abc");
    cr_assert(bearer("Bearer\tabc", t));
    cr_assert_str_eq(t, "abc");
}

Test(bearer, test_empty_token_is_a_bearer_header_with_empty_token)
{
    char t[128];
    cr_assert(bearer("Bearer ", t));
    cr_assert_str_eq(t, "");
    cr_assert(bearer("Bearer    ", t));
    cr_assert_str_eq(t, "");
    cr_assert(bearer("Bearer", t));
    cr_assert_str_eq(t, "");
}

Test(bearer, test_two_tokens_are_returned_with_the_inner_space)
{
    char t[128];
    cr_assert(bearer("Bearer abc def", t));
    cr_assert_str_eq(t, "abc def");
}

Test(bearer, test_other_scheme_is_not_bearer)
{
    char t[128];
    cr_assert_not(bearer("Basic dXNlcjpwYXNz", t));
    cr_assert_not(bearer("Bearerabc", t));
    cr_assert_not(bearer("Beare abc", t));
    cr_assert_not(bearer("", t));
    cr_assert_not(bearer("abc", t));
    const char *tok;
    size_t n;
    cr_assert_not(bearer_token(NULL, 0, &tok, &n));
}
