/* test_router.c — the route table (src/router.c, spec README §4): literal segments beat
 * parameters, only the request's method counts, 404 versus 405 with Allow, HEAD via GET,
 * and templates that must be refused. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "router.h"

static struct router *rt;
static char scratch[512];
static struct path path;
static struct route_match m;

static void setup(void)
{
    rt = router_new();
}

static void teardown(void)
{
    router_free(rt);
}

TestSuite(router, .init = setup, .fini = teardown);

static void add(const struct route *r)
{
    char err[128] = "";
    cr_assert(router_add(rt, r, err, sizeof err), "router_add %s: %s", r->path, err);
}

static enum route_result match(enum http_method meth, const char *raw)
{
    cr_assert_eq(path_parse(raw, strlen(raw), scratch, sizeof scratch, &path), PATH_OK, "path %s", raw);
    return router_match(rt, meth, &path, &m);
}

static void expect_route(enum http_method meth, const char *raw, const struct route *want)
{
    enum route_result res = match(meth, raw);
    cr_assert_eq(res, ROUTE_FOUND, "%s %s: result %d", http_method_name(meth), raw, res);
    cr_assert_eq(m.route, want, "%s %s matched %s, want %s", http_method_name(meth), raw,
                 m.route ? m.route->path : "(none)", want->path);
}

static void expect_param(const char *name, const char *want)
{
    size_t len;
    const char *v = route_param(&m, name, &len);
    cr_assert_not_null(v, "parameter %s missing", name);
    cr_assert_eq(len, strlen(want));
    cr_assert(memcmp(v, want, len) == 0, "%s = '%.*s', want '%s'", name, (int)len, v, want);
}

#define ROUTE(meth, p) {.method = (meth), .path = (p), .mode = AUTH_USER}

/* ---- §4.2 known overlaps ---- */

static const struct route privacy_access = ROUTE(HTTP_POST, "/capi/v1/customer/privacy/access");
static const struct route privacy_remove = ROUTE(HTTP_POST, "/capi/v1/customer/privacy/remove");
static const struct route privacy_enterprise = ROUTE(HTTP_POST, "/capi/v1/customer/privacy/{enterpriseCode}");
static const struct route privacy_order_type =
    ROUTE(HTTP_POST, "/capi/v1/customer/privacy/{enterpriseCode}/{orderType}");
static const struct route privacy_consents = ROUTE(HTTP_GET, "/capi/v1/customer/privacy/consents");

Test(router, literal_segment_beats_parameter)
{
    add(&privacy_enterprise); /* added first: order of registration must not matter */
    add(&privacy_access);
    add(&privacy_remove);
    add(&privacy_order_type);
    expect_route(HTTP_POST, "/capi/v1/customer/privacy/access", &privacy_access);
    cr_assert_eq(m.nparams, 0);
    expect_route(HTTP_POST, "/capi/v1/customer/privacy/remove", &privacy_remove);
    expect_route(HTTP_POST, "/capi/v1/customer/privacy/ACME", &privacy_enterprise);
    expect_param("enterpriseCode", "ACME");
    expect_route(HTTP_POST, "/capi/v1/customer/privacy/access/X", &privacy_order_type);
    expect_param("enterpriseCode", "access");
    expect_param("orderType", "X");
}

Test(router, literal_branch_lacking_the_method_does_not_block_a_parameter_route)
{
    add(&privacy_consents); /* GET only */
    add(&privacy_enterprise);
    expect_route(HTTP_POST, "/capi/v1/customer/privacy/consents", &privacy_enterprise);
    expect_param("enterpriseCode", "consents");
    expect_route(HTTP_GET, "/capi/v1/customer/privacy/consents", &privacy_consents);
}

static const struct route invoice_payment = ROUTE(HTTP_GET, "/capi/v1/customer/invoice/payment");
static const struct route invoice_details = ROUTE(HTTP_GET, "/capi/v1/customer/invoice/details");
static const struct route invoice_product = ROUTE(HTTP_GET, "/capi/v1/customer/invoice/{product}");

Test(router, invoice_payment_and_details_beat_invoice_product)
{
    add(&invoice_product);
    add(&invoice_payment);
    add(&invoice_details);
    expect_route(HTTP_GET, "/capi/v1/customer/invoice/payment", &invoice_payment);
    expect_route(HTTP_GET, "/capi/v1/customer/invoice/details", &invoice_details);
    expect_route(HTTP_GET, "/capi/v1/customer/invoice/CO27409", &invoice_product);
    expect_param("product", "CO27409");
}

static const struct route category_type = ROUTE(HTTP_GET, "/capi/v1/customer/category/type");
static const struct route category_by_type = ROUTE(HTTP_GET, "/capi/v1/customer/category/{categoryType}");

Test(router, category_type_beats_category_parameter)
{
    add(&category_by_type);
    add(&category_type);
    expect_route(HTTP_GET, "/capi/v1/customer/category/type", &category_type);
    expect_route(HTTP_GET, "/capi/v1/customer/category/NEWS", &category_by_type);
    expect_param("categoryType", "NEWS");
}

static const struct route share_net = ROUTE(HTTP_GET, "/capi/v1/subscription/share/net");
static const struct route share_product = ROUTE(HTTP_GET, "/capi/v1/subscription/share/{productCode}");

Test(router, share_net_beats_share_product_code)
{
    add(&share_product);
    add(&share_net);
    expect_route(HTTP_GET, "/capi/v1/subscription/share/net", &share_net);
    expect_route(HTTP_GET, "/capi/v1/subscription/share/CO1", &share_product);
    expect_param("productCode", "CO1");
}

static const struct route coupon_price = ROUTE(HTTP_POST, "/capi/v1/client/coupon/price");
static const struct route coupon_list = ROUTE(HTTP_GET, "/capi/v1/client/coupon/{productCode}");

Test(router, coupon_price_and_coupon_list_differ_by_method)
{
    add(&coupon_price);
    add(&coupon_list);
    expect_route(HTTP_POST, "/capi/v1/client/coupon/price", &coupon_price);
    expect_route(HTTP_GET, "/capi/v1/client/coupon/price", &coupon_list);
    expect_param("productCode", "price");
}

static const struct route lit_then_param = ROUTE(HTTP_GET, "/a/lit/{p}");
static const struct route param_then_lit = ROUTE(HTTP_GET, "/a/{p}/lit");

Test(router, literal_wins_at_the_first_differing_segment)
{
    add(&param_then_lit);
    add(&lit_then_param);
    expect_route(HTTP_GET, "/a/lit/lit", &lit_then_param);
    expect_param("p", "lit");
}

static const struct route deep_literal = ROUTE(HTTP_GET, "/a/b/c");
static const struct route deep_param = ROUTE(HTTP_GET, "/a/{x}/d");

Test(router, matching_backtracks_from_a_dead_literal_branch)
{
    add(&deep_literal);
    add(&deep_param);
    expect_route(HTTP_GET, "/a/b/d", &deep_param);
    expect_param("x", "b");
}

/* ---- parameters ---- */

static const struct route x_get = ROUTE(HTTP_GET, "/x/{a}");
static const struct route x_post = ROUTE(HTTP_POST, "/x/{b}");

Test(router, parameter_names_come_from_the_matched_route)
{
    add(&x_get);
    add(&x_post);
    expect_route(HTTP_GET, "/x/1", &x_get);
    expect_param("a", "1");
    cr_assert_null(route_param(&m, "b", NULL));
    expect_route(HTTP_POST, "/x/2", &x_post);
    expect_param("b", "2");
}

static const struct route two_params = ROUTE(HTTP_GET, "/capi/v1/customer/privacy/{enterpriseCode}/{orderType}");

Test(router, parameters_are_extracted_decoded)
{
    add(&two_params);
    expect_route(HTTP_GET, "/capi/v1/customer/privacy/A%2FB/c%20d", &two_params);
    cr_assert_eq(m.nparams, 2);
    expect_param("enterpriseCode", "A/B");
    expect_param("orderType", "c d");
}

Test(router, unknown_parameter_name_gives_null_and_zero_length)
{
    add(&two_params);
    expect_route(HTTP_GET, "/capi/v1/customer/privacy/A/B", &two_params);
    size_t len = 99;
    cr_assert_null(route_param(&m, "nope", &len));
    cr_assert_eq(len, 0);
    cr_assert_null(route_param(&m, "orderTyp", &len), "a prefix of a name is not the name");
}

Test(router, percent_encoded_literal_matches_the_literal)
{
    add(&privacy_access);
    add(&privacy_enterprise);
    expect_route(HTTP_POST, "/capi/v1/customer/privacy/acc%65ss", &privacy_access);
}

Test(router, trailing_and_double_slashes_match_the_same_route)
{
    add(&share_net);
    expect_route(HTTP_GET, "/capi//v1/subscription/share/net/", &share_net);
}

static const struct route root = ROUTE(HTTP_GET, "/");

Test(router, root_template_matches_root_path)
{
    add(&root);
    expect_route(HTTP_GET, "/", &root);
    expect_route(HTTP_GET, "//", &root);
    cr_assert_eq(match(HTTP_GET, "/x"), ROUTE_NOT_FOUND);
}

/* ---- 404, 405, HEAD ---- */

Test(router, unknown_path_is_not_found)
{
    add(&share_net);
    cr_assert_eq(match(HTTP_GET, "/capi/v1/subscription/nope"), ROUTE_NOT_FOUND);
    cr_assert_eq(m.allow, 0);
    cr_assert_null(m.route);
    cr_assert_eq(match(HTTP_GET, "/capi/v1/subscription/share"), ROUTE_NOT_FOUND, "a prefix is not a match");
    cr_assert_eq(match(HTTP_GET, "/capi/v1/subscription/share/net/x"), ROUTE_NOT_FOUND);
}

Test(router, empty_router_finds_nothing)
{
    cr_assert_eq(match(HTTP_GET, "/"), ROUTE_NOT_FOUND);
    cr_assert_eq(match(HTTP_GET, "/a"), ROUTE_NOT_FOUND);
}

static const struct route sub_get = ROUTE(HTTP_GET, "/capi/v1/subscription/{productCode}");
static const struct route sub_delete = ROUTE(HTTP_DELETE, "/capi/v1/subscription/{code}");
static const struct route sub_start = ROUTE(HTTP_POST, "/capi/v1/subscription/start");

Test(router, other_method_only_is_method_not_allowed_with_allow_mask)
{
    add(&sub_get);
    add(&sub_delete);
    add(&sub_start);
    cr_assert_eq(match(HTTP_PUT, "/capi/v1/subscription/start"), ROUTE_METHOD_NOT_ALLOWED);
    cr_assert_null(m.route);
    unsigned want = 1u << HTTP_GET | 1u << HTTP_HEAD | 1u << HTTP_POST | 1u << HTTP_DELETE;
    cr_assert_eq(m.allow, want, "allow 0x%x, want 0x%x", m.allow, want);
    char hdr[64];
    router_allow_header(m.allow, hdr, sizeof hdr);
    cr_assert_str_eq(hdr, "GET, HEAD, POST, DELETE");
}

Test(router, allow_lists_only_routes_matching_the_whole_path)
{
    add(&sub_start);
    add(&sub_get);
    cr_assert_eq(match(HTTP_DELETE, "/capi/v1/subscription/CO1"), ROUTE_METHOD_NOT_ALLOWED);
    cr_assert_eq(m.allow, 1u << HTTP_GET | 1u << HTTP_HEAD, "POST /start does not match /CO1");
}

Test(router, unknown_method_on_existing_path_is_method_not_allowed)
{
    add(&sub_start);
    cr_assert_eq(match(HTTP_OTHER, "/capi/v1/subscription/start"), ROUTE_METHOD_NOT_ALLOWED);
    cr_assert_eq(m.allow, 1u << HTTP_POST);
}

Test(router, options_is_not_added_to_allow_automatically)
{
    add(&sub_start);
    cr_assert_eq(match(HTTP_OPTIONS, "/capi/v1/subscription/start"), ROUTE_METHOD_NOT_ALLOWED);
    cr_assert_eq(m.allow & 1u << HTTP_OPTIONS, 0);
}

Test(router, head_is_served_by_the_get_route)
{
    add(&sub_get);
    expect_route(HTTP_HEAD, "/capi/v1/subscription/CO1", &sub_get);
    expect_param("productCode", "CO1");
}

static const struct route sub_head = ROUTE(HTTP_HEAD, "/capi/v1/subscription/{productCode}");

Test(router, explicit_head_route_wins_over_get_fallback)
{
    add(&sub_get);
    add(&sub_head);
    expect_route(HTTP_HEAD, "/capi/v1/subscription/CO1", &sub_head);
}

Test(router, head_without_get_is_method_not_allowed)
{
    add(&sub_start);
    cr_assert_eq(match(HTTP_HEAD, "/capi/v1/subscription/start"), ROUTE_METHOD_NOT_ALLOWED);
    cr_assert_eq(m.allow, 1u << HTTP_POST);
}

/* ---- building ---- */

static const struct route dup_a = ROUTE(HTTP_GET, "/x/{a}/y");
static const struct route dup_b = ROUTE(HTTP_GET, "/x/{b}/y");
static const struct route dup_same = ROUTE(HTTP_GET, "/x/{a}/y");
static const struct route dup_other_method = ROUTE(HTTP_PUT, "/x/{b}/y");

Test(router, duplicate_method_and_template_shape_is_rejected)
{
    char err[128] = "";
    add(&dup_a);
    cr_assert_not(router_add(rt, &dup_same, err, sizeof err));
    cr_assert_neq(err[0], '\0', "an error message is given");
    cr_assert_not(router_add(rt, &dup_b, err, sizeof err), "parameter names alone do not make a new route");
    add(&dup_other_method);
    cr_assert_eq(router_count(rt), 2);
}

static void expect_rejected(const char *tmpl)
{
    struct route r = ROUTE(HTTP_GET, tmpl);
    char err[128] = "";
    cr_assert_not(router_add(rt, &r, err, sizeof err), "template '%s' accepted", tmpl);
    cr_assert_neq(err[0], '\0', "no message for '%s'", tmpl);
}

Test(router, malformed_templates_are_rejected)
{
    expect_rejected("capi/v1/x");
    expect_rejected("");
    expect_rejected("/x/{}");
    expect_rejected("/x/{a");
    expect_rejected("/x/a}");
    expect_rejected("/x/{a}b");
    expect_rejected("/x/{a{b}}");
    expect_rejected("/x//y");
    expect_rejected("/x/");
    expect_rejected("/x/{a}/{a}");
    expect_rejected("/{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}/{i}");
    expect_rejected("/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16/17");
    cr_assert_eq(router_count(rt), 0);
}

Test(router, limits_themselves_are_accepted)
{
    static const struct route eight = ROUTE(HTTP_GET, "/{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}");
    static const struct route sixteen = ROUTE(HTTP_GET, "/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16");
    add(&eight);
    add(&sixteen);
    expect_route(HTTP_GET, "/1/2/3/4/5/6/7/8", &eight);
    cr_assert_eq(m.nparams, 8);
    expect_param("h", "8");
    expect_route(HTTP_GET, "/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16", &sixteen);
}

Test(router, unknown_method_route_is_rejected)
{
    static const struct route bad = ROUTE(HTTP_OTHER, "/x");
    char err[128];
    cr_assert_not(router_add(rt, &bad, err, sizeof err));
}

Test(router, indexes_are_stable_in_insertion_order)
{
    const struct route *all[] = {&privacy_access, &privacy_enterprise, &invoice_payment, &share_net, &root};
    for (size_t i = 0; i < 5; i++)
        add(all[i]);
    cr_assert_eq(router_count(rt), 5);
    for (size_t i = 0; i < 5; i++) {
        cr_assert_eq(router_route(rt, i), all[i]);
        cr_assert_eq(router_index_of(rt, all[i]), i);
    }
    cr_assert_null(router_route(rt, 5));
    cr_assert_eq(router_index_of(rt, &share_product), (size_t)-1);
}

Test(router, many_routes_keep_their_indexes)
{
    enum { N = 300 };
    static struct route many[N];
    static char paths[N][32];
    for (size_t i = 0; i < N; i++) {
        snprintf(paths[i], sizeof paths[i], "/r/%zu/{id}", i);
        many[i] = (struct route){.method = HTTP_GET, .path = paths[i]};
        add(&many[i]);
    }
    for (size_t i = 0; i < N; i++)
        cr_assert_eq(router_index_of(rt, &many[i]), i);
    expect_route(HTTP_GET, "/r/123/abc", &many[123]);
    expect_param("id", "abc");
}

/* ---- methods ---- */

Test(router, method_names_parse_exactly_and_case_sensitively)
{
    cr_assert_eq(http_method_parse("GET", 3), HTTP_GET);
    cr_assert_eq(http_method_parse("HEAD", 4), HTTP_HEAD);
    cr_assert_eq(http_method_parse("POST", 4), HTTP_POST);
    cr_assert_eq(http_method_parse("PUT", 3), HTTP_PUT);
    cr_assert_eq(http_method_parse("PATCH", 5), HTTP_PATCH);
    cr_assert_eq(http_method_parse("DELETE", 6), HTTP_DELETE);
    cr_assert_eq(http_method_parse("OPTIONS", 7), HTTP_OPTIONS);
    cr_assert_eq(http_method_parse("get", 3), HTTP_OTHER);
    cr_assert_eq(http_method_parse("GETX", 4), HTTP_OTHER);
    cr_assert_eq(http_method_parse("GETX", 3), HTTP_GET, "length bounds the name");
    cr_assert_eq(http_method_parse("TRACE", 5), HTTP_OTHER);
    cr_assert_eq(http_method_parse("", 0), HTTP_OTHER);
    cr_assert_str_eq(http_method_name(HTTP_PATCH), "PATCH");
    cr_assert_str_eq(http_method_name(HTTP_OTHER), "OTHER");
}

Test(router, allow_header_lists_methods_in_enum_order_with_head_after_get)
{
    char hdr[64];
    router_allow_header(1u << HTTP_POST | 1u << HTTP_GET, hdr, sizeof hdr);
    cr_assert_str_eq(hdr, "GET, HEAD, POST");
    router_allow_header(1u << HTTP_OPTIONS | 1u << HTTP_PATCH | 1u << HTTP_PUT, hdr, sizeof hdr);
    cr_assert_str_eq(hdr, "PUT, PATCH, OPTIONS");
    router_allow_header(0, hdr, sizeof hdr);
    cr_assert_str_eq(hdr, "");
}

Test(router, allow_header_never_overflows_its_buffer)
{
    char hdr[8];
    router_allow_header(1u << HTTP_GET | 1u << HTTP_POST, hdr, sizeof hdr);
    cr_assert_str_eq(hdr, "GET");
}
