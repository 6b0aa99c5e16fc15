/* userdata.c — User Data storage (store/userdata.h): metadata rows keyed by (client, user)
 * holding the object as compact JSON text, the credential check's owner lookup, and the reads
 * behind the profiles. Metadata events are ConnectID events (events.md §6.2) routed by the
 * client; they carry the client's partner schema too. */
#include <string.h>

#include "store/customer.h"
#include "store/customer_internal.h"
#include "store/driver.h"
#include "store/record.h"
#include "store/store.h"
#include "store/userdata.h"
#include "util/pool.h"

DB_STMT(st_user_exists, "SELECT 1 FROM users WHERE unique_id = $1");
DB_STMT(st_meta_get, "SELECT body FROM metadata WHERE client_id = $1 AND user_id = $2");
DB_STMT(st_meta_put, "INSERT INTO metadata (client_id, user_id, body, updated_at) VALUES ($1, $2, $3, $4)\n"
                     " ON CONFLICT (client_id, user_id) DO UPDATE SET body = excluded.body,\n"
                     " updated_at = excluded.updated_at");
DB_STMT(st_meta_delete, "DELETE FROM metadata WHERE client_id = $1 AND user_id = $2 RETURNING body");
DB_STMT(st_schema, "SELECT schema_id FROM partner WHERE id = $1");
DB_STMT(st_owner, "SELECT u.unique_id, u.state,\n"
                  " CASE WHEN u.created_partner = $1 OR EXISTS (SELECT 1 FROM user_customer uc\n"
                  "   WHERE uc.user_id = u.unique_id AND uc.partner_id = $1) THEN 1 ELSE 0 END\n"
                  " FROM credential c JOIN users u ON u.unique_id = c.user_id\n"
                  " WHERE c.scope = '' AND c.credential = $2");
DB_STMT(st_user_number, "SELECT user_number FROM users WHERE unique_id = $1");
DB_STMT(st_number_next, "UPDATE counter SET value = value + 1 WHERE name = 'user_number' RETURNING value");
DB_STMT(st_number_set, "UPDATE users SET user_number = $2 WHERE unique_id = $1 AND user_number IS NULL");
DB_STMT(st_credentials, "SELECT credential, credential_type FROM credential WHERE user_id = $1\n"
                        " AND (scope = '' OR scope = $2) ORDER BY created_at, credential");
DB_STMT(st_external, "SELECT source, info FROM user_external_profile WHERE user_id = $1 ORDER BY created_at, source");

static enum db_status user_exists(struct db *db, const char *user_id, bool *found)
{
    struct db_param p = P_TEXT(user_id);
    return db_query_first_int(db, &st_user_exists, &p, 1, found, NULL);
}

/* ---- metadata ------------------------------------------------------------------------------- */

static enum db_status read_text(struct db *db, struct db_stmt *st, const struct db_param *p, int n,
                                h2o_mem_pool_t *pool, const char **text)
{
    *text = NULL;
    struct db_rows *r = NULL;
    enum db_status s = db_query(db, st, p, n, &r);
    if (s != DB_OK)
        return s;
    if (db_next(r))
        *text = db_pool_text(r, 0, pool);
    s = db_rows_status(r);
    db_rows_free(r);
    return s;
}

enum db_status store_metadata_get(struct db *db, const char *client_id, const char *user_id, h2o_mem_pool_t *pool,
                                  bool *user_found, const char **text)
{
    *text = NULL;
    enum db_status s = user_exists(db, user_id, user_found);
    if (s != DB_OK || !*user_found)
        return s;
    struct db_param p[] = {P_TEXT(client_id), P_TEXT(user_id)};
    return read_text(db, &st_meta_get, p, 2, pool, text);
}

static enum db_status metadata_event(struct db *db, const char *type, const char *client_id, const char *partner,
                                     const char *user_id)
{
    char schema[SCHEMA_MAX] = "";
    bool found = false;
    struct db_param p = P_TEXT(partner);
    enum db_status s = db_query_first_text(db, &st_schema, &p, 1, &found, schema, sizeof schema, NULL, 0);
    json_t *d = json_pack("{s:s, s:s}", "uniqueId", user_id, "clientId", client_id);
    if (found)
        json_object_set_new(d, "schema", json_string(schema));
    if (s == DB_OK)
        s = store_outbox_append(db, type, EVENT_SOURCE_CONNECTID, d);
    json_decref(d);
    return s;
}

enum db_status store_metadata_put(struct db *db, const char *client_id, const char *partner, const char *user_id,
                                  const char *text, bool *user_found)
{
    h2o_mem_pool_t pool;
    h2o_mem_init_pool(&pool);
    const char *old = NULL;
    enum db_status s = db_begin(db);
    if (s == DB_OK)
        s = store_metadata_get(db, client_id, user_id, &pool, user_found, &old);
    bool changed = s == DB_OK && *user_found && (old == NULL || strcmp(old, text));
    if (changed) {
        struct db_param p[] = {P_TEXT(client_id), P_TEXT(user_id), P_TEXT(text), P_INT(db_now_ms())};
        s = db_exec(db, &st_meta_put, p, 4, NULL);
        if (s == DB_OK)
            s = metadata_event(db, "METADATA_CHANGED", client_id, partner, user_id);
    }
    h2o_mem_clear_pool(&pool);
    return db_in_tx(db) ? db_finish(db, s) : s;
}

enum db_status store_metadata_delete(struct db *db, const char *client_id, const char *partner,
                                     const char *user_id, h2o_mem_pool_t *pool, bool *user_found, const char **old)
{
    *old = NULL;
    enum db_status s = db_begin(db);
    if (s == DB_OK)
        s = user_exists(db, user_id, user_found);
    if (s == DB_OK && *user_found) {
        struct db_param p[] = {P_TEXT(client_id), P_TEXT(user_id)};
        s = read_text(db, &st_meta_delete, p, 2, pool, old);
    }
    if (s == DB_OK && *old)
        s = metadata_event(db, "METADATA_REMOVED", client_id, partner, user_id);
    return db_in_tx(db) ? db_finish(db, s) : s;
}

/* ---- credentials ------------------------------------------------------------------------------ */

enum db_status store_credential_owner(struct db *db, const char *partner, const char *credential,
                                      struct credential_owner *out)
{
    memset(out, 0, sizeof *out);
    struct db_param p[] = {P_TEXT(partner), P_TEXT(credential)};
    struct db_rows *r = NULL;
    enum db_status s = db_query(db, &st_owner, p, 2, &r);
    if (s != DB_OK)
        return s;
    if (db_next(r)) {
        out->exists = true;
        out->active = db_text(r, 1) && !strcmp(db_text(r, 1), "ACTIVE");
        out->visible = !db_is_null(r, 2) && db_int(r, 2) != 0;
        if (!db_text_copy(r, 0, out->unique_id, sizeof out->unique_id))
            s = db_fail(db, st_owner.sql, DB_ERROR, "unique id longer than expected");
    }
    if (s == DB_OK)
        s = db_rows_status(r);
    db_rows_free(r);
    return s;
}

/* ---- profiles ---------------------------------------------------------------------------------- */

/* The user's number, assigned now (from the counter) when it has none. */
static enum db_status user_number(struct db *db, const char *user_id, bool assign, int64_t *number)
{
    struct db_param p = P_TEXT(user_id);
    bool found = false;
    enum db_status s = db_query_first_int(db, &st_user_number, &p, 1, &found, number);
    if (s != DB_OK || !assign || *number > 0)
        return s;
    int64_t fresh = 0;
    s = db_begin(db);
    if (s == DB_OK)
        s = db_query_first_int(db, &st_number_next, NULL, 0, &found, &fresh);
    struct db_param sp[] = {P_TEXT(user_id), P_INT(fresh)};
    if (s == DB_OK)
        s = db_exec(db, &st_number_set, sp, 2, NULL);
    s = db_in_tx(db) ? db_finish(db, s) : s;
    /* A concurrent first read may have won: read the number that stuck. */
    return s == DB_OK ? db_query_first_int(db, &st_user_number, &p, 1, &found, number) : s;
}

static enum db_status read_credentials(struct db *db, const char *user_id, const char *partner,
                                       h2o_mem_pool_t *pool, struct user_profile *out)
{
    struct db_param p[] = {P_TEXT(user_id), P_TEXT(partner)};
    struct db_rows *r = NULL;
    enum db_status s = db_query(db, &st_credentials, p, 2, &r);
    size_t cap = 0;
    while (s == DB_OK && db_next(r)) {
        out->credentials = pool_grow(pool, out->credentials, out->ncredentials, &cap, sizeof *out->credentials);
        const char *type = db_text(r, 1);
        out->credentials[out->ncredentials++] = (struct credential_item){db_pool_text(r, 0, pool),
                                                                         type && *type ? *type : 'X'};
    }
    if (s == DB_OK)
        s = db_rows_status(r);
    db_rows_free(r);
    return s;
}

static enum db_status read_external(struct db *db, const char *user_id, h2o_mem_pool_t *pool,
                                    struct user_profile *out)
{
    struct db_param p = P_TEXT(user_id);
    struct db_rows *r = NULL;
    enum db_status s = db_query(db, &st_external, &p, 1, &r);
    size_t cap = 0;
    while (s == DB_OK && db_next(r)) {
        out->external = pool_grow(pool, out->external, out->nexternal, &cap, sizeof *out->external);
        out->external[out->nexternal++] = (struct external_profile){db_pool_text(r, 0, pool),
                                                                    db_pool_text(r, 1, pool)};
    }
    if (s == DB_OK)
        s = db_rows_status(r);
    db_rows_free(r);
    return s;
}

enum db_status store_user_profile(struct db *db, const char *user_id, const char *partner, bool with_number,
                                  h2o_mem_pool_t *pool, bool *found, struct user_profile *out)
{
    memset(out, 0, sizeof *out);
    enum db_status s = user_exists(db, user_id, found);
    if (s != DB_OK || !*found)
        return s;
    s = user_number(db, user_id, with_number, &out->user_number);
    if (s == DB_OK)
        s = read_credentials(db, user_id, partner, pool, out);
    if (s == DB_OK)
        s = read_external(db, user_id, pool, out);
    int64_t number = 0;
    bool linked = false;
    if (s == DB_OK)
        s = store_customer_of_user(db, user_id, partner, &linked, &number);
    if (s == DB_OK && linked)
        s = store_customer_get(db, partner, number, pool, &out->has_customer, &out->customer);
    return s;
}
