/* extid.c — External Identity (identity.md §2): Register external Id (#127) and Register
 * customer (#128), both client mode. A partner's own login system registers its user ids
 * here and gets back a ConnectID user handle and an extidCode to exchange for a user token.
 * The handlers validate the documented body, check the client may use the credential type,
 * make one store call, and answer the ExternalIdentity model (XML root externalIdentity). */
#include "api/api.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/request.h"
#include "oauth/extid_code.h"
#include "oauth/oauth.h"
#include "store/store.h"

static const char *const CREDENTIAL_TYPES[] = {"D", "E", "H", "I", "L", "M", "X", "Z", NULL};

/* Credential prefixes of identity.md §1.1, in CREDENTIAL_TYPES order. */
static const char *credential_prefix(char type)
{
    static const char *const PREFIXES[] = {"AID", "EGM", "BYG", "COR", "LRF", "MEN", "EXT", "ZEP"};
    for (size_t i = 0; CREDENTIAL_TYPES[i]; i++)
        if (CREDENTIAL_TYPES[i][0] == type)
            return PREFIXES[i];
    return NULL;
}

struct extid_input {
    const char *external_id;
    const char *credential_type;
    struct opt_int customer_number;
};

static const struct field REGISTER_FIELDS[] = {
    {"externalId", FIELD_STRING, FIELD_REQUIRED, 60, NULL, offsetof(struct extid_input, external_id)},
    {"credentialType", FIELD_STRING, FIELD_REQUIRED, 1, CREDENTIAL_TYPES, offsetof(struct extid_input, credential_type)},
};

static const struct field BIND_FIELDS[] = {
    {"externalId", FIELD_STRING, FIELD_REQUIRED, 60, NULL, offsetof(struct extid_input, external_id)},
    {"credentialType", FIELD_STRING, FIELD_REQUIRED, 1, CREDENTIAL_TYPES, offsetof(struct extid_input, credential_type)},
    {"customerNumber", FIELD_INT, FIELD_REQUIRED, 0, NULL, offsetof(struct extid_input, customer_number)},
};

/* Validates the body and the client's credential types, and builds the store request. */
static bool extid_request_or_reply(struct request *req, const struct field *fields, size_t n, struct extid_input *in,
                                   struct extid_request *rq)
{
    if (!request_body_or_reply(req, fields, n, in))
        return false;
    if (fields == BIND_FIELDS && in->customer_number.v <= 0)
        return reply_validation(req, "customerNumber: must be greater than 0");
    struct oauth_client c;
    bool found;
    if (!oauth_client_get(req->db, req->caller->client_id, &c, &found) || !found)
        return reply_internal(req, "client lookup failed");
    char type = in->credential_type[0];
    if (strchr(c.extid_types, type) == NULL)
        return reply_error(req, 400, EXC_ACCESS_DENIED, "credentialType: this client may not use credential type %c",
                           type);
    size_t len = strlen(in->external_id) + 5;
    char *credential = h2o_mem_alloc_pool(req->pool, len);
    snprintf(credential, len, "%s:%s", credential_prefix(type), in->external_id);
    *rq = (struct extid_request){req->caller->partner, req->caller->client_id, type, credential, in->external_id,
                                 in->customer_number.v};
    return true;
}

/* The ExternalIdentity model, in the order of the reference's example. */
static void reply_external_identity(struct request *req, const struct extid_request *rq,
                                    const struct extid_result *r)
{
    char *code = extid_code_issue(req->db, r->unique_id, rq->client_id, rq->external_id, rq->credential_type,
                                  rq->credential);
    if (code == NULL) {
        reply_internal(req, "extidCode could not be issued");
        return;
    }
    bool active = !strcmp(r->state, "ACTIVE");
    char type[2] = {rq->credential_type, '\0'};
    json_t *v = json_pack("{s:s, s:s, s:s, s:b}", "credential", rq->credential, "externalId", rq->external_id,
                          "credentialType", type, "canLogin", active);
    if (r->had_link)
        json_object_set_new(v, "customerNumber", json_integer(r->customer_number));
    json_object_set_new(v, "uniqueId", json_string(r->unique_id));
    json_object_set_new(v, "enabled", json_boolean(active));
    json_object_set_new(v, "newUser", json_boolean(r->new_user));
    json_object_set_new(v, "extidCode", json_string(code));
    free(code);
    reply_value(req, 200, v);
}

/* POST /capi/v1/client/extid (#127) */
static void extid_register(struct request *req)
{
    struct extid_input in;
    struct extid_request rq;
    struct extid_result out;
    if (!extid_request_or_reply(req, REGISTER_FIELDS, 2, &in, &rq))
        return;
    if (store_extid_register(req->db, &rq, &out) != DB_OK) {
        reply_internal(req, "external id registration failed");
        return;
    }
    reply_external_identity(req, &rq, &out);
}

/* POST /capi/v1/client/extid/customer (#128) */
static void extid_bind_customer(struct request *req)
{
    struct extid_input in;
    struct extid_request rq;
    struct extid_result out;
    enum extid_outcome outcome;
    if (!extid_request_or_reply(req, BIND_FIELDS, 3, &in, &rq))
        return;
    if (store_extid_bind_customer(req->db, &rq, &out, &outcome) != DB_OK) {
        reply_internal(req, "customer binding failed");
        return;
    }
    switch (outcome) {
    case EXTID_OK:
        reply_external_identity(req, &rq, &out);
        return;
    case EXTID_CUSTOMER_NOT_FOUND:
        reply_not_found(req, "customerNumber: no customer %lld", (long long)rq.customer_number);
        return;
    case EXTID_USER_LINKED_ELSEWHERE:
        reply_error(req, 400, EXC_ILLEGAL_STATE, "The user is already linked to another customer");
        return;
    case EXTID_CUSTOMER_LINKED_ELSEWHERE:
        reply_error(req, 400, EXC_ILLEGAL_STATE, "The customer is already linked to another user");
        return;
    }
}

static const struct route ROUTES[] = {
    {HTTP_POST, "/capi/v1/client/extid", AUTH_CLIENT, extid_register, ROUTE_BODY, "externalIdentity"},
    {HTTP_POST, "/capi/v1/client/extid/customer", AUTH_CLIENT, extid_bind_customer, ROUTE_BODY, "externalIdentity"},
};

struct route_table extid_routes(void)
{
    return ROUTE_TABLE(ROUTES);
}
