/* clients.c — OAuth clients (store.h, spec README §2, identity.md §3.2): the rows the token
 * endpoint checks a client_id and secret against, with each client's token lifetimes, rate
 * limits and allowed external credential types (identity.md §1.1). Only the secret's hash
 * (util/crypto.h) is ever stored. A client belongs to a partner; adding or moving a client to
 * an unknown partner creates the partner (name = id, schema id = id upper-cased) in the same
 * transaction. Removing a client removes its tokens (ON DELETE CASCADE on token.client_id). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "store/driver.h"
#include "store/store.h"
#include "util/buf.h"

#define CLIENT_COLUMNS                                                                                            \
    "client_id, secret_hash, partner_id, grants, redirect_uris, access_ttl, refresh_ttl, capi_rate, token_rate,\n" \
    " created_at, updated_at, extid_types"

/* ON CONFLICT DO NOTHING without a target: both engines accept it, and it also covers
 * the case where another process created the partner a moment ago. */
DB_STMT(st_partner_ensure, "INSERT INTO partner (id, name, schema_id, created_at)\n"
                           " VALUES ($1, $1, $2, $3) ON CONFLICT DO NOTHING");
DB_STMT(st_client_insert, "INSERT INTO client (" CLIENT_COLUMNS ")\n"
                          " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11)");
DB_STMT(st_client_get, "SELECT " CLIENT_COLUMNS " FROM client WHERE client_id = $1");
DB_STMT(st_client_list, "SELECT " CLIENT_COLUMNS " FROM client ORDER BY client_id");
DB_STMT(st_client_delete, "DELETE FROM client WHERE client_id = $1");
/* NULL parameters keep the column (store.h: struct client_update). */
DB_STMT(st_client_update, "UPDATE client SET partner_id = COALESCE($2, partner_id), grants = COALESCE($3, grants),\n"
                          " redirect_uris = COALESCE($4, redirect_uris), access_ttl = COALESCE($5, access_ttl),\n"
                          " refresh_ttl = COALESCE($6, refresh_ttl), capi_rate = COALESCE($7, capi_rate),\n"
                          " token_rate = COALESCE($8, token_rate), extid_types = COALESCE($10, extid_types),\n"
                          " updated_at = $9 WHERE client_id = $1");
DB_STMT(st_client_secret, "UPDATE client SET secret_hash = $2, updated_at = $3 WHERE client_id = $1");

static char *upper_dup(const char *s)
{
    char *u = xstrdup(s);
    for (char *p = u; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    return u;
}

static enum db_status ensure_partner(struct db *db, const char *partner, int64_t now)
{
    char *schema = upper_dup(partner);
    struct db_param pp[] = {P_TEXT(partner), P_TEXT(schema), P_INT(now)};
    enum db_status s = db_exec(db, &st_partner_ensure, pp, 3, NULL);
    free(schema);
    return s;
}

enum db_status store_partner_ensure(struct db *db, const char *partner)
{
    return ensure_partner(db, partner, db_now_ms());
}

/* client_new's "use the default" values (0 for lifetimes, -1 for rates) made explicit. */
static int64_t or_default(int64_t v, int64_t marker, int64_t dflt)
{
    return v == marker ? dflt : v;
}

static enum db_status insert_rows(struct db *db, const struct client_new *c, int64_t now)
{
    enum db_status s = ensure_partner(db, c->partner, now);
    if (s != DB_OK)
        return s;
    struct db_param cp[] = {
        P_TEXT(c->client_id),
        P_TEXT(c->secret_hash),
        P_TEXT(c->partner),
        P_TEXT(c->grants),
        P_TEXT(c->redirect_uris ? c->redirect_uris : ""),
        P_INT(or_default(c->access_ttl, 0, CLIENT_ACCESS_TTL_DEFAULT)),
        P_INT(or_default(c->refresh_ttl, 0, CLIENT_REFRESH_TTL_DEFAULT)),
        P_INT(or_default(c->capi_rate, -1, CLIENT_CAPI_RATE_DEFAULT)),
        P_INT(or_default(c->token_rate, -1, CLIENT_TOKEN_RATE_DEFAULT)),
        P_INT(now),
        P_TEXT(c->extid_types ? c->extid_types : ""),
    };
    return db_exec(db, &st_client_insert, cp, 11, NULL);
}

enum db_status store_client_add(struct db *db, const struct client_new *c)
{
    if (c->client_id == NULL || c->secret_hash == NULL || c->partner == NULL || c->grants == NULL)
        return DB_ERROR;
    enum db_status s = db_begin(db);
    if (s != DB_OK)
        return s;
    s = insert_rows(db, c, db_now_ms());
    if (s != DB_OK) {
        db_rollback(db);
        return s;
    }
    return db_commit(db);
}

/* The numeric columns of the current row (the text ones differ: copied or borrowed). */
static void numbers_from_row(const struct db_rows *r, struct client_rec *out)
{
    out->access_ttl = db_int(r, 5);
    out->refresh_ttl = db_int(r, 6);
    out->capi_rate = db_int(r, 7);
    out->token_rate = db_int(r, 8);
    out->created_at = db_int(r, 9);
    out->updated_at = db_int(r, 10);
}

/* Copies the current row into out (caller frees with client_rec_free). */
static void rec_from_row(const struct db_rows *r, struct client_rec *out)
{
    out->client_id = xstrdup(db_text(r, 0));
    out->secret_hash = xstrdup(db_text(r, 1));
    out->partner = xstrdup(db_text(r, 2));
    out->grants = xstrdup(db_text(r, 3));
    out->redirect_uris = xstrdup(db_text(r, 4));
    out->extid_types = xstrdup(db_text(r, 11));
    numbers_from_row(r, out);
}

enum db_status store_client_get(struct db *db, const char *client_id, bool *found, struct client_rec *out)
{
    *found = false;
    struct db_param p = P_TEXT(client_id);
    struct db_rows *r = NULL;
    enum db_status s = db_query(db, &st_client_get, &p, 1, &r);
    if (s != DB_OK)
        return s;
    if (db_next(r)) {
        rec_from_row(r, out);
        *found = true;
    }
    s = db_rows_status(r);
    db_rows_free(r);
    return s;
}

/* The record handed to fn points into the current row: valid only during the call. */
enum db_status store_client_list(struct db *db, void (*fn)(const struct client_rec *c, void *arg), void *arg)
{
    struct db_rows *r = NULL;
    enum db_status s = db_query(db, &st_client_list, NULL, 0, &r);
    if (s != DB_OK)
        return s;
    while (db_next(r)) {
        struct client_rec c = {
            .client_id = (char *)db_text(r, 0),
            .secret_hash = (char *)db_text(r, 1),
            .partner = (char *)db_text(r, 2),
            .grants = (char *)db_text(r, 3),
            .redirect_uris = (char *)db_text(r, 4),
            .extid_types = (char *)db_text(r, 11),
        };
        numbers_from_row(r, &c);
        fn(&c, arg);
    }
    s = db_rows_status(r);
    db_rows_free(r);
    return s;
}

enum db_status store_client_remove(struct db *db, const char *client_id, bool *removed)
{
    struct db_param p = P_TEXT(client_id);
    int64_t changes = 0;
    enum db_status s = db_exec(db, &st_client_delete, &p, 1, &changes);
    *removed = s == DB_OK && changes > 0;
    return s;
}

/* A negative number means "leave as it is" (SQL NULL: COALESCE keeps the column). */
static struct db_param int_or_keep(int64_t v)
{
    return v < 0 ? P_NULL : P_INT(v);
}

/* The partner is ensured first (the foreign key needs it); when the client turns out not to
 * exist the whole transaction is rolled back, so no partner is created for nothing. */
enum db_status store_client_update(struct db *db, const char *client_id, const struct client_update *u, bool *found)
{
    *found = false;
    int64_t now = db_now_ms();
    enum db_status s = db_begin(db);
    if (s != DB_OK)
        return s;
    if (u->partner)
        s = ensure_partner(db, u->partner, now);
    int64_t changes = 0;
    if (s == DB_OK) {
        struct db_param p[] = {
            P_TEXT(client_id),           P_TEXT_OR_NULL(u->partner),    P_TEXT_OR_NULL(u->grants),
            P_TEXT_OR_NULL(u->redirect_uris), int_or_keep(u->access_ttl), int_or_keep(u->refresh_ttl),
            int_or_keep(u->capi_rate),   int_or_keep(u->token_rate),    P_INT(now),
            P_TEXT_OR_NULL(u->extid_types),
        };
        s = db_exec(db, &st_client_update, p, 10, &changes);
    }
    if (s != DB_OK || changes == 0) {
        db_rollback(db);
        return s;
    }
    s = db_commit(db);
    *found = s == DB_OK;
    return s;
}

enum db_status store_client_set_secret(struct db *db, const char *client_id, const char *secret_hash, bool *found)
{
    struct db_param p[] = {P_TEXT(client_id), P_TEXT(secret_hash), P_INT(db_now_ms())};
    int64_t changes = 0;
    enum db_status s = db_exec(db, &st_client_secret, p, 3, &changes);
    *found = s == DB_OK && changes > 0;
    return s;
}

void client_rec_free(struct client_rec *c)
{
    if (c == NULL)
        return;
    free(c->client_id);
    free(c->secret_hash);
    free(c->partner);
    free(c->grants);
    free(c->redirect_uris);
    free(c->extid_types);
    memset(c, 0, sizeof *c);
}
