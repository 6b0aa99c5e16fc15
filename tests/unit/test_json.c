/* test_json.c — JSON parsing limits and reply rendering (src/codec/json.c, README §6.1, §7.3). */
#include <criterion/criterion.h>
#include <string.h>

#include "codec/date.h"
#include "codec/json.h"

static json_t *parse(const char *s)
{
    return json_parse_body(s, strlen(s), JSON_MAX_DEPTH);
}

/* depth levels of [ ... ] around 1. */
static char *nested(int depth, char open, char close)
{
    char *s = xmalloc((size_t)depth * 2 + 2);
    memset(s, open, (size_t)depth);
    s[depth] = '1';
    memset(s + depth + 1, close, (size_t)depth);
    s[depth * 2 + 1] = '\0';
    return s;
}

/* Renders v and frees it; the caller frees the returned text. */
static char *render(json_t *v)
{
    struct buf b = BUF_INIT;
    json_render(&b, v);
    json_decref(v);
    return b.data;
}

static void renders_as(json_t *v, const char *expected)
{
    char *s = render(v);
    cr_assert_str_eq(s, expected);
    free(s);
}

Test(json, parses_objects_and_any_top_level_value)
{
    json_t *v = parse("{\"a\":[1,2,{\"b\":\"x\"}]}");
    cr_assert(json_is_object(v));
    json_decref(v);
    v = parse("[1]");
    cr_assert(json_is_array(v));
    json_decref(v);
    v = parse("\"text\"");
    cr_assert_str_eq(json_string_value(v), "text");
    json_decref(v);
}

Test(json, depth_just_within_limit_is_accepted)
{
    char *s = nested(JSON_MAX_DEPTH, '[', ']');
    json_t *v = parse(s);
    cr_assert_not_null(v);
    json_decref(v);
    free(s);
}

Test(json, depth_over_limit_is_rejected)
{
    char *s = nested(JSON_MAX_DEPTH + 1, '[', ']');
    cr_assert_null(parse(s));
    free(s);
    s = nested(100000, '[', ']');
    cr_assert_null(parse(s));
    free(s);
}

Test(json, depth_counts_objects_and_arrays_together)
{
    cr_assert_null(json_parse_body("{\"a\":[{\"b\":1}]}", 15, 2));
    json_t *v = json_parse_body("{\"a\":[{\"b\":1}]}", 15, 3);
    cr_assert_not_null(v);
    json_decref(v);
}

Test(json, brackets_inside_strings_do_not_count)
{
    json_t *v = json_parse_body("{\"a\":\"[[[[{{{{\\\"[[[[\"}", 22, 1);
    cr_assert_not_null(v);
    cr_assert_str_eq(json_string_value(json_object_get(v, "a")), "[[[[{{{{\"[[[[");
    json_decref(v);
}

Test(json, malformed_is_rejected)
{
    const char *bad[] = {"", "{", "{\"a\":}", "{\"a\":1,}", "[1 2]", "{'a':1}", "nul", "{\"a\":1}x",
                         "\"\xff\""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_null(parse(bad[i]), "should reject: %s", bad[i]);
}

Test(json, nul_character_in_string_is_rejected)
{
    cr_assert_null(parse("{\"a\":\"x\\u0000y\"}"));
    cr_assert_null(json_parse_body("{\"a\":\"x\0y\"}", 12, JSON_MAX_DEPTH));
}

Test(json, render_is_compact_and_keeps_order)
{
    json_t *v = json_pack("{s:i,s:s,s:b,s:n,s:[i,i]}", "z", 1, "a", "x", "m", 1, "n", "l", 1, 2);
    renders_as(v, "{\"z\":1,\"a\":\"x\",\"m\":true,\"n\":null,\"l\":[1,2]}");
}

Test(json, render_appends_to_buffer)
{
    struct buf b = BUF_INIT;
    buf_puts(&b, "x=");
    json_t *v = json_integer(7);
    json_render(&b, v);
    json_decref(v);
    cr_assert_str_eq(b.data, "x=7");
    buf_free(&b);
}

Test(json, render_keeps_utf8_and_escapes_quotes)
{
    renders_as(json_string("Æøå \"q\" \\"), "\"Æøå \\\"q\\\" \\\\\"");
}

Test(json, money_whole_amounts_are_integers)
{
    renders_as(json_money(29500), "295");
    renders_as(json_money(0), "0");
    renders_as(json_money(-100), "-1");
}

Test(json, money_has_shortest_decimals)
{
    renders_as(json_money(8454), "84.54");
    renders_as(json_money(8450), "84.5");
    renders_as(json_money(-105), "-1.05");
    renders_as(json_money(1), "0.01");
    renders_as(json_money(29), "0.29");
    renders_as(json_money(123456789012345LL), "1234567890123.45");
}

Test(json, instant_is_truncated_to_the_second)
{
    json_t *v = json_instant(1560963388999LL);
    cr_assert(json_is_integer(v));
    cr_assert_eq(json_integer_value(v), 1560963388000LL);
    json_decref(v);
}

Test(json, real_that_would_render_above_dbl_max_is_refused)
{
    const char *big = "{\"amount\":1.7976931348623157e308}";
    cr_assert_null(json_parse_body(big, strlen(big), JSON_MAX_DEPTH));
    const char *ok = "{\"amount\":1.5e300}";
    json_t *v = json_parse_body(ok, strlen(ok), JSON_MAX_DEPTH);
    cr_assert_not_null(v);
    json_decref(v);
}

/* The writer must print what jansson's dumper prints with the flags replies used before it. */
static void renders_like_jansson(json_t *v)
{
    char *want = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));
    char *got = render(v);
    cr_assert_not_null(want);
    cr_assert_str_eq(got, want);
    free(got);
    free(want);
}

Test(json, render_matches_jansson_byte_for_byte)
{
    const char *texts[] = {
        "{\"b\":1,\"a\":[true,false,null],\"c\":{\"y\":\"\\u0001\\u001f\\b\\f\\n\\r\\t\\\"\\\\/\",\"x\":[]}}",
        "[0,-1,9223372036854775807,-9223372036854775808,{}]",
        "[1.0,-0.5,84.54,1e20,1.5e300,1e-5,1.25e-300,123456789012345.6,0.1,-2.5e-7,3.0e15,1e15]",
        "{\"\\u00e6\\u00f8\\u00e5\":\"Æøå 日本 \\ud83d\\ude00\",\"\\u007f\":\"\\u007f\"}",
        "\"just a string\"",
        "12",
    };
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        json_error_t err;
        json_t *v = json_loads(texts[i], JSON_DECODE_ANY, &err);
        cr_assert_not_null(v, "%s: %s", texts[i], err.text);
        renders_like_jansson(v);
    }
    /* Keys in insertion order, including after a delete and a re-insert. */
    json_t *o = json_object();
    for (int i = 0; i < 40; i++) {
        char key[16];
        snprintf(key, sizeof key, "k%d", (i * 17) % 40);
        json_object_set_new(o, key, json_integer(i));
    }
    json_object_del(o, "k17");
    json_object_set_new(o, "k17", json_real(0.25));
    renders_like_jansson(o);
}

/* Strings are scanned eight bytes at a time: an escape at every position of strings around
 * that width must still be found, and bytes >= 0x80 (UTF-8) and 0x7f left alone. */
Test(json, render_finds_an_escape_at_every_position)
{
    const char specials[] = {'"', '\\', '\n', 0x01, 0x1f, 0x7f, ' ', '~'};
    char s[41];
    for (size_t len = 1; len <= 40; len++) {
        for (size_t at = 0; at < len; at++) {
            for (size_t k = 0; k < sizeof specials; k++) {
                for (size_t i = 0; i < len; i++)
                    s[i] = (char)('a' + i % 26);
                s[at] = specials[k];
                s[len] = '\0';
                json_t *v = json_stringn(s, len);
                cr_assert_not_null(v);
                renders_like_jansson(v); /* takes v */
            }
        }
    }
    json_t *utf8 = json_string("Grubbegata \xc3\xa6\xc3\xb8\xc3\xa5 \xe2\x82\xac \"x\" Oslo \xc3\x85");
    renders_like_jansson(utf8);
}
