/* address.c — Customer Data › Address (customer.md §2): Change addresses (#1) and the four
 * address lists (#2-#5), which are one generic handler: user or client mode (subject.h), all
 * addresses or those of one product. The handler checks what the request alone decides (the
 * rules' required fields, periods, today); the store checks the rules that depend on the
 * customer's addresses and subscriptions, and answers with the list of #2. */
#include "api/api.h"

#include <stddef.h>
#include <string.h>

#include "api/customer_json.h"
#include "api/subject.h"
#include "codec/date.h"
#include "http/request.h"
#include "store/customer.h"
#include "util/pool.h"

#define PRODUCT_CODE_MAX 12

struct address_path {
    struct opt_int customer;
    const char *product;
};

static const struct field ADDRESS_PATH[] = {
    {"customerNumber", FIELD_INT, 0, 0, NULL, offsetof(struct address_path, customer)},
    {"productCode", FIELD_STRING, 0, PRODUCT_CODE_MAX, NULL, offsetof(struct address_path, product)},
};

/* GET /capi/v1/customer/address (#2), /capi/v1/client/customer/address/{customerNumber} (#3),
 * /capi/v1/client/customer/address/{customerNumber}/{productCode} (#4),
 * /capi/v1/customer/address/{productCode} (#5) */
static void address_list(struct request *req)
{
    struct address_path p;
    int64_t customer;
    if (!request_path_or_reply(req, ADDRESS_PATH, N_FIELDS(ADDRESS_PATH), &p) ||
        !subject_or_reply(req, "addresses", &customer))
        return;
    struct address_list list;
    bool found = false;
    if (store_address_list(req->db, req->caller->partner, customer, p.product, req->pool, &found, &list) != DB_OK) {
        reply_internal(req, "address list failed");
        return;
    }
    if (!found) {
        reply_customer_not_found(req, customer);
        return;
    }
    reply_value(req, 200, address_list_json(&list));
}

/* ---- #1 ------------------------------------------------------------------------------------------ */

static const char *const CHANGE_TYPES[] = {"update", "delete", "create", "createPermanent", NULL};

struct change_input {
    const char *product, *change_type;
    struct opt_int id;
    const json_t *period;
};

#define I(m) offsetof(struct change_input, m)
static const struct field CHANGE_HEAD[] = {
    {"product", FIELD_STRING, 0, 0, NULL, I(product)},
    {"changeType", FIELD_STRING, FIELD_REQUIRED, 0, CHANGE_TYPES, I(change_type)},
    {"id", FIELD_INT, 0, 0, NULL, I(id)},
};
static const struct field CHANGE_TAIL[] = {
    {"period", FIELD_VALUE, 0, 0, NULL, I(period)},
};
#undef I

#define P(m) offsetof(struct address_change, m)
static const struct field PERIOD_FIELDS[] = {
    {"startTime", FIELD_TIMESTAMP, 0, 0, NULL, P(start)},
    {"endTime", FIELD_TIMESTAMP, 0, 0, NULL, P(end)},
};
#undef P

/* "product": one or more comma-separated codes, each 1..12 characters. */
static bool products_or_reply(struct request *req, const char *list, struct str_array *out)
{
    size_t cap = 1;
    for (const char *p = list; *p; p++)
        cap += *p == ',';
    if (cap > ADDRESS_PERIOD_MAX_PRODUCTS)
        return reply_validation(req, "product: must not list more than %d codes", ADDRESS_PERIOD_MAX_PRODUCTS);
    out->items = pool_alloc(req->pool, cap * sizeof(char *));
    out->n = 0;
    for (const char *p = list;;) {
        size_t len = strcspn(p, ",");
        const char *s = p, *e = p + len;
        while (s < e && (*s == ' ' || *s == '\t'))
            s++;
        while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        if (s == e || utf8_length(s, (size_t)(e - s)) > PRODUCT_CODE_MAX)
            return reply_validation(req, "product: each code must be 1 to %d characters", PRODUCT_CODE_MAX);
        out->items[out->n++] = pool_strndup(req->pool, s, (size_t)(e - s));
        if (p[len] == '\0')
            return true;
        p += len + 1;
    }
}

static bool period_or_reply(struct request *req, const json_t *period, struct address_change *c)
{
    c->start = c->end = (struct opt_int){false, 0};
    c->has_period = period != NULL;
    if (period == NULL)
        return true;
    struct validate_error err;
    if (!json_is_object(period))
        return reply_validation(req, "period: must be an object");
    if (!validate_fields(period, req->body.xml, PERIOD_FIELDS, N_FIELDS(PERIOD_FIELDS), c, req->pool, &err))
        return reply_validation(req, "period.%s", err.message);
    return true;
}

/* Rules 6 and 7 for the data of a new change. */
static bool new_data_or_reply(struct request *req, const struct address_change *c)
{
    if (c->id.set)
        return !c->has_data || reply_validation(req, "id: address fields must be absent when id is given");
    if ((!c->data.street && !c->data.postal_address) || !c->data.postal_code)
        return reply_validation(req, "streetAddress or postalAddress, and postalCode: are required");
    return true;
}

/* What the request alone decides, per changeType (rules 1, 4, 5, 6, 7). */
static bool change_rules_or_reply(struct request *req, const struct address_change *c)
{
    if (c->has_data && c->type != CHANGE_DELETE && !c->data.country_code)
        return reply_validation(req, "countryCode: is required when address data is sent");
    switch (c->type) {
    case CHANGE_UPDATE:
        return c->id.set || !c->has_period || reply_validation(req, "period: is not allowed without id");
    case CHANGE_DELETE:
        return c->id.set || reply_validation(req, "id: is required");
    case CHANGE_CREATE:
        if (!c->start.set || !c->end.set)
            return reply_validation(req, "period.%s: is required", c->start.set ? "endTime" : "startTime");
        if (c->end.v <= c->start.v)
            return reply_validation(req, "period.endTime: must be after period.startTime");
        break;
    case CHANGE_CREATE_PERMANENT:
        if (!c->start.set)
            return reply_validation(req, "period.startTime: is required");
        break;
    }
    if (c->start.v < c->today) /* create, createPermanent */
        return reply_validation(req, "period.startTime: must not be before today");
    return new_data_or_reply(req, c);
}

static bool change_input_or_reply(struct request *req, struct address_change *c)
{
    struct change_input in;
    memset(c, 0, sizeof *c);
    if (!request_body_or_reply(req, CHANGE_HEAD, N_FIELDS(CHANGE_HEAD), &in) ||
        !request_body_or_reply(req, ADDRESS_FIELDS, ADDRESS_FIELD_COUNT, &c->data) ||
        !request_body_or_reply(req, CHANGE_TAIL, N_FIELDS(CHANGE_TAIL), &in))
        return false;
    for (int i = 0; CHANGE_TYPES[i]; i++)
        if (!strcmp(in.change_type, CHANGE_TYPES[i]))
            c->type = (enum address_change_type)i;
    if (in.product == NULL && c->type != CHANGE_CREATE_PERMANENT)
        return reply_validation(req, "product: is required");
    if (in.product && c->type != CHANGE_CREATE_PERMANENT && !products_or_reply(req, in.product, &c->products))
        return false;
    c->id = in.id;
    c->has_data = address_has_data(&c->data);
    c->today = date_day_start(date_now_ms());
    return period_or_reply(req, in.period, c) && change_rules_or_reply(req, c);
}

/* POST /capi/v1/customer/address (#1) */
static void address_change(struct request *req)
{
    struct address_change c;
    int64_t customer;
    if (!change_input_or_reply(req, &c) || !subject_or_reply(req, NULL, &customer))
        return;
    enum address_outcome outcome;
    const char *message = NULL;
    struct address_list list;
    if (store_address_change(req->db, req->caller->partner, customer, &c, req->pool, &outcome, &message, &list) !=
        DB_OK) {
        reply_internal(req, "address change failed");
        return;
    }
    switch (outcome) {
    case ADDRESS_OK: reply_value(req, 200, address_list_json(&list)); return;
    case ADDRESS_CUSTOMER_NOT_FOUND: reply_customer_not_found(req, customer); return;
    case ADDRESS_ID_NOT_FOUND:
    case ADDRESS_NOT_SUBSCRIBED: reply_not_found(req, "%s", message); return;
    case ADDRESS_ILLEGAL_STATE: reply_error(req, 400, EXC_ILLEGAL_STATE, "%s", message); return;
    case ADDRESS_INVALID: reply_validation(req, "%s", message); return;
    }
}

static const struct route ROUTES[] = {
    {HTTP_POST, "/capi/v1/customer/address", AUTH_USER, address_change, ROUTE_BODY, "addresses"},
    {HTTP_GET, "/capi/v1/customer/address", AUTH_USER, address_list, 0, "addresses"},
    {HTTP_GET, "/capi/v1/client/customer/address/{customerNumber}", AUTH_CLIENT, address_list, 0, "addresses"},
    {HTTP_GET, "/capi/v1/client/customer/address/{customerNumber}/{productCode}", AUTH_CLIENT, address_list, 0,
     "addresses"},
    {HTTP_GET, "/capi/v1/customer/address/{productCode}", AUTH_USER, address_list, 0, "addresses"},
};

struct route_table address_routes(void)
{
    return ROUTE_TABLE(ROUTES);
}
