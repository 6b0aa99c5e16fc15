/* profile.c — User Data › Profile (customer.md §9): the logged-in user's profile (#125), the
 * profiles external identity providers gave (#126), and the older profile format (C1, XML by
 * default). The profile is the ConnectID user's: credentials and providers, with the name,
 * e-mails and phone numbers of the user's customer of the token client's partner, when there
 * is one (designed here: a user has no other name). */
#include "api/api.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http/request.h"
#include "store/userdata.h"

/* §9.1: credentialType as a word, verificationLevel by how the credential was proven: e-mail
 * and phone credentials are only ever created after a one-time code; external ones come from
 * a partner's identity provider (#127, #128). */
static json_t *credential_json(const struct credential_item *c)
{
    const char *type = c->type == 'A' ? "email" : c->type == 'B' ? "phone" : "external";
    const char *level = c->type == 'A' || c->type == 'B' ? "verificationCode" : "externallyVerified";
    return json_pack("{s:s, s:s, s:s}", "credential", c->credential, "credentialType", type, "verificationLevel",
                     level);
}

static bool listed(const json_t *list, const char *key, const char *value)
{
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item) {
        const json_t *v = key ? json_object_get(item, key) : item;
        if (json_is_string(v) && !strcasecmp(json_string_value(v), value))
            return true;
    }
    return false;
}

/* Phone numbers with their kind: phone credentials are personal; the customer's numbers are the
 * company's for a company customer. legacy: the C1 words (personal -> mobile, company -> home). */
static json_t *phones_json(const struct user_profile *p, bool legacy)
{
    json_t *list = json_array();
    const char *personal = legacy ? "mobile" : "personal", *company = legacy ? "home" : "company";
    for (size_t i = 0; i < p->ncredentials; i++)
        if (p->credentials[i].type == 'B')
            json_array_append_new(list, json_pack("{s:s, s:s}", "phoneNumber", p->credentials[i].credential,
                                                  "phoneNumberType", personal));
    const struct customer *c = &p->customer;
    for (size_t i = 0; p->has_customer && i < c->phone_numbers.n; i++)
        if (!listed(list, "phoneNumber", c->phone_numbers.items[i]))
            json_array_append_new(list, json_pack("{s:s, s:s}", "phoneNumber", c->phone_numbers.items[i],
                                                  "phoneNumberType", c->company_name ? company : personal));
    return list;
}

/* E-mail credentials first, then the customer's other addresses. */
static json_t *emails_json(const struct user_profile *p)
{
    json_t *list = json_array();
    for (size_t i = 0; i < p->ncredentials; i++)
        if (p->credentials[i].type == 'A')
            json_array_append_new(list, json_string(p->credentials[i].credential));
    for (size_t i = 0; p->has_customer && i < p->customer.emails.n; i++)
        if (!listed(list, NULL, p->customer.emails.items[i]))
            json_array_append_new(list, json_string(p->customer.emails.items[i]));
    return list;
}

static void set_text(json_t *v, const char *name, const char *value)
{
    if (value)
        json_object_set_new(v, name, json_string(value));
}

/* name (§1.2); legacy adds the company fields. NULL when there is nothing to say. */
static json_t *name_json(const struct user_profile *p, bool legacy)
{
    if (!p->has_customer)
        return NULL;
    const struct customer *c = &p->customer;
    json_t *v = json_object();
    set_text(v, "firstName", c->first_name);
    set_text(v, "middleName", c->middle_name);
    set_text(v, "lastName", c->last_name);
    if (legacy) {
        set_text(v, "companyName", c->company_name);
        set_text(v, "departmentName", c->department_name);
    }
    if (json_object_size(v) == 0) {
        json_decref(v);
        return NULL;
    }
    return v;
}

/* The credential this token logged in with. Tokens do not record it yet, so it is the user's
 * first credential: for users of the login pages their e-mail or phone, for users of External
 * Identity their external id. */
static const struct credential_item *login_credential(const struct user_profile *p)
{
    return p->ncredentials ? &p->credentials[0] : NULL;
}

static bool profile_or_reply(struct request *req, bool with_number, struct user_profile *p)
{
    bool found = false;
    if (store_user_profile(req->db, req->caller->user_id, req->caller->partner, with_number, req->pool, &found, p) !=
        DB_OK)
        return reply_internal(req, "profile read failed");
    return found || reply_not_found(req, "uniqueId: no user %s", req->caller->user_id);
}

/* GET /capi/v1/user/profile (#125) */
static void profile_show(struct request *req)
{
    struct user_profile p;
    if (!profile_or_reply(req, false, &p))
        return;
    json_t *v = json_pack("{s:s}", "uniqueId", req->caller->user_id);
    const struct credential_item *login = login_credential(&p);
    if (login)
        json_object_set_new(v, "loginCredential", credential_json(login));
    json_t *creds = json_array();
    for (size_t i = 0; i < p.ncredentials; i++)
        json_array_append_new(creds, credential_json(&p.credentials[i]));
    json_object_set_new(v, "userCredentials", creds);
    json_t *name = name_json(&p, false);
    if (name)
        json_object_set_new(v, "name", name);
    json_object_set_new(v, "phoneNumbers", phones_json(&p, false));
    json_object_set_new(v, "emails", emails_json(&p));
    json_t *sources = json_array();
    for (size_t i = 0; i < p.nexternal; i++)
        json_array_append_new(sources, json_string(p.external[i].source));
    json_object_set_new(v, "externalSources", sources);
    reply_value(req, 200, v);
}

/* Rule 3 of §9.2: postal codes are strings, also when a provider sent a number. */
static void postal_codes_as_text(json_t *info)
{
    json_t *addresses = json_object_get(info, "addresses");
    size_t i;
    json_t *a;
    json_array_foreach(addresses, i, a) {
        json_t *pc = json_object_get(a, "postalCode");
        if (json_is_integer(pc)) {
            char text[32];
            snprintf(text, sizeof text, "%04lld", (long long)json_integer_value(pc));
            json_object_set_new(a, "postalCode", json_string(text));
        }
    }
}

/* GET /capi/v1/user/profile/external (#126) */
static void profile_external(struct request *req)
{
    struct user_profile p;
    if (!profile_or_reply(req, false, &p))
        return;
    json_t *list = json_array();
    for (size_t i = 0; i < p.nexternal; i++) {
        json_t *info = json_loads(p.external[i].info, 0, NULL);
        if (!json_is_object(info)) {
            json_decref(info);
            info = json_object();
        }
        postal_codes_as_text(info);
        json_array_append_new(list, json_pack("{s:s, s:o}", "source", p.external[i].source, "info", info));
    }
    reply_value(req, 200, json_pack("{s:o}", "externalProfileList", list));
}

/* GET /capi/v1/customer/profile (C1) */
static void profile_legacy(struct request *req)
{
    struct user_profile p;
    if (!profile_or_reply(req, true, &p))
        return;
    json_t *v = json_object();
    if (p.has_customer)
        json_object_set_new(v, "customerNumber", json_integer(p.customer.number));
    json_object_set_new(v, "userId", json_integer(p.user_number));
    json_object_set_new(v, "uniqueId", json_string(req->caller->user_id));
    json_t *name = name_json(&p, true);
    if (name)
        json_object_set_new(v, "name", name);
    json_object_set_new(v, "phoneNumbers", phones_json(&p, true));
    json_object_set_new(v, "emails", emails_json(&p));
    const struct credential_item *login = login_credential(&p);
    if (login) {
        char type[2] = {login->type, '\0'};
        json_object_set_new(v, "credential", json_pack("{s:s, s:s}", "credential", login->credential,
                                                       "credentialType", type));
    }
    reply_value(req, 200, v);
}

static const struct route ROUTES[] = {
    {HTTP_GET, "/capi/v1/user/profile", AUTH_USER, profile_show, 0, "profile"},
    {HTTP_GET, "/capi/v1/user/profile/external", AUTH_USER, profile_external, 0, "externalProfileList"},
    {HTTP_GET, "/capi/v1/customer/profile", AUTH_USER, profile_legacy, ROUTE_XML_DEFAULT, "profile"},
};

struct route_table profile_routes(void)
{
    return ROUTE_TABLE(ROUTES);
}
