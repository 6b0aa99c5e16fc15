/* messages.c — the message outbox that carries one-time codes (store.h "the message outbox"):
 * the sandbox mailbox listing, and the claim / outcome calls of the sender in
 * login/messenger.c. store_otc_issue (login.c) appends a message in the transaction that stores
 * its code, so a code the page announced is always queued. A claim is one guarded UPDATE ...
 * RETURNING (SKIP LOCKED on PostgreSQL), so claimers on any number of processes never share a
 * message; the lease makes a dead sender's message due again. */
#include <string.h>

#include "store/driver.h"
#include "store/store.h"

DB_STMT(st_list, "SELECT id, channel, recipient, subject, body, created_at, attempts, sent_at, failed_at,\n"
                 " last_error FROM message ORDER BY id DESC LIMIT $1");

/* $1 lease end, $2 now, $3/$4 the channels asked for ('' for one not asked), $5 oldest allowed. */
#define CLAIM_SQL(lock)                                                                                              \
    "UPDATE message SET claimed_until = $1, attempts = attempts + 1\n"                                               \
    " WHERE id = (SELECT id FROM message WHERE sent_at IS NULL AND failed_at IS NULL\n"                              \
    "   AND channel IN ($3, $4) AND next_attempt_at <= $2 AND claimed_until <= $2 AND created_at > $5\n"             \
    "   ORDER BY id LIMIT 1" lock ")\n"                                                                              \
    " RETURNING id, channel, recipient, subject, body, attempts"
DB_STMT(st_claim_pg, CLAIM_SQL(" FOR UPDATE SKIP LOCKED"));
DB_STMT(st_claim_sqlite, CLAIM_SQL(""));

DB_STMT(st_sent, "UPDATE message SET sent_at = $2, claimed_until = 0, last_error = NULL,\n"
                 " body = CASE WHEN $3 = 1 THEN body ELSE '' END WHERE id = $1");
DB_STMT(st_retry, "UPDATE message SET next_attempt_at = $2, claimed_until = 0, last_error = $3 WHERE id = $1");
DB_STMT(st_failed, "UPDATE message SET failed_at = $2, claimed_until = 0, last_error = $3,\n"
                   " body = CASE WHEN $4 = 1 THEN body ELSE '' END WHERE id = $1");
DB_STMT(st_expire, "UPDATE message SET failed_at = $1, last_error = 'expired before it could be delivered',\n"
                   " body = CASE WHEN $5 = 1 THEN body ELSE '' END\n"
                   " WHERE sent_at IS NULL AND failed_at IS NULL AND channel IN ($2, $3) AND created_at <= $4");
DB_STMT(st_delete_old, "DELETE FROM message WHERE created_at <= $1");

static int64_t or_zero(const struct db_rows *r, int col)
{
    return db_is_null(r, col) ? 0 : db_int(r, col);
}

enum db_status store_message_list(struct db *db, int limit, void (*fn)(const struct message_rec *m, void *arg),
                                  void *arg)
{
    struct db_param p = P_INT(limit > 0 ? limit : 0);
    struct db_rows *r = NULL;
    enum db_status s = db_query(db, &st_list, &p, 1, &r);
    if (s != DB_OK)
        return s;
    while (db_next(r)) {
        struct message_rec m = {
            .id = db_int(r, 0),
            .channel = db_text(r, 1),
            .recipient = db_text(r, 2),
            .subject = db_text(r, 3),
            .body = db_text(r, 4),
            .created_at = db_int(r, 5),
            .attempts = db_int(r, 6),
            .sent_at = or_zero(r, 7),
            .failed_at = or_zero(r, 8),
            .last_error = db_text(r, 9),
        };
        fn(&m, arg);
    }
    s = db_rows_status(r);
    db_rows_free(r);
    return s;
}

enum db_status store_message_claim(struct db *db, bool email, bool sms, int64_t lease_ms, bool *found,
                                   struct message_claim *out)
{
    *found = false;
    int64_t now = db_now_ms();
    struct db_param p[] = {P_INT(now + lease_ms), P_INT(now), P_TEXT(email ? "email" : ""), P_TEXT(sms ? "sms" : ""),
                           P_INT(now - MESSAGE_MAX_AGE_MS)};
    struct db_rows *r = NULL;
    enum db_status s = db_query(db, db_kind(db) == DB_POSTGRES ? &st_claim_pg : &st_claim_sqlite, p, 5, &r);
    if (s != DB_OK)
        return s;
    if (db_next(r)) {
        out->id = db_int(r, 0);
        out->attempts = db_int(r, 5);
        bool fit = db_text_copy(r, 1, out->channel, sizeof out->channel) &&
                   db_text_copy(r, 2, out->recipient, sizeof out->recipient) &&
                   db_text_copy(r, 3, out->subject, sizeof out->subject) &&
                   db_text_copy(r, 4, out->body, sizeof out->body);
        *found = true;
        if (!fit)
            s = DB_ERROR;
    }
    if (s == DB_OK)
        s = db_rows_status(r);
    db_rows_free(r);
    return s;
}

enum db_status store_message_sent(struct db *db, int64_t id, bool keep_body)
{
    struct db_param p[] = {P_INT(id), P_INT(db_now_ms()), P_INT(keep_body)};
    return db_exec(db, &st_sent, p, 3, NULL);
}

enum db_status store_message_retry(struct db *db, int64_t id, int64_t delay_ms, const char *error)
{
    struct db_param p[] = {P_INT(id), P_INT(db_now_ms() + delay_ms), P_TEXT(error)};
    return db_exec(db, &st_retry, p, 3, NULL);
}

enum db_status store_message_failed(struct db *db, int64_t id, const char *error, bool keep_body)
{
    struct db_param p[] = {P_INT(id), P_INT(db_now_ms()), P_TEXT(error), P_INT(keep_body)};
    return db_exec(db, &st_failed, p, 4, NULL);
}

enum db_status store_message_sweep(struct db *db, bool email, bool sms, bool keep_body, int64_t *expired)
{
    int64_t now = db_now_ms(), n = 0;
    struct db_param p[] = {P_INT(now), P_TEXT(email ? "email" : ""), P_TEXT(sms ? "sms" : ""),
                           P_INT(now - MESSAGE_MAX_AGE_MS), P_INT(keep_body)};
    enum db_status s = db_exec(db, &st_expire, p, 5, &n);
    if (expired)
        *expired = n;
    struct db_param old = P_INT(now - MESSAGE_KEEP_MS);
    if (s == DB_OK)
        s = db_exec(db, &st_delete_old, &old, 1, NULL);
    return s;
}
