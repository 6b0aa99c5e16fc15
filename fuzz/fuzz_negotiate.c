/* fuzz_negotiate.c — libFuzzer target for content negotiation (src/http/negotiate.c, spec
 * README §7.1). Arbitrary bytes are an Accept header, negotiated under every body format, legacy
 * flag and --default-format. Checks a valid format, text/xml only with XML, the header alone
 * deciding unless rule 1 applies (then exactly rule 1), and, for plain headers, agreement with
 * an independent reading of rule 2. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/negotiate.h"

#define CHECK(c)                                                                                  \
    do {                                                                                          \
        if (!(c)) {                                                                               \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #c);            \
            abort();                                                                              \
        }                                                                                         \
    } while (0)

static const enum default_format defs[] = {DEFAULT_LEGACY, DEFAULT_JSON, DEFAULT_XML};

static enum format rule1(bool body_xml, bool legacy, enum default_format def)
{
    bool xml = def == DEFAULT_XML || (def == DEFAULT_LEGACY && (body_xml || legacy));
    return xml ? FORMAT_XML : FORMAT_JSON;
}


/* ---- an independent reading of §7.1 rule 2, for plain headers only ----------------------- */

/* Ranges "type/subtype" with optional ";name=value" parameters, no quotes, every q an RFC 9110
 * qvalue; anything else (and a type equally specific twice for one target, which the spec does
 * not order) makes the reference decline. */
struct ref_range {
    char type[32], sub[32];
    int q; /* 0..1000 */
};

static bool ref_qvalue(const char *v, size_t n, int *q)
{
    if (n == 0 || (v[0] != '0' && v[0] != '1') || (n > 1 && v[1] != '.') || n > 5)
        return false;
    int frac = 0, digits = 0;
    for (size_t i = 2; i < n; i++, digits++) {
        if (v[i] < '0' || v[i] > '9')
            return false;
        frac = frac * 10 + (v[i] - '0');
    }
    for (; digits < 3; digits++)
        frac *= 10;
    *q = (v[0] - '0') * 1000 + frac;
    return *q <= 1000;
}

static void ref_trim(const char **p, size_t *n)
{
    while (*n && (**p == ' ' || **p == '\t'))
        (*p)++, (*n)--;
    while (*n && ((*p)[*n - 1] == ' ' || (*p)[*n - 1] == '\t'))
        (*n)--;
}

static bool ref_token(const char *p, size_t n, char out[32])
{
    if (n == 0 || n >= 32)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '*' || c == '+' || c == '-' || c == '.';
        if (!ok)
            return false;
        out[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    out[n] = '\0';
    return true;
}

/* Parses one range; false to decline. */
static bool ref_range_parse(const char *p, size_t n, struct ref_range *r)
{
    const char *semi = memchr(p, ';', n);
    size_t mt = semi ? (size_t)(semi - p) : n;
    const char *slash = memchr(p, '/', mt);
    if (slash == NULL)
        return false;
    const char *tp = p, *sp = slash + 1;
    size_t tn = (size_t)(slash - p), sn = mt - tn - 1;
    ref_trim(&tp, &tn);
    ref_trim(&sp, &sn);
    if (!ref_token(tp, tn, r->type) || !ref_token(sp, sn, r->sub))
        return false;
    if (strcmp(r->type, "*") == 0 && strcmp(r->sub, "*") != 0)
        return false;
    r->q = 1000;
    for (size_t i = mt; i < n;) {
        const char *start = p + i + 1;
        const char *next = memchr(start, ';', n - i - 1);
        size_t pn = next ? (size_t)(next - start) : n - i - 1;
        const char *eq = memchr(start, '=', pn);
        if (eq == NULL)
            return false;
        const char *name = start, *val = eq + 1;
        size_t nn = (size_t)(eq - start), vn = pn - nn - 1;
        ref_trim(&name, &nn);
        ref_trim(&val, &vn);
        if (nn == 1 && (name[0] == 'q' || name[0] == 'Q') && !ref_qvalue(val, vn, &r->q))
            return false;
        i += pn + 1;
    }
    return true;
}

/* 1: JSON, 2: XML, 3: rule 1 applies, 0: declined. */
static int ref_negotiate(const char *s, size_t n)
{
    static const char *const types[3][2] = {{"application", "json"}, {"application", "xml"}, {"text", "xml"}};
    if (memchr(s, '"', n) || memchr(s, '\\', n) || memchr(s, '\0', n))
        return 0;
    int spec[3] = {0, 0, 0}, q[3] = {0, 0, 0};
    bool any = false, only_star = true;
    for (size_t i = 0; i <= n;) {
        const char *comma = memchr(s + i, ',', n - i);
        size_t end = comma ? (size_t)(comma - s) : n;
        const char *p = s + i;
        size_t len = end - i;
        ref_trim(&p, &len);
        if (len > 0) {
            struct ref_range r;
            if (!ref_range_parse(p, len, &r))
                return 0;
            any = true;
            bool star = strcmp(r.type, "*") == 0;
            only_star &= star;
            for (int t = 0; t < 3; t++) {
                int sp = star ? 1 : strcmp(r.type, types[t][0]) != 0 ? 0 : strcmp(r.sub, "*") == 0 ? 2 : strcmp(r.sub, types[t][1]) == 0 ? 3 : 0;
                if (sp == 0)
                    continue;
                if (sp == spec[t] && q[t] != r.q)
                    return 0; /* two equally specific ranges disagree: the spec does not say */
                if (sp > spec[t])
                    spec[t] = sp, q[t] = r.q;
            }
        }
        if (comma == NULL)
            break;
        i = end + 1;
    }
    if (!any || only_star)
        return 3;
    int q_xml = q[1] > q[2] ? q[1] : q[2];
    return q_xml > q[0] ? 2 : 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *accept = malloc(size ? size : 1);
    memcpy(accept, data, size);

    struct negotiation r[2][2][3];
    for (int b = 0; b < 2; b++)
        for (int l = 0; l < 2; l++)
            for (int d = 0; d < 3; d++) {
                struct negotiation n = negotiate(accept, size, b, l, defs[d]);
                CHECK(n.format == FORMAT_JSON || n.format == FORMAT_XML);
                CHECK(!n.text_xml || n.format == FORMAT_XML);
                r[b][l][d] = n;
            }

    /* DEFAULT_JSON and DEFAULT_XML disagree only when rule 1 applies. */
    bool by_default = r[0][0][1].format != r[0][0][2].format;
    for (int b = 0; b < 2; b++)
        for (int l = 0; l < 2; l++)
            for (int d = 0; d < 3; d++) {
                struct negotiation n = r[b][l][d];
                if (by_default) {
                    CHECK(n.format == rule1(b, l, defs[d]) && !n.text_xml);
                } else {
                    CHECK(n.format == r[0][0][0].format && n.text_xml == r[0][0][0].text_xml);
                }
            }

    int want = ref_negotiate(accept, size);
    if (want == 3)
        CHECK(by_default);
    else if (want != 0)
        CHECK(!by_default && r[0][0][0].format == (want == 2 ? FORMAT_XML : FORMAT_JSON));

    /* An empty header is no preference at all, like an absent one. */
    if (size == 0)
        CHECK(by_default);

    enum default_format def;
    char *s = malloc(size + 1);
    memcpy(s, data, size);
    s[size] = '\0';
    if (default_format_parse(s, &def))
        CHECK(def == DEFAULT_LEGACY || def == DEFAULT_JSON || def == DEFAULT_XML);
    free(s);
    free(accept);
    return 0;
}
