/* fuzz_router.c — libFuzzer target for route matching (src/router.c, src/http/path.c, spec
 * README §4). The first input byte picks the method, the rest is a raw path run through
 * path_parse and router_match against a small table holding the §4.2 overlaps. A brute-force
 * reference (every template against every segment, literal beats parameter at the first
 * difference) must agree with the trie on the route, its parameters, 404 versus 405 and Allow. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "router.h"

#define CHECK(c)                                                                                  \
    do {                                                                                          \
        if (!(c)) {                                                                               \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #c);            \
            abort();                                                                              \
        }                                                                                         \
    } while (0)

#define R(m, p) {.method = (m), .path = (p), .mode = AUTH_USER}

static const struct route routes[] = {
    /* §4.2: privacy literals versus {enterpriseCode}[/{orderType}] */
    R(HTTP_POST, "/capi/v1/customer/privacy/access"),
    R(HTTP_POST, "/capi/v1/customer/privacy/remove"),
    R(HTTP_POST, "/capi/v1/customer/privacy/consentEvent"),
    R(HTTP_GET, "/capi/v1/customer/privacy/consents/{issuer}"),
    R(HTTP_GET, "/capi/v1/customer/privacy/consentGroups/{issuer}"),
    R(HTTP_GET, "/capi/v1/customer/privacy/consentEvent/history/{issuer}"),
    R(HTTP_GET, "/capi/v1/customer/privacy/{enterpriseCode}"),
    R(HTTP_POST, "/capi/v1/customer/privacy/{enterpriseCode}"),
    R(HTTP_GET, "/capi/v1/customer/privacy/{enterpriseCode}/{orderType}"),
    R(HTTP_POST, "/capi/v1/customer/privacy/{enterpriseCode}/{orderType}"),
    /* §4.2: invoice/{payment|details} versus invoice/{product} */
    R(HTTP_GET, "/capi/v1/customer/invoice"),
    R(HTTP_GET, "/capi/v1/customer/invoice/payment"),
    R(HTTP_GET, "/capi/v1/customer/invoice/payment/{product}"),
    R(HTTP_GET, "/capi/v1/customer/invoice/details/{invoiceNumber}"),
    R(HTTP_GET, "/capi/v1/customer/invoice/{product}"),
    /* §4.2: category/type versus category/{categoryType} */
    R(HTTP_GET, "/capi/v1/customer/category"),
    R(HTTP_GET, "/capi/v1/customer/category/type"),
    R(HTTP_GET, "/capi/v1/customer/category/{categoryType}"),
    /* §4.2: share/{net|distributionlevel|invitation} versus share/{productCode} */
    R(HTTP_GET, "/capi/v1/subscription/share/{productCode}"),
    R(HTTP_PATCH, "/capi/v1/subscription/share"),
    R(HTTP_POST, "/capi/v1/subscription/share/net"),
    R(HTTP_GET, "/capi/v1/subscription/share/net/{productCode}"),
    R(HTTP_PATCH, "/capi/v1/subscription/share/distributionlevel"),
    R(HTTP_GET, "/capi/v1/subscription/share/distributionlevel/{productCode}"),
    R(HTTP_POST, "/capi/v1/subscription/share/invitation"),
    R(HTTP_PATCH, "/capi/v1/subscription/share/invitation"),
    R(HTTP_PATCH, "/capi/v1/subscription/share/invitation/details"),
    /* §4.2: coupon/price (POST) versus coupon/{productCode} (GET) */
    R(HTTP_POST, "/capi/v1/client/coupon/price"),
    R(HTTP_GET, "/capi/v1/client/coupon/{productCode}"),
    R(HTTP_GET, "/capi/v1/client/coupon/{couponCode}/{couponNumber}"),
    /* Backtracking: the literal branch has no route of the method further down. */
    R(HTTP_GET, "/capi/v1/client/product"),
    R(HTTP_GET, "/capi/v1/client/product/{productType}"),
    R(HTTP_POST, "/capi/v1/client/product/dependency"),
    R(HTTP_GET, "/capi/v1/client/product/stop/delivery/{customerNumber}/{productCode}"),
    R(HTTP_GET, "/capi/v1/x/{a}/c"),
    R(HTTP_POST, "/capi/v1/x/b/{d}"),
    R(HTTP_PUT, "/capi/v1/x/{a}/{b}"),
    /* Other methods, HEAD registered explicitly, the root and the login service. */
    R(HTTP_GET, "/capi/v1/subscription"),
    R(HTTP_POST, "/capi/v1/subscription"),
    R(HTTP_DELETE, "/capi/v1/api/payment/nexi/subscription"),
    R(HTTP_HEAD, "/capi/v1/user/profile"),
    R(HTTP_GET, "/capi/v1/user/profile"),
    R(HTTP_OPTIONS, "/{any}"),
    R(HTTP_GET, "/"),
    R(HTTP_GET, "/user/oauth/authorize"),
    R(HTTP_POST, "/user/oauth/token"),
};
#define NROUTES (sizeof routes / sizeof routes[0])

static struct router *rt;

/* Templates split once for the reference matcher. */
struct tmpl {
    size_t nseg;
    const char *p[PATH_MAX_SEGMENTS];
    size_t len[PATH_MAX_SEGMENTS];
    bool param[PATH_MAX_SEGMENTS];
};
static struct tmpl tmpls[NROUTES];

static void split(const char *path, struct tmpl *t)
{
    t->nseg = 0;
    for (const char *s = path + 1; *s;) {
        const char *e = strchr(s, '/');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        t->param[t->nseg] = s[0] == '{';
        t->p[t->nseg] = t->param[t->nseg] ? s + 1 : s;
        t->len[t->nseg] = t->param[t->nseg] ? n - 2 : n;
        t->nseg++;
        s += n + (e != NULL);
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    rt = router_new();
    for (size_t i = 0; i < NROUTES; i++) {
        char err[160];
        if (!router_add(rt, &routes[i], err, sizeof err)) {
            fprintf(stderr, "%s\n", err);
            abort();
        }
        split(routes[i].path, &tmpls[i]);
    }
    return 0;
}

static bool tmpl_matches(const struct tmpl *t, const struct path *p)
{
    if (t->nseg != p->nseg)
        return false;
    for (size_t i = 0; i < t->nseg; i++)
        if (!t->param[i] && (t->len[i] != p->seg[i].len || memcmp(t->p[i], p->seg[i].p, t->len[i]) != 0))
            return false;
    return true;
}

/* True when template a beats template b (both matching): literal at the first difference. */
static bool beats(const struct tmpl *a, const struct tmpl *b)
{
    for (size_t i = 0; i < a->nseg; i++)
        if (a->param[i] != b->param[i])
            return !a->param[i];
    return false;
}

/* The route the spec chooses for method m, or -1. HEAD is served by GET, a HEAD route on the
 * same template winning. */
static long reference(enum http_method m, const struct path *p)
{
    long best = -1;
    for (size_t i = 0; i < NROUTES; i++) {
        enum http_method rm = routes[i].method;
        if (!(rm == m || (m == HTTP_HEAD && rm == HTTP_GET)) || !tmpl_matches(&tmpls[i], p))
            continue;
        if (best < 0 || beats(&tmpls[i], &tmpls[best]) ||
            (!beats(&tmpls[best], &tmpls[i]) && rm == HTTP_HEAD))
            best = (long)i;
    }
    return best;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    enum http_method m = (enum http_method)(data[0] % (HTTP_METHOD_COUNT + 1));
    const char *raw = (const char *)data + 1;
    size_t len = size - 1;
    char *scratch = malloc(len ? len : 1);
    struct path p;
    if (path_parse(raw, len, scratch, len, &p) != PATH_OK) {
        free(scratch);
        return 0;
    }
    CHECK(p.nseg <= PATH_MAX_SEGMENTS);

    struct route_match mt;
    enum route_result res = router_match(rt, m, &p, &mt);
    CHECK(res == ROUTE_FOUND || res == ROUTE_NOT_FOUND || res == ROUTE_METHOD_NOT_ALLOWED);
    long want = m < HTTP_METHOD_COUNT ? reference(m, &p) : -1;
    unsigned allow_want = 0;
    for (size_t i = 0; i < NROUTES; i++)
        if (tmpl_matches(&tmpls[i], &p))
            allow_want |= 1u << routes[i].method;
    if (allow_want & 1u << HTTP_GET)
        allow_want |= 1u << HTTP_HEAD;

    if (res == ROUTE_FOUND) {
        CHECK(want >= 0 && mt.route == &routes[want]);
        const struct tmpl *t = &tmpls[want];
        CHECK(mt.nparams <= ROUTER_MAX_PARAMS);
        size_t k = 0;
        for (size_t i = 0; i < t->nseg; i++) {
            if (!t->param[i])
                continue;
            CHECK(k < mt.nparams);
            const struct route_param *rp = &mt.params[k++];
            CHECK(rp->name_len == t->len[i] && memcmp(rp->name, t->p[i], t->len[i]) == 0);
            CHECK(rp->value == p.seg[i].p && rp->len == p.seg[i].len);
            char name[64];
            snprintf(name, sizeof name, "%.*s", (int)t->len[i], t->p[i]);
            size_t vlen;
            CHECK(route_param(&mt, name, &vlen) == p.seg[i].p && vlen == p.seg[i].len);
        }
        CHECK(k == mt.nparams);
        CHECK(router_index_of(rt, mt.route) == (size_t)want);
    } else {
        CHECK(want < 0 && mt.route == NULL);
        if (res == ROUTE_NOT_FOUND) {
            CHECK(allow_want == 0);
        } else {
            CHECK(mt.allow == allow_want && mt.allow != 0);
            CHECK(m >= HTTP_METHOD_COUNT || !(mt.allow & 1u << m));
            char hdr[64];
            size_t cap = len % sizeof hdr;
            router_allow_header(mt.allow, hdr, cap);
            if (cap)
                CHECK(strlen(hdr) < cap);
        }
    }
    CHECK(http_method_parse(http_method_name(m), strlen(http_method_name(m))) == m ||
          m == HTTP_OTHER);
    free(scratch);
    return 0;
}
