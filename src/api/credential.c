/* credential.c — User Data › Credential: Check credential - client mode (#118, customer.md
 * §7.1). Tells whether an e-mail address or phone number belongs to a ConnectID user; the
 * user's id and state are shown only to the partner the user is linked to or signed up with. */
#include "api/api.h"

#include <stddef.h>
#include <string.h>

#include "http/request.h"
#include "store/userdata.h"
#include "util/syntax.h"

struct credential_input {
    const char *credential;
};

static const struct field CREDENTIAL_FIELDS[] = {
    {"credential", FIELD_STRING, FIELD_REQUIRED, 60, NULL, offsetof(struct credential_input, credential)},
};

/* Rule 1: an e-mail address (lower-cased) or E.164; *type 'A' or 'B'. */
static bool normalized_or_reply(struct request *req, char *credential, char *type)
{
    size_t n = strlen(credential);
    if (strchr(credential, '@') && email_syntax_ok(credential, n)) {
        for (char *p = credential; *p; p++)
            if (*p >= 'A' && *p <= 'Z')
                *p = (char)(*p - 'A' + 'a');
        *type = 'A';
        return true;
    }
    if (e164_ok(credential, n)) {
        *type = 'B';
        return true;
    }
    return reply_validation(req, "credential: must be an e-mail address or an E.164 phone number "
                                 "(+ and 8 to 15 digits)");
}

/* POST /capi/v1/client/credential (#118) */
static void credential_check(struct request *req)
{
    struct credential_input in;
    if (!request_body_or_reply(req, CREDENTIAL_FIELDS, 1, &in))
        return;
    char *credential = (char *)in.credential, type[2] = "";
    if (!normalized_or_reply(req, credential, type))
        return;
    struct credential_owner owner;
    if (store_credential_owner(req->db, req->caller->partner, credential, &owner) != DB_OK) {
        reply_internal(req, "credential lookup failed");
        return;
    }
    json_t *v = json_pack("{s:s, s:s, s:b}", "credential", credential, "credentialType", type, "exists",
                          owner.exists);
    if (owner.exists && owner.visible) {
        json_object_set_new(v, "uniqueId", json_string(owner.unique_id));
        json_object_set_new(v, "enabled", json_boolean(owner.active));
        json_object_set_new(v, "canLogin", json_boolean(owner.active));
    }
    reply_value(req, 200, v);
}

static const struct route ROUTES[] = {
    {HTTP_POST, "/capi/v1/client/credential", AUTH_CLIENT, credential_check, ROUTE_BODY, "credentialCheck"},
};

struct route_table credential_routes(void)
{
    return ROUTE_TABLE(ROUTES);
}
