/* endpoint.c — POST /user/oauth/token, /user/oauth/revoke and /user/oauth/introspect
 * (identity.md §3.2, RFC 7009, RFC 7662): parameters from the query string and a form body,
 * client authentication, the per-client token-endpoint limit, then the grant module named by
 * grant_type. Grants are small modules (oauth/grants.c); adding one is adding a table row. */
#include "oauth/oauth.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "codec/date.h"
#include "oauth/basic.h"
#include "util/log.h"
#include "util/utf8.h"

static const struct grant *const GRANTS[] = {
    &GRANT_CLIENT_CREDENTIALS_MODULE,
    &GRANT_REFRESH_TOKEN_MODULE,
    &GRANT_AUTHORIZATION_CODE_MODULE,
    &GRANT_EXTID_CODE_MODULE,
};

/* ---- replies ----------------------------------------------------------------------------- */

bool oauth_error(struct request *req, int status, const char *error, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    utf8_scrub(msg); /* descriptions may quote client input */
    reply_value(req, status, json_pack("{s:s, s:s}", "error", error, "error_description", msg));
    req->json_only = true;
    return false;
}

bool oauth_internal(struct request *req, const char *what)
{
    return oauth_error(req, 500, "server_error", "%s", request_log_failure(req, what));
}

bool reply_rate_limited(struct request *req, int retry_after_s)
{
    char ra[16];
    snprintf(ra, sizeof ra, "%d", retry_after_s < 1 ? 1 : retry_after_s);
    reply_header(req, "retry-after", ra);
    return reply_error(req, 429, EXC_TOO_MANY, "Rate limit exceeded");
}

/* A 200 OAuth reply: JSON, never cached (identity.md §3.2). */
static void reply_oauth(struct request *req, json_t *v)
{
    reply_value(req, 200, v);
    req->json_only = true;
    reply_header(req, "cache-control", "no-store");
    reply_header(req, "pragma", "no-cache");
}

void reply_token(struct request *req, const struct issued_token *t)
{
    int64_t left = (t->expires_at - date_now_ms()) / 1000;
    json_t *v = json_pack("{s:s, s:s}", "access_token", t->access, "token_type", "bearer");
    if (t->refresh[0])
        json_object_set_new(v, "refresh_token", json_string(t->refresh));
    json_object_set_new(v, "expires_in", json_integer(left < 0 ? 0 : left));
    json_object_set_new(v, "scope", json_string("read"));
    reply_oauth(req, v);
}

/* ---- parameters -------------------------------------------------------------------------- */

const char *oauth_param(const struct oauth_params *p, const char *name)
{
    const char *v = form_get(&p->body, name, NULL);
    return v ? v : form_get(&p->query, name, NULL);
}

static bool media_type_is(const char *ct, size_t len, const char *type)
{
    size_t n = strlen(type);
    while (len && (*ct == ' ' || *ct == '\t'))
        ct++, len--;
    return len >= n && strncasecmp(ct, type, n) == 0 && (len == n || ct[n] == ';' || ct[n] == ' ');
}

static bool is_blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
            return false;
    return true;
}

/* The body's parameters: a form body is parsed, a JSON body ignored (identity.md §3.2), an
 * empty body is none; anything else is malformed for this endpoint. */
static bool body_params(struct request *req, struct form *f)
{
    size_t ctlen, len = req->h2o->entity.len;
    const char *ct = request_header(req, H2O_TOKEN_CONTENT_TYPE, &ctlen), *data = req->h2o->entity.base;
    f->n = 0;
    f->params = NULL;
    if (len == 0 || is_blank(data, len))
        return true;
    if (ct && (media_type_is(ct, ctlen, "application/json") || memmem(ct, ctlen, "+json", 5)))
        return true;
    if (ct && !media_type_is(ct, ctlen, "application/x-www-form-urlencoded"))
        return false;
    if (ct == NULL && (data[0] == '{' || data[0] == '<'))
        return false;
    return form_parse(data, len, req->pool, f);
}

bool oauth_params_or_reply(struct request *req, struct oauth_params *p, const char *const *names)
{
    if (req->query && !form_parse(req->query, req->query_len, req->pool, &p->query))
        return oauth_error(req, 400, "invalid_request", "Malformed query string");
    if (!req->query)
        p->query.n = 0;
    if (!body_params(req, &p->body))
        return oauth_error(req, 400, "invalid_request", "The body must be application/x-www-form-urlencoded");
    for (const char *const *n = names; *n; n++) {
        size_t inq = 0, inb = 0;
        form_get(&p->query, *n, &inq);
        form_get(&p->body, *n, &inb);
        if (inq > 1 || inb > 1)
            return oauth_error(req, 400, "invalid_request", "Parameter '%s' is repeated", *n);
    }
    return true;
}

/* ---- client authentication --------------------------------------------------------------- */

static bool bad_client(struct request *req, bool basic)
{
    int retry;
    if (!auth_failures_allow(req, &retry))
        return reply_rate_limited(req, retry);
    auth_failure_count(req);
    if (basic)
        reply_header(req, "www-authenticate", "Basic realm=\"oauth\"");
    return oauth_error(req, 401, "invalid_client", "Bad client credentials");
}

bool oauth_client_or_reply(struct request *req, const struct oauth_params *p, struct oauth_client *out)
{
    size_t alen;
    const char *auth = request_header(req, H2O_TOKEN_AUTHORIZATION, &alen);
    struct basic_credentials basic;
    enum basic_status bs = basic_parse(auth, alen, &basic);
    const char *pid = oauth_param(p, "client_id"), *psecret = oauth_param(p, "client_secret");
    const char *id = pid, *secret = psecret;
    int retry;
    if (bs == BASIC_MALFORMED)
        return bad_client(req, true);
    if (bs == BASIC_OK) {
        /* Both ways at once must name the same client (identity.md §3.2). */
        if ((pid && strcmp(pid, basic.id)) || (psecret && strcmp(psecret, basic.secret)))
            return bad_client(req, true);
        id = basic.id;
        secret = basic.secret;
    }
    if (id == NULL || secret == NULL)
        return bad_client(req, bs == BASIC_OK);
    /* A source that keeps failing is refused before its next guess is even checked. */
    if (!auth_failures_allow(req, &retry))
        return reply_rate_limited(req, retry);
    bool found;
    if (!oauth_client_get(req->db, id, out, &found))
        return oauth_internal(req, "client lookup failed");
    if (!found || !secret_verify(secret, out->secret_hash))
        return bad_client(req, bs == BASIC_OK);
    req->client_id = h2o_strdup(req->pool, out->client_id, SIZE_MAX).base;
    return true;
}

/* ---- POST /user/oauth/token -------------------------------------------------------------- */

static const char *const TOKEN_PARAMS[] = {"grant_type", "client_id", "client_secret", "scope", "code",
                                           "redirect_uri", "refresh_token", NULL};

bool oauth_scope_is_read(const char *scope)
{
    if (scope == NULL)
        return true;
    for (const char *p = scope; *p;) {
        p += strspn(p, " ");
        size_t n = strcspn(p, " ");
        if (n && !(n == 4 && !strncmp(p, "read", 4)))
            return false;
        p += n;
    }
    return true;
}

/* The four grant types of identity.md §3.2 by their wire names; 0 for anything else. */
static unsigned grant_type_bit(const char *type)
{
    static const struct {
        const char *type;
        unsigned bit;
    } TYPES[] = {
        {"client_credentials", GRANT_CLIENT_CREDENTIALS},
        {"authorization_code", GRANT_AUTHORIZATION_CODE},
        {"refresh_token", GRANT_REFRESH_TOKEN},
        {GRANT_TYPE_EXTID, GRANT_EXTID_CODE},
    };
    for (size_t i = 0; i < sizeof TYPES / sizeof TYPES[0]; i++)
        if (!strcmp(TYPES[i].type, type))
            return TYPES[i].bit;
    return 0;
}

static const struct grant *grant_find(const char *type)
{
    for (size_t i = 0; i < sizeof GRANTS / sizeof GRANTS[0]; i++)
        if (!strcmp(GRANTS[i]->grant_type, type))
            return GRANTS[i];
    return NULL;
}

static void oauth_token(struct request *req)
{
    struct oauth_params p;
    struct oauth_client c;
    int retry;
    if (!oauth_params_or_reply(req, &p, TOKEN_PARAMS) || !oauth_client_or_reply(req, &p, &c))
        return;
    if (!client_rate_allow(&c, true, &retry)) {
        reply_rate_limited(req, retry);
        req->json_only = true;
        return;
    }
    const char *type = oauth_param(&p, "grant_type");
    if (type == NULL || !*type) {
        oauth_error(req, 400, "invalid_request", "Missing grant type");
        return;
    }
    /* A grant the spec names but this client may not use is unauthorized_client (rule 7),
     * whether or not its module is built in. */
    unsigned bit = grant_type_bit(type);
    if (bit && !(c.grants & bit)) {
        oauth_error(req, 400, "unauthorized_client", "Unauthorized grant type: %.60s", type);
        return;
    }
    const struct grant *g = grant_find(type);
    if (g == NULL) {
        oauth_error(req, 400, "unsupported_grant_type", "Unsupported grant type: %.60s", type);
        return;
    }
    if (!oauth_scope_is_read(oauth_param(&p, "scope"))) {
        oauth_error(req, 400, "invalid_scope", "Invalid scope: %.60s", oauth_param(&p, "scope"));
        return;
    }
    g->run(req, &p, &c);
}

/* ---- POST /user/oauth/revoke (RFC 7009) and /user/oauth/introspect (RFC 7662) ------------ */

static const char *const TOKEN_OF_CLIENT_PARAMS[] = {"token", "token_type_hint", "client_id", "client_secret", NULL};

/* The calling client and the token it asks about. */
struct token_query {
    struct oauth_params p;
    struct oauth_client client;
    const char *token;
    enum token_state state;
    struct token_info info;
};

/* Authenticates the client and looks up the token parameter; false after answering. */
static bool token_query_or_reply(struct request *req, struct token_query *q)
{
    if (!oauth_params_or_reply(req, &q->p, TOKEN_OF_CLIENT_PARAMS) || !oauth_client_or_reply(req, &q->p, &q->client))
        return false;
    q->token = oauth_param(&q->p, "token");
    if (q->token == NULL || !*q->token)
        return oauth_error(req, 400, "invalid_request", "Missing token");
    q->state = token_lookup(req->db, q->token, strlen(q->token), &q->info);
    if (q->state == TOKEN_STORE_ERROR)
        return oauth_internal(req, "token lookup failed");
    return true;
}

static void oauth_revoke(struct request *req)
{
    struct token_query q;
    if (!token_query_or_reply(req, &q))
        return;
    if (q.state != TOKEN_UNKNOWN && strcmp(q.info.client_id, q.client.client_id)) {
        oauth_error(req, 400, "unauthorized_client", "The token was issued to another client");
        return;
    }
    /* An unknown token is answered like a revoked one (RFC 7009 §2.2). */
    if (q.state != TOKEN_UNKNOWN && !token_revoke(req->db, q.token, strlen(q.token))) {
        oauth_internal(req, "token revocation failed");
        return;
    }
    reply_oauth(req, json_object());
}

static void oauth_introspect(struct request *req)
{
    struct token_query q;
    if (!token_query_or_reply(req, &q))
        return;
    if (q.state != TOKEN_VALID || strcmp(q.info.client_id, q.client.client_id)) {
        reply_oauth(req, json_pack("{s:b}", "active", 0));
        return;
    }
    json_t *v = json_pack("{s:b, s:s, s:s, s:s, s:I, s:I}", "active", 1, "scope", "read", "client_id",
                          q.info.client_id, "token_type", q.info.kind == TOKEN_REFRESH ? "refresh_token" : "access_token",
                          "exp", (json_int_t)(q.info.expires_at / 1000), "iat", (json_int_t)(q.info.created_at / 1000));
    if (q.info.user_id[0])
        json_object_set_new(v, "sub", json_string(q.info.user_id));
    reply_oauth(req, v);
}

static const struct route ROUTES[] = {
    {HTTP_POST, "/user/oauth/token", AUTH_NONE, oauth_token, ROUTE_JSON_ONLY, NULL},
    {HTTP_POST, "/user/oauth/revoke", AUTH_NONE, oauth_revoke, ROUTE_JSON_ONLY, NULL},
    {HTTP_POST, "/user/oauth/introspect", AUTH_NONE, oauth_introspect, ROUTE_JSON_ONLY, NULL},
};

struct route_table oauth_routes(void)
{
    return ROUTE_TABLE(ROUTES);
}
