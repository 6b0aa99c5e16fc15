/* customer.c — the field tables of the Customer Data records (see customer.h). Limits and enum
 * values are those of customer.md §1.1, §1.3 and order.md §2.2 (the Address object). */
#include "model/customer.h"

#include <string.h>

const char *const ADDRESS_KIND_NAMES[] = {"home", "temporary", "permanent", "historical", NULL};

bool address_kind_parse(const char *name, enum address_kind *out)
{
    for (int i = 0; ADDRESS_KIND_NAMES[i]; i++)
        if (name && !strcmp(name, ADDRESS_KIND_NAMES[i])) {
            *out = (enum address_kind)i;
            return true;
        }
    return false;
}

static const char *const FLOOR_TYPES[] = {"H", "U", "L", "K", NULL};
static const char *const SEXES[] = {"male", "female", NULL};

#define A(m) offsetof(struct address, m)
const struct field ADDRESS_FIELDS[] = {
    {"careOfAddress", FIELD_STRING, 0, 40, NULL, A(care_of)},
    {"streetAddress", FIELD_STRING, 0, 40, NULL, A(street)},
    {"streetNumber", FIELD_INT, 0, 0, NULL, A(street_number)},
    {"entrance", FIELD_STRING, 0, 12, NULL, A(entrance)},
    {"floorType", FIELD_STRING, 0, 1, FLOOR_TYPES, A(floor_type)},
    {"floor", FIELD_INT, 0, 0, NULL, A(floor)},
    {"suite", FIELD_STRING, 0, 12, NULL, A(suite)},
    {"postalCode", FIELD_STRING, FIELD_POSTAL_CODE, 10, NULL, A(postal_code)},
    {"postalPlace", FIELD_STRING, 0, 30, NULL, A(postal_place)},
    {"postalAddress", FIELD_STRING, 0, 40, NULL, A(postal_address)},
    {"postalAddressPostalCode", FIELD_STRING, FIELD_POSTAL_CODE, 10, NULL, A(pa_postal_code)},
    {"postalAddressPostalPlace", FIELD_STRING, 0, 30, NULL, A(pa_postal_place)},
    {"countryCode", FIELD_STRING, 0, 3, NULL, A(country_code)},
};
const size_t ADDRESS_FIELD_COUNT = N_FIELDS(ADDRESS_FIELDS);
#undef A

bool address_has_data(const struct address *a)
{
    for (size_t i = 0; i < ADDRESS_FIELD_COUNT; i++) {
        const char *p = (const char *)a + ADDRESS_FIELDS[i].offset;
        if (ADDRESS_FIELDS[i].type == FIELD_STRING ? *(const char *const *)p != NULL
                                                    : ((const struct opt_int *)p)->set)
            return true;
    }
    return false;
}

#define G(m) offsetof(struct category_item, m)
const struct field CATEGORY_FIELDS[] = {
    {"categoryType", FIELD_STRING, FIELD_REQUIRED, 12, NULL, G(type)},
    {"categoryCode", FIELD_STRING, FIELD_REQUIRED, 12, NULL, G(code)},
    {"freeValue", FIELD_STRING, 0, 40, NULL, G(free_value)},
};
const size_t CATEGORY_FIELD_COUNT = N_FIELDS(CATEGORY_FIELDS);
#undef G

#define C(m) offsetof(struct customer, m)
const struct field CUSTOMER_FIELDS[] = {
    {"companyRegistrationNumber", FIELD_STRING, 0, 20, NULL, C(company_registration_number)},
    {"companyName", FIELD_STRING, 0, 40, NULL, C(company_name)},
    {"department", FIELD_STRING, 0, 40, NULL, C(department)},
    {"departmentName", FIELD_STRING, 0, 40, NULL, C(department_name)},
    {"firstName", FIELD_STRING, 0, 30, NULL, C(first_name)},
    {"middleName", FIELD_STRING, 0, 30, NULL, C(middle_name)},
    {"lastName", FIELD_STRING, 0, 30, NULL, C(last_name)},
    {"birthDate", FIELD_TIMESTAMP, 0, 0, NULL, C(birth_date)},
    {"sex", FIELD_STRING, 0, 0, SEXES, C(sex)},
    {"emails", FIELD_STRING_ARRAY, FIELD_EMAIL, 255, NULL, C(emails)},
    {"phoneNumbers", FIELD_STRING_ARRAY, FIELD_E164, 20, NULL, C(phone_numbers)},
    {"invoiceEmailAddress", FIELD_STRING, FIELD_EMAIL, 255, NULL, C(invoice_email)},
};
const size_t CUSTOMER_FIELD_COUNT = N_FIELDS(CUSTOMER_FIELDS);
#undef C

const char *customer_rule_broken(const struct customer *c, int64_t now_ms)
{
    if (c->emails.n > CUSTOMER_MAX_CONTACTS)
        return "emails: must not have more than 5 items";
    if (c->phone_numbers.n > CUSTOMER_MAX_CONTACTS)
        return "phoneNumbers: must not have more than 5 items";
    if (c->birth_date.set && c->birth_date.v > now_ms)
        return "birthDate: must not be in the future";
    if (c->last_name == NULL && c->company_name == NULL)
        return "lastName or companyName: is required";
    return NULL;
}

bool reference_code_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > REFERENCE_CODE_MAX)
        return false;
    return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}
