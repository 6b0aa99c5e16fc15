/* test_body.c — choosing and running the body parser (src/codec/body.c, spec README §6.1). */
#include <criterion/criterion.h>
#include <string.h>

#include "codec/body.h"
#include "util/buf.h"

/* Parses data with content type ct (NULL = the header is absent). */
static enum body_status run(const char *ct, const char *data, struct body *b)
{
    return body_parse(ct, ct ? strlen(ct) : 0, data, strlen(data), b);
}

/* The body parses as the given format to an object whose "a" is "1". */
static void parses(const char *ct, const char *data, bool xml)
{
    struct body b;
    cr_assert_eq(run(ct, data, &b), BODY_OK, "ct=%s body=%s", ct ? ct : "(none)", data);
    cr_assert_eq(b.xml, xml, "ct=%s", ct ? ct : "(none)");
    cr_assert(json_is_object(b.value));
    cr_assert_str_eq(json_string_value(json_object_get(b.value, "a")), "1");
    json_decref(b.value);
}

static void empty_object(const char *ct, const char *data, bool xml)
{
    struct body b;
    cr_assert_eq(run(ct, data, &b), BODY_OK);
    cr_assert_eq(b.xml, xml);
    cr_assert(json_is_object(b.value));
    cr_assert_eq(json_object_size(b.value), 0);
    json_decref(b.value);
}

static void status_is(const char *ct, const char *data, enum body_status want)
{
    struct body b;
    cr_assert_eq(run(ct, data, &b), want, "ct=%s body=%s", ct ? ct : "(none)", data);
    cr_assert_null(b.value);
}

#define JSON_A "{\"a\":\"1\"}"
#define XML_A "<data><a>1</a></data>"

Test(body, json_content_types)
{
    parses("application/json", JSON_A, false);
    parses("application/json;charset=UTF-8", JSON_A, false);
    parses("Application/JSON ; charset=utf-8", JSON_A, false);
    parses("  application/json  ", JSON_A, false);
}

Test(body, any_plus_json_is_json)
{
    parses("application/vnd.connect+json", JSON_A, false);
    parses("application/merge-patch+JSON; charset=utf-8", JSON_A, false);
}

Test(body, xml_content_types)
{
    parses("application/xml", XML_A, true);
    parses("text/xml", XML_A, true);
    parses("text/xml; charset=ISO-8859-1", XML_A, true);
    parses("APPLICATION/XML;charset=UTF-8", XML_A, true);
    parses("application/atom+xml", XML_A, true);
}

Test(body, missing_content_type_sniffs_first_byte)
{
    parses(NULL, XML_A, true);
    parses(NULL, "  \r\n\t" XML_A, true);
    parses(NULL, JSON_A, false);
    parses(NULL, " " JSON_A, false);
    parses("", XML_A, true);
}

Test(body, content_type_wins_over_sniffing)
{
    status_is("application/json", XML_A, BODY_MALFORMED);
    status_is("application/xml", JSON_A, BODY_MALFORMED);
}

Test(body, other_content_types_are_unsupported)
{
    status_is("text/plain", JSON_A, BODY_UNSUPPORTED_MEDIA_TYPE);
    status_is("application/x-www-form-urlencoded", "a=1", BODY_UNSUPPORTED_MEDIA_TYPE);
    status_is("multipart/form-data; boundary=x", "", BODY_UNSUPPORTED_MEDIA_TYPE);
    status_is("application/jsonp", JSON_A, BODY_UNSUPPORTED_MEDIA_TYPE);
    status_is("json", JSON_A, BODY_UNSUPPORTED_MEDIA_TYPE);
}

Test(body, empty_body_is_empty_object)
{
    empty_object(NULL, "", false);
    empty_object("application/json", "", false);
    empty_object("application/xml", "", true);
    struct body b;
    cr_assert_eq(body_parse("application/json", 16, NULL, 0, &b), BODY_OK);
    cr_assert_eq(json_object_size(b.value), 0);
    json_decref(b.value);
}

Test(body, whitespace_only_body_is_empty_object)
{
    empty_object(NULL, " \r\n\t ", false);
    empty_object("application/json; charset=utf-8", "\n", false);
    empty_object("text/xml", "  ", true);
}

Test(body, malformed_bodies)
{
    status_is("application/json", "{\"a\":", BODY_MALFORMED);
    status_is(NULL, "not json", BODY_MALFORMED);
    status_is(NULL, "<data><a>", BODY_MALFORMED);
    status_is("application/xml", "<!DOCTYPE d><d/>", BODY_MALFORMED);
}

Test(body, deep_nesting_is_malformed_in_both_formats)
{
    struct buf j = BUF_INIT, x = BUF_INIT;
    buf_puts(&x, "<r>");
    for (int i = 0; i < 40; i++) {
        buf_puts(&j, "[");
        buf_puts(&x, "<a>");
    }
    for (int i = 0; i < 40; i++) {
        buf_puts(&j, "]");
        buf_puts(&x, "</a>");
    }
    buf_puts(&x, "</r>");
    status_is(NULL, j.data, BODY_MALFORMED);
    status_is(NULL, x.data, BODY_MALFORMED);
    buf_free(&j);
    buf_free(&x);
}

Test(body, json_arrays_and_scalars_are_values_too)
{
    struct body b;
    cr_assert_eq(run("application/json", "[1,2]", &b), BODY_OK);
    cr_assert(json_is_array(b.value));
    json_decref(b.value);
}

Test(body, utf8_byte_order_mark_is_skipped)
{
    parses("application/json", "\xEF\xBB\xBF" JSON_A, false);
    parses(NULL, "\xEF\xBB\xBF" XML_A, true);
    empty_object(NULL, "\xEF\xBB\xBF", false);
}
