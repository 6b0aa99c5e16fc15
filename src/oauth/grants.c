/* grants.c — the grant modules of the token endpoint (identity.md §3.2): each validates its
 * own parameters, issues through oauth/tokens.c and answers with reply_token. The endpoint
 * has already authenticated the client, applied its rate limit, and checked that the client
 * may use the grant and that the scope is "read". */
#include "oauth/oauth.h"

#include <string.h>

#include "util/utf8.h"

/* client_credentials: a client-mode token, reused while it has a minute left (rule 3). */
static void grant_client_credentials(struct request *req, const struct oauth_params *p, const struct oauth_client *c)
{
    (void)p;
    struct issued_token t;
    if (!token_issue(req->db, c, NULL, false, &t)) {
        oauth_internal(req, "token issue failed");
        return;
    }
    reply_token(req, &t);
}

const struct grant GRANT_CLIENT_CREDENTIALS_MODULE = {"client_credentials", GRANT_CLIENT_CREDENTIALS,
                                                      grant_client_credentials};

/* refresh_token: a new access token for the same user, the same refresh token back, its
 * expiry not extended (rules 3, 4, 6). */
static void grant_refresh_token(struct request *req, const struct oauth_params *p, const struct oauth_client *c)
{
    const char *refresh = oauth_param(p, "refresh_token");
    if (refresh == NULL || !*refresh) {
        oauth_error(req, 400, "invalid_request", "Missing refresh token");
        return;
    }
    struct token_info info;
    enum token_state st = token_lookup(req->db, refresh, strlen(refresh), &info);
    if (st == TOKEN_STORE_ERROR) {
        oauth_internal(req, "token lookup failed");
        return;
    }
    if (st != TOKEN_VALID || info.kind != TOKEN_REFRESH || strcmp(info.client_id, c->client_id)) {
        char prefix[8];
        text_prefix(refresh, 6, prefix, sizeof prefix);
        oauth_error(req, 400, "invalid_grant", "Invalid refresh token: %s\u2026", prefix);
        return;
    }
    char hash[TOKEN_HASH_HEX];
    sha256_hex(refresh, strlen(refresh), hash);
    struct issued_token t;
    if (!token_refresh(req->db, c, hash, info.user_id, &t)) {
        oauth_internal(req, "token refresh failed");
        return;
    }
    memcpy(t.refresh, refresh, strlen(refresh) + 1);
    reply_token(req, &t);
}

const struct grant GRANT_REFRESH_TOKEN_MODULE = {"refresh_token", GRANT_REFRESH_TOKEN, grant_refresh_token};
