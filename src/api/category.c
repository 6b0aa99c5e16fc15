/* category.c — Customer Data › Category (customer.md §3): the logged-in customer's category
 * types (#6) and codes, all of them (#7) or of one type (#8: one handler with #7). A user
 * without a customer gets empty lists (README §5.3). */
#include "api/api.h"

#include <stddef.h>

#include "api/subject.h"
#include "http/request.h"
#include "store/customer.h"

static void set_text(json_t *v, const char *name, const char *value)
{
    if (value)
        json_object_set_new(v, name, json_string(value));
}

/* GET /capi/v1/customer/category/type (#6) */
static void category_types(struct request *req)
{
    int64_t customer;
    if (!subject_or_reply(req, "categoryTypes", &customer))
        return;
    struct category_item *items;
    size_t n;
    bool found = false;
    if (store_category_types(req->db, req->caller->partner, customer, req->pool, &found, &items, &n) != DB_OK) {
        reply_internal(req, "category types read failed");
        return;
    }
    json_t *list = json_array();
    for (size_t i = 0; found && i < n; i++) {
        json_t *v = json_pack("{s:s}", "categoryType", items[i].type);
        set_text(v, "description", items[i].description);
        json_array_append_new(list, v);
    }
    reply_value(req, 200, json_pack("{s:o}", "categoryTypes", list));
}

struct category_path {
    const char *type;
};

static const struct field CATEGORY_PATH[] = {
    {"categoryType", FIELD_STRING, 0, 12, NULL, offsetof(struct category_path, type)},
};

/* GET /capi/v1/customer/category (#7), /capi/v1/customer/category/{categoryType} (#8) */
static void category_codes(struct request *req)
{
    struct category_path p;
    int64_t customer;
    if (!request_path_or_reply(req, CATEGORY_PATH, 1, &p) || !subject_or_reply(req, "categories", &customer))
        return;
    struct category_item *items;
    size_t n;
    bool found = false;
    if (store_category_codes(req->db, req->caller->partner, customer, p.type, req->pool, &found, &items, &n) !=
        DB_OK) {
        reply_internal(req, "category codes read failed");
        return;
    }
    json_t *list = json_array();
    for (size_t i = 0; found && i < n; i++) {
        json_t *v = json_pack("{s:s, s:s}", "categoryType", items[i].type, "categoryCode", items[i].code);
        set_text(v, "description", items[i].description);
        set_text(v, "freeValue", items[i].free_value);
        json_array_append_new(list, v);
    }
    reply_value(req, 200, json_pack("{s:o}", "categories", list));
}

static const struct route ROUTES[] = {
    {HTTP_GET, "/capi/v1/customer/category/type", AUTH_USER, category_types, 0, "categoryTypes"},
    {HTTP_GET, "/capi/v1/customer/category", AUTH_USER, category_codes, 0, "categories"},
    {HTTP_GET, "/capi/v1/customer/category/{categoryType}", AUTH_USER, category_codes, 0, "categories"},
};

struct route_table category_routes(void)
{
    return ROUTE_TABLE(ROUTES);
}
