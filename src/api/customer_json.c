/* customer_json.c — Address and Customer replies (see customer_json.h), in the field order of
 * the spec's examples; every record field is rendered through its field table. */
#include "api/customer_json.h"

#include "codec/json.h"
#include "codec/record.h"

json_t *address_json(const struct address *a)
{
    json_t *v = json_object();
    json_object_set_new_nocheck(v, "id", json_integer(a->id));
    json_object_set_new_nocheck(v, "addressType", json_string_nocheck(ADDRESS_KIND_NAMES[a->kind]));
    record_render(v, ADDRESS_FIELDS, ADDRESS_FIELD_COUNT, a);
    if (a->kind != ADDRESS_HOME && a->start_time.set) {
        json_t *period = json_pack("{s:o}", "startTime", json_instant(a->start_time.v));
        if (a->kind != ADDRESS_PERMANENT && a->end_time.set)
            json_object_set_new(period, "endTime", json_instant(a->end_time.v));
        json_object_set_new(v, "period", period);
    }
    if (a->kind == ADDRESS_TEMPORARY || (a->kind == ADDRESS_HISTORICAL && a->products.n))
        json_object_set_new(v, "products", json_string_array(&a->products));
    return v;
}

json_t *address_list_json(const struct address_list *l)
{
    json_t *items = json_array();
    for (size_t i = 0; i < l->n; i++)
        json_array_append_new(items, address_json(&l->items[i]));
    return json_pack("{s:o}", "addresses", items);
}

static json_t *categories_json(const struct customer *c)
{
    json_t *items = json_array();
    for (size_t i = 0; i < c->ncategories; i++) {
        const struct category_item *k = &c->categories[i];
        json_t *item = json_pack("{s:s, s:s}", "categoryType", k->type, "categoryCode", k->code);
        if (k->free_value)
            json_object_set_new(item, "freeValue", json_string(k->free_value));
        json_array_append_new(items, item);
    }
    return items;
}

/* The home address's fields a search result repeats at the top level (§4.3). */
static const char *const SEARCH_ADDRESS_FIELDS[] = {"streetAddress", "streetNumber", "entrance", "postalCode",
                                                    "postalPlace", "countryCode", NULL};

static void render_named(json_t *v, const struct field *table, size_t n, const char *const *names, const void *rec)
{
    for (const char *const *name = names; *name; name++)
        record_render(v, record_field(table, n, *name), 1, rec);
}

static const char *const SEARCH_PERSON_FIELDS[] = {"companyRegistrationNumber", "companyName", "department",
                                                   "departmentName", "firstName", "middleName", "lastName", "sex",
                                                   NULL};
static const char *const SEARCH_CONTACT_FIELDS[] = {"emails", "phoneNumbers", NULL};

json_t *customer_json(const struct customer *c, bool search_view)
{
    json_t *v = json_object();
    json_object_set_new_nocheck(v, "customerNumber", json_integer(c->number));
    if (c->unique_user_id)
        json_object_set_new(v, "uniqueUserId", json_string(c->unique_user_id));
    if (search_view) {
        render_named(v, CUSTOMER_FIELDS, CUSTOMER_FIELD_COUNT, SEARCH_PERSON_FIELDS, c);
        if (c->has_home)
            render_named(v, ADDRESS_FIELDS, ADDRESS_FIELD_COUNT, SEARCH_ADDRESS_FIELDS, &c->home);
        render_named(v, CUSTOMER_FIELDS, CUSTOMER_FIELD_COUNT, SEARCH_CONTACT_FIELDS, c);
    } else {
        record_render(v, CUSTOMER_FIELDS, CUSTOMER_FIELD_COUNT, c);
        if (c->has_home)
            json_object_set_new(v, "address", address_json(&c->home));
        json_object_set_new(v, "categories", categories_json(c));
    }
    /* Names existing integrations read (§1.3): first entries and the company name again. */
    if (c->company_name)
        json_object_set_new(v, "company", json_string(c->company_name));
    if (c->phone_numbers.n)
        json_object_set_new(v, "phone", json_string(c->phone_numbers.items[0]));
    if (c->emails.n)
        json_object_set_new(v, "email", json_string(c->emails.items[0]));
    return v;
}
