/* test_store_messages.c — src/store/messages.c (store.h "the message outbox") on every engine:
 * the mailbox listing, claims (oldest due first, per channel, leases that lapse, never the same
 * message to two claimers at once), retries, the sent and failed outcomes with their body
 * scrubbing, and the sweep of expired and old messages. Time is moved by backdating rows. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "store/db.h"
#include "store/store.h"
#include "store_engines.h"

#define MINUTE (60LL * 1000)

DB_STMT(st_age_all, "UPDATE message SET created_at = created_at - $1");
DB_STMT(st_lapse, "UPDATE message SET claimed_until = claimed_until - $1, next_attempt_at = next_attempt_at - $1");
DB_STMT(st_body_of, "SELECT body FROM message WHERE id = $1");
DB_STMT(st_count, "SELECT count(*) FROM message");

static void queue(struct db *db, const struct engine *e, const char *channel, const char *recipient,
                  const char *body)
{
    struct otc_message m = {.channel = channel, .recipient = recipient, .subject = "Your code", .body = body};
    enum otc_issue_outcome o;
    cr_assert_eq(store_otc_issue(db, recipient, "123456", recipient, &m, &o), DB_OK, "%s: %s", e->label,
                 db_errmsg(db));
    cr_assert_eq(o, OTC_ISSUED, "%s", e->label);
}

static bool claim(struct db *db, bool email, bool sms, struct message_claim *m)
{
    bool found = false;
    cr_assert_eq(store_message_claim(db, email, sms, MINUTE, &found, m), DB_OK, "%s", db_errmsg(db));
    return found;
}

static void shift(struct db *db, struct db_stmt *st, int64_t ms)
{
    struct db_param p = P_INT(ms);
    cr_assert_eq(db_exec(db, st, &p, 1, NULL), DB_OK, "%s", db_errmsg(db));
}

static void body_of(struct db *db, int64_t id, char *out, size_t cap)
{
    struct db_param p = P_INT(id);
    bool found = false;
    cr_assert_eq(db_query_first_text(db, &st_body_of, &p, 1, &found, out, cap, NULL, 0), DB_OK);
    cr_assert(found);
}

struct seen {
    int n;
    char bodies[8][32];
    char status[8][8];
};

static void collect(const struct message_rec *m, void *arg)
{
    struct seen *s = arg;
    if (s->n < 8) {
        snprintf(s->bodies[s->n], sizeof s->bodies[0], "%s", m->body);
        snprintf(s->status[s->n], sizeof s->status[0], "%s", m->sent_at ? "sent" : m->failed_at ? "failed" : "q");
        cr_assert_gt(m->created_at, 0);
    }
    s->n++;
}

STORE_TEST(test_message_list_gives_the_newest_first, false)
{
    migrate(db, e);
    char cred[32], body[32];
    for (int i = 0; i < 5; i++) {
        snprintf(cred, sizeof cred, "m%d@example.no", i);
        snprintf(body, sizeof body, "body %d", i);
        queue(db, e, "email", cred, body);
    }
    struct seen s = {0};
    cr_assert_eq(store_message_list(db, 3, collect, &s), DB_OK, "%s", db_errmsg(db));
    cr_assert_eq(s.n, 3, "%s", e->label);
    cr_assert_str_eq(s.bodies[0], "body 4");
    cr_assert_str_eq(s.bodies[2], "body 2");
    cr_assert_str_eq(s.status[0], "q");
}

STORE_TEST(test_claim_takes_the_oldest_due_message_of_the_channels_asked_for, false)
{
    migrate(db, e);
    queue(db, e, "sms", "+4790000001", "first sms");
    queue(db, e, "email", "a@example.no", "an e-mail");
    queue(db, e, "sms", "+4790000002", "second sms");
    struct message_claim m;
    cr_assert(claim(db, true, false, &m), "%s", e->label);
    cr_assert_str_eq(m.channel, "email");
    cr_assert_str_eq(m.recipient, "a@example.no");
    cr_assert_str_eq(m.subject, "Your code");
    cr_assert_eq(m.attempts, 1);
    cr_assert_not(claim(db, true, false, &m), "%s: the e-mail is claimed, no other is due", e->label);
    cr_assert(claim(db, false, true, &m));
    cr_assert_str_eq(m.body, "first sms");
    cr_assert(claim(db, true, true, &m));
    cr_assert_str_eq(m.body, "second sms");
    cr_assert_not(claim(db, true, true, &m));
}

STORE_TEST(test_a_lapsed_claim_makes_the_message_due_again, false)
{
    migrate(db, e);
    queue(db, e, "sms", "+4790000001", "code 1");
    struct message_claim m;
    cr_assert(claim(db, false, true, &m));
    cr_assert_not(claim(db, false, true, &m));
    shift(db, &st_lapse, MINUTE + 1);
    cr_assert(claim(db, false, true, &m), "%s: the sender died; another takes it", e->label);
    cr_assert_eq(m.attempts, 2);
}

STORE_TEST(test_retry_waits_then_the_message_is_due_again, false)
{
    migrate(db, e);
    queue(db, e, "sms", "+4790000001", "code 1");
    struct message_claim m;
    cr_assert(claim(db, false, true, &m));
    cr_assert_eq(store_message_retry(db, m.id, 30000, "gateway down"), DB_OK, "%s", db_errmsg(db));
    cr_assert_not(claim(db, false, true, &m), "%s: not before its time", e->label);
    shift(db, &st_lapse, 30001);
    cr_assert(claim(db, false, true, &m));
    cr_assert_eq(m.attempts, 2);
}

STORE_TEST(test_sent_and_failed_are_final_and_scrub_the_body_unless_kept, false)
{
    migrate(db, e);
    queue(db, e, "sms", "+4790000001", "code 111111");
    queue(db, e, "sms", "+4790000002", "code 222222");
    queue(db, e, "sms", "+4790000003", "code 333333");
    struct message_claim a, b, c;
    cr_assert(claim(db, false, true, &a) && claim(db, false, true, &b) && claim(db, false, true, &c));
    cr_assert_eq(store_message_sent(db, a.id, false), DB_OK);
    cr_assert_eq(store_message_sent(db, b.id, true), DB_OK);
    cr_assert_eq(store_message_failed(db, c.id, "HTTP 500", false), DB_OK);
    char body[64];
    body_of(db, a.id, body, sizeof body);
    cr_assert_str_eq(body, "", "%s: sent outside the sandbox: scrubbed", e->label);
    body_of(db, b.id, body, sizeof body);
    cr_assert_str_eq(body, "code 222222", "%s: the sandbox keeps it", e->label);
    body_of(db, c.id, body, sizeof body);
    cr_assert_str_eq(body, "");
    shift(db, &st_lapse, 10 * MINUTE);
    cr_assert_not(claim(db, true, true, &a), "%s: nothing is due again", e->label);
    struct seen s = {0};
    cr_assert_eq(store_message_list(db, 10, collect, &s), DB_OK);
    cr_assert_str_eq(s.status[0], "failed");
    cr_assert_str_eq(s.status[1], "sent");
}

STORE_TEST(test_sweep_gives_up_expired_messages_and_deletes_old_ones, false)
{
    migrate(db, e);
    queue(db, e, "sms", "+4790000001", "old sms");
    queue(db, e, "email", "a@example.no", "old e-mail");
    shift(db, &st_age_all, MESSAGE_MAX_AGE_MS + 1);
    struct message_claim m;
    cr_assert_not(claim(db, true, true, &m), "%s: an expired code is not sent", e->label);
    int64_t expired = 0;
    cr_assert_eq(store_message_sweep(db, false, true, true, &expired), DB_OK, "%s", db_errmsg(db));
    cr_assert_eq(expired, 1, "%s: only the channel delivered here", e->label);
    struct seen s = {0};
    cr_assert_eq(store_message_list(db, 10, collect, &s), DB_OK);
    cr_assert_str_eq(s.status[0], "q");
    cr_assert_str_eq(s.status[1], "failed");
    shift(db, &st_age_all, MESSAGE_KEEP_MS);
    cr_assert_eq(store_message_sweep(db, true, true, true, NULL), DB_OK);
    cr_assert_eq(one_int(db, &st_count, NULL, 0), 0, "%s: a day later they are gone", e->label);
}

/* Two connections claiming at once never get the same message. */
struct claimer {
    const struct engine *e;
    int got;
    int64_t ids[64];
};

static void *claim_all(void *arg)
{
    struct claimer *c = arg;
    char err[256];
    struct db *db = engine_try_connect(c->e, err, sizeof err);
    if (db == NULL)
        return NULL;
    struct message_claim m;
    bool found = true;
    while (c->got < 64) {
        enum db_status s = store_message_claim(db, true, true, MINUTE, &found, &m);
        if (s == DB_BUSY)
            continue;
        if (s != DB_OK || !found)
            break;
        c->ids[c->got++] = m.id;
    }
    db_close(db);
    return NULL;
}

STORE_TEST(test_concurrent_claimers_never_share_a_message, true)
{
    migrate(db, e);
    char cred[32];
    for (int i = 0; i < 40; i++) {
        snprintf(cred, sizeof cred, "+4791%06d", i);
        queue(db, e, "sms", cred, "code");
    }
    struct claimer a = {.e = e}, b = {.e = e};
    pthread_t ta, tb;
    pthread_create(&ta, NULL, claim_all, &a);
    pthread_create(&tb, NULL, claim_all, &b);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    cr_assert_eq(a.got + b.got, 40, "%s: %d + %d", e->label, a.got, b.got);
    for (int i = 0; i < a.got; i++)
        for (int j = 0; j < b.got; j++)
            cr_assert_neq(a.ids[i], b.ids[j], "%s: message %lld claimed twice", e->label, (long long)a.ids[i]);
}
