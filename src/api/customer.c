/* customer.c — Customer Data › Customer (customer.md §4): List customer info in both modes
 * (#9, #13: one handler), Change customer Info (#10), Search customer (#11) and Check customer
 * number (#12). Bodies are validated by the Customer field table (model/customer.h), so the
 * limits here are those of the record itself; replies are built by customer_json.c. */
#include "api/api.h"

#include <stddef.h>

#include "api/customer_json.h"
#include "api/subject.h"
#include "codec/record.h"
#include "http/request.h"
#include "oauth/oauth.h"
#include "store/customer.h"

/* GET /capi/v1/customer/info (#9), GET /capi/v1/client/customer/info/{customerNumber} (#13) */
static void customer_info(struct request *req)
{
    int64_t number;
    if (!subject_or_reply(req, NULL, &number))
        return;
    struct customer c;
    bool found = false;
    if (store_customer_get(req->db, req->caller->partner, number, req->pool, &found, &c) != DB_OK) {
        reply_internal(req, "customer read failed");
        return;
    }
    if (!found) {
        reply_customer_not_found(req, number);
        return;
    }
    reply_value(req, 200, customer_json(&c, false));
}

/* What #10 asks to change: given fields, and those sent as JSON null (cleared; XML has no
 * null). An empty list clears the list. */
static void patch_marks(const struct request *req, struct customer_patch *patch)
{
    patch->given = patch->cleared = 0;
    for (size_t i = 0; i < CUSTOMER_FIELD_COUNT; i++) {
        const struct field *f = &CUSTOMER_FIELDS[i];
        const json_t *raw = json_object_get(req->body.value, f->name);
        bool empty_list = f->type == FIELD_STRING_ARRAY && record_has(f, &patch->values) &&
                          ((const struct str_array *)((const char *)&patch->values + f->offset))->n == 0;
        if ((!req->body.xml && json_is_null(raw)) || empty_list)
            patch->cleared |= 1u << i;
        else if (record_has(f, &patch->values))
            patch->given |= 1u << i;
    }
}

/* POST /capi/v1/customer/info (#10) */
static void customer_change(struct request *req)
{
    struct customer_patch patch;
    if (!request_body_or_reply(req, CUSTOMER_FIELDS, CUSTOMER_FIELD_COUNT, &patch.values))
        return;
    patch_marks(req, &patch);
    int64_t number;
    if (!subject_or_reply(req, NULL, &number))
        return;
    struct customer c;
    enum customer_change_outcome outcome;
    const char *message = NULL;
    if (store_customer_change(req->db, req->caller->partner, number, &patch, req->pool, &c, &outcome, &message) !=
        DB_OK) {
        reply_internal(req, "customer change failed");
        return;
    }
    switch (outcome) {
    case CUSTOMER_CHANGED_OK:
        reply_value(req, 200, customer_json(&c, false));
        return;
    case CUSTOMER_CHANGE_NOT_FOUND:
        reply_customer_not_found(req, number);
        return;
    case CUSTOMER_CHANGE_INVALID:
        reply_validation(req, "%s", message);
        return;
    }
}

#define Q(m) offsetof(struct customer_query, m)
static const struct field SEARCH_FIELDS[] = {
    {"email", FIELD_STRING, 0, 255, NULL, Q(email)},
    {"phoneNumber", FIELD_STRING, FIELD_E164, 20, NULL, Q(phone)},
    {"firstName", FIELD_STRING, 0, 30, NULL, Q(first_name)},
    {"lastName", FIELD_STRING, 0, 30, NULL, Q(last_name)},
    {"companyName", FIELD_STRING, 0, 40, NULL, Q(company_name)},
    {"postalCode", FIELD_STRING, FIELD_POSTAL_CODE, 10, NULL, Q(postal_code)},
    {"streetAddress", FIELD_STRING, 0, 40, NULL, Q(street)},
};
#undef Q

/* POST /capi/v1/client/customer/search (#11) */
static void customer_search(struct request *req)
{
    struct customer_query q;
    if (!request_body_or_reply(req, SEARCH_FIELDS, N_FIELDS(SEARCH_FIELDS), &q))
        return;
    if (!q.email && !q.phone && !((q.last_name || q.company_name) && q.postal_code)) {
        reply_validation(req, "email, phoneNumber, or lastName or companyName together with postalCode: "
                              "one of them is required");
        return;
    }
    struct customer *found;
    size_t n;
    if (store_customer_search(req->db, req->caller->partner, &q, req->pool, &found, &n) != DB_OK) {
        reply_internal(req, "customer search failed");
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, customer_json(&found[i], true));
    reply_value(req, 200, json_pack("{s:o}", "customers", items));
}

struct check_input {
    struct opt_int number;
    struct customer_facts facts;
};

#define K(m) offsetof(struct check_input, m)
static const struct field CHECK_FIELDS[] = {
    {"customerNumber", FIELD_INT, FIELD_REQUIRED, 0, NULL, K(number)},
    {"postalCode", FIELD_STRING, FIELD_POSTAL_CODE, 10, NULL, K(facts.postal_code)},
    {"lastName", FIELD_STRING, 0, 30, NULL, K(facts.last_name)},
    {"email", FIELD_STRING, 0, 255, NULL, K(facts.email)},
    {"phoneNumber", FIELD_STRING, FIELD_E164, 20, NULL, K(facts.phone)},
};
#undef K

/* POST /capi/v1/client/customer/check (#12) */
static void customer_check(struct request *req)
{
    struct check_input in;
    if (!request_body_or_reply(req, CHECK_FIELDS, N_FIELDS(CHECK_FIELDS), &in))
        return;
    if (in.number.v <= 0) {
        reply_validation(req, "customerNumber: must be greater than 0");
        return;
    }
    in.facts.number = in.number.v;
    bool valid = false;
    int retry = 0;
    if (store_customer_check(req->db, req->caller->partner, &in.facts, &valid, &retry) != DB_OK) {
        reply_internal(req, "customer check failed");
        return;
    }
    if (retry > 0) {
        reply_rate_limited(req, retry);
        return;
    }
    reply_value(req, 200, json_pack("{s:I, s:b}", "customerNumber", (json_int_t)in.number.v, "valid", valid));
}

static const struct route ROUTES[] = {
    {HTTP_GET, "/capi/v1/customer/info", AUTH_USER, customer_info, 0, "customer"},
    {HTTP_POST, "/capi/v1/customer/info", AUTH_USER, customer_change, ROUTE_BODY, "customer"},
    {HTTP_POST, "/capi/v1/client/customer/search", AUTH_CLIENT, customer_search, ROUTE_BODY, "customers"},
    {HTTP_POST, "/capi/v1/client/customer/check", AUTH_CLIENT, customer_check, ROUTE_BODY, "customerCheck"},
    {HTTP_GET, "/capi/v1/client/customer/info/{customerNumber}", AUTH_CLIENT, customer_info, 0, "customer"},
};

struct route_table customer_routes(void)
{
    return ROUTE_TABLE(ROUTES);
}
