/* test_form.c — form/query decoding (src/http/form.c): '+' and %XX decoding into the pool,
 * repeated parameters, boolean flags (spec README §6.4), and refusal of bad escapes. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "http/form.h"

static h2o_mem_pool_t pool;

static void setup(void)
{
    h2o_mem_init_pool(&pool);
}

static void teardown(void)
{
    h2o_mem_clear_pool(&pool);
}

TestSuite(form, .init = setup, .fini = teardown);

static struct form parse_ok(const char *s)
{
    struct form f;
    cr_assert(form_parse(s, strlen(s), &pool, &f), "'%s' should parse", s);
    return f;
}

static void expect_param(const struct form *f, size_t i, const char *name, const char *value)
{
    cr_assert_lt(i, f->n);
    cr_assert_str_eq(f->params[i].name, name);
    cr_assert_eq(f->params[i].name_len, strlen(name));
    cr_assert_str_eq(f->params[i].value, value);
    cr_assert_eq(f->params[i].value_len, strlen(value));
}

Test(form, pieces_decode_into_names_and_values)
{
    struct form f = parse_ok("a=b&c&d=&e=%41+b");
    cr_assert_eq(f.n, 4);
    expect_param(&f, 0, "a", "b");
    expect_param(&f, 1, "c", "");
    expect_param(&f, 2, "d", "");
    expect_param(&f, 3, "e", "A b");
}

Test(form, names_are_decoded_too)
{
    struct form f = parse_ok("redirect%5Furi=x&a+b=c");
    expect_param(&f, 0, "redirect_uri", "x");
    expect_param(&f, 1, "a b", "c");
}

Test(form, hex_digits_are_case_insensitive)
{
    struct form f = parse_ok("x=%2f%2F%c3%A6");
    expect_param(&f, 0, "x", "//\xc3\xa6");
}

Test(form, only_the_first_equals_splits)
{
    struct form f = parse_ok("state=a=b==");
    expect_param(&f, 0, "state", "a=b==");
}

Test(form, encoded_separators_do_not_split)
{
    struct form f = parse_ok("q=a%26b%3Dc");
    cr_assert_eq(f.n, 1);
    expect_param(&f, 0, "q", "a&b=c");
}

Test(form, empty_pieces_are_skipped)
{
    struct form f = parse_ok("&&a=1&&b=2&");
    cr_assert_eq(f.n, 2);
    expect_param(&f, 0, "a", "1");
    expect_param(&f, 1, "b", "2");
}

Test(form, empty_input_has_no_params)
{
    struct form f = parse_ok("");
    cr_assert_eq(f.n, 0);
    cr_assert_null(form_get(&f, "a", NULL));
}

Test(form, length_bounds_the_input)
{
    struct form f;
    cr_assert(form_parse("a=1&b=2", 3, &pool, &f));
    cr_assert_eq(f.n, 1);
    expect_param(&f, 0, "a", "1");
}

Test(form, get_returns_first_value_and_counts_repeats)
{
    struct form f = parse_ok("scope=read&grant_type=x&scope=write&scope=");
    size_t count = 0;
    cr_assert_str_eq(form_get(&f, "scope", &count), "read");
    cr_assert_eq(count, 3);
    cr_assert_str_eq(form_get(&f, "grant_type", &count), "x");
    cr_assert_eq(count, 1);
    cr_assert_null(form_get(&f, "missing", &count));
    cr_assert_eq(count, 0);
    cr_assert_null(form_get(&f, "scop", NULL), "a prefix of a name is not the name");
}

Test(form, bad_escapes_are_rejected)
{
    const char *bad[] = {"a=%", "a=%4", "a=%zz", "a=%4g", "%=1", "a=1&b=%G1"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct form f;
        cr_assert_not(form_parse(bad[i], strlen(bad[i]), &pool, &f), "'%s' should be rejected", bad[i]);
    }
}

Test(form, decoded_nul_is_rejected)
{
    struct form f;
    cr_assert_not(form_parse("a=x%00y", 7, &pool, &f));
    cr_assert_not(form_parse("a=x\0y", 5, &pool, &f), "a raw NUL too");
}

Test(form, url_decode_works_in_place)
{
    char s[] = "a%20b+c";
    size_t n = url_decode(s, strlen(s), s, true);
    cr_assert_eq(n, 5);
    s[n] = '\0';
    cr_assert_str_eq(s, "a b c");
}

Test(form, url_decode_keeps_plus_outside_form_data)
{
    char out[16];
    size_t n = url_decode("a+b%2B", 6, out, false);
    cr_assert_eq(n, 4);
    cr_assert(memcmp(out, "a+b+", 4) == 0);
}

Test(form, url_decode_reports_errors)
{
    char out[16];
    cr_assert_eq(url_decode("%", 1, out, true), (size_t)-1);
    cr_assert_eq(url_decode("%0", 2, out, true), (size_t)-1);
    cr_assert_eq(url_decode("%00", 3, out, true), (size_t)-1);
    cr_assert_eq(url_decode("", 0, out, true), 0);
}

static void expect_flag(const char *query, bool dflt, bool ok, bool want)
{
    struct form f = parse_ok(query);
    bool v = !want;
    cr_assert_eq(form_flag(&f, "unpaid", dflt, &v), ok, "'%s' valid should be %d", query, ok);
    if (ok)
        cr_assert_eq(v, want, "'%s' should give %d", query, want);
}

Test(form, flag_true_one_or_no_value_is_true)
{
    expect_flag("unpaid=true", false, true, true);
    expect_flag("unpaid=1", false, true, true);
    expect_flag("unpaid", false, true, true);
    expect_flag("unpaid=", false, true, true);
    expect_flag("unpaid=TRUE", false, true, true);
}

Test(form, flag_false_or_zero_is_false)
{
    expect_flag("unpaid=false", true, true, false);
    expect_flag("unpaid=0", true, true, false);
    expect_flag("unpaid=False", true, true, false);
}

Test(form, absent_flag_takes_its_default)
{
    expect_flag("other=1", true, true, true);
    expect_flag("other=1", false, true, false);
    expect_flag("", true, true, true);
}

Test(form, other_flag_values_are_invalid)
{
    expect_flag("unpaid=yes", false, false, false);
    expect_flag("unpaid=2", false, false, false);
    expect_flag("unpaid=%20true", false, false, false);
}

Test(form, first_of_repeated_flags_counts)
{
    expect_flag("unpaid=0&unpaid=1", true, true, false);
}

Test(form, many_params_are_all_kept)
{
    char q[4096] = "";
    for (int i = 0; i < 300; i++) {
        char piece[16];
        snprintf(piece, sizeof piece, "%sk%d=%d", i ? "&" : "", i, i);
        strcat(q, piece);
    }
    struct form f = parse_ok(q);
    cr_assert_eq(f.n, 300);
    cr_assert_str_eq(form_get(&f, "k299", NULL), "299");
}
