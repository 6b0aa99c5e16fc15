/* test_path.c — request-path normalisation and splitting (src/http/path.c, spec README §3). */
#include <criterion/criterion.h>
#include <string.h>

#include "http/path.h"

static char scratch[512];

static enum path_status parse(const char *raw, struct path *p)
{
    return path_parse(raw, strlen(raw), scratch, sizeof scratch, p);
}

static void expect_segments(const struct path *p, size_t n, const char *const *want)
{
    cr_assert_eq(p->nseg, n, "got %zu segments, want %zu", p->nseg, n);
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(p->seg[i].len, strlen(want[i]), "segment %zu length", i);
        cr_assert(memcmp(p->seg[i].p, want[i], p->seg[i].len) == 0, "segment %zu is '%.*s', want '%s'", i,
                  (int)p->seg[i].len, p->seg[i].p, want[i]);
    }
}

Test(path, splits_into_segments)
{
    struct path p;
    cr_assert_eq(parse("/capi/v1/subscription", &p), PATH_OK);
    expect_segments(&p, 3, (const char *[]){"capi", "v1", "subscription"});
}

Test(path, double_slashes_collapse)
{
    struct path p;
    cr_assert_eq(parse("//capi///v1//subscription", &p), PATH_OK);
    expect_segments(&p, 3, (const char *[]){"capi", "v1", "subscription"});
}

Test(path, one_trailing_slash_is_ignored)
{
    struct path p;
    cr_assert_eq(parse("/capi//v1/subscription/", &p), PATH_OK);
    expect_segments(&p, 3, (const char *[]){"capi", "v1", "subscription"});
}

Test(path, run_of_trailing_slashes_collapses_then_is_ignored)
{
    struct path p;
    cr_assert_eq(parse("/capi/v1/x//", &p), PATH_OK);
    expect_segments(&p, 3, (const char *[]){"capi", "v1", "x"});
}

Test(path, root_has_zero_segments)
{
    struct path p;
    cr_assert_eq(parse("/", &p), PATH_OK);
    cr_assert_eq(p.nseg, 0);
    cr_assert_eq(parse("//", &p), PATH_OK);
    cr_assert_eq(p.nseg, 0);
}

Test(path, encoded_slash_stays_inside_one_segment)
{
    struct path p;
    cr_assert_eq(parse("/capi/v1/x/a%2Fb/c", &p), PATH_OK);
    expect_segments(&p, 5, (const char *[]){"capi", "v1", "x", "a/b", "c"});
}

Test(path, percent_escapes_are_decoded_in_either_case)
{
    struct path p;
    cr_assert_eq(parse("/a%41%6a%20b", &p), PATH_OK);
    expect_segments(&p, 1, (const char *[]){"aAj b"});
}

Test(path, plus_is_not_a_space_in_paths)
{
    struct path p;
    cr_assert_eq(parse("/a+b", &p), PATH_OK);
    expect_segments(&p, 1, (const char *[]){"a+b"});
}

Test(path, dot_segments_are_literal)
{
    struct path p;
    cr_assert_eq(parse("/a/./../b", &p), PATH_OK);
    expect_segments(&p, 4, (const char *[]){"a", ".", "..", "b"});
}

Test(path, bad_escape_is_rejected)
{
    struct path p;
    cr_assert_eq(parse("/a%2", &p), PATH_BAD_ENCODING);
    cr_assert_eq(parse("/a%", &p), PATH_BAD_ENCODING);
    cr_assert_eq(parse("/a%zz/b", &p), PATH_BAD_ENCODING);
    cr_assert_eq(parse("/a%2/b", &p), PATH_BAD_ENCODING);
}

Test(path, decoded_nul_is_rejected)
{
    struct path p;
    cr_assert_eq(parse("/a%00b", &p), PATH_BAD_ENCODING);
}

Test(path, relative_path_is_rejected)
{
    struct path p;
    cr_assert_eq(parse("capi/v1", &p), PATH_NOT_ABSOLUTE);
    cr_assert_eq(parse("", &p), PATH_NOT_ABSOLUTE);
    cr_assert_eq(parse("*", &p), PATH_NOT_ABSOLUTE);
}

Test(path, sixteen_segments_are_allowed)
{
    struct path p;
    cr_assert_eq(parse("/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16/", &p), PATH_OK);
    cr_assert_eq(p.nseg, PATH_MAX_SEGMENTS);
}

Test(path, too_many_segments_are_rejected)
{
    struct path p;
    cr_assert_eq(parse("/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16/17", &p), PATH_TOO_MANY);
}

Test(path, scratch_smaller_than_path_is_rejected)
{
    struct path p;
    char small[4];
    cr_assert_eq(path_parse("/abcdef", 7, small, sizeof small, &p), PATH_TOO_LONG);
}

Test(path, length_bounds_the_input_not_a_nul)
{
    struct path p;
    cr_assert_eq(path_parse("/a/b?x=1", 4, scratch, sizeof scratch, &p), PATH_OK);
    expect_segments(&p, 2, (const char *[]){"a", "b"});
}

static void expect_normalized(const char *raw, const char *want)
{
    char out[256];
    size_t n = path_normalize(raw, strlen(raw), out);
    cr_assert_str_eq(out, want);
    cr_assert_eq(n, strlen(want));
}

Test(path, normalize_collapses_slashes_and_keeps_encoding)
{
    expect_normalized("/capi//v1/x/", "/capi/v1/x");
    expect_normalized("/a%2Fb//c", "/a%2Fb/c");
    expect_normalized("/", "/");
    expect_normalized("///", "/");
    expect_normalized("/a", "/a");
}

Test(path, normalize_keeps_a_non_path_target_verbatim)
{
    expect_normalized("*", "*");
}
