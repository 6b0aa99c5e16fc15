/* grants.c — the grant modules of the token endpoint (identity.md §3.2): each validates its
 * own parameters, issues through oauth/tokens.c and answers with reply_token. The endpoint
 * has already authenticated the client, applied its rate limit, and checked that the client
 * may use the grant and that the scope is "read". */
#include "oauth/oauth.h"

#include <string.h>

#include "oauth/extid_code.h"
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

/* extid_code: the user behind an extidCode from #127/#128 gets a user-mode token and a
 * refresh token. The code must be ours, unexpired, issued to this client, unused (the store
 * remembers its jti; of concurrent exchanges exactly one wins), and its user ACTIVE. */
static void grant_extid_code(struct request *req, const struct oauth_params *p, const struct oauth_client *c)
{
    const char *code = oauth_param(p, "code");
    struct extid_claims claims;
    if (code == NULL || !*code) {
        oauth_error(req, 400, "invalid_request", "Missing code");
        return;
    }
    switch (extid_code_verify(req->db, code, &claims)) {
    case EXTID_CODE_VALID:
        break;
    case EXTID_CODE_EXPIRED:
        oauth_error(req, 400, "invalid_grant", "Expired extidCode");
        return;
    case EXTID_CODE_ERROR:
        oauth_internal(req, "extidCode key unavailable");
        return;
    default:
        oauth_error(req, 400, "invalid_grant", "Invalid extidCode");
        return;
    }
    if (strcmp(claims.aud, c->client_id)) {
        oauth_error(req, 400, "invalid_grant", "The extidCode was issued to another client");
        return;
    }
    bool found;
    char state[8];
    if (store_user_state(req->db, claims.sub, &found, state) != DB_OK) {
        oauth_internal(req, "user lookup failed");
        return;
    }
    if (!found || strcmp(state, "ACTIVE")) {
        oauth_error(req, 400, "invalid_grant", "The user cannot log in");
        return;
    }
    enum db_status st = store_code_use(req->db, claims.jti, claims.exp * 1000);
    if (st == DB_CONSTRAINT) {
        oauth_error(req, 400, "invalid_grant", "The extidCode was already used");
        return;
    }
    struct issued_token t;
    if (st != DB_OK || !token_issue(req->db, c, claims.sub, true, &t)) {
        oauth_internal(req, "token issue failed");
        return;
    }
    reply_token(req, &t);
}

const struct grant GRANT_EXTID_CODE_MODULE = {GRANT_TYPE_EXTID, GRANT_EXTID_CODE, grant_extid_code};
