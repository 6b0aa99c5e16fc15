/* users.c — ConnectID users, their external credentials and customer links (store.h "users and
 * external identities", identity.md §1, §2), spent extidCode ids and the installation's server
 * secrets. A credential's key is (scope, credential): scope is the partner for X credentials and
 * '' for every other type. Creating a user or a link never relies on "try and catch" (a failed
 * statement aborts the transaction on both engines): inserts use ON CONFLICT DO NOTHING and the
 * loser of a race reads the winner's row instead, so concurrent first calls create one user. */
#include <stdio.h>
#include <string.h>

#include "store/driver.h"
#include "store/store.h"
#include "util/crypto.h"
#include "util/log.h"

DB_STMT(st_cred_find, "SELECT u.unique_id, u.state FROM credential c JOIN users u ON u.unique_id = c.user_id\n"
                      " WHERE c.scope = $1 AND c.credential = $2");
DB_STMT(st_user_insert, "INSERT INTO users (unique_id, state, created_at, updated_at, created_partner)\n"
                        " VALUES ($1, $2, $3, $3, $4)");
DB_STMT(st_user_delete, "DELETE FROM users WHERE unique_id = $1");
DB_STMT(st_cred_insert, "INSERT INTO credential (scope, credential, credential_type, external_id, user_id,\n"
                        " created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING user_id");
DB_STMT(st_user_activate, "UPDATE users SET state = 'ACTIVE', updated_at = $2\n"
                          " WHERE unique_id = $1 AND state = 'PENDING'");
DB_STMT(st_user_state, "SELECT state FROM users WHERE unique_id = $1");
DB_STMT(st_customer_schema, "SELECT p.schema_id FROM customer c JOIN partner p ON p.id = c.partner_id\n"
                            " WHERE c.customer_number = $1 AND c.partner_id = $2");
DB_STMT(st_link_of_user, "SELECT customer_number FROM user_customer WHERE user_id = $1 AND partner_id = $2");
DB_STMT(st_link_of_customer, "SELECT user_id FROM user_customer WHERE customer_number = $1");
DB_STMT(st_link_insert, "INSERT INTO user_customer (user_id, partner_id, customer_number, created_at)\n"
                        " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING user_id");
DB_STMT(st_code_forget, "DELETE FROM used_code WHERE expires_at < $1");
DB_STMT(st_code_insert, "INSERT INTO used_code (jti, expires_at) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING jti");
DB_STMT(st_secret_insert, "INSERT INTO setting (name, value) VALUES ($1, $2) ON CONFLICT DO NOTHING");
DB_STMT(st_secret_get, "SELECT value FROM setting WHERE name = $1");
DB_STMT(st_client_schema, "SELECT p.schema_id FROM client c JOIN partner p ON p.id = c.partner_id WHERE c.client_id = $1");

/* A user as found by its credential. */
struct user_ref {
    bool found;
    char id[UNIQUE_ID_LEN + 1];
    char state[8];
};

/* ---- reading ------------------------------------------------------------------------------- */

static const char *scope_of(const struct extid_request *rq)
{
    return rq->credential_type == 'X' ? rq->partner : "";
}

static enum db_status find_user(struct db *db, const struct extid_request *rq, struct user_ref *u)
{
    struct db_param p[] = {P_TEXT(scope_of(rq)), P_TEXT(rq->credential)};
    return db_query_first_text(db, &st_cred_find, p, 2, &u->found, u->id, sizeof u->id, u->state, sizeof u->state);
}

/* The user's customer of the partner, if any. */
static enum db_status link_of_user(struct db *db, const char *user_id, const char *partner, bool *linked,
                                   int64_t *customer)
{
    struct db_param p[] = {P_TEXT(user_id), P_TEXT(partner)};
    return db_query_first_int(db, &st_link_of_user, p, 2, linked, customer);
}

/* The customer's user, if any. */
static enum db_status link_of_customer(struct db *db, int64_t customer, bool *linked, char user_id[UNIQUE_ID_LEN + 1])
{
    struct db_param p = P_INT(customer);
    return db_query_first_text(db, &st_link_of_customer, &p, 1, linked, user_id, UNIQUE_ID_LEN + 1, NULL, 0);
}

/* ---- creating ------------------------------------------------------------------------------ */

/* events.md §6.2 and §4.2: clientId when a client caused it (omitted otherwise: it is optional
 * here, unlike USER_CUSTOMER_LINKED's nullable one), schema when known (the client's partner). */
enum db_status store_emit_user_created(struct db *db, const char *unique_id, const char *client_id,
                                      char credential_type, const char *origin)
{
    char schema[128] = "";
    bool known = false;
    enum db_status s = DB_OK;
    if (client_id) {
        struct db_param p = P_TEXT(client_id);
        s = db_query_first_text(db, &st_client_schema, &p, 1, &known, schema, sizeof schema, NULL, 0);
    }
    if (s != DB_OK)
        return s;
    json_t *d = json_pack("{s:s, s:s*, s:s#, s:s, s:s*}", "uniqueId", unique_id, "clientId", client_id,
                          "credentialType", &credential_type, (int)1, "origin", origin, "schema",
                          known ? schema : NULL);
    s = d ? store_outbox_append(db, "USER_CREATED", EVENT_SOURCE_CONNECTID, d) : DB_ERROR;
    json_decref(d);
    return s;
}

/* In a transaction: creates the user of rq's credential in state, or, when another transaction
 * attached the credential first (PostgreSQL: the insert waited for it to commit), drops the row
 * just made and returns the winner's user with *created false. */
static enum db_status create_user(struct db *db, const struct extid_request *rq, const char *state,
                                  struct user_ref *u, bool *created)
{
    *created = false;
    char id[UNIQUE_ID_LEN + 1];
    if (!random_hex(id, UNIQUE_ID_LEN / 2)) {
        log_error("store: no randomness for a uniqueId");
        return DB_ERROR;
    }
    int64_t now = db_now_ms();
    struct db_param up[] = {P_TEXT(id), P_TEXT(state), P_INT(now), P_TEXT(rq->partner)};
    enum db_status s = db_exec(db, &st_user_insert, up, 4, NULL);
    if (s != DB_OK)
        return s;
    char type[2] = {rq->credential_type, '\0'};
    struct db_param cp[] = {P_TEXT(scope_of(rq)), P_TEXT(rq->credential),  P_TEXT(type),
                            P_TEXT_OR_NULL(rq->external_id), P_TEXT(id), P_INT(now)};
    bool inserted = false;
    s = db_query_first_int(db, &st_cred_insert, cp, 6, &inserted, NULL);
    if (s != DB_OK)
        return s;
    if (inserted) {
        *created = true;
        *u = (struct user_ref){.found = true};
        memcpy(u->id, id, sizeof u->id);
        snprintf(u->state, sizeof u->state, "%s", state);
        return store_emit_user_created(db, id, rq->client_id, rq->credential_type, "EXTID");
    }
    struct db_param dp = P_TEXT(id);
    s = db_exec(db, &st_user_delete, &dp, 1, NULL);
    if (s == DB_OK)
        s = find_user(db, rq, u);
    if (s == DB_OK && !u->found)
        s = db_fail(db, st_cred_insert.sql, DB_ERROR, "credential neither inserted nor found");
    return s;
}

static void result_fill(struct extid_result *out, const struct user_ref *u, bool created)
{
    memcpy(out->unique_id, u->id, sizeof out->unique_id);
    snprintf(out->state, sizeof out->state, "%s", u->state);
    out->new_user = created;
}

/* ---- #127 ---------------------------------------------------------------------------------- */

enum db_status store_extid_register(struct db *db, const struct extid_request *rq, struct extid_result *out)
{
    memset(out, 0, sizeof *out);
    enum db_status s = db_begin(db);
    if (s != DB_OK)
        return s;
    struct user_ref u = {0};
    bool created = false;
    s = find_user(db, rq, &u);
    if (s == DB_OK && !u.found)
        s = create_user(db, rq, "ACTIVE", &u, &created);
    if (s == DB_OK && !created)
        s = link_of_user(db, u.id, rq->partner, &out->had_link, &out->customer_number);
    if (s == DB_OK && !strcmp(u.state, "PENDING")) {
        struct db_param p[] = {P_TEXT(u.id), P_INT(db_now_ms())};
        s = db_exec(db, &st_user_activate, p, 2, NULL);
        snprintf(u.state, sizeof u.state, "ACTIVE");
    }
    if (s == DB_OK)
        result_fill(out, &u, created);
    return db_finish(db, s);
}

/* ---- #128 ---------------------------------------------------------------------------------- */

/* The conflicts of rule 0 for an existing user; records its link of the partner in out. */
static enum db_status check_links(struct db *db, const struct extid_request *rq, const struct user_ref *u,
                                  struct extid_result *out, enum extid_outcome *outcome)
{
    enum db_status s = link_of_user(db, u->id, rq->partner, &out->had_link, &out->customer_number);
    if (s != DB_OK)
        return s;
    if (out->had_link && out->customer_number != rq->customer_number) {
        *outcome = EXTID_USER_LINKED_ELSEWHERE;
        return DB_OK;
    }
    bool linked = false;
    char other[UNIQUE_ID_LEN + 1];
    s = link_of_customer(db, rq->customer_number, &linked, other);
    if (s == DB_OK && linked && strcmp(other, u->id))
        *outcome = EXTID_CUSTOMER_LINKED_ELSEWHERE;
    return s;
}

static enum db_status emit_linked(struct db *db, const struct extid_request *rq, const char *id, const char *schema)
{
    json_t *d = json_pack("{s:s, s:s?, s:s, s:I}", "uniqueId", id, "clientId", rq->client_id, "schema", schema,
                          "customer", (json_int_t)rq->customer_number);
    enum db_status s = d ? store_outbox_append(db, "USER_CUSTOMER_LINKED", EVENT_SOURCE_CONNECTID, d) : DB_ERROR;
    json_decref(d);
    return s;
}

/* Inserts the link; when a concurrent transaction linked the user or the customer first, the
 * link that exists now decides: ours means a repeated call, anything else a conflict. */
static enum db_status link_insert(struct db *db, const struct extid_request *rq, const struct user_ref *u,
                           const char *schema, struct extid_result *out, enum extid_outcome *outcome)
{
    struct db_param p[] = {P_TEXT(u->id), P_TEXT(rq->partner), P_INT(rq->customer_number), P_INT(db_now_ms())};
    bool inserted = false;
    enum db_status s = db_query_first_int(db, &st_link_insert, p, 4, &inserted, NULL);
    if (s != DB_OK)
        return s;
    if (inserted)
        return emit_linked(db, rq, u->id, schema);
    bool linked = false;
    int64_t customer = 0;
    s = link_of_user(db, u->id, rq->partner, &linked, &customer);
    if (s != DB_OK)
        return s;
    if (linked && customer == rq->customer_number) {
        out->had_link = true;
        out->customer_number = customer;
    } else
        *outcome = linked ? EXTID_USER_LINKED_ELSEWHERE : EXTID_CUSTOMER_LINKED_ELSEWHERE;
    return DB_OK;
}

enum db_status store_extid_bind_customer(struct db *db, const struct extid_request *rq, struct extid_result *out,
                                         enum extid_outcome *outcome)
{
    memset(out, 0, sizeof *out);
    *outcome = EXTID_OK;
    enum db_status s = db_begin(db);
    if (s != DB_OK)
        return s;
    char schema[128];
    bool exists = false;
    struct db_param cp[] = {P_INT(rq->customer_number), P_TEXT(rq->partner)};
    s = db_query_first_text(db, &st_customer_schema, cp, 2, &exists, schema, sizeof schema, NULL, 0);
    if (s == DB_OK && !exists)
        *outcome = EXTID_CUSTOMER_NOT_FOUND;

    struct user_ref u = {0};
    bool created = false;
    if (s == DB_OK && *outcome == EXTID_OK)
        s = find_user(db, rq, &u);
    /* A missing user is created before the conflicts are checked: a conflict rolls it back
     * unseen, and on PostgreSQL (READ COMMITTED) checking first could see a user's link
     * committed after the credential lookup missed that very user. */
    if (s == DB_OK && *outcome == EXTID_OK && !u.found)
        s = create_user(db, rq, "PENDING", &u, &created);
    if (s == DB_OK && *outcome == EXTID_OK)
        s = check_links(db, rq, &u, out, outcome);
    if (s == DB_OK && *outcome == EXTID_OK && !out->had_link)
        s = link_insert(db, rq, &u, schema, out, outcome);

    if (s != DB_OK || *outcome != EXTID_OK) {
        db_rollback(db); /* rule 0: a failed call changes nothing, not even a user made above */
        memset(out, 0, sizeof *out);
        return s;
    }
    result_fill(out, &u, created);
    return db_finish(db, DB_OK);
}

/* ---- users, codes, secrets ------------------------------------------------------------------- */

enum db_status store_user_state(struct db *db, const char *unique_id, bool *found, char state[8])
{
    struct db_param p = P_TEXT(unique_id);
    return db_query_first_text(db, &st_user_state, &p, 1, found, state, 8, NULL, 0);
}

/* In the caller's transaction when one is open (a used code then stays unused if it rolls
 * back), else in its own. The conflict is an ON CONFLICT, so the caller's transaction survives. */
enum db_status store_code_use(struct db *db, const char *jti, int64_t expires_at)
{
    bool own = !db->in_tx;
    enum db_status s = own ? db_begin(db) : DB_OK;
    if (s != DB_OK)
        return s;
    struct db_param fp = P_INT(db_now_ms());
    s = db_exec(db, &st_code_forget, &fp, 1, NULL);
    bool inserted = false;
    if (s == DB_OK) {
        struct db_param p[] = {P_TEXT(jti), P_INT(expires_at)};
        s = db_query_first_int(db, &st_code_insert, p, 2, &inserted, NULL);
    }
    if (own)
        s = db_finish(db, s);
    return s == DB_OK && !inserted ? DB_CONSTRAINT : s;
}

/* Every process offers its own fresh value; the first insert wins and all read that one. */
enum db_status store_server_secret(struct db *db, const char *name, char out[129])
{
    char fresh[129];
    if (!random_hex(fresh, 64)) {
        log_error("store: no randomness for server secret %s", name);
        return DB_ERROR;
    }
    struct db_param p[] = {P_TEXT(name), P_TEXT(fresh)};
    enum db_status s = db_exec(db, &st_secret_insert, p, 2, NULL);
    bool found = false;
    if (s == DB_OK)
        s = db_query_first_text(db, &st_secret_get, p, 1, &found, out, 129, NULL, 0);
    if (s == DB_OK && (!found || strlen(out) != 128))
        s = db_fail(db, st_secret_get.sql, DB_ERROR, "server secret missing or malformed");
    memset(fresh, 0, sizeof fresh);
    return s;
}
