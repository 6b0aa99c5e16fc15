/* test_negotiate.c — choosing JSON or XML (src/http/negotiate.c, spec README §7.1): the
 * default rule for a missing or star/star Accept, q values by most specific range, JSON on
 * ties and when nothing is acceptable, and when to answer text/xml. */
#include <criterion/criterion.h>
#include <string.h>

#include "http/negotiate.h"

static struct negotiation neg(const char *accept)
{
    return negotiate(accept, accept ? strlen(accept) : 0, false, false, DEFAULT_LEGACY);
}

static void expect_json(const char *accept)
{
    struct negotiation n = neg(accept);
    cr_assert_eq(n.format, FORMAT_JSON, "Accept '%s' should give JSON", accept);
    cr_assert_not(n.text_xml);
}

static void expect_xml(const char *accept, bool text_xml)
{
    struct negotiation n = neg(accept);
    cr_assert_eq(n.format, FORMAT_XML, "Accept '%s' should give XML", accept);
    cr_assert_eq(n.text_xml, text_xml, "Accept '%s': text_xml should be %d", accept, text_xml);
}

/* ---- rule 2: computed q ---- */

Test(negotiate, application_xml_gives_xml)
{
    expect_xml("application/xml", false);
}

Test(negotiate, text_xml_preferred_over_lower_json_gives_text_xml)
{
    expect_xml("text/xml, application/json;q=0.5", true);
}

Test(negotiate, text_xml_alone_gives_text_xml)
{
    expect_xml("text/xml", true);
}

Test(negotiate, application_star_gives_json_because_json_wins_ties)
{
    expect_json("application/*");
}

Test(negotiate, text_star_gives_xml_but_not_text_xml)
{
    expect_xml("text/*", false);
}

Test(negotiate, explicit_json_beside_star_gives_json)
{
    expect_json("application/json, */*");
}

Test(negotiate, equal_q_gives_json)
{
    expect_json("application/xml;q=0.9, application/json;q=0.9");
    expect_json("application/json;q=0.9, application/xml;q=0.9");
}

Test(negotiate, nothing_acceptable_gives_json)
{
    expect_json("image/png");
    expect_json("text/html, image/*");
    expect_json("application/xml;q=0");
}

Test(negotiate, star_beside_low_xml_is_computed_not_default)
{
    /* Not only star/star, so rule 2: qJson = 1 from star/star, qXml = 0.1. */
    struct negotiation n = negotiate("*/*, application/xml;q=0.1", 26, true, true, DEFAULT_XML);
    cr_assert_eq(n.format, FORMAT_JSON);
}

Test(negotiate, higher_q_xml_beats_json)
{
    expect_xml("application/json;q=0.5, application/xml", false);
    expect_xml("application/json;q=0.001, application/xml;q=0.002", false);
}

Test(negotiate, exact_type_beats_type_star_beats_star_star)
{
    expect_xml("*/*;q=0.1, application/*;q=0.2, application/xml;q=0.9", false);
    expect_json("application/xml;q=0.5, application/*;q=0.9");
    expect_xml("application/json;q=0.4, */*;q=0.6", false);
}

Test(negotiate, first_of_several_exact_ranges_for_a_type_counts)
{
    expect_xml("application/json;q=0.5, application/json;q=1, application/xml;q=0.8", false);
}

Test(negotiate, both_xml_types_named_with_equal_q_use_application_xml)
{
    expect_xml("application/xml, text/xml, application/json;q=0.1", false);
    expect_xml("text/xml, application/xml", false);
}

Test(negotiate, text_xml_with_higher_q_than_application_xml_gives_text_xml)
{
    expect_xml("application/xml;q=0.5, text/xml", true);
    expect_xml("application/xml, text/xml;q=0.5", false);
}

Test(negotiate, text_xml_with_q_zero_is_never_chosen)
{
    expect_xml("text/xml;q=0, application/xml", false);
}

/* ---- parsing ---- */

Test(negotiate, types_are_case_insensitive_and_whitespace_tolerant)
{
    expect_xml("  Application/XML ; Q = 0.8 ,application/json ; q=0.2 ", false);
    expect_xml("TEXT/XML", true);
}

Test(negotiate, media_type_parameters_other_than_q_are_ignored)
{
    expect_xml("application/xml;charset=UTF-8, application/json;q=0.5", false);
    expect_xml("application/xml;charset=\"a,b;q=0\";q=0.9, application/json;q=0.5", false);
}

Test(negotiate, malformed_q_counts_as_one)
{
    expect_xml("application/json;q=0.5, application/xml;q=abc", false);
    expect_xml("application/json;q=0.5, application/xml;q=1.5", false);
    expect_xml("application/json;q=0.5, application/xml;q=0.1234", false);
}

Test(negotiate, q_forms_allowed_by_the_grammar_are_read)
{
    expect_json("application/json;q=1., application/xml;q=0.999");
    expect_xml("application/json;q=0., application/xml;q=0.001", false);
    expect_xml("application/json;q=.2, application/xml;q=.3", false);
}

Test(negotiate, empty_ranges_are_skipped)
{
    expect_xml(",, application/xml ,", false);
}

/* ---- rule 1: the default ---- */

static void expect_default(const char *accept, bool body_xml, bool legacy, enum default_format def, enum format want)
{
    struct negotiation n = negotiate(accept, accept ? strlen(accept) : 0, body_xml, legacy, def);
    cr_assert_eq(n.format, want, "Accept '%s' body_xml=%d legacy=%d def=%d", accept ? accept : "(none)", body_xml,
                 legacy, def);
    cr_assert_not(n.text_xml);
}

static const char *const default_accepts[] = {NULL, "", "  ", "*/*", "*/*;q=0.8", "*/*, */*;q=0.1", "*"};

Test(negotiate, absent_or_only_star_with_legacy_default_is_json_for_plain_endpoints)
{
    for (size_t i = 0; i < sizeof default_accepts / sizeof *default_accepts; i++)
        expect_default(default_accepts[i], false, false, DEFAULT_LEGACY, FORMAT_JSON);
}

Test(negotiate, absent_or_only_star_with_legacy_default_is_xml_for_legacy_endpoints)
{
    for (size_t i = 0; i < sizeof default_accepts / sizeof *default_accepts; i++)
        expect_default(default_accepts[i], false, true, DEFAULT_LEGACY, FORMAT_XML);
}

Test(negotiate, absent_or_only_star_with_legacy_default_is_xml_for_xml_bodies)
{
    for (size_t i = 0; i < sizeof default_accepts / sizeof *default_accepts; i++)
        expect_default(default_accepts[i], true, false, DEFAULT_LEGACY, FORMAT_XML);
}

Test(negotiate, json_default_forces_json_everywhere)
{
    for (size_t i = 0; i < sizeof default_accepts / sizeof *default_accepts; i++) {
        expect_default(default_accepts[i], true, true, DEFAULT_JSON, FORMAT_JSON);
        expect_default(default_accepts[i], false, false, DEFAULT_JSON, FORMAT_JSON);
    }
}

Test(negotiate, xml_default_forces_xml_everywhere)
{
    for (size_t i = 0; i < sizeof default_accepts / sizeof *default_accepts; i++) {
        expect_default(default_accepts[i], false, false, DEFAULT_XML, FORMAT_XML);
        expect_default(default_accepts[i], true, true, DEFAULT_XML, FORMAT_XML);
    }
}

Test(negotiate, explicit_accept_overrides_xml_body_and_legacy_endpoint)
{
    expect_default("application/json", true, true, DEFAULT_LEGACY, FORMAT_JSON);
    expect_default("application/xml", false, false, DEFAULT_JSON, FORMAT_XML);
}

Test(negotiate, accept_length_bounds_the_header)
{
    struct negotiation n = negotiate("application/xml", 0, false, false, DEFAULT_LEGACY);
    cr_assert_eq(n.format, FORMAT_JSON, "zero length is an empty header");
    n = negotiate("*/*, application/xml", 3, false, true, DEFAULT_LEGACY);
    cr_assert_eq(n.format, FORMAT_XML, "only the first 3 bytes: star/star, legacy endpoint");
}

Test(negotiate, default_format_names_parse)
{
    enum default_format d = DEFAULT_LEGACY;
    cr_assert(default_format_parse("json", &d));
    cr_assert_eq(d, DEFAULT_JSON);
    cr_assert(default_format_parse("xml", &d));
    cr_assert_eq(d, DEFAULT_XML);
    cr_assert(default_format_parse("legacy", &d));
    cr_assert_eq(d, DEFAULT_LEGACY);
    cr_assert_not(default_format_parse("JSON", &d));
    cr_assert_not(default_format_parse("", &d));
    cr_assert_not(default_format_parse("yaml", &d));
}
