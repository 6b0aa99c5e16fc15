/* fuzz_validate.c — libFuzzer target for the generic field validator (src/codec/validate.c,
 * spec README §6.3). The input is a body (JSON, or XML when it starts with '<'), parsed as the
 * server would, then validated against a table holding every field type and flag, as a JSON
 * body and as an XML one. Checks the outputs obey the table and that every error message names
 * a field of the table or "request body"; the coercion primitives also see every member. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "codec/date.h"
#include "codec/json.h"
#include "codec/validate.h"
#include "util/syntax.h"
#include "codec/xml.h"

#define CHECK(c)                                                                                  \
    do {                                                                                          \
        if (!(c)) {                                                                               \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #c);            \
            abort();                                                                              \
        }                                                                                         \
    } while (0)

struct input {
    const char *name;
    const char *postal;
    const char *country;
    const char *status;
    struct opt_int copies;
    struct opt_num rate;
    struct opt_int price;
    struct opt_bool active;
    struct opt_int start;
    struct str_array emails;
    struct str_array types;
    const char *mail, *phone;
    const json_t *extra;
    const char *id;
};

static const char *const statuses[] = {"ACTIVE", "PASSIVE", "CLOSED", NULL};
static const char *const types[] = {"home", "work", NULL};

/* Optional fields first: validation stops at the first failure, so a required field in front
 * would hide everything behind it from the fuzzer. */
static const struct field fields[] = {
    {"name", FIELD_STRING, 0, 5, NULL, offsetof(struct input, name)},
    {"postalCode", FIELD_STRING, FIELD_POSTAL_CODE, 10, NULL, offsetof(struct input, postal)},
    {"countryCode", FIELD_STRING, 0, 2, NULL, offsetof(struct input, country)},
    {"status", FIELD_STRING, 0, 0, statuses, offsetof(struct input, status)},
    {"copies", FIELD_INT, 0, 0, NULL, offsetof(struct input, copies)},
    {"rate", FIELD_NUMBER, 0, 0, NULL, offsetof(struct input, rate)},
    {"price", FIELD_MONEY, 0, 0, NULL, offsetof(struct input, price)},
    {"active", FIELD_BOOL, 0, 0, NULL, offsetof(struct input, active)},
    {"start", FIELD_TIMESTAMP, 0, 0, NULL, offsetof(struct input, start)},
    {"emails", FIELD_STRING_ARRAY, 0, 6, NULL, offsetof(struct input, emails)},
    {"types", FIELD_STRING_ARRAY, 0, 0, types, offsetof(struct input, types)},
    {"extra", FIELD_VALUE, 0, 0, NULL, offsetof(struct input, extra)},
    {"id", FIELD_STRING, FIELD_REQUIRED, 60, NULL, offsetof(struct input, id)},
    /* after id, so the indices above stay put */
    {"mail", FIELD_STRING, FIELD_EMAIL, 255, NULL, offsetof(struct input, mail)},
    {"phone", FIELD_STRING, FIELD_E164, 20, NULL, offsetof(struct input, phone)},
};
#define NFIELDS (sizeof fields / sizeof fields[0])

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (!date_set_timezone("Europe/Oslo"))
        abort();
    return 0;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* A validated string: trimmed, non-empty, within its limit and enum. */
static void check_text(const char *s, const struct field *f)
{
    size_t n = strlen(s);
    CHECK(n > 0);
    CHECK(!is_space(s[0]) && !is_space(s[n - 1]));
    if (f->max_len)
        CHECK(utf8_length(s, n) <= f->max_len);
    if (f->allowed) {
        bool found = false;
        for (const char *const *a = f->allowed; *a; a++)
            found |= strcmp(*a, s) == 0;
        CHECK(found);
    }
}

static void check_array(const struct str_array *a, const struct field *f)
{
    CHECK(a->n == 0 || a->items != NULL);
    for (size_t i = 0; i < a->n; i++) {
        CHECK(a->items[i] != NULL);
        check_text(a->items[i], f);
    }
}

static bool country_pads(const json_t *obj)
{
    const json_t *cc = json_object_get(obj, "countryCode");
    return cc == NULL || json_is_null(cc) ||
           (json_is_string(cc) && strcasecmp(json_string_value(cc), "NO") == 0);
}

static void check_success(const json_t *obj, const struct input *in)
{
    /* Reading every member also makes UBSan flag a bool the validator left unwritten. */
    const struct input *p = in;
    if (p->name) check_text(p->name, &fields[0]);
    if (p->postal) check_text(p->postal, &fields[1]);
    if (p->country) check_text(p->country, &fields[2]);
    if (p->status) check_text(p->status, &fields[3]);
    const json_t *pc = json_object_get(obj, "postalCode");
    if (json_is_integer(pc) && json_integer_value(pc) >= 0 && json_integer_value(pc) < 1000 &&
        country_pads(obj))
        CHECK(p->postal && strlen(p->postal) == 4);

    const json_t *c = json_object_get(obj, "copies");
    if (p->copies.set && json_is_integer(c))
        CHECK(p->copies.v == json_integer_value(c));
    CHECK(p->copies.set == (c != NULL && !json_is_null(c) &&
                            !(json_is_string(c) && strspn(json_string_value(c), " \t\n\r\f\v") ==
                                                       json_string_length(c))));
    const json_t *price = json_object_get(obj, "price");
    if (p->price.set && json_is_integer(price))
        CHECK(p->price.v == json_integer_value(price) * 100);
    (void)p->rate.set;
    (void)p->active.set;
    (void)p->start.set;
    check_array(&p->emails, &fields[9]);
    check_array(&p->types, &fields[10]);
    CHECK(p->extra == NULL || p->extra == json_object_get(obj, "extra"));
    CHECK(p->id != NULL);
    check_text(p->id, &fields[12]);
    if (p->mail)
        CHECK(email_syntax_ok(p->mail, strlen(p->mail)));
    if (p->phone)
        CHECK(e164_ok(p->phone, strlen(p->phone)));
}

static void check_failure(const struct validate_error *err)
{
    CHECK(strnlen(err->message, VALIDATE_MSG_MAX) < VALIDATE_MSG_MAX);
    if (strcmp(err->message, "request body: must be an object") == 0)
        return;
    for (size_t i = 0; i < NFIELDS; i++) {
        size_t n = strlen(fields[i].name);
        if (strncmp(err->message, fields[i].name, n) == 0 && strncmp(err->message + n, ": ", 2) == 0 &&
            err->message[n + 2] != '\0')
            return;
    }
    fprintf(stderr, "unexpected validation message: %s\n", err->message);
    CHECK(!"message names a field");
}

/* The primitives on every member, as query parameters and endpoints call them. */
static void poke_primitives(const json_t *obj)
{
    const char *key;
    json_t *m;
    json_object_foreach((json_t *)obj, key, m) {
        int64_t i;
        double d;
        bool b;
        if (coerce_int(m, &i) && json_is_string(m))
            CHECK(coerce_int_text(json_string_value(m), json_string_length(m), &i) ||
                  is_space(json_string_value(m)[0]) ||
                  is_space(json_string_value(m)[json_string_length(m) - 1]));
        coerce_number(m, &d);
        coerce_money(m, &i);
        coerce_bool(m, &b);
        date_parse_value(m, &i);
        if (json_is_string(m))
            CHECK(utf8_length(json_string_value(m), json_string_length(m)) <= json_string_length(m));
    }
}

static void run(const json_t *v, bool xml)
{
    h2o_mem_pool_t pool;
    h2o_mem_init_pool(&pool);
    struct input in;
    memset(&in, 0xA5, sizeof in); /* the validator must write every field it reports on */
    struct validate_error err;
    if (validate_fields(v, xml, fields, NFIELDS, &in, &pool, &err))
        check_success(v, &in);
    else
        check_failure(&err);
    h2o_mem_clear_pool(&pool);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    size_t i = 0;
    while (i < size && is_space(text[i]))
        i++;
    json_t *v = i < size && text[i] == '<' ? xml_parse(text + i, size - i, JSON_MAX_DEPTH)
                                            : json_parse_body(text, size, JSON_MAX_DEPTH);
    int64_t n;
    coerce_int_text(text, size, &n);
    if (v == NULL)
        return 0;
    run(v, false);
    run(v, true);
    if (json_is_object(v))
        poke_primitives(v);
    json_decref(v);
    return 0;
}
