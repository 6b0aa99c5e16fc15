/* test_xml.c — XML replies and XML request bodies (src/codec/xml_write.c, xml_read.c;
 * spec README §6.2, §7.2). */
#include <criterion/criterion.h>
#include <pthread.h>
#include <string.h>

#include "codec/json.h"
#include "codec/xml.h"

#define DECL "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"

/* ---- rendering ---------------------------------------------------------------------------- */

static void singular_is(const char *plural, const char *expected)
{
    char out[64];
    xml_singular(plural, out, sizeof out);
    cr_assert_str_eq(out, expected, "singular(%s)", plural);
}

/* Renders v (then frees it) under root and compares with DECL + expected. */
static void renders_as(json_t *v, const char *root, const char *expected)
{
    cr_assert_not_null(v);
    struct buf b = BUF_INIT;
    xml_render(&b, v, root);
    json_decref(v);
    struct buf want = BUF_INIT;
    buf_printf(&want, "%s%s", DECL, expected);
    cr_assert_str_eq(b.data, want.data);
    buf_free(&b);
    buf_free(&want);
}

static json_t *j(const char *text)
{
    return json_loads(text, JSON_DECODE_ANY, NULL);
}

Test(xml, singular_rule_drops_list_suffix)
{
    singular_is("clientInvoiceInfoList", "clientInvoiceInfo");
}

Test(xml, singular_rule_ies_becomes_y)
{
    singular_is("categories", "category");
}

Test(xml, singular_rule_drops_es_after_sibilants)
{
    singular_is("addresses", "address");
    singular_is("accesses", "access");
    singular_is("dishes", "dish");
    singular_is("matches", "match");
    singular_is("boxes", "box");
}

Test(xml, singular_rule_drops_trailing_s)
{
    singular_is("subscriptions", "subscription");
    singular_is("emails", "email");
    singular_is("stocks", "stock");
    singular_is("orders", "order");
}

Test(xml, singular_rule_otherwise_item)
{
    singular_is("permission", "item");
    singular_is("desc", "item");
    singular_is("textHistory", "item");
    singular_is("", "item");
    singular_is("s", "item");
    singular_is("List", "item");
}

Test(xml, singular_rule_truncates_to_capacity)
{
    char out[5];
    xml_singular("subscriptions", out, sizeof out);
    cr_assert_str_eq(out, "subs");
}

Test(xml, declaration_comes_first)
{
    struct buf b = BUF_INIT;
    json_t *v = j("{\"a\":1}");
    xml_render(&b, v, "data");
    json_decref(v);
    cr_assert(strncmp(b.data, DECL, strlen(DECL)) == 0);
    buf_free(&b);
}

Test(xml, list_wrapper_member_becomes_root)
{
    renders_as(j("{\"subscriptions\":[{\"product\":\"CO27409\"}]}"), "ignored",
               "<subscriptions><subscription><product>CO27409</product></subscription>"
               "</subscriptions>");
    renders_as(j("{\"clientInvoiceInfoList\":[{\"invoiceId\":\"7\"}]}"), "x",
               "<clientInvoiceInfoList><clientInvoiceInfo><invoiceId>7</invoiceId>"
               "</clientInvoiceInfo></clientInvoiceInfoList>");
}

Test(xml, empty_list_wrapper_is_empty_element)
{
    renders_as(j("{\"orders\":[]}"), "x", "<orders/>");
}

Test(xml, object_members_become_children_of_endpoint_root)
{
    renders_as(j("{\"uniqueId\":\"6ba7\",\"firstName\":\"Kari\"}"), "profile",
               "<profile><uniqueId>6ba7</uniqueId><firstName>Kari</firstName></profile>");
}

Test(xml, one_member_that_is_not_an_array_keeps_root)
{
    renders_as(j("{\"status\":\"ok\"}"), "response", "<response><status>ok</status></response>");
}

Test(xml, nested_objects_nest)
{
    renders_as(j("{\"a\":{\"b\":{\"c\":\"d\"}},\"e\":{}}"), "r",
               "<r><a><b><c>d</c></b></a><e/></r>");
}

Test(xml, arrays_inside_objects_use_singular_items)
{
    renders_as(j("{\"customerNumber\":5,\"emails\":[\"a@x.no\",\"b@x.no\"],\"addresses\":"
                 "[{\"city\":\"Oslo\"}],\"permission\":[\"READ\"],\"orders\":[]}"),
               "customer",
               "<customer><customerNumber>5</customerNumber><emails><email>a@x.no</email>"
               "<email>b@x.no</email></emails><addresses><address><city>Oslo</city></address>"
               "</addresses><permission><item>READ</item></permission><orders/></customer>");
}

Test(xml, arrays_of_arrays_nest_the_same_way)
{
    renders_as(j("{\"a\":1,\"rows\":[[1,2],[]]}"), "r",
               "<r><a>1</a><rows><row><item>1</item><item>2</item></row><row/></rows></r>");
}

Test(xml, bare_array_uses_root_and_its_singular)
{
    renders_as(j("[{\"product\":\"A\",\"count\":3},{\"product\":\"B\",\"count\":0}]"), "stocks",
               "<stocks><stock><product>A</product><count>3</count></stock>"
               "<stock><product>B</product><count>0</count></stock></stocks>");
    renders_as(j("[]"), "stocks", "<stocks/>");
}

Test(xml, text_escapes_markup_characters)
{
    renders_as(j("{\"name\":\"A & B <c> \\\"q\\\" 'a'\"}"), "r",
               "<r><name>A &amp; B &lt;c&gt; \"q\" 'a'</name></r>");
}

Test(xml, text_drops_characters_illegal_in_xml)
{
    renders_as(j("{\"t\":\"a\\u0001b\\tc\\nd\\re\\uffffz\"}"), "r",
               "<r><t>ab\tc\nd&#13;ez</t></r>");
}

Test(xml, text_keeps_utf8)
{
    renders_as(j("{\"city\":\"Tromsø 😀\"}"), "r", "<r><city>Tromsø 😀</city></r>");
}

Test(xml, scalars_are_written_as_json_writes_them)
{
    json_t *v = j("{\"t\":true,\"f\":false,\"i\":-12,\"big\":1560963388000}");
    json_object_set_new(v, "price", json_money(8454));
    json_object_set_new(v, "whole", json_money(29500));
    json_object_set_new(v, "half", json_money(8450));
    json_object_set_new(v, "neg", json_money(-105));
    renders_as(v, "r",
               "<r><t>true</t><f>false</f><i>-12</i><big>1560963388000</big><price>84.54</price>"
               "<whole>295</whole><half>84.5</half><neg>-1.05</neg></r>");
}

Test(xml, null_gives_no_element)
{
    renders_as(j("{\"a\":null,\"b\":\"x\",\"l\":[null,\"y\"]}"), "r",
               "<r><b>x</b><l><item>y</item></l></r>");
}

Test(xml, empty_string_is_an_element_without_text)
{
    renders_as(j("{\"a\":\"\"}"), "r", "<r><a></a></r>");
}

Test(xml, empty_object_is_empty_root)
{
    renders_as(j("{}"), "r", "<r/>");
}

Test(xml, invalid_names_are_sanitised)
{
    renders_as(j("{\"a b\":1,\"1x\":2,\"ok-name.v2\":3,\"ns:x\":4,\"bl\\u00e5\":5,\"\":6}"), "r",
               "<r><a_b>1</a_b><_x>2</_x><ok-name.v2>3</ok-name.v2><ns_x>4</ns_x><bl_>5</bl_>"
               "<_>6</_></r>");
}

Test(xml, rendered_output_parses_back)
{
    json_t *v = j("{\"a\":\"x & <y>\",\"b\":{\"c\":[\"1\",\"2\"]}}");
    struct buf b = BUF_INIT;
    xml_render(&b, v, "r");
    json_t *back = xml_parse(b.data, b.len, JSON_MAX_DEPTH);
    cr_assert_not_null(back);
    cr_assert_str_eq(json_string_value(json_object_get(back, "a")), "x & <y>");
    json_t *c = json_object_get(json_object_get(json_object_get(back, "b"), "c"), "item");
    cr_assert_eq(json_array_size(c), 2);
    json_decref(back);
    json_decref(v);
    buf_free(&b);
}

/* ---- parsing ------------------------------------------------------------------------------- */

static json_t *parse(const char *s)
{
    return xml_parse(s, strlen(s), JSON_MAX_DEPTH);
}

/* Parses s and compares the compact JSON of the result with expected. */
static void parses_as(const char *s, const char *expected)
{
    json_t *v = parse(s);
    cr_assert_not_null(v, "should parse: %s", s);
    char *got = json_dumps(v, JSON_COMPACT);
    cr_assert_str_eq(got, expected);
    free(got);
    json_decref(v);
}

Test(xml, parse_root_name_is_ignored)
{
    parses_as("<data><a>1</a></data>", "{\"a\":\"1\"}");
    parses_as("<?xml version=\"1.0\"?><order><a>1</a></order>", "{\"a\":\"1\"}");
}

Test(xml, parse_text_is_untrimmed_string)
{
    parses_as("<d><a> x y </a></d>", "{\"a\":\" x y \"}");
}

Test(xml, parse_empty_element_is_empty_string)
{
    parses_as("<d><a/><b></b></d>", "{\"a\":\"\",\"b\":\"\"}");
}

Test(xml, parse_repeated_elements_become_array_in_order)
{
    parses_as("<d><e>1</e><x>y</x><e>2</e><e>3</e></d>", "{\"e\":[\"1\",\"2\",\"3\"],\"x\":\"y\"}");
}

Test(xml, parse_nested_elements_become_objects)
{
    parses_as("<d><a><b><c>z</c></b><n>1</n></a></d>", "{\"a\":{\"b\":{\"c\":\"z\"},\"n\":\"1\"}}");
    parses_as("<d><emails><item0>a</item0><item1>b</item1></emails></d>",
              "{\"emails\":{\"item0\":\"a\",\"item1\":\"b\"}}");
}

Test(xml, parse_attributes_are_ignored)
{
    parses_as("<d id=\"1\"><a type=\"x\">v</a></d>", "{\"a\":\"v\"}");
}

Test(xml, parse_cdata_and_entities_join_the_text)
{
    parses_as("<d><a>x &amp; <![CDATA[<y>]]> &#65;</a></d>", "{\"a\":\"x & <y> A\"}");
}

Test(xml, parse_mixed_content_ignores_the_text)
{
    parses_as("<d><a>text<b>1</b>more</a></d>", "{\"a\":{\"b\":\"1\"}}");
}

Test(xml, parse_comments_and_whitespace_are_ignored)
{
    parses_as("<d>\n  <!-- c -->\n  <a>1</a>\n</d>", "{\"a\":\"1\"}");
}

Test(xml, parse_root_with_only_text_is_empty_object)
{
    parses_as("<data>x</data>", "{}");
    parses_as("<data/>", "{}");
}

Test(xml, parse_namespace_prefixes_are_dropped)
{
    parses_as("<d xmlns:x=\"urn:x\"><x:a>1</x:a><b xmlns=\"urn:y\">2</b></d>",
              "{\"a\":\"1\",\"b\":\"2\"}");
}

Test(xml, parse_keeps_utf8)
{
    parses_as("<d><c>Tromsø</c></d>", "{\"c\":\"Tromsø\"}");
}

Test(xml, parse_honours_declared_encoding)
{
    parses_as("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><d><c>Troms\xf8</c></d>",
              "{\"c\":\"Tromsø\"}");
}

Test(xml, parse_malformed_is_rejected)
{
    const char *bad[] = {"", "x", "<d>", "<d><a></d>", "<d></d><e/>", "<d>&bogus;</d>",
                         "<d><a>1</b></d>", "<d a=1/>", "<d>\x01</d>", "<d>\xff</d>"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_null(parse(bad[i]), "should reject: %s", bad[i]);
    cr_assert_null(xml_parse(NULL, 0, JSON_MAX_DEPTH));
}

Test(xml, parse_billion_laughs_is_rejected)
{
    const char *doc = "<?xml version=\"1.0\"?>"
                      "<!DOCTYPE lolz [<!ENTITY lol \"lol\">"
                      "<!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">"
                      "<!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">"
                      "<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">"
                      "<!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">"
                      "<!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">"
                      "<!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">"
                      "<!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">"
                      "<!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">"
                      "<!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">"
                      "]><lolz><a>&lol9;</a></lolz>";
    cr_assert_null(parse(doc));
}

Test(xml, parse_external_entity_is_rejected)
{
    cr_assert_null(parse("<?xml version=\"1.0\"?><!DOCTYPE d [<!ENTITY xxe SYSTEM "
                         "\"file:///etc/passwd\">]><d><a>&xxe;</a></d>"));
    cr_assert_null(parse("<?xml version=\"1.0\"?><!DOCTYPE d SYSTEM \"file:///etc/passwd\">"
                         "<d><a>1</a></d>"));
    cr_assert_null(parse("<!DOCTYPE d><d><a>1</a></d>"));
}

Test(xml, parse_undeclared_entity_is_rejected)
{
    cr_assert_null(parse("<d><a>&xxe;</a></d>"));
}

/* depth elements below the root, the innermost holding text. */
static char *nested_xml(int depth)
{
    struct buf b = BUF_INIT;
    buf_puts(&b, "<r>");
    for (int i = 0; i < depth; i++)
        buf_puts(&b, "<a>");
    buf_puts(&b, "x");
    for (int i = 0; i < depth; i++)
        buf_puts(&b, "</a>");
    buf_puts(&b, "</r>");
    return b.data;
}

Test(xml, parse_depth_within_limit_is_accepted)
{
    char *s = nested_xml(JSON_MAX_DEPTH);
    json_t *v = parse(s);
    cr_assert_not_null(v);
    json_decref(v);
    free(s);
}

Test(xml, parse_depth_over_limit_is_rejected)
{
    char *s = nested_xml(JSON_MAX_DEPTH + 1);
    cr_assert_null(parse(s));
    free(s);
    s = nested_xml(5000);
    cr_assert_null(parse(s));
    free(s);
}

/* Each worker thread parses bodies at the same time; every result must be its own. */
static void *parse_many(void *arg)
{
    long id = (long)arg;
    for (int i = 0; i < 300; i++) {
        char doc[96];
        snprintf(doc, sizeof doc, "<d><t>%ld</t><i>%d</i></d>", id, i);
        json_t *v = parse(doc);
        if (v == NULL || atol(json_string_value(json_object_get(v, "t"))) != id ||
            atoi(json_string_value(json_object_get(v, "i"))) != i)
            return (void *)1;
        json_decref(v);
        if (parse("<d><a>&x;</a></d>") != NULL || parse("<!DOCTYPE d><d/>") != NULL)
            return (void *)1;
    }
    return NULL;
}

Test(xml, parse_is_safe_from_many_threads)
{
    pthread_t t[8];
    for (long i = 0; i < 8; i++)
        cr_assert_eq(pthread_create(&t[i], NULL, parse_many, (void *)i), 0);
    for (int i = 0; i < 8; i++) {
        void *ret;
        pthread_join(t[i], &ret);
        cr_assert_null(ret);
    }
}
