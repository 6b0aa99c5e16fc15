/* test_record.c — one field table, both ways (src/codec/record.c, src/model/customer.c,
 * src/util/syntax.c, utf8_casefold_equal in src/util/utf8.c): a record validated from a body
 * renders back to the same fields, in table order, leaving out what is absent; the e-mail and
 * E.164 shapes the tables check; the case folding customer search uses; the model's rules. */
#include <criterion/criterion.h>
#include <string.h>

#include "codec/date.h"
#include "codec/record.h"
#include "model/customer.h"
#include "util/syntax.h"
#include "util/utf8.h"

static h2o_mem_pool_t pool;

static void setup(void)
{
    cr_assert(date_set_timezone("Europe/Oslo"));
    h2o_mem_init_pool(&pool);
}

static void teardown(void)
{
    h2o_mem_clear_pool(&pool);
}

TestSuite(record, .init = setup, .fini = teardown);

/* Validates text as a Customer body; the message when it fails ("" when it passes). */
static const char *customer_from(const char *text, struct customer *c)
{
    static struct validate_error err;
    json_t *v = json_loads(text, 0, NULL);
    cr_assert_not_null(v, "%s", text);
    memset(c, 0, sizeof *c);
    bool ok = validate_fields(v, false, CUSTOMER_FIELDS, CUSTOMER_FIELD_COUNT, c, &pool, &err);
    json_decref(v);
    return ok ? "" : err.message;
}

static char *rendered(const struct field *fields, size_t n, const void *rec)
{
    json_t *obj = json_object();
    record_render(obj, fields, n, rec);
    char *text = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(obj);
    return text;
}

Test(record, a_validated_customer_renders_back_in_table_order)
{
    struct customer c;
    cr_assert_str_eq(customer_from("{\"emails\":\"a@example.no\",\"lastName\":\" Nordmann \",\"birthDate\":"
                                   "\"1999-02-01\",\"unknown\":1,\"sex\":\"male\",\"firstName\":\"\"}", &c), "");
    char *text = rendered(CUSTOMER_FIELDS, CUSTOMER_FIELD_COUNT, &c);
    cr_assert_str_eq(text, "{\"lastName\":\"Nordmann\",\"birthDate\":917823600000,\"sex\":\"male\","
                           "\"emails\":[\"a@example.no\"]}");
    free(text);
}

Test(record, formats_are_checked_on_strings_and_items)
{
    struct customer c;
    cr_assert_str_eq(customer_from("{\"emails\":[\"ok@example.no\",\"not an address\"]}", &c),
                     "emails: must be a valid e-mail address");
    cr_assert_str_eq(customer_from("{\"phoneNumbers\":[\"+4712345678\",\"4712345678\"]}", &c),
                     "phoneNumbers: must be an E.164 phone number (+ and 8 to 15 digits)");
    cr_assert_str_eq(customer_from("{\"invoiceEmailAddress\":\"x@y\"}", &c),
                     "invoiceEmailAddress: must be a valid e-mail address");
}

Test(record, equality_copy_and_clear_follow_the_field_types)
{
    struct customer a, b;
    customer_from("{\"lastName\":\"N\",\"emails\":[\"a@example.no\"],\"birthDate\":1000}", &a);
    customer_from("{\"lastName\":\"N\",\"emails\":[\"b@example.no\"]}", &b);
    const struct field *last = record_field(CUSTOMER_FIELDS, CUSTOMER_FIELD_COUNT, "lastName");
    const struct field *emails = record_field(CUSTOMER_FIELDS, CUSTOMER_FIELD_COUNT, "emails");
    const struct field *birth = record_field(CUSTOMER_FIELDS, CUSTOMER_FIELD_COUNT, "birthDate");
    cr_assert(record_field_equal(last, &a, &b));
    cr_assert_not(record_field_equal(emails, &a, &b));
    cr_assert_not(record_field_equal(birth, &a, &b));
    record_field_copy(emails, &b, &a);
    cr_assert(record_field_equal(emails, &a, &b));
    record_field_clear(birth, &a);
    cr_assert_not(record_has(birth, &a));
    cr_assert(record_field_equal(birth, &a, &b), "absent equals absent");
    cr_assert_null(record_field(CUSTOMER_FIELDS, CUSTOMER_FIELD_COUNT, "nope"));
}

Test(record, write_only_fields_are_never_rendered)
{
    struct secret {
        const char *name, *ssn;
    } rec = {"Kari", "01019912345"};
    static const struct field fields[] = {
        {"name", FIELD_STRING, 0, 0, NULL, offsetof(struct secret, name)},
        {"ssn", FIELD_STRING, FIELD_WRITE_ONLY, 0, NULL, offsetof(struct secret, ssn)},
    };
    char *text = rendered(fields, 2, &rec);
    cr_assert_str_eq(text, "{\"name\":\"Kari\"}");
    free(text);
}

Test(record, the_customer_rules)
{
    struct customer c;
    customer_from("{\"firstName\":\"Kari\"}", &c);
    cr_assert_str_eq(customer_rule_broken(&c, 0), "lastName or companyName: is required");
    customer_from("{\"companyName\":\"Acme\",\"birthDate\":5000000000000}", &c);
    cr_assert_str_eq(customer_rule_broken(&c, 4000000000000), "birthDate: must not be in the future");
    cr_assert_null(customer_rule_broken(&c, 6000000000000));
    customer_from("{\"lastName\":\"N\",\"emails\":[\"a@x.no\",\"b@x.no\",\"c@x.no\",\"d@x.no\",\"e@x.no\",\"f@x.no\"]}",
                  &c);
    cr_assert_str_eq(customer_rule_broken(&c, 0), "emails: must not have more than 5 items");
}

Test(record, address_data_and_kinds)
{
    struct address a = {0};
    cr_assert_not(address_has_data(&a));
    a.street_number = (struct opt_int){true, 6};
    cr_assert(address_has_data(&a));
    enum address_kind k;
    cr_assert(address_kind_parse("permanent", &k) && k == ADDRESS_PERMANENT);
    cr_assert_not(address_kind_parse("Home", &k));
    cr_assert_str_eq(ADDRESS_KIND_NAMES[ADDRESS_HISTORICAL], "historical");
}

Test(record, the_column_lists_match_the_tables)
{
    struct {
        const char *columns;
        size_t fields;
    } lists[] = {{ADDRESS_COLUMNS, ADDRESS_FIELD_COUNT}, {CUSTOMER_COLUMNS, CUSTOMER_FIELD_COUNT}};
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
        size_t commas = 0;
        for (const char *p = lists[i].columns; *p; p++)
            commas += *p == ',';
        cr_assert_eq(commas + 1, lists[i].fields, "list %zu", i);
    }
}

Test(record, reference_codes)
{
    cr_assert(reference_code_ok("CRM"));
    cr_assert(reference_code_ok("Billing_2-x"));
    cr_assert(reference_code_ok("12345678901234567890"));
    cr_assert_not(reference_code_ok("123456789012345678901"));
    cr_assert_not(reference_code_ok(""));
    cr_assert_not(reference_code_ok("CR M"));
    cr_assert_not(reference_code_ok("CRMø"));
}

Test(record, e_mail_and_e164_shapes)
{
    cr_assert(email_syntax_ok("kari.nordmann@example.no", 24));
    cr_assert(email_syntax_ok("a+b@sub.example.co", 18));
    cr_assert_not(email_syntax_ok("kari@localhost", 14));
    cr_assert_not(email_syntax_ok("kari..n@example.no", 18));
    cr_assert_not(email_syntax_ok("@example.no", 11));
    cr_assert_not(email_syntax_ok("a@b@example.no", 14));
    cr_assert_not(email_syntax_ok("a@example.123", 13));
    cr_assert_not(email_syntax_ok("a@-example.no", 13));
    cr_assert(e164_ok("+4712345678", 11));
    cr_assert(e164_ok("+123456789012345", 16));
    cr_assert_not(e164_ok("+1234567890123456", 17));
    cr_assert_not(e164_ok("+1234567", 8));
    cr_assert_not(e164_ok("+0712345678", 11));
    cr_assert_not(e164_ok("4712345678", 10));
    cr_assert_not(e164_ok("+47 2345678", 11));
}

Test(record, case_folding_beyond_ascii)
{
    cr_assert(utf8_casefold_equal("Ødegård", "ØDEGÅRD"));
    cr_assert(utf8_casefold_equal("ærlig", "ÆRLIG"));
    cr_assert(utf8_casefold_equal("Łódź", "łÓdŹ"));
    cr_assert(utf8_casefold_equal("Ωμέγα", "ωμέγα"));
    cr_assert(utf8_casefold_equal("Жук", "жук"));
    cr_assert_not(utf8_casefold_equal("Nordmann", "Nordman"));
    cr_assert_not(utf8_casefold_equal("a", "b"));
    cr_assert(utf8_casefold_equal("", ""));
    cr_assert_not(utf8_casefold_equal("\xff", "\xfe"), "broken bytes are not letters to fold");
}
