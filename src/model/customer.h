/* customer.h — the records of Customer Data (customer.md §1): customer, address, category
 * code, external reference. Each record is a plain struct plus one field table giving every
 * field's wire name, type, limits and place in the struct. The same table validates request
 * bodies and import lines (codec/validate.h), binds and reads database columns in table order
 * (store/record.h) and renders replies (codec/record.h), so a field is described exactly once.
 * Strings point into a pool owned by whoever filled the record. */
#ifndef CONNECTD_MODEL_CUSTOMER_H
#define CONNECTD_MODEL_CUSTOMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codec/validate.h"

#define N_FIELDS(t) (sizeof(t) / sizeof((t)[0]))

/* ---- address (§1.1) ---------------------------------------------------------------------- */

enum address_kind {
    ADDRESS_HOME,
    ADDRESS_TEMPORARY,
    ADDRESS_PERMANENT,
    ADDRESS_HISTORICAL,
};

/* The wire and database names of the kinds ("home", ...), in enum order. */
extern const char *const ADDRESS_KIND_NAMES[];
bool address_kind_parse(const char *name, enum address_kind *out);

struct address {
    int64_t id;
    enum address_kind kind;
    /* ADDRESS_FIELDS, in order */
    const char *care_of, *street;
    struct opt_int street_number;
    const char *entrance, *floor_type;
    struct opt_int floor;
    const char *suite, *postal_code, *postal_place, *postal_address, *pa_postal_code, *pa_postal_place, *country_code;
    /* the period and the products of a change */
    struct opt_int start_time, end_time;
    struct str_array products;
};

/* careOfAddress .. countryCode (database columns ADDRESS_COLUMNS, same order). */
extern const struct field ADDRESS_FIELDS[];
extern const size_t ADDRESS_FIELD_COUNT;
#define ADDRESS_COLUMNS                                                                                              \
    "care_of, street, street_number, entrance, floor_type, floor, suite, postal_code, postal_place, postal_address, " \
    "pa_postal_code, pa_postal_place, country_code"
#define ADDRESS_PERIOD_MAX_PRODUCTS 50

/* Whether any of the address data fields is set. */
bool address_has_data(const struct address *a);

/* ---- category codes (§3) ----------------------------------------------------------------- */

struct category_item {
    const char *type, *code, *free_value, *description;
};

/* categoryType, categoryCode, freeValue (import lines and the Customer model). */
extern const struct field CATEGORY_FIELDS[];
extern const size_t CATEGORY_FIELD_COUNT;

/* ---- customer (§1.3) --------------------------------------------------------------------- */

struct customer {
    int64_t number;
    const char *unique_user_id; /* the linked user of the customer's partner, or NULL */
    /* CUSTOMER_FIELDS, in order */
    const char *company_registration_number, *company_name, *department, *department_name;
    const char *first_name, *middle_name, *last_name;
    struct opt_int birth_date;
    const char *sex;
    struct str_array emails, phone_numbers;
    const char *invoice_email;
    /* related rows */
    bool has_home;
    struct address home;
    size_t ncategories;
    struct category_item *categories;
};

/* companyRegistrationNumber .. invoiceEmailAddress (columns CUSTOMER_COLUMNS, same order). */
extern const struct field CUSTOMER_FIELDS[];
extern const size_t CUSTOMER_FIELD_COUNT;
#define CUSTOMER_COLUMNS                                                                                        \
    "company_registration_number, company_name, department, department_name, first_name, middle_name, "         \
    "last_name, birth_date, sex, emails, phone_numbers, invoice_email"
#define CUSTOMER_MAX_CONTACTS 5 /* e-mails, phone numbers (#10) */

/* The rules a customer record keeps whatever wrote it (#10, import): at most
 * CUSTOMER_MAX_CONTACTS e-mails and phone numbers, no birth date in the future, and a lastName
 * or companyName. NULL when it holds, else the "<field>: <rule>" message. */
const char *customer_rule_broken(const struct customer *c, int64_t now_ms);

/* ---- external reference (§5) -------------------------------------------------------------- */

#define REFERENCE_CODE_MAX 20
#define EXTERNAL_ID_MAX 16

/* referenceCode: 1-20 of A-Z a-z 0-9 _ - */
bool reference_code_ok(const char *s);

#endif
