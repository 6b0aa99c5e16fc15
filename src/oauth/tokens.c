/* tokens.c — issuing, looking up and revoking tokens (identity.md §3.2 rules 1-4).
 * A token is a random UUID handed to the client; the store keeps only its SHA-256. Lookups go
 * through a process-wide cache whose entries are at most OAUTH_CACHE_MAX_AGE_MS old, so a
 * token revoked on another node stops working within that time, and on this node at once
 * (token_revoke drops the entry). client_credentials tokens are reused while they have more
 * than OAUTH_REUSE_MIN_S left: the reuse cache remembers the last one issued per client. */
#include "oauth/oauth.h"

#include <string.h>

#include "codec/date.h"
#include "oauth/cache.h"
#include "util/buf.h"
#include "util/log.h"

extern struct cache *oauth_token_cache; /* hash -> struct token_info */
extern struct cache *oauth_reuse_cache; /* client id -> struct issued_token (access only) */

static enum token_state state_of(const struct token_info *t, int64_t now)
{
    if (t->revoked)
        return TOKEN_REVOKED;
    if (t->expires_at <= now)
        return TOKEN_EXPIRED;
    return TOKEN_VALID;
}

enum token_state token_lookup(struct db *db, const char *token, size_t len, struct token_info *out)
{
    char hash[TOKEN_HASH_HEX];
    int64_t now = date_now_ms();
    if (len == 0 || len > TOKEN_TEXT_MAX)
        return TOKEN_UNKNOWN;
    sha256_hex(token, len, hash);
    if (cache_get(oauth_token_cache, hash, 64, out, now, OAUTH_CACHE_MAX_AGE_MS))
        return state_of(out, now);
    struct token_rec rec;
    bool found;
    if (store_token_get(db, hash, &found, &rec) != DB_OK)
        return TOKEN_STORE_ERROR;
    if (!found)
        return TOKEN_UNKNOWN; /* not cached: a token issued a moment ago on another node must work */
    memset(out, 0, sizeof *out);
    out->kind = rec.kind;
    str_copy(out->client_id, sizeof out->client_id, rec.client_id);
    str_copy(out->partner, sizeof out->partner, rec.partner);
    str_copy(out->user_id, sizeof out->user_id, rec.user_id);
    out->expires_at = rec.expires_at;
    out->created_at = rec.created_at;
    out->revoked = rec.revoked;
    cache_put(oauth_token_cache, hash, 64, out, now);
    return state_of(out, now);
}

/* A live token of this client still worth handing out again (rule 3). */
static bool reuse_client_token(struct db *db, const struct oauth_client *c, struct issued_token *out)
{
    struct issued_token r;
    struct token_info info;
    int64_t now = date_now_ms();
    if (!cache_get(oauth_reuse_cache, c->client_id, strlen(c->client_id), &r, now, INT64_MAX))
        return false;
    if (r.expires_at - now < OAUTH_REUSE_MIN_S * 1000)
        return false;
    /* Still valid in the store's eyes (it may have been revoked on another node)? */
    if (token_lookup(db, r.access, strlen(r.access), &info) != TOKEN_VALID || strcmp(info.client_id, c->client_id))
        return false;
    *out = r;
    return true;
}

static bool new_token_text(char out[TOKEN_TEXT_MAX + 1])
{
    return uuid_v4(out);
}

/* Stores one token and primes the lookup cache with it. */
static bool store_token(struct db *db, const char *token, enum token_kind kind, const struct oauth_client *c,
                        const char *user_id, const char *refresh_hash, int64_t expires_at)
{
    char hash[TOKEN_HASH_HEX];
    sha256_hex(token, strlen(token), hash);
    struct token_new t = {hash, kind, c->client_id, user_id, refresh_hash, expires_at};
    if (store_token_insert(db, &t) != DB_OK)
        return false;
    struct token_info info = {.kind = kind, .expires_at = expires_at, .created_at = date_now_ms()};
    str_copy(info.client_id, sizeof info.client_id, c->client_id);
    str_copy(info.partner, sizeof info.partner, c->partner);
    str_copy(info.user_id, sizeof info.user_id, user_id ? user_id : "");
    cache_put(oauth_token_cache, hash, 64, &info, info.created_at);
    return true;
}

bool token_issue(struct db *db, const struct oauth_client *c, const char *user_id, bool with_refresh,
                 struct issued_token *out)
{
    if (user_id == NULL && !with_refresh && reuse_client_token(db, c, out))
        return true;
    int64_t now = date_now_ms();
    memset(out, 0, sizeof *out);
    out->expires_at = now + c->access_ttl * 1000;
    if (!new_token_text(out->access))
        return false;
    char refresh_hash[TOKEN_HASH_HEX] = "";
    bool ok = db_begin(db) == DB_OK;
    if (ok && with_refresh) {
        ok = new_token_text(out->refresh) &&
             store_token(db, out->refresh, TOKEN_REFRESH, c, user_id, NULL, now + c->refresh_ttl * 1000);
        sha256_hex(out->refresh, strlen(out->refresh), refresh_hash);
    }
    ok = ok && store_token(db, out->access, TOKEN_ACCESS, c, user_id, with_refresh ? refresh_hash : NULL,
                           out->expires_at);
    if (!ok) {
        db_rollback(db);
        return false;
    }
    if (db_commit(db) != DB_OK)
        return false;
    if (user_id == NULL && !with_refresh)
        cache_put(oauth_reuse_cache, c->client_id, strlen(c->client_id), out, now);
    return true;
}

bool token_refresh(struct db *db, const struct oauth_client *c, const char *refresh_hash, const char *user_id,
                   struct issued_token *out)
{
    memset(out, 0, sizeof *out);
    out->expires_at = date_now_ms() + c->access_ttl * 1000;
    if (!new_token_text(out->access))
        return false;
    bool ok = db_begin(db) == DB_OK && store_token_revoke_from_refresh(db, refresh_hash) == DB_OK &&
              store_token(db, out->access, TOKEN_ACCESS, c, user_id, refresh_hash, out->expires_at);
    if (!ok) {
        db_rollback(db);
        return false;
    }
    return db_commit(db) == DB_OK;
}

bool token_revoke(struct db *db, const char *token, size_t len)
{
    char hash[TOKEN_HASH_HEX];
    bool revoked;
    sha256_hex(token, len, hash);
    if (store_token_revoke(db, hash, &revoked) != DB_OK)
        return false;
    cache_del(oauth_token_cache, hash, 64);
    return true;
}
