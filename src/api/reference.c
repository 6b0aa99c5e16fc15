/* reference.c — Customer Data › External Reference (customer.md §5), client mode: list (#16),
 * register (#17), change (#15) and remove (#14). The three writes are one generic handler: the
 * path and body are validated, one store call decides success ({"success": false} is a
 * business answer, README §9.3), and the store emits the event when it is true. */
#include "api/api.h"

#include <stddef.h>

#include "api/subject.h"
#include "http/request.h"
#include "store/customer.h"

struct reference_input {
    const char *code, *external_id;
};

#define R(m) offsetof(struct reference_input, m)
static const struct field PATH_FIELDS[] = {
    {"referenceCode", FIELD_STRING, 0, REFERENCE_CODE_MAX, NULL, R(code)},
};
static const struct field REGISTER_FIELDS[] = {
    {"referenceCode", FIELD_STRING, FIELD_REQUIRED, REFERENCE_CODE_MAX, NULL, R(code)},
    {"externalId", FIELD_STRING, FIELD_REQUIRED, EXTERNAL_ID_MAX, NULL, R(external_id)},
};
static const struct field CHANGE_FIELDS[] = {
    {"externalId", FIELD_STRING, FIELD_REQUIRED, EXTERNAL_ID_MAX, NULL, R(external_id)},
};
#undef R

/* GET /capi/v1/client/customer/{customerNumber}/external-reference (#16) */
static void reference_list(struct request *req)
{
    int64_t customer;
    if (!subject_or_reply(req, NULL, &customer))
        return;
    struct external_reference *refs;
    size_t n;
    bool found = false;
    if (store_reference_list(req->db, req->caller->partner, customer, req->pool, &found, &refs, &n) != DB_OK) {
        reply_internal(req, "external reference list failed");
        return;
    }
    if (!found) {
        reply_customer_not_found(req, customer);
        return;
    }
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, json_pack("{s:s, s:s}", "referenceCode", refs[i].code, "externalId",
                                              refs[i].external_id));
    reply_value(req, 200, json_pack("{s:o}", "externalReferences", list));
}

static bool code_or_reply(struct request *req, const char *code)
{
    return reference_code_ok(code) ||
           reply_validation(req, "referenceCode: must be 1 to 20 of the characters A-Z a-z 0-9 _ -");
}

/* The validated input of one write, path before body (README §4): the code from the path (#14,
 * #15) or from the body (#17). */
static bool reference_input_or_reply(struct request *req, enum reference_op op, int64_t *customer,
                                     struct reference_input *in)
{
    if (!subject_or_reply(req, NULL, customer) || !request_path_or_reply(req, PATH_FIELDS, 1, in))
        return false;
    if (op == REFERENCE_REGISTER)
        return request_body_or_reply(req, REGISTER_FIELDS, 2, in) && code_or_reply(req, in->code);
    struct reference_input body = {NULL, NULL};
    if (!code_or_reply(req, in->code) ||
        (op == REFERENCE_CHANGE && !request_body_or_reply(req, CHANGE_FIELDS, 1, &body)))
        return false;
    in->external_id = body.external_id;
    return true;
}

static void reference_write(struct request *req, enum reference_op op)
{
    int64_t customer;
    struct reference_input in = {NULL, NULL};
    if (!reference_input_or_reply(req, op, &customer, &in))
        return;
    bool found = false, success = false;
    if (store_reference_write(req->db, req->caller->partner, customer, op, in.code, in.external_id, &found,
                              &success) != DB_OK) {
        reply_internal(req, "external reference write failed");
        return;
    }
    if (!found) {
        reply_customer_not_found(req, customer);
        return;
    }
    reply_value(req, 200, json_pack("{s:b}", "success", success));
}

/* POST /capi/v1/client/customer/{customerNumber}/external-reference (#17) */
static void reference_register(struct request *req)
{
    reference_write(req, REFERENCE_REGISTER);
}

/* PATCH /capi/v1/client/customer/{customerNumber}/external-reference/{referenceCode} (#15) */
static void reference_change(struct request *req)
{
    reference_write(req, REFERENCE_CHANGE);
}

/* DELETE /capi/v1/client/customer/{customerNumber}/external-reference/{referenceCode} (#14) */
static void reference_remove(struct request *req)
{
    reference_write(req, REFERENCE_REMOVE);
}

#define REFERENCE_PATH "/capi/v1/client/customer/{customerNumber}/external-reference"
static const struct route ROUTES[] = {
    {HTTP_GET, REFERENCE_PATH, AUTH_CLIENT, reference_list, 0, "externalReferences"},
    {HTTP_POST, REFERENCE_PATH, AUTH_CLIENT, reference_register, ROUTE_BODY, "result"},
    {HTTP_PATCH, REFERENCE_PATH "/{referenceCode}", AUTH_CLIENT, reference_change, ROUTE_BODY, "result"},
    {HTTP_DELETE, REFERENCE_PATH "/{referenceCode}", AUTH_CLIENT, reference_remove, 0, "result"},
};

struct route_table reference_routes(void)
{
    return ROUTE_TABLE(ROUTES);
}
