/* test_validate.c — the generic field validator and its coercions (src/codec/validate.c,
 * spec README §6.3). Each test validates one small body against a table like an endpoint's. */
#include <criterion/criterion.h>
#include <stddef.h>
#include <string.h>

#include "codec/date.h"
#include "codec/validate.h"

static h2o_mem_pool_t pool;
static json_t *body; /* the body of the last check(), alive for borrowed FIELD_VALUE pointers */

static void setup(void)
{
    cr_assert(date_set_timezone("Europe/Oslo"));
    h2o_mem_init_pool(&pool);
}

static void teardown(void)
{
    json_decref(body);
    body = NULL;
    h2o_mem_clear_pool(&pool);
}

TestSuite(validate, .init = setup, .fini = teardown);

struct input {
    const char *name;
    const char *postal;
    const char *status;
    struct opt_int copies;
    struct opt_num rate;
    struct opt_int price;
    struct opt_bool active;
    struct opt_int start;
    struct str_array emails;
    const json_t *extra;
};

static const char *const statuses[] = {"ACTIVE", "PASSIVE", "CLOSED", NULL};

static const struct field fields[] = {
    {"name", FIELD_STRING, 0, 5, NULL, offsetof(struct input, name)},
    {"postalCode", FIELD_STRING, FIELD_POSTAL_CODE, 10, NULL, offsetof(struct input, postal)},
    {"status", FIELD_STRING, 0, 0, statuses, offsetof(struct input, status)},
    {"copies", FIELD_INT, 0, 0, NULL, offsetof(struct input, copies)},
    {"rate", FIELD_NUMBER, 0, 0, NULL, offsetof(struct input, rate)},
    {"price", FIELD_MONEY, 0, 0, NULL, offsetof(struct input, price)},
    {"active", FIELD_BOOL, 0, 0, NULL, offsetof(struct input, active)},
    {"start", FIELD_TIMESTAMP, 0, 0, NULL, offsetof(struct input, start)},
    {"emails", FIELD_STRING_ARRAY, 0, 6, NULL, offsetof(struct input, emails)},
    {"extra", FIELD_VALUE, 0, 0, NULL, offsetof(struct input, extra)},
};
#define NFIELDS (sizeof fields / sizeof fields[0])

static struct input in;
static struct validate_error err;

/* Validates the JSON text as a JSON (xml false) or XML-derived (xml true) body. The value
 * stays alive until the next call so borrowed FIELD_VALUE pointers can be checked. */
static bool check_as(const char *text, bool xml)
{
    json_decref(body);
    body = json_loads(text, JSON_DECODE_ANY, NULL);
    cr_assert_not_null(body, "bad test JSON: %s", text);
    memset(&in, 0xAB, sizeof in); /* the validator must write every field, given or not */
    return validate_fields(body, xml, fields, NFIELDS, &in, &pool, &err);
}

static bool check(const char *text)
{
    return check_as(text, false);
}

static void fails_with(const char *text, const char *message)
{
    cr_assert_not(check(text), "should fail: %s", text);
    cr_assert_str_eq(err.message, message);
}

/* ---- coercions, one per row of the §6.3 table --------------------------------------------- */

Test(validate, integer_accepts_digit_string)
{
    cr_assert(check("{\"copies\":\"11\"}"));
    cr_assert(in.copies.set);
    cr_assert_eq(in.copies.v, 11);
    cr_assert(check("{\"copies\":\"-3\"}"));
    cr_assert_eq(in.copies.v, -3);
    cr_assert(check("{\"copies\":7}"));
    cr_assert_eq(in.copies.v, 7);
}

Test(validate, integer_rejects_reals_and_other_text)
{
    fails_with("{\"copies\":1.5}", "copies: must be an integer");
    fails_with("{\"copies\":\"1.0\"}", "copies: must be an integer");
    fails_with("{\"copies\":\"+1\"}", "copies: must be an integer");
    fails_with("{\"copies\":\"12a\"}", "copies: must be an integer");
    fails_with("{\"copies\":true}", "copies: must be an integer");
    fails_with("{\"copies\":[1]}", "copies: must be an integer");
}

Test(validate, integer_overflow_is_not_an_integer)
{
    fails_with("{\"copies\":\"9223372036854775808\"}", "copies: must be an integer");
    cr_assert(check("{\"copies\":\"-9223372036854775808\"}"));
    cr_assert_eq(in.copies.v, INT64_MIN);
    cr_assert(check("{\"copies\":\"9223372036854775807\"}"));
    cr_assert_eq(in.copies.v, INT64_MAX);
}

Test(validate, number_accepts_decimal_string)
{
    cr_assert(check("{\"rate\":\"295.00\"}"));
    cr_assert(in.rate.set);
    cr_assert_float_eq(in.rate.v, 295.0, 1e-9);
    cr_assert(check("{\"rate\":\"-0.5\"}"));
    cr_assert_float_eq(in.rate.v, -0.5, 1e-9);
    cr_assert(check("{\"rate\":25}"));
    cr_assert_float_eq(in.rate.v, 25.0, 1e-9);
    cr_assert(check("{\"rate\":2.5}"));
    cr_assert_float_eq(in.rate.v, 2.5, 1e-9);
}

Test(validate, number_rejects_non_decimal_text)
{
    fails_with("{\"rate\":\"abc\"}", "rate: must be a number");
    fails_with("{\"rate\":\"1e5\"}", "rate: must be a number");
    fails_with("{\"rate\":\"NaN\"}", "rate: must be a number");
    fails_with("{\"rate\":\"1.\"}", "rate: must be a number");
    fails_with("{\"rate\":false}", "rate: must be a number");
}

Test(validate, string_accepts_number_as_shortest_text)
{
    cr_assert(check("{\"name\":179}"));
    cr_assert_str_eq(in.name, "179");
    cr_assert(check("{\"name\":1.5}"));
    cr_assert_str_eq(in.name, "1.5");
    cr_assert(check("{\"name\":0.1}"));
    cr_assert_str_eq(in.name, "0.1");
}

Test(validate, string_rejects_booleans_and_containers)
{
    fails_with("{\"name\":true}", "name: must be a string");
    fails_with("{\"name\":{\"a\":1}}", "name: must be a string");
    fails_with("{\"name\":[\"a\"]}", "name: must be a string");
}

Test(validate, boolean_accepts_true_false_strings_any_case)
{
    cr_assert(check("{\"active\":\"TRUE\"}"));
    cr_assert(in.active.set && in.active.v);
    cr_assert(check("{\"active\":\"False\"}"));
    cr_assert(in.active.set && !in.active.v);
    cr_assert(check("{\"active\":true}"));
    cr_assert(in.active.v);
    cr_assert(check("{\"active\":false}"));
    cr_assert(in.active.set && !in.active.v);
}

Test(validate, boolean_rejects_other_values)
{
    fails_with("{\"active\":\"yes\"}", "active: must be a boolean");
    fails_with("{\"active\":1}", "active: must be a boolean");
    fails_with("{\"active\":\"1\"}", "active: must be a boolean");
}

Test(validate, timestamp_accepts_the_three_forms)
{
    cr_assert(check("{\"start\":1560963388000}"));
    cr_assert(in.start.set);
    cr_assert_eq(in.start.v, 1560963388000LL);
    cr_assert(check("{\"start\":1560963388}"));
    cr_assert_eq(in.start.v, 1560963388000LL);
    cr_assert(check("{\"start\":\"1560963388000\"}"));
    cr_assert_eq(in.start.v, 1560963388000LL);
    cr_assert(check("{\"start\":\"2019-06-12T10:15:30Z\"}"));
    cr_assert_eq(in.start.v, 1560334530000LL);
    cr_assert(check("{\"start\":\" 2019-06-12T12:15:30 \"}"));
    cr_assert_eq(in.start.v, 1560334530000LL);
    cr_assert(check("{\"start\":\"2019-06-12\"}"));
    cr_assert_eq(in.start.v, 1560290400000LL);
}

Test(validate, timestamp_rejects_anything_else)
{
    const char *msg =
        "start: must be epoch milliseconds, an ISO-8601 date-time or a yyyy-MM-dd date";
    fails_with("{\"start\":\"2019-02-30\"}", msg);
    fails_with("{\"start\":\"yesterday\"}", msg);
    fails_with("{\"start\":1.5}", msg);
    fails_with("{\"start\":true}", msg);
}

Test(validate, string_array_accepts_single_string)
{
    cr_assert(check("{\"emails\":\"a@b.no\"}"));
    cr_assert_eq(in.emails.n, 1);
    cr_assert_str_eq(in.emails.items[0], "a@b.no");
}

Test(validate, string_array_takes_items_in_order_trimmed)
{
    cr_assert(check("{\"emails\":[\" a \",\"b\",null,\"\",\"c\"]}"));
    cr_assert_eq(in.emails.n, 3);
    cr_assert_str_eq(in.emails.items[0], "a");
    cr_assert_str_eq(in.emails.items[1], "b");
    cr_assert_str_eq(in.emails.items[2], "c");
    cr_assert(check("{\"emails\":[]}"));
    cr_assert_eq(in.emails.n, 0);
}

Test(validate, string_array_rejects_non_string_items)
{
    fails_with("{\"emails\":[\"a\",{\"x\":1}]}", "emails: must be an array of strings");
    fails_with("{\"emails\":[true]}", "emails: must be an array of strings");
    fails_with("{\"emails\":{\"email\":\"a\"}}", "emails: must be an array of strings");
    fails_with("{\"emails\":false}", "emails: must be an array of strings");
}

Test(validate, string_array_items_obey_the_length_limit)
{
    fails_with("{\"emails\":[\"a\",\"1234567\"]}", "emails: must not be longer than 6 characters");
}

/* ---- XML array leniency ------------------------------------------------------------------- */

Test(validate, xml_array_element_children_are_items_whatever_their_name)
{
    cr_assert(check_as("{\"emails\":{\"item0\":\"a\",\"item1\":\"b\",\"email\":\"c\"}}", true));
    cr_assert_eq(in.emails.n, 3);
    cr_assert_str_eq(in.emails.items[0], "a");
    cr_assert_str_eq(in.emails.items[1], "b");
    cr_assert_str_eq(in.emails.items[2], "c");
}

Test(validate, xml_array_repeated_children_contribute_each_value)
{
    cr_assert(check_as("{\"emails\":{\"email\":[\"a\",\"b\"],\"other\":\"c\"}}", true));
    cr_assert_eq(in.emails.n, 3);
    cr_assert_str_eq(in.emails.items[0], "a");
    cr_assert_str_eq(in.emails.items[1], "b");
    cr_assert_str_eq(in.emails.items[2], "c");
}

Test(validate, xml_array_with_one_text_is_one_item)
{
    cr_assert(check_as("{\"emails\":\"a\"}", true));
    cr_assert_eq(in.emails.n, 1);
    cr_assert_str_eq(in.emails.items[0], "a");
}

Test(validate, xml_empty_array_element_is_empty_array)
{
    cr_assert(check_as("{\"emails\":\"\"}", true));
    cr_assert_eq(in.emails.n, 0);
}

Test(validate, xml_array_item_with_children_is_rejected)
{
    cr_assert_not(check_as("{\"emails\":{\"email\":{\"x\":\"1\"}}}", true));
    cr_assert_str_eq(err.message, "emails: must be an array of strings");
}

Test(validate, xml_scalar_fields_coerce_from_text)
{
    cr_assert(check_as("{\"copies\":\"2\",\"active\":\"true\",\"price\":\"84.50\",\"rate\":\"\"}", true));
    cr_assert_eq(in.copies.v, 2);
    cr_assert(in.active.v);
    cr_assert_eq(in.price.v, 8450);
    cr_assert_not(in.rate.set);
}

/* ---- strings: trimming, empty, length, enum ------------------------------------------------ */

Test(validate, strings_are_trimmed)
{
    cr_assert(check("{\"name\":\" \\t Kari \\n\"}"));
    cr_assert_str_eq(in.name, "Kari");
}

Test(validate, empty_string_counts_as_absent)
{
    cr_assert(check("{\"name\":\"   \",\"copies\":\"\",\"active\":\"\",\"start\":\"\"}"));
    cr_assert_null(in.name);
    cr_assert_not(in.copies.set);
    cr_assert_not(in.active.set);
    cr_assert_not(in.start.set);
}

Test(validate, null_counts_as_absent)
{
    cr_assert(check("{\"name\":null,\"copies\":null,\"emails\":null,\"extra\":null}"));
    cr_assert_null(in.name);
    cr_assert_not(in.copies.set);
    cr_assert_eq(in.emails.n, 0);
    cr_assert_null(in.emails.items);
    cr_assert_null(in.extra);
}

Test(validate, absent_fields_are_written_as_not_given)
{
    cr_assert(check("{}"));
    cr_assert_null(in.name);
    cr_assert_null(in.postal);
    cr_assert_null(in.status);
    cr_assert_not(in.copies.set);
    cr_assert_not(in.rate.set);
    cr_assert_not(in.price.set);
    cr_assert_not(in.active.set);
    cr_assert_not(in.start.set);
    cr_assert_eq(in.emails.n, 0);
    cr_assert_null(in.extra);
}

Test(validate, too_long_is_rejected_not_truncated)
{
    fails_with("{\"name\":\"abcdef\"}", "name: must not be longer than 5 characters");
    cr_assert(check("{\"name\":\"abcde\"}"));
    cr_assert_str_eq(in.name, "abcde");
}

Test(validate, length_counts_code_points)
{
    cr_assert(check("{\"name\":\"æøåÆØ\"}"));
    cr_assert_str_eq(in.name, "æøåÆØ");
    fails_with("{\"name\":\"æøåÆØÅ\"}", "name: must not be longer than 5 characters");
    cr_assert_eq(utf8_length("æøå", strlen("æøå")), 3);
    cr_assert_eq(utf8_length("a😀", strlen("a😀")), 2);
}

Test(validate, length_is_checked_after_trimming)
{
    cr_assert(check("{\"name\":\"  abcde  \"}"));
    cr_assert_str_eq(in.name, "abcde");
}

Test(validate, enum_is_case_sensitive)
{
    cr_assert(check("{\"status\":\"PASSIVE\"}"));
    cr_assert_str_eq(in.status, "PASSIVE");
    fails_with("{\"status\":\"passive\"}", "status: must be one of ACTIVE, PASSIVE, CLOSED");
    fails_with("{\"status\":\"OTHER\"}", "status: must be one of ACTIVE, PASSIVE, CLOSED");
}

Test(validate, required_field_missing)
{
    static const struct field req[] = {
        {"customerNumber", FIELD_INT, FIELD_REQUIRED, 0, NULL, offsetof(struct input, copies)},
        {"name", FIELD_STRING, FIELD_REQUIRED, 5, NULL, offsetof(struct input, name)},
        {"emails", FIELD_STRING_ARRAY, FIELD_REQUIRED, 0, NULL, offsetof(struct input, emails)},
        {"extra", FIELD_VALUE, FIELD_REQUIRED, 0, NULL, offsetof(struct input, extra)},
    };
    json_t *v = json_pack("{s:i, s:s, s:[s], s:{}}", "customerNumber", 1, "name", "x", "emails",
                          "a", "extra");
    cr_assert(validate_fields(v, false, req, 4, &in, &pool, &err));
    cr_assert_eq(json_object_get(v, "extra"), in.extra);

    json_object_del(v, "customerNumber");
    cr_assert_not(validate_fields(v, false, req, 4, &in, &pool, &err));
    cr_assert_str_eq(err.message, "customerNumber: is required");
    json_object_set_new(v, "customerNumber", json_integer(1));

    json_object_set_new(v, "name", json_string("  "));
    cr_assert_not(validate_fields(v, false, req, 4, &in, &pool, &err));
    cr_assert_str_eq(err.message, "name: is required");
    json_object_set_new(v, "name", json_string("x"));

    json_object_set_new(v, "emails", json_null());
    cr_assert_not(validate_fields(v, false, req, 4, &in, &pool, &err));
    cr_assert_str_eq(err.message, "emails: is required");
    json_object_set_new(v, "emails", json_string("a"));

    json_object_del(v, "extra");
    cr_assert_not(validate_fields(v, false, req, 4, &in, &pool, &err));
    cr_assert_str_eq(err.message, "extra: is required");
    json_decref(v);
}

Test(validate, first_failure_in_table_order_is_reported)
{
    fails_with("{\"active\":\"x\",\"name\":\"toolongname\",\"copies\":\"x\"}",
               "name: must not be longer than 5 characters");
}

/* ---- money ---------------------------------------------------------------------------------- */

Test(validate, money_in_cents)
{
    cr_assert(check("{\"price\":295}"));
    cr_assert(in.price.set);
    cr_assert_eq(in.price.v, 29500);
    cr_assert(check("{\"price\":84.54}"));
    cr_assert_eq(in.price.v, 8454);
    cr_assert(check("{\"price\":0.29}"));
    cr_assert_eq(in.price.v, 29);
    cr_assert(check("{\"price\":-1.05}"));
    cr_assert_eq(in.price.v, -105);
    cr_assert(check("{\"price\":\"295.00\"}"));
    cr_assert_eq(in.price.v, 29500);
    cr_assert(check("{\"price\":\"84.5\"}"));
    cr_assert_eq(in.price.v, 8450);
    cr_assert(check("{\"price\":\"1.230\"}"));
    cr_assert_eq(in.price.v, 123);
}

Test(validate, money_with_more_than_two_decimals_is_rejected)
{
    fails_with("{\"price\":\"1.234\"}", "price: must have at most 2 decimals");
    fails_with("{\"price\":1.234}", "price: must have at most 2 decimals");
    fails_with("{\"price\":1.005}", "price: must have at most 2 decimals");
}

Test(validate, money_that_is_not_a_number_is_rejected)
{
    fails_with("{\"price\":\"cheap\"}", "price: must be a number");
    fails_with("{\"price\":true}", "price: must be a number");
    fails_with("{\"price\":\"99999999999999999999\"}", "price: must be a number");
}

Test(validate, coerce_money_primitive)
{
    int64_t cents;
    json_t *v = json_string("12.3");
    cr_assert(coerce_money(v, &cents));
    cr_assert_eq(cents, 1230);
    json_decref(v);
    v = json_real(0.001);
    cr_assert_not(coerce_money(v, &cents));
    json_decref(v);
}

/* ---- postal codes --------------------------------------------------------------------------- */

Test(validate, numeric_postal_code_is_padded_for_norway)
{
    cr_assert(check("{\"postalCode\":179}"));
    cr_assert_str_eq(in.postal, "0179");
    cr_assert(check("{\"postalCode\":179,\"countryCode\":\"NO\"}"));
    cr_assert_str_eq(in.postal, "0179");
    cr_assert(check("{\"postalCode\":5,\"countryCode\":null}"));
    cr_assert_str_eq(in.postal, "0005");
    cr_assert(check("{\"postalCode\":5003}"));
    cr_assert_str_eq(in.postal, "5003");
}

Test(validate, numeric_postal_code_is_not_padded_elsewhere)
{
    cr_assert(check("{\"postalCode\":179,\"countryCode\":\"SE\"}"));
    cr_assert_str_eq(in.postal, "179");
}

Test(validate, string_postal_code_is_kept_as_given)
{
    cr_assert(check("{\"postalCode\":\"179\"}"));
    cr_assert_str_eq(in.postal, "179");
    cr_assert(check("{\"postalCode\":\"0179\"}"));
    cr_assert_str_eq(in.postal, "0179");
}

Test(validate, padding_applies_only_to_postal_code_fields)
{
    cr_assert(check("{\"name\":179}"));
    cr_assert_str_eq(in.name, "179");
}

/* ---- the rest ------------------------------------------------------------------------------- */

Test(validate, unknown_fields_are_ignored)
{
    cr_assert(check("{\"whatever\":{\"deep\":[1,2]},\"name\":\"x\",\"more\":true}"));
    cr_assert_str_eq(in.name, "x");
}

Test(validate, value_field_is_borrowed_as_is)
{
    cr_assert(check("{\"extra\":[1,{\"a\":2}]}"));
    cr_assert_eq(in.extra, json_object_get(body, "extra"));
}

Test(validate, body_must_be_an_object)
{
    cr_assert_not(check("[1,2]"));
    cr_assert_str_eq(err.message, "request body: must be an object");
    cr_assert_not(check("\"x\""));
    cr_assert_str_eq(err.message, "request body: must be an object");
    cr_assert_not(validate_fields(NULL, false, fields, NFIELDS, &in, &pool, &err));
    cr_assert_str_eq(err.message, "request body: must be an object");
}

Test(validate, strings_are_copied_into_the_pool)
{
    cr_assert(check("{\"name\":\"abc\",\"emails\":[\"x\"]}"));
    const char *name = in.name, *email = in.emails.items[0];
    json_decref(body);
    body = NULL;
    cr_assert_str_eq(name, "abc");
    cr_assert_str_eq(email, "x");
}

Test(validate, coerce_int_text_primitive)
{
    int64_t v;
    cr_assert(coerce_int_text("42", 2, &v));
    cr_assert_eq(v, 42);
    cr_assert(coerce_int_text("-7", 2, &v));
    cr_assert_eq(v, -7);
    cr_assert_not(coerce_int_text("", 0, &v));
    cr_assert_not(coerce_int_text("-", 1, &v));
    cr_assert_not(coerce_int_text(" 1", 2, &v));
    cr_assert_not(coerce_int_text("0x10", 4, &v));
}

Test(validate, coerce_bool_and_number_primitives)
{
    bool b;
    double d;
    json_t *v = json_string(" tRuE ");
    cr_assert(coerce_bool(v, &b));
    cr_assert(b);
    json_decref(v);
    v = json_string("12.50");
    cr_assert(coerce_number(v, &d));
    cr_assert_float_eq(d, 12.5, 1e-12);
    json_decref(v);
    v = json_null();
    cr_assert_not(coerce_number(v, &d));
    cr_assert_not(coerce_bool(v, &b));
}

Test(validate, long_enum_lists_are_cut_not_overflowed)
{
    static const char *const many[] = {
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB",
        "CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC", "DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD",
        "EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE", "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
        "GGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGG", NULL};
    static const struct field f[] = {{"s", FIELD_STRING, 0, 0, many, 0}};
    const char *out;
    json_t *v = json_pack("{s:s}", "s", "x");
    cr_assert_not(validate_fields(v, false, f, 1, &out, &pool, &err));
    cr_assert_eq(strlen(err.message), VALIDATE_MSG_MAX - 1);
    cr_assert(strncmp(err.message, "s: must be one of AAAA", 22) == 0);
    json_decref(v);
}
