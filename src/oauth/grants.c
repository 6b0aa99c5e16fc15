/* grants.c — the grant modules of the token endpoint (identity.md §3.2): each validates its
 * own parameters, issues through oauth/tokens.c and answers with reply_token. The endpoint
 * has already authenticated the client, applied its rate limit, and checked that the client
 * may use the grant and that the scope is "read". */
#include "oauth/oauth.h"

#include <string.h>

#include <openssl/sha.h>

#include "oauth/extid_code.h"
#include "util/crypto.h"
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

/* Codes are checked at exchange time: only an ACTIVE user gets a token (identity.md §3.2
 * rule 6). Answers invalid_grant or 500 and returns false. */
static bool user_can_log_in_or_reply(struct request *req, const char *unique_id)
{
    bool found;
    char state[8];
    if (store_user_state(req->db, unique_id, &found, state) != DB_OK)
        return oauth_internal(req, "user lookup failed");
    if (!found || strcmp(state, "ACTIVE"))
        return oauth_error(req, 400, "invalid_grant", "The user cannot log in");
    return true;
}

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
    if (!user_can_log_in_or_reply(req, claims.sub))
        return;
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

/* PKCE (RFC 7636 §4.6): S256 compares base64url(sha256(verifier)) without padding. */
static bool pkce_matches(const char *verifier, const struct auth_code_rec *rec)
{
    size_t n = strlen(verifier);
    if (n < 43 || n > 128 || strspn(verifier, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~") != n)
        return false;
    if (!strcmp(rec->challenge_method, "plain"))
        return ct_equal(verifier, n, rec->code_challenge, strlen(rec->code_challenge));
    static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned char d[SHA256_DIGEST_LENGTH + 1] = {0};
    char enc[44];
    sha256(verifier, n, d);
    size_t o = 0;
    for (size_t i = 0; i < SHA256_DIGEST_LENGTH; i += 3) { /* 32 bytes: 43 characters */
        unsigned v = (unsigned)d[i] << 16 | (unsigned)d[i + 1] << 8 | (i + 2 < SHA256_DIGEST_LENGTH ? d[i + 2] : 0);
        enc[o++] = B64[v >> 18 & 63];
        enc[o++] = B64[v >> 12 & 63];
        enc[o++] = B64[v >> 6 & 63];
        if (i + 2 < SHA256_DIGEST_LENGTH)
            enc[o++] = B64[v & 63];
    }
    return !strcmp(rec->challenge_method, "S256") && ct_equal(enc, o, rec->code_challenge, strlen(rec->code_challenge));
}

/* A client configured to require PKCE (RFC 7636; the login settings, not the token cache). */
static bool client_requires_pkce(struct db *db, const char *client_id, bool *ok)
{
    bool found = false, require = false;
    struct client_login login;
    *ok = store_client_login_get(db, client_id, &found, &login) == DB_OK;
    if (*ok && found) {
        require = login.require_pkce;
        client_login_free(&login);
    }
    return require;
}

/* authorization_code: a code from /user/oauth/authorize (identity.md §3.1) for a user-mode
 * token and a refresh token. The code is spent first, in one statement, so of concurrent
 * exchanges exactly one wins (README §11.1 c); then everything it was bound to is checked: the
 * client, the redirect_uri (when one was given at authorize), PKCE, and that the user is still
 * ACTIVE. A failed check leaves the code spent. */
static void grant_authorization_code(struct request *req, const struct oauth_params *p, const struct oauth_client *c)
{
    const char *code = oauth_param(p, "code"), *uri = oauth_param(p, "redirect_uri");
    const char *verifier = oauth_param(p, "code_verifier");
    if (verifier && !*verifier)
        verifier = NULL;
    if (code == NULL || !*code) {
        oauth_error(req, 400, "invalid_request", "Missing code");
        return;
    }
    char prefix[8];
    text_prefix(code, 4, prefix, sizeof prefix);
    bool found = false;
    struct auth_code_rec rec;
    if (store_auth_code_consume(req->db, code, &found, &rec) != DB_OK) {
        oauth_internal(req, "authorization code lookup failed");
        return;
    }
    if (!found || strcmp(rec.client_id, c->client_id)) {
        oauth_error(req, 400, "invalid_grant", "Invalid authorization code: %s\u2026", prefix);
        return;
    }
    if (rec.redirect_uri[0] && (uri == NULL || !*uri)) {
        oauth_error(req, 400, "invalid_request", "Missing redirect_uri");
        return;
    }
    if (rec.redirect_uri[0] && strcmp(uri, rec.redirect_uri)) {
        oauth_error(req, 400, "invalid_grant", "Redirect URI mismatch");
        return;
    }
    bool pkce_ok = rec.code_challenge[0] ? verifier && pkce_matches(verifier, &rec) : verifier == NULL;
    if (!pkce_ok) {
        oauth_error(req, 400, "invalid_grant", "Invalid code verifier");
        return;
    }
    bool ok = true;
    if (!rec.code_challenge[0] && client_requires_pkce(req->db, c->client_id, &ok)) {
        oauth_error(req, 400, "invalid_grant", "The client requires PKCE");
        return;
    }
    if (!ok) {
        oauth_internal(req, "client login settings lookup failed");
        return;
    }
    if (!user_can_log_in_or_reply(req, rec.unique_id))
        return;
    struct issued_token t;
    if (!token_issue(req->db, c, rec.unique_id, true, &t)) {
        oauth_internal(req, "token issue failed");
        return;
    }
    reply_token(req, &t);
}

const struct grant GRANT_AUTHORIZATION_CODE_MODULE = {"authorization_code", GRANT_AUTHORIZATION_CODE,
                                                      grant_authorization_code};
