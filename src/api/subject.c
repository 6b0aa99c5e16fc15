/* subject.c — the customer an endpoint works on (see subject.h). */
#include "api/subject.h"

#include <stddef.h>

#include "store/customer.h"

struct customer_path {
    struct opt_int number;
};

static const struct field CUSTOMER_PATH[] = {
    {"customerNumber", FIELD_INT, FIELD_REQUIRED, 0, NULL, offsetof(struct customer_path, number)},
};

bool subject_is_user(const struct request *req)
{
    return req->caller && req->caller->user_id[0] != '\0';
}

void reply_empty_list(struct request *req, const char *wrapper)
{
    reply_value(req, 200, json_pack("{s:[]}", wrapper));
}

bool reply_customer_not_found(struct request *req, int64_t customer)
{
    return reply_not_found(req, "customerNumber: no customer %lld", (long long)customer);
}

static bool client_subject_or_reply(struct request *req, int64_t *customer)
{
    struct customer_path p;
    if (!request_path_or_reply(req, CUSTOMER_PATH, 1, &p))
        return false;
    if (p.number.v <= 0)
        return reply_validation(req, "customerNumber: must be greater than 0");
    *customer = p.number.v;
    return true;
}

bool subject_or_reply(struct request *req, const char *empty_list, int64_t *customer)
{
    if (!subject_is_user(req))
        return client_subject_or_reply(req, customer);
    bool found = false;
    if (store_customer_of_user(req->db, req->caller->user_id, req->caller->partner, &found, customer) != DB_OK)
        return reply_internal(req, "customer lookup failed");
    if (found)
        return true;
    if (empty_list) {
        reply_empty_list(req, empty_list);
        return false;
    }
    return reply_not_found(req, "No customer is linked to the user");
}
