/* webhooks.c — webhook subscriptions (store.h "webhook subscriptions", events.md §2, §3): a
 * partner's base URL and path, the event types it wants (webhook_event, with a path per type
 * when given), the authentication header and the signing secret.
 *
 * Why the signing secret is stored as it is (hex) and not as a hash, unlike client secrets:
 * the dispatcher needs the key itself to compute every X-Event-Signature, so it must be
 * recoverable. Encrypting it with a key kept in the same database would protect nothing, and a
 * key kept elsewhere would have to be copied to every node; the installation's other signing
 * key (the extidCode HS512 key, store_server_secret) is stored the same way. What protects it:
 * it is printed once by `webhook add`, never listed (only a fingerprint) and never logged; it
 * only lets its holder forge deliveries to that one partner. The auth header value is kept the
 * same way for the same reason (it is sent with every delivery). */
#include <stdio.h>
#include <string.h>

#include "store/driver.h"
#include "store/store.h"
#include "util/buf.h"

DB_STMT(st_partner_exists, "SELECT id FROM partner WHERE id = $1");
DB_STMT(st_webhook_insert, "INSERT INTO webhook (partner_id, base_url, path, auth_header, auth_value, signing_secret,\n"
                           " created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id");
DB_STMT(st_type_insert, "INSERT INTO webhook_event (webhook_id, detail_type, path) VALUES ($1, $2, $3)");
DB_STMT(st_webhook_list, "SELECT id, partner_id, base_url, path, auth_header, signing_secret, created_at\n"
                         " FROM webhook WHERE $1 = '' OR partner_id = $1 ORDER BY id");
DB_STMT(st_types_of, "SELECT detail_type, path FROM webhook_event WHERE webhook_id = $1 ORDER BY detail_type");
DB_STMT(st_webhook_delete, "DELETE FROM webhook WHERE id = $1");
/* Events whose last pending delivery went with a removed subscription are finished now. */
DB_STMT(st_finish_orphans, "UPDATE outbox SET delivered_at = $1 WHERE delivered_at IS NULL AND routed_at IS NOT NULL\n"
                           " AND NOT EXISTS (SELECT 1 FROM delivery d WHERE d.outbox_id = outbox.id\n"
                           " AND d.state = 'pending')");

static enum db_status finish(struct db *db, enum db_status s)
{
    if (s == DB_OK)
        return db_commit(db);
    db_rollback(db);
    return s;
}

static enum db_status insert_types(struct db *db, int64_t id, const struct webhook_new *w)
{
    enum db_status s = DB_OK;
    for (size_t i = 0; s == DB_OK && i < w->ntypes; i++) {
        struct db_param p[] = {P_INT(id), P_TEXT(w->types[i].detail_type), P_TEXT_OR_NULL(w->types[i].path)};
        s = db_exec(db, &st_type_insert, p, 3, NULL);
    }
    return s;
}

enum db_status store_webhook_add(struct db *db, const struct webhook_new *w, bool *partner_found, int64_t *id)
{
    *partner_found = false;
    *id = 0;
    enum db_status s = db_begin(db);
    if (s != DB_OK)
        return s;
    struct db_param pp = P_TEXT(w->partner);
    s = db_query_first_text(db, &st_partner_exists, &pp, 1, partner_found, NULL, 0, NULL, 0);
    if (s == DB_OK && *partner_found) {
        struct db_param p[] = {P_TEXT(w->partner),     P_TEXT(w->base_url),   P_TEXT(w->path ? w->path : ""),
                               P_TEXT(w->auth_header), P_TEXT(w->auth_value), P_TEXT(w->secret_hex),
                               P_INT(db_now_ms())};
        bool inserted = false;
        s = db_query_first_int(db, &st_webhook_insert, p, 7, &inserted, id);
        if (s == DB_OK && !inserted)
            s = db_fail(db, st_webhook_insert.sql, DB_ERROR, "insert returned no id");
        if (s == DB_OK)
            s = insert_types(db, *id, w);
    }
    if (s != DB_OK)
        *id = 0;
    return finish(db, s);
}

/* "TYPE[=path], ..." of a subscription into out. */
static enum db_status types_text(struct db *db, int64_t id, struct buf *out)
{
    struct db_param p = P_INT(id);
    struct db_rows *r = NULL;
    enum db_status s = db_query(db, &st_types_of, &p, 1, &r);
    if (s != DB_OK)
        return s;
    buf_reset(out);
    buf_puts(out, "");
    while (db_next(r)) {
        if (out->len)
            buf_puts(out, ",");
        buf_puts(out, db_text(r, 0));
        if (!db_is_null(r, 1))
            buf_printf(out, "=%s", db_text(r, 1));
    }
    s = db_rows_status(r);
    db_rows_free(r);
    return s;
}

enum db_status store_webhook_list(struct db *db, const char *partner, void (*fn)(const struct webhook_rec *w, void *arg),
                                  void *arg)
{
    struct db_param p = P_TEXT(partner ? partner : "");
    struct db_rows *r = NULL;
    enum db_status s = db_query(db, &st_webhook_list, &p, 1, &r);
    if (s != DB_OK)
        return s;
    struct buf types = BUF_INIT;
    while (s == DB_OK && db_next(r)) {
        struct webhook_rec w = {.id = db_int(r, 0), .partner = db_text(r, 1), .base_url = db_text(r, 2),
                                .path = db_text(r, 3), .auth_header = db_text(r, 4), .secret_hex = db_text(r, 5),
                                .created_at = db_int(r, 6)};
        s = types_text(db, w.id, &types);
        w.types = types.data;
        if (s == DB_OK)
            fn(&w, arg);
    }
    if (s == DB_OK)
        s = db_rows_status(r);
    db_rows_free(r);
    buf_free(&types);
    return s;
}

enum db_status store_webhook_remove(struct db *db, int64_t id, bool *removed)
{
    *removed = false;
    enum db_status s = db_begin(db);
    if (s != DB_OK)
        return s;
    struct db_param p = P_INT(id);
    int64_t changes = 0;
    s = db_exec(db, &st_webhook_delete, &p, 1, &changes);
    if (s == DB_OK && changes > 0) {
        struct db_param now = P_INT(db_now_ms());
        s = db_exec(db, &st_finish_orphans, &now, 1, NULL);
    }
    if (s == DB_OK)
        *removed = changes > 0;
    s = finish(db, s);
    if (s != DB_OK)
        *removed = false;
    return s;
}
