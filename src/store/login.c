/* login.c — the login service's storage (store.h "login service", identity.md §3.1, §4.1, §4.2):
 * GUI users and passwords, sessions, remember-me tokens, one-time codes with their limits (and
 * the message that carries each, delivered by store/messages.c), password failures,
 * authorization codes, approvals and clients' login settings.
 * Secrets arrive in plaintext and only their SHA-256 hex is written or looked up. Expired rows
 * are swept by the calls that add rows of the same kind, so no table grows without bound.
 * Races are settled by the statements themselves (ON CONFLICT, guarded UPDATE ... RETURNING),
 * except the one-time code limits, which count rows: those take per-key locks (below). */
#include <stdlib.h>
#include <string.h>

#include "store/driver.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/crypto.h"
#include "util/log.h"

/* ---- statements ------------------------------------------------------------------------------ */

/* created_partner: the partner of the client the user signed up through (customer.md #118). */
DB_STMT(st_user_insert, "INSERT INTO users (unique_id, state, created_at, updated_at, created_partner)\n"
                        " VALUES ($1, 'ACTIVE', $2, $2, (SELECT partner_id FROM client WHERE client_id = $3))");
DB_STMT(st_cred_insert, "INSERT INTO credential (scope, credential, credential_type, external_id, user_id,\n"
                        " created_at) VALUES ('', $1, $2, NULL, $3, $4) ON CONFLICT DO NOTHING RETURNING user_id");
DB_STMT(st_user_find, "SELECT u.unique_id, u.state, c.credential_type, p.hash FROM credential c\n"
                      " JOIN users u ON u.unique_id = c.user_id LEFT JOIN user_password p ON p.user_id = u.unique_id\n"
                      " WHERE c.scope = '' AND c.credential = $1 AND c.credential_type IN ('A', 'B')");
DB_STMT(st_user_exists, "SELECT unique_id FROM users WHERE unique_id = $1");
DB_STMT(st_password_upsert, "INSERT INTO user_password (user_id, hash, updated_at) VALUES ($1, $2, $3)\n"
                            " ON CONFLICT (user_id) DO UPDATE SET hash = excluded.hash,\n"
                            " updated_at = excluded.updated_at");

DB_STMT(st_session_sweep, "DELETE FROM login_session WHERE expires_at <= $1");
DB_STMT(st_session_insert, "INSERT INTO login_session (session_hash, user_id, created_at, last_seen_at, expires_at)\n"
                           " VALUES ($1, $2, $3, $3, $4)");
DB_STMT(st_session_touch, "UPDATE login_session SET last_seen_at = $2, expires_at = $3\n"
                          " WHERE session_hash = $1 AND expires_at > $2 RETURNING user_id");
DB_STMT(st_session_delete, "DELETE FROM login_session WHERE session_hash = $1");
DB_STMT(st_session_delete_user, "DELETE FROM login_session WHERE user_id = $1");

DB_STMT(st_remember_sweep, "DELETE FROM remember_me WHERE expires_at <= $1");
DB_STMT(st_remember_insert, "INSERT INTO remember_me (token_hash, user_id, client_id, created_at, expires_at)\n"
                            " VALUES ($1, $2, $3, $4, $5)");
DB_STMT(st_remember_check, "SELECT user_id FROM remember_me WHERE token_hash = $1 AND client_id = $2\n"
                           " AND expires_at > $3");
DB_STMT(st_remember_delete, "DELETE FROM remember_me WHERE token_hash = $1");
DB_STMT(st_remember_delete_user, "DELETE FROM remember_me WHERE user_id = $1");

/* PostgreSQL only: transaction-scoped locks on a credential and on an address (two key spaces,
 * always taken in this order, so two issuers never wait on each other in a cycle). SQLite needs
 * none: BEGIN IMMEDIATE already runs writers one at a time. */
DB_STMT(st_otc_lock_credential, "SELECT pg_advisory_xact_lock(7301, hashtext($1))");
DB_STMT(st_otc_lock_address, "SELECT pg_advisory_xact_lock(7302, hashtext($1))");
DB_STMT(st_otc_sweep, "DELETE FROM one_time_code WHERE created_at <= $1");
DB_STMT(st_otc_credential_stats, "SELECT count(*), COALESCE(MAX(created_at), 0) FROM one_time_code\n"
                                 " WHERE credential = $1 AND created_at > $2");
DB_STMT(st_otc_address_count, "SELECT count(*) FROM one_time_code WHERE source_addr = $1 AND created_at > $2");
DB_STMT(st_otc_insert, "INSERT INTO one_time_code (credential, code_hash, source_addr, created_at, expires_at)\n"
                       " VALUES ($1, $2, $3, $4, $5)");
DB_STMT(st_message_insert, "INSERT INTO message (channel, recipient, subject, body, created_at)\n"
                           " VALUES ($1, $2, $3, $4, $5)");
DB_STMT(st_otc_newest, "SELECT id, code_hash FROM one_time_code WHERE credential = $1\n"
                       " ORDER BY created_at DESC, id DESC LIMIT 1");
/* Both guarded, so a used, exhausted or expired code stays dead whatever runs concurrently. */
DB_STMT(st_otc_use, "UPDATE one_time_code SET used_at = $2\n"
                    " WHERE id = $1 AND used_at IS NULL AND attempts < $3 AND expires_at > $2");
DB_STMT(st_otc_wrong, "UPDATE one_time_code SET attempts = attempts + 1\n"
                      " WHERE id = $1 AND used_at IS NULL AND attempts < $3 AND expires_at > $2 RETURNING attempts");

DB_STMT(st_pwfail_sweep, "DELETE FROM password_failure WHERE at <= $1");
DB_STMT(st_pwfail_insert, "INSERT INTO password_failure (credential, source_addr, at) VALUES ($1, $2, $3)");
DB_STMT(st_pwfail_count, "SELECT (SELECT count(*) FROM password_failure WHERE credential = $1 AND at > $3),\n"
                         " (SELECT count(*) FROM password_failure WHERE source_addr = $2 AND at > $3)");

DB_STMT(st_code_sweep, "DELETE FROM auth_code WHERE expires_at <= $1");
DB_STMT(st_code_insert, "INSERT INTO auth_code (code_hash, client_id, user_id, redirect_uri, code_challenge,\n"
                        " challenge_method, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)");
DB_STMT(st_code_consume, "UPDATE auth_code SET used_at = $2\n"
                         " WHERE code_hash = $1 AND used_at IS NULL AND expires_at > $2\n"
                         " RETURNING client_id, user_id, redirect_uri, code_challenge, challenge_method");

DB_STMT(st_approval_get, "SELECT user_id FROM approval WHERE user_id = $1 AND client_id = $2");
DB_STMT(st_approval_insert, "INSERT INTO approval (user_id, client_id, created_at) VALUES ($1, $2, $3)\n"
                            " ON CONFLICT DO NOTHING");

DB_STMT(st_client_login_get, "SELECT redirect_hosts, remember_cookie, require_approval, require_pkce FROM client\n"
                             " WHERE client_id = $1");
DB_STMT(st_client_login_set, "UPDATE client SET redirect_hosts = $2, remember_cookie = $3, require_approval = $4,\n"
                             " require_pkce = $5, updated_at = $6 WHERE client_id = $1");

/* ---- helpers ---------------------------------------------------------------------------------- */

static void hash_secret(const char *secret, char out[TOKEN_HASH_HEX])
{
    sha256_hex(secret, strlen(secret), out);
}

/* sha256(credential ":" code): the same code for two credentials gives two hashes. */
static void hash_code(const char *credential, const char *code, char out[TOKEN_HASH_HEX])
{
    struct buf b = BUF_INIT;
    buf_printf(&b, "%s:%s", credential, code);
    sha256_hex(b.data, b.len, out);
    buf_free(&b);
}

/* Columns 0 and 1 of a one-row aggregate. */
static enum db_status two_ints(struct db *db, struct db_stmt *st, const struct db_param *p, int n, int64_t *a,
                               int64_t *b)
{
    struct db_rows *r = NULL;
    enum db_status s = db_query(db, st, p, n, &r);
    if (s != DB_OK)
        return s;
    if (db_next(r)) {
        *a = db_int(r, 0);
        if (b)
            *b = db_is_null(r, 1) ? 0 : db_int(r, 1);
    } else if (db_rows_status(r) == DB_OK)
        s = db_fail(db, st->sql, DB_ERROR, "an aggregate returned no row");
    if (s == DB_OK)
        s = db_rows_status(r);
    db_rows_free(r);
    return s;
}

/* Deletes rows older than a cutoff, then runs st with p: the shape of every "add" here. */
static enum db_status sweep_and_exec(struct db *db, struct db_stmt *sweep, int64_t cutoff, struct db_stmt *st,
                                     const struct db_param *p, int n)
{
    enum db_status s = db_begin(db);
    if (s != DB_OK)
        return s;
    struct db_param c = P_INT(cutoff);
    s = db_exec(db, sweep, &c, 1, NULL);
    if (s == DB_OK)
        s = db_exec(db, st, p, n, NULL);
    return db_finish(db, s);
}

/* ---- users and passwords --------------------------------------------------------------------- */

/* The user row comes first so that, on SQLite, the whole call is one serialized writer; on
 * PostgreSQL a concurrent insert of the same credential waits for the other to commit and then
 * inserts nothing, and the rollback takes our user row with it. */
enum db_status store_login_user_create(struct db *db, const struct login_user_new *u, bool *created,
                                       char unique_id_out[UNIQUE_ID_LEN + 1])
{
    *created = false;
    char id[UNIQUE_ID_LEN + 1];
    if (!random_hex(id, UNIQUE_ID_LEN / 2)) {
        log_error("store: no randomness for a uniqueId");
        return DB_ERROR;
    }
    enum db_status s = db_begin(db);
    if (s != DB_OK)
        return s;
    int64_t now = db_now_ms();
    struct db_param up[] = {P_TEXT(id), P_INT(now), P_TEXT_OR_NULL(u->client_id)};
    s = db_exec(db, &st_user_insert, up, 3, NULL);
    char type[2] = {u->credential_type, '\0'};
    bool inserted = false;
    if (s == DB_OK) {
        struct db_param cp[] = {P_TEXT(u->credential), P_TEXT(type), P_TEXT(id), P_INT(now)};
        s = db_query_first_text(db, &st_cred_insert, cp, 4, &inserted, NULL, 0, NULL, 0);
    }
    if (s == DB_OK && !inserted) {
        db_rollback(db); /* the credential is taken: nothing of ours stays */
        return DB_OK;
    }
    if (s == DB_OK && u->password_hash) {
        struct db_param pp[] = {P_TEXT(id), P_TEXT(u->password_hash), P_INT(now)};
        s = db_exec(db, &st_password_upsert, pp, 3, NULL);
    }
    if (s == DB_OK)
        s = store_emit_user_created(db, id, u->client_id, u->credential_type, "GUI");
    s = db_finish(db, s);
    if (s == DB_OK) {
        *created = true;
        memcpy(unique_id_out, id, sizeof id);
    }
    return s;
}

enum db_status store_login_user_find(struct db *db, const char *credential, bool *found, struct login_user *out)
{
    *found = false;
    struct db_param p = P_TEXT(credential);
    struct db_rows *r = NULL;
    enum db_status s = db_query(db, &st_user_find, &p, 1, &r);
    if (s != DB_OK)
        return s;
    if (db_next(r)) {
        memset(out, 0, sizeof *out);
        const char *type = db_text(r, 2);
        out->credential_type = type ? type[0] : '\0';
        if (db_text_copy(r, 0, out->unique_id, sizeof out->unique_id) &&
            db_text_copy(r, 1, out->state, sizeof out->state) &&
            db_text_copy(r, 3, out->password_hash, sizeof out->password_hash))
            *found = true;
        else
            s = db_fail(db, st_user_find.sql, DB_ERROR, "a user field is longer than login_user holds");
    }
    if (s == DB_OK)
        s = db_rows_status(r);
    db_rows_free(r);
    return s;
}

enum db_status store_login_password_set(struct db *db, const char *unique_id, const char *password_hash,
                                        bool *found)
{
    *found = false;
    enum db_status s = db_begin(db);
    if (s != DB_OK)
        return s;
    struct db_param idp = P_TEXT(unique_id);
    bool exists = false;
    s = db_query_first_text(db, &st_user_exists, &idp, 1, &exists, NULL, 0, NULL, 0);
    if (s == DB_OK && exists) {
        struct db_param p[] = {P_TEXT(unique_id), P_TEXT(password_hash), P_INT(db_now_ms())};
        s = db_exec(db, &st_password_upsert, p, 3, NULL);
        if (s == DB_OK)
            s = db_exec(db, &st_remember_delete_user, &idp, 1, NULL);
    }
    s = db_finish(db, s);
    *found = s == DB_OK && exists;
    return s;
}

/* ---- sessions and remember-me ------------------------------------------------------------------ */

enum db_status store_session_create(struct db *db, const char *session_id, const char *unique_id)
{
    char h[TOKEN_HASH_HEX];
    hash_secret(session_id, h);
    int64_t now = db_now_ms();
    struct db_param p[] = {P_TEXT(h), P_TEXT(unique_id), P_INT(now), P_INT(now + LOGIN_SESSION_IDLE_MS)};
    return sweep_and_exec(db, &st_session_sweep, now, &st_session_insert, p, 4);
}

enum db_status store_session_touch(struct db *db, const char *session_id, bool *valid,
                                   char unique_id_out[UNIQUE_ID_LEN + 1])
{
    char h[TOKEN_HASH_HEX];
    hash_secret(session_id, h);
    int64_t now = db_now_ms();
    struct db_param p[] = {P_TEXT(h), P_INT(now), P_INT(now + LOGIN_SESSION_IDLE_MS)};
    return db_query_first_text(db, &st_session_touch, p, 3, valid, unique_id_out, UNIQUE_ID_LEN + 1, NULL, 0);
}

/* One statement keyed by the hash of a secret. */
static enum db_status exec_hashed(struct db *db, struct db_stmt *st, const char *secret)
{
    char h[TOKEN_HASH_HEX];
    hash_secret(secret, h);
    struct db_param p = P_TEXT(h);
    return db_exec(db, st, &p, 1, NULL);
}

static enum db_status exec_user(struct db *db, struct db_stmt *st, const char *unique_id)
{
    struct db_param p = P_TEXT(unique_id);
    return db_exec(db, st, &p, 1, NULL);
}

enum db_status store_session_delete(struct db *db, const char *session_id)
{
    return exec_hashed(db, &st_session_delete, session_id);
}

enum db_status store_session_delete_user(struct db *db, const char *unique_id)
{
    return exec_user(db, &st_session_delete_user, unique_id);
}

enum db_status store_remember_create(struct db *db, const char *token, const char *unique_id, const char *client_id)
{
    char h[TOKEN_HASH_HEX];
    hash_secret(token, h);
    int64_t now = db_now_ms();
    struct db_param p[] = {P_TEXT(h), P_TEXT(unique_id), P_TEXT(client_id), P_INT(now),
                           P_INT(now + REMEMBER_ME_TTL_MS)};
    return sweep_and_exec(db, &st_remember_sweep, now, &st_remember_insert, p, 5);
}

enum db_status store_remember_check(struct db *db, const char *token, const char *client_id, bool *valid,
                                    char unique_id_out[UNIQUE_ID_LEN + 1])
{
    char h[TOKEN_HASH_HEX];
    hash_secret(token, h);
    struct db_param p[] = {P_TEXT(h), P_TEXT(client_id), P_INT(db_now_ms())};
    return db_query_first_text(db, &st_remember_check, p, 3, valid, unique_id_out, UNIQUE_ID_LEN + 1, NULL, 0);
}

enum db_status store_remember_delete(struct db *db, const char *token)
{
    return exec_hashed(db, &st_remember_delete, token);
}

enum db_status store_remember_delete_user(struct db *db, const char *unique_id)
{
    return exec_user(db, &st_remember_delete_user, unique_id);
}

/* ---- one-time codes -------------------------------------------------------------------------- */

/* In the transaction: the limits, in the order of enum otc_issue_outcome. */
static enum db_status otc_limits(struct db *db, const char *credential, const char *source_addr, int64_t now,
                                 enum otc_issue_outcome *outcome)
{
    enum db_status s = DB_OK;
    if (db_kind(db) == DB_POSTGRES) {
        struct db_param cp = P_TEXT(credential), ap = P_TEXT(source_addr);
        s = db_exec(db, &st_otc_lock_credential, &cp, 1, NULL);
        if (s == DB_OK)
            s = db_exec(db, &st_otc_lock_address, &ap, 1, NULL);
    }
    int64_t since = now - OTC_WINDOW_MS;
    struct db_param sw = P_INT(since);
    if (s == DB_OK)
        s = db_exec(db, &st_otc_sweep, &sw, 1, NULL);
    int64_t n_cred = 0, newest = 0, n_addr = 0;
    struct db_param cq[] = {P_TEXT(credential), P_INT(since)};
    if (s == DB_OK)
        s = two_ints(db, &st_otc_credential_stats, cq, 2, &n_cred, &newest);
    struct db_param aq[] = {P_TEXT(source_addr), P_INT(since)};
    if (s == DB_OK)
        s = two_ints(db, &st_otc_address_count, aq, 2, &n_addr, NULL);
    if (s != DB_OK)
        return s;
    if (n_cred > 0 && newest > now - OTC_RESEND_MS)
        *outcome = OTC_RESEND_TOO_SOON;
    else if (n_cred >= OTC_PER_CREDENTIAL)
        *outcome = OTC_CREDENTIAL_LIMIT;
    else if (n_addr >= OTC_PER_ADDRESS)
        *outcome = OTC_ADDRESS_LIMIT;
    else
        *outcome = OTC_ISSUED;
    return DB_OK;
}

enum db_status store_otc_issue(struct db *db, const char *credential, const char *code, const char *source_addr,
                               const struct otc_message *msg, enum otc_issue_outcome *outcome)
{
    *outcome = OTC_ISSUED;
    enum db_status s = db_begin(db);
    if (s != DB_OK)
        return s;
    int64_t now = db_now_ms();
    s = otc_limits(db, credential, source_addr, now, outcome);
    if (s != DB_OK || *outcome != OTC_ISSUED) {
        db_rollback(db); /* nothing to keep: the sweep can wait for the next call */
        return s;
    }
    char h[TOKEN_HASH_HEX];
    hash_code(credential, code, h);
    struct db_param p[] = {P_TEXT(credential), P_TEXT(h), P_TEXT(source_addr), P_INT(now), P_INT(now + OTC_TTL_MS)};
    s = db_exec(db, &st_otc_insert, p, 5, NULL);
    if (s == DB_OK) {
        struct db_param mp[] = {P_TEXT(msg->channel), P_TEXT(msg->recipient),
                                P_TEXT(msg->subject ? msg->subject : ""), P_TEXT(msg->body), P_INT(now)};
        s = db_exec(db, &st_message_insert, mp, 5, NULL);
    }
    return db_finish(db, s);
}

/* A wrong guess spends an attempt of the newest code even when the guess matches an older one:
 * a resend makes earlier codes worthless. */
enum db_status store_otc_check(struct db *db, const char *credential, const char *code,
                               enum otc_check_outcome *outcome)
{
    *outcome = OTC_DEAD;
    enum db_status s = db_begin(db);
    if (s != DB_OK)
        return s;
    struct db_param cp = P_TEXT(credential);
    struct db_rows *r = NULL;
    s = db_query(db, &st_otc_newest, &cp, 1, &r);
    bool have = false;
    int64_t id = 0;
    char stored[TOKEN_HASH_HEX] = "";
    if (s == DB_OK && db_next(r)) {
        id = db_int(r, 0);
        have = db_text_copy(r, 1, stored, sizeof stored);
    }
    if (s == DB_OK)
        s = db_rows_status(r);
    db_rows_free(r);
    if (s != DB_OK || !have)
        return db_finish(db, s);

    char h[TOKEN_HASH_HEX];
    hash_code(credential, code, h);
    int64_t now = db_now_ms();
    struct db_param p[] = {P_INT(id), P_INT(now), P_INT(OTC_MAX_WRONG)};
    if (ct_equal(h, strlen(h), stored, strlen(stored))) {
        int64_t changes = 0;
        s = db_exec(db, &st_otc_use, p, 3, &changes);
        if (s == DB_OK && changes == 1)
            *outcome = OTC_OK;
    } else {
        bool counted = false;
        int64_t attempts = 0;
        struct db_rows *w = NULL;
        s = db_query(db, &st_otc_wrong, p, 3, &w);
        if (s == DB_OK && db_next(w)) {
            counted = true;
            attempts = db_int(w, 0);
        }
        if (s == DB_OK)
            s = db_rows_status(w);
        db_rows_free(w);
        if (counted && attempts < OTC_MAX_WRONG)
            *outcome = OTC_WRONG;
    }
    s = db_finish(db, s);
    if (s != DB_OK)
        *outcome = OTC_DEAD;
    return s;
}

/* ---- password failures ------------------------------------------------------------------------ */

enum db_status store_password_failure_add(struct db *db, const char *credential, const char *source_addr)
{
    int64_t now = db_now_ms();
    struct db_param p[] = {P_TEXT(credential), P_TEXT(source_addr ? source_addr : ""), P_INT(now)};
    return sweep_and_exec(db, &st_pwfail_sweep, now - PASSWORD_FAIL_WINDOW_MS, &st_pwfail_insert, p, 3);
}

enum db_status store_password_failures(struct db *db, const char *credential, const char *source_addr,
                                       int64_t *by_credential, int64_t *by_address)
{
    *by_credential = *by_address = 0;
    struct db_param p[] = {P_TEXT(credential), P_TEXT(source_addr ? source_addr : ""),
                           P_INT(db_now_ms() - PASSWORD_FAIL_WINDOW_MS)};
    return two_ints(db, &st_pwfail_count, p, 3, by_credential, by_address);
}

/* ---- authorization codes and approvals ---------------------------------------------------------- */

static bool fits(const char *s, size_t cap)
{
    return s == NULL || strlen(s) < cap;
}

enum db_status store_auth_code_create(struct db *db, const struct auth_code_new *c)
{
    if (!fits(c->redirect_uri, AUTH_CODE_URI_MAX + 1) || !fits(c->code_challenge, AUTH_CODE_CHALLENGE_MAX + 1) ||
        !fits(c->challenge_method, 8) || !fits(c->client_id, CLIENT_ID_MAX + 1))
        return db_fail(db, st_code_insert.sql, DB_ERROR, "an authorization code field is too long");
    char h[TOKEN_HASH_HEX];
    hash_secret(c->code, h);
    int64_t now = db_now_ms();
    struct db_param p[] = {P_TEXT(h),
                           P_TEXT(c->client_id),
                           P_TEXT(c->unique_id),
                           P_TEXT(c->redirect_uri ? c->redirect_uri : ""),
                           P_TEXT_OR_NULL(c->code_challenge),
                           P_TEXT_OR_NULL(c->challenge_method),
                           P_INT(now),
                           P_INT(now + AUTH_CODE_TTL_MS)};
    return sweep_and_exec(db, &st_code_sweep, now, &st_code_insert, p, 8);
}

enum db_status store_auth_code_consume(struct db *db, const char *code, bool *found, struct auth_code_rec *out)
{
    *found = false;
    char h[TOKEN_HASH_HEX];
    hash_secret(code, h);
    struct db_param p[] = {P_TEXT(h), P_INT(db_now_ms())};
    struct db_rows *r = NULL;
    enum db_status s = db_query(db, &st_code_consume, p, 2, &r);
    if (s != DB_OK)
        return s;
    if (db_next(r)) {
        memset(out, 0, sizeof *out);
        if (db_text_copy(r, 0, out->client_id, sizeof out->client_id) &&
            db_text_copy(r, 1, out->unique_id, sizeof out->unique_id) &&
            db_text_copy(r, 2, out->redirect_uri, sizeof out->redirect_uri) &&
            db_text_copy(r, 3, out->code_challenge, sizeof out->code_challenge) &&
            db_text_copy(r, 4, out->challenge_method, sizeof out->challenge_method))
            *found = true;
        else
            s = db_fail(db, st_code_consume.sql, DB_ERROR, "an authorization code field is longer than expected");
    }
    if (s == DB_OK)
        s = db_rows_status(r);
    db_rows_free(r);
    return s;
}

enum db_status store_approval_has(struct db *db, const char *unique_id, const char *client_id, bool *approved)
{
    struct db_param p[] = {P_TEXT(unique_id), P_TEXT(client_id)};
    return db_query_first_text(db, &st_approval_get, p, 2, approved, NULL, 0, NULL, 0);
}

enum db_status store_approval_add(struct db *db, const char *unique_id, const char *client_id)
{
    struct db_param p[] = {P_TEXT(unique_id), P_TEXT(client_id), P_INT(db_now_ms())};
    return db_exec(db, &st_approval_insert, p, 3, NULL);
}

/* ---- clients' login settings -------------------------------------------------------------------- */

enum db_status store_client_login_get(struct db *db, const char *client_id, bool *found, struct client_login *out)
{
    *found = false;
    struct db_param p = P_TEXT(client_id);
    struct db_rows *r = NULL;
    enum db_status s = db_query(db, &st_client_login_get, &p, 1, &r);
    if (s != DB_OK)
        return s;
    if (db_next(r)) {
        const char *hosts = db_text(r, 0), *cookie = db_text(r, 1);
        out->redirect_hosts = xstrdup(hosts ? hosts : "");
        out->remember_cookie = xstrdup(cookie ? cookie : CLIENT_REMEMBER_COOKIE_DEFAULT);
        out->require_approval = db_int(r, 2) != 0;
        out->require_pkce = db_int(r, 3) != 0;
        *found = true;
    }
    s = db_rows_status(r);
    db_rows_free(r);
    return s;
}

enum db_status store_client_login_set(struct db *db, const char *client_id, const struct client_login *in,
                                      bool *found)
{
    struct db_param p[] = {
        P_TEXT(client_id),
        P_TEXT(in->redirect_hosts ? in->redirect_hosts : ""),
        P_TEXT(in->remember_cookie ? in->remember_cookie : CLIENT_REMEMBER_COOKIE_DEFAULT),
        P_INT(in->require_approval ? 1 : 0),
        P_INT(in->require_pkce ? 1 : 0),
        P_INT(db_now_ms()),
    };
    int64_t changes = 0;
    enum db_status s = db_exec(db, &st_client_login_set, p, 6, &changes);
    *found = s == DB_OK && changes > 0;
    return s;
}

void client_login_free(struct client_login *c)
{
    if (c == NULL)
        return;
    free(c->redirect_hosts);
    free(c->remember_cookie);
    memset(c, 0, sizeof *c);
}
