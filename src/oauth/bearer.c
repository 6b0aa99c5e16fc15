/* bearer.c — authentication of every /capi request (spec README §4, §5.1, §10) and the
 * process-wide OAuth state: the client, token and reuse caches and the three rate limiters
 * (per client for /capi, per client for the token endpoint, per source address for failed
 * authentications). Order of checks: 401 (no or bad token), 403 (wrong mode for the path
 * prefix), 429 (the client's bucket); routing comes after. */
#include "oauth/oauth.h"

#include <stdio.h>
#include <string.h>

#include "oauth/basic.h"
#include "oauth/cache.h"
#include "oauth/ratelimit.h"
#include "util/utf8.h"

struct cache *oauth_client_cache, *oauth_token_cache, *oauth_reuse_cache;
static struct ratelimit *capi_limits, *token_limits, *failure_limits;
static double failure_rate;

bool oauth_init(const struct config *cfg)
{
    oauth_client_cache = cache_new(4096, sizeof(struct oauth_client));
    oauth_token_cache = cache_new(1 << 17, sizeof(struct token_info));
    oauth_reuse_cache = cache_new(4096, sizeof(struct issued_token));
    capi_limits = ratelimit_new(1 << 14);
    token_limits = ratelimit_new(1 << 14);
    failure_limits = ratelimit_new(1 << 16);
    failure_rate = cfg->auth_fail_rate;
    return true;
}

void oauth_shutdown(void)
{
    cache_free(oauth_client_cache);
    cache_free(oauth_token_cache);
    cache_free(oauth_reuse_cache);
    ratelimit_free(capi_limits);
    ratelimit_free(token_limits);
    ratelimit_free(failure_limits);
    oauth_client_cache = oauth_token_cache = oauth_reuse_cache = NULL;
    capi_limits = token_limits = failure_limits = NULL;
}

/* ---- rate limits ------------------------------------------------------------------------- */

bool auth_failures_allow(struct request *req, int *retry_after_s)
{
    unsigned char key[16];
    size_t n = failure_rate > 0 ? request_peer_key(req, key) : 0;
    return n == 0 || ratelimit_peek(failure_limits, (const char *)key, n, failure_rate, 2 * failure_rate,
                                    ratelimit_now_us(), retry_after_s);
}

void auth_failure_count(struct request *req)
{
    unsigned char key[16];
    size_t n = failure_rate > 0 ? request_peer_key(req, key) : 0;
    if (n)
        ratelimit_take(failure_limits, (const char *)key, n, failure_rate, 2 * failure_rate, ratelimit_now_us(),
                       NULL);
}

bool client_rate_allow(const struct oauth_client *c, bool token_endpoint, int *retry_after_s)
{
    double rate = (double)(token_endpoint ? c->token_rate : c->capi_rate);
    return ratelimit_take(token_endpoint ? token_limits : capi_limits, c->client_id, strlen(c->client_id), rate,
                          2 * rate, ratelimit_now_us(), retry_after_s);
}

/* ---- bearer authentication --------------------------------------------------------------- */

/* RFC 6750 §3 allows only printable ASCII in the header's error_description: the "…" of
 * the JSON body becomes "...". */
static void ascii_description(const char *in, char *out, size_t cap)
{
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)in; *p && o + 4 < cap; p++) {
        if (*p == 0xE2 && p[1] == 0x80 && p[2] == 0xA6) {
            memcpy(out + o, "...", 3);
            o += 3;
            p += 2;
        } else if (*p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\') {
            out[o++] = (char)*p;
        }
    }
    out[o] = '\0';
}

static bool challenge(struct request *req, int status, const char *error, const char *description)
{
    char header[512], ascii[256] = "";
    ascii_description(description, ascii, sizeof ascii);
    if (status == 401)
        snprintf(header, sizeof header, "Bearer realm=\"connectid\", error=\"%s\", error_description=\"%s\"", error,
                 ascii);
    else
        snprintf(header, sizeof header, "Bearer realm=\"connectid\", error=\"%s\"", error);
    oauth_error(req, status, error, "%s", description);
    reply_header(req, "www-authenticate", header);
    return false;
}

/* A failed authentication: 401, or 429 once the source address has failed too often. */
static bool unauthenticated(struct request *req, const char *error, const char *description)
{
    int retry;
    if (!auth_failures_allow(req, &retry)) {
        reply_rate_limited(req, retry);
        req->json_only = true;
        return false;
    }
    auth_failure_count(req);
    return challenge(req, 401, error, description);
}

static bool bad_token(struct request *req, const char *token, size_t len, bool expired)
{
    char prefix[8], msg[64];
    text_prefix(token, len < 6 ? len : 6, prefix, sizeof prefix);
    snprintf(msg, sizeof msg, "%s: %s\u2026", expired ? "Access token expired" : "Invalid access token", prefix);
    return unauthenticated(req, "invalid_token", msg);
}

/* /capi/v1/client/... is client mode, every other /capi path user mode (README §5.1). */
static bool path_wants_client(const struct path *p)
{
    return p->nseg >= 3 && p->seg[1].len == 2 && !memcmp(p->seg[1].p, "v1", 2) && p->seg[2].len == 6 &&
           !memcmp(p->seg[2].p, "client", 6);
}

static bool set_caller(struct request *req, const struct token_info *info)
{
    struct caller *c = h2o_mem_alloc_pool(req->pool, sizeof *c);
    memcpy(c->client_id, info->client_id, sizeof c->client_id);
    memcpy(c->partner, info->partner, sizeof c->partner);
    memcpy(c->user_id, info->user_id, sizeof c->user_id);
    req->caller = c;
    req->client_id = c->client_id;
    return true;
}

bool bearer_or_reply(struct request *req)
{
    size_t len;
    const char *header = request_header(req, H2O_TOKEN_AUTHORIZATION, &len), *token;
    size_t tlen;
    if (header == NULL || !bearer_token(header, len, &token, &tlen))
        return unauthenticated(req, "unauthorized", "Full authentication is required to access this resource");
    /* One token, in one header: anything else is ambiguous, so it is refused. */
    if (tlen == 0 || memchr(token, ' ', tlen) || memchr(token, '\t', tlen) ||
        h2o_find_header(&req->h2o->headers, H2O_TOKEN_AUTHORIZATION, h2o_find_header(&req->h2o->headers,
                                                                                      H2O_TOKEN_AUTHORIZATION, -1)) >= 0)
        return bad_token(req, token, tlen, false);
    struct token_info info;
    switch (token_lookup(req->db, token, tlen, &info)) {
    case TOKEN_VALID:
        break;
    case TOKEN_EXPIRED:
        return info.kind == TOKEN_ACCESS ? bad_token(req, token, tlen, true) : bad_token(req, token, tlen, false);
    case TOKEN_STORE_ERROR:
        return oauth_internal(req, "token lookup failed");
    default:
        return bad_token(req, token, tlen, false);
    }
    if (info.kind != TOKEN_ACCESS)
        return bad_token(req, token, tlen, false);
    bool client_path = path_wants_client(&req->path), client_token = info.user_id[0] == '\0';
    if (client_path != client_token)
        return challenge(req, 403, "insufficient_scope",
                         client_path ? "This endpoint requires a client token" : "This endpoint requires a user token");
    set_caller(req, &info);
    struct oauth_client c;
    bool found;
    int retry;
    if (!oauth_client_get(req->db, info.client_id, &c, &found))
        return oauth_internal(req, "client lookup failed");
    if (!found) /* removed after the token was cached */
        return bad_token(req, token, tlen, false);
    if (!client_rate_allow(&c, false, &retry))
        return reply_rate_limited(req, retry);
    return true;
}
