/* metadata.c — User Data › Metadata (customer.md §8): a free-form JSON object a client keeps
 * per user. Read, change and remove in user mode (#119-#121, the token's user) and client mode
 * (#122-#124, a uniqueId in the path) are three generic handlers. The object is stored and
 * returned as sent: README §6.3 leniency does not apply inside it, bodies are JSON only (an
 * XML body gets 415 before the handler runs) and replies are always JSON. */
#include "api/api.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "api/subject.h"
#include "http/request.h"
#include "store/userdata.h"

#define METADATA_MAX_BYTES (64 * 1024)
#define METADATA_MAX_DEPTH 10

struct user_path {
    const char *unique_id;
};

static const struct field USER_PATH[] = {
    {"uniqueId", FIELD_STRING, FIELD_REQUIRED, 32, NULL, offsetof(struct user_path, unique_id)},
};

/* The user whose metadata this is: the token's, or the path's (32 lowercase hex). */
static bool metadata_user_or_reply(struct request *req, const char **user)
{
    if (subject_is_user(req)) {
        *user = req->caller->user_id;
        return true;
    }
    struct user_path p;
    if (!request_path_or_reply(req, USER_PATH, 1, &p))
        return false;
    if (strlen(p.unique_id) != 32 || strspn(p.unique_id, "0123456789abcdef") != 32)
        return reply_validation(req, "uniqueId: must be 32 lowercase hexadecimal characters");
    *user = p.unique_id;
    return true;
}

static bool user_found_or_reply(struct request *req, bool found, const char *user)
{
    return found || reply_not_found(req, "uniqueId: no user %s", user);
}

/* The stored text as the reply ({} for nothing stored). */
static void reply_object(struct request *req, const char *text)
{
    json_t *v = text ? json_loads(text, 0, NULL) : json_object();
    if (v == NULL) {
        reply_internal(req, "stored metadata is not JSON");
        return;
    }
    reply_value(req, 200, v);
}

static int depth_of(const json_t *v)
{
    int deepest = 0;
    const char *key;
    json_t *item;
    size_t i;
    if (json_is_object(v)) {
        json_object_foreach((json_t *)v, key, item) {
            int d = depth_of(item);
            deepest = d > deepest ? d : deepest;
        }
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, item) {
            int d = depth_of(item);
            deepest = d > deepest ? d : deepest;
        }
    } else {
        return 0;
    }
    return deepest + 1;
}

/* Rule 3: an object, at most 64 KiB as compact JSON, at most 10 levels deep. */
static char *metadata_text_or_reply(struct request *req)
{
    const json_t *v = req->body.value;
    if (!json_is_object(v)) {
        reply_validation(req, "request body: must be a JSON object");
        return NULL;
    }
    if (depth_of(v) > METADATA_MAX_DEPTH) {
        reply_validation(req, "request body: must not be nested deeper than %d levels", METADATA_MAX_DEPTH);
        return NULL;
    }
    char *text = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
    if (text && strlen(text) > METADATA_MAX_BYTES) {
        free(text);
        reply_validation(req, "request body: must not be longer than 65536 bytes");
        return NULL;
    }
    if (text == NULL)
        reply_internal(req, "metadata could not be serialised");
    return text;
}

/* GET /capi/v1/customer/metadata (#119), GET /capi/v1/client/metadata/{uniqueId} (#122) */
static void metadata_read(struct request *req)
{
    const char *user = NULL, *text = NULL;
    bool found = false;
    if (!metadata_user_or_reply(req, &user))
        return;
    if (store_metadata_get(req->db, req->caller->client_id, user, req->pool, &found, &text) != DB_OK) {
        reply_internal(req, "metadata read failed");
        return;
    }
    if (user_found_or_reply(req, found, user))
        reply_object(req, text);
}

/* POST /capi/v1/customer/metadata (#120), POST /capi/v1/client/metadata/{uniqueId} (#123) */
static void metadata_write(struct request *req)
{
    const char *user = NULL;
    if (!metadata_user_or_reply(req, &user))
        return;
    char *text = metadata_text_or_reply(req);
    if (text == NULL)
        return;
    bool found = false;
    enum db_status s = store_metadata_put(req->db, req->caller->client_id, req->caller->partner, user, text, &found);
    if (s != DB_OK)
        reply_internal(req, "metadata write failed");
    else if (user_found_or_reply(req, found, user))
        reply_object(req, text);
    free(text);
}

/* DELETE /capi/v1/customer/metadata (#121), DELETE /capi/v1/client/metadata/{uniqueId} (#124) */
static void metadata_remove(struct request *req)
{
    const char *user = NULL, *old = NULL;
    bool found = false;
    if (!metadata_user_or_reply(req, &user))
        return;
    if (store_metadata_delete(req->db, req->caller->client_id, req->caller->partner, user, req->pool, &found,
                              &old) != DB_OK) {
        reply_internal(req, "metadata removal failed");
        return;
    }
    if (user_found_or_reply(req, found, user))
        reply_object(req, old);
}

#define J ROUTE_JSON_ONLY
static const struct route ROUTES[] = {
    {HTTP_GET, "/capi/v1/customer/metadata", AUTH_USER, metadata_read, J, NULL},
    {HTTP_POST, "/capi/v1/customer/metadata", AUTH_USER, metadata_write, J | ROUTE_BODY, NULL},
    {HTTP_DELETE, "/capi/v1/customer/metadata", AUTH_USER, metadata_remove, J, NULL},
    {HTTP_GET, "/capi/v1/client/metadata/{uniqueId}", AUTH_CLIENT, metadata_read, J, NULL},
    {HTTP_POST, "/capi/v1/client/metadata/{uniqueId}", AUTH_CLIENT, metadata_write, J | ROUTE_BODY, NULL},
    {HTTP_DELETE, "/capi/v1/client/metadata/{uniqueId}", AUTH_CLIENT, metadata_remove, J, NULL},
};
#undef J

struct route_table metadata_routes(void)
{
    return ROUTE_TABLE(ROUTES);
}
