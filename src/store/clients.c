/* clients.c — OAuth clients (store.h, spec README §2): the rows the token endpoint checks a
 * client_id and secret against. Only the secret's hash (util/crypto.h) is ever stored. A
 * client belongs to a partner; adding a client for an unknown partner creates the partner
 * (name = id, schema id = id upper-cased) in the same transaction. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "store/driver.h"
#include "store/store.h"
#include "util/buf.h"

/* ON CONFLICT DO NOTHING without a target: both engines accept it, and it also covers
 * the case where another process created the partner a moment ago. */
DB_STMT(st_partner_ensure, "INSERT INTO partner (id, name, schema_id, created_at)\n"
                           " VALUES ($1, $1, $2, $3) ON CONFLICT DO NOTHING");
DB_STMT(st_client_insert, "INSERT INTO client (client_id, secret_hash, partner_id, grants, redirect_uris,\n"
                          " created_at) VALUES ($1, $2, $3, $4, $5, $6)");
DB_STMT(st_client_get, "SELECT client_id, secret_hash, partner_id, grants, redirect_uris, created_at\n"
                       " FROM client WHERE client_id = $1");
DB_STMT(st_client_list, "SELECT client_id, secret_hash, partner_id, grants, redirect_uris, created_at\n"
                        " FROM client ORDER BY client_id");
DB_STMT(st_client_delete, "DELETE FROM client WHERE client_id = $1");

static char *upper_dup(const char *s)
{
    char *u = xstrdup(s);
    for (char *p = u; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    return u;
}

static enum db_status insert_rows(struct db *db, const struct client_new *c, int64_t now)
{
    char *schema = upper_dup(c->partner);
    struct db_param pp[] = {P_TEXT(c->partner), P_TEXT(schema), P_INT(now)};
    enum db_status s = db_exec(db, &st_partner_ensure, pp, 3, NULL);
    free(schema);
    if (s != DB_OK)
        return s;
    struct db_param cp[] = {P_TEXT(c->client_id), P_TEXT(c->secret_hash), P_TEXT(c->partner),
                            P_TEXT(c->grants),    P_TEXT(c->redirect_uris ? c->redirect_uris : ""), P_INT(now)};
    return db_exec(db, &st_client_insert, cp, 6, NULL);
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

/* Copies the current row into out (caller frees with client_rec_free). */
static void rec_from_row(const struct db_rows *r, struct client_rec *out)
{
    out->client_id = xstrdup(db_text(r, 0));
    out->secret_hash = xstrdup(db_text(r, 1));
    out->partner = xstrdup(db_text(r, 2));
    out->grants = xstrdup(db_text(r, 3));
    out->redirect_uris = xstrdup(db_text(r, 4));
    out->created_at = db_int(r, 5);
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
            .created_at = db_int(r, 5),
        };
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

void client_rec_free(struct client_rec *c)
{
    if (c == NULL)
        return;
    free(c->client_id);
    free(c->secret_hash);
    free(c->partner);
    free(c->grants);
    free(c->redirect_uris);
    memset(c, 0, sizeof *c);
}
