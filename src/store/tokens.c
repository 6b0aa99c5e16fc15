/* tokens.c — OAuth access and refresh tokens (store.h, spec identity.md §3.2). A token is kept
 * only as the SHA-256 hex of its text, with its client, user (none in client mode), expiry
 * and, for an access token issued by the refresh grant, the hash of that refresh token.
 * Revocation marks rows (revoked_at) rather than deleting them, so a lookup can tell "revoked"
 * from "unknown"; removing the client deletes them (ON DELETE CASCADE, migrations.c). */
#include <string.h>

#include "store/driver.h"
#include "store/store.h"

DB_STMT(st_token_insert, "INSERT INTO token (token_hash, kind, client_id, user_id, refresh_hash, expires_at,\n"
                         " created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)");
DB_STMT(st_token_get, "SELECT t.kind, t.client_id, c.partner_id, t.user_id, t.refresh_hash, t.expires_at,\n"
                      " t.created_at, t.revoked_at FROM token t JOIN client c ON c.client_id = t.client_id\n"
                      " WHERE t.token_hash = $1");
DB_STMT(st_token_revoke, "UPDATE token SET revoked_at = $2 WHERE token_hash = $1 AND revoked_at IS NULL");
DB_STMT(st_token_revoke_children, "UPDATE token SET revoked_at = $2\n"
                                  " WHERE refresh_hash = $1 AND kind = 'access' AND revoked_at IS NULL");

static const char *kind_name(enum token_kind k)
{
    return k == TOKEN_REFRESH ? "refresh" : "access";
}

enum db_status store_token_insert(struct db *db, const struct token_new *t)
{
    struct db_param p[] = {
        P_TEXT(t->hash),           P_TEXT(kind_name(t->kind)),       P_TEXT(t->client_id),
        P_TEXT_OR_NULL(t->user_id), P_TEXT_OR_NULL(t->refresh_hash), P_INT(t->expires_at),
        P_INT(db_now_ms()),
    };
    return db_exec(db, &st_token_insert, p, 7, NULL);
}

enum db_status store_token_get(struct db *db, const char *hash, bool *found, struct token_rec *out)
{
    *found = false;
    struct db_param p = P_TEXT(hash);
    struct db_rows *r = NULL;
    enum db_status s = db_query(db, &st_token_get, &p, 1, &r);
    if (s != DB_OK)
        return s;
    if (db_next(r)) {
        memset(out, 0, sizeof *out);
        const char *kind = db_text(r, 0);
        out->kind = kind && !strcmp(kind, "refresh") ? TOKEN_REFRESH : TOKEN_ACCESS;
        bool fits = db_text_copy(r, 1, out->client_id, sizeof out->client_id) &&
                    db_text_copy(r, 2, out->partner, sizeof out->partner) &&
                    db_text_copy(r, 3, out->user_id, sizeof out->user_id) &&
                    db_text_copy(r, 4, out->refresh_hash, sizeof out->refresh_hash);
        out->expires_at = db_int(r, 5);
        out->created_at = db_int(r, 6);
        out->revoked = !db_is_null(r, 7);
        if (fits)
            *found = true;
        else
            s = db_fail(db, st_token_get.sql, DB_ERROR, "token row has a field longer than token_rec holds");
    }
    if (s == DB_OK)
        s = db_rows_status(r);
    db_rows_free(r);
    return s;
}

static enum db_status revoke_children(struct db *db, const char *refresh_hash, int64_t now)
{
    struct db_param p[] = {P_TEXT(refresh_hash), P_INT(now)};
    return db_exec(db, &st_token_revoke_children, p, 2, NULL);
}

/* Both updates in one transaction: the caller's when one is open, else its own. The second
 * matches nothing for an access token (only access tokens carry a refresh_hash). */
enum db_status store_token_revoke(struct db *db, const char *hash, bool *revoked)
{
    *revoked = false;
    bool own = !db->in_tx;
    enum db_status s = own ? db_begin(db) : DB_OK;
    if (s != DB_OK)
        return s;
    int64_t now = db_now_ms(), changes = 0;
    struct db_param p[] = {P_TEXT(hash), P_INT(now)};
    s = db_exec(db, &st_token_revoke, p, 2, &changes);
    if (s == DB_OK)
        s = revoke_children(db, hash, now);
    if (own) {
        if (s == DB_OK)
            s = db_commit(db);
        else
            db_rollback(db);
    }
    *revoked = s == DB_OK && changes > 0;
    return s;
}

enum db_status store_token_revoke_from_refresh(struct db *db, const char *refresh_hash)
{
    return revoke_children(db, refresh_hash, db_now_ms());
}
