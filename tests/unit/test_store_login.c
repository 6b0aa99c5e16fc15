/* test_store_login.c — src/store/login.c (store.h "login service") on every engine, through the
 * harness in store_engines.h: GUI users and USER_CREATED (identity.md §4.2, events.md §6.2),
 * passwords, sessions and remember-me (§4.1), one-time codes with their limits,
 * password failures, authorization codes and approvals (§3.1), clients' login settings, and the
 * races that must leave exactly one winner. Time windows are tested by backdating rows in SQL. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "store/db.h"
#include "store/store.h"
#include "store_engines.h"

#define MINUTE (60LL * 1000)
#define HOUR (60 * MINUTE)

DB_STMT(st_count_users, "SELECT count(*) FROM users");
DB_STMT(st_count_events, "SELECT count(*) FROM outbox");
DB_STMT(st_count_messages, "SELECT count(*) FROM message");
DB_STMT(st_count_remember, "SELECT count(*) FROM remember_me");
DB_STMT(st_last_event, "SELECT detail_type, source, detail FROM outbox ORDER BY id DESC");
DB_STMT(st_code_hash_of, "SELECT code_hash FROM one_time_code ORDER BY id DESC");
DB_STMT(st_block, "UPDATE users SET state = 'BLOCKED' WHERE unique_id = $1");
DB_STMT(st_session_age, "UPDATE login_session SET last_seen_at = last_seen_at - $1, expires_at = expires_at - $1");
DB_STMT(st_session_expiry, "SELECT expires_at FROM login_session");
DB_STMT(st_remember_age, "UPDATE remember_me SET expires_at = expires_at - $1");
DB_STMT(st_otc_age, "UPDATE one_time_code SET created_at = created_at - $1, expires_at = expires_at - $1");
DB_STMT(st_otc_old, "INSERT INTO one_time_code (credential, code_hash, source_addr, created_at, expires_at)\n"
                    " VALUES ($1, 'x', $2, $3, $3 + 600000)");
DB_STMT(st_pwfail_age, "UPDATE password_failure SET at = at - $1");
DB_STMT(st_code_age, "UPDATE auth_code SET expires_at = expires_at - $1");

/* ---- fixtures ------------------------------------------------------------------------------ */

/* Wall-clock epoch ms, the store's clock. */
static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t count(struct db *db, struct db_stmt *st)
{
    return one_int(db, st, NULL, 0);
}

static void age(struct db *db, struct db_stmt *st, int64_t ms)
{
    struct db_param p = P_INT(ms);
    cr_assert_eq(db_exec(db, st, &p, 1, NULL), DB_OK, "%s", db_errmsg(db));
}

static void add_client(struct db *db, const struct engine *e, const char *id)
{
    struct client_new c = {.client_id = id, .secret_hash = "hs256$x$y", .partner = "acme",
                           .grants = "authorization_code,refresh_token", .capi_rate = -1, .token_rate = -1};
    cr_assert_eq(store_client_add(db, &c), DB_OK, "%s: %s", e->label, db_errmsg(db));
}

/* Migrated, with clients acme.web and acme.app. */
static void setup(struct db *db, const struct engine *e)
{
    migrate(db, e);
    add_client(db, e, "acme.web");
    add_client(db, e, "acme.app");
}

/* A new GUI user of credential (e-mail when it has an '@'), with password hash pw. */
static void new_user(struct db *db, const struct engine *e, const char *credential, const char *pw,
                     char id[UNIQUE_ID_LEN + 1])
{
    struct login_user_new u = {.credential = credential, .credential_type = strchr(credential, '@') ? 'A' : 'B',
                               .password_hash = pw, .client_id = "acme.web"};
    bool created = false;
    cr_assert_eq(store_login_user_create(db, &u, &created, id), DB_OK, "%s: %s", e->label, db_errmsg(db));
    cr_assert(created, "%s: %s created", e->label, credential);
}

static const struct otc_message sms = {.channel = "sms", .recipient = "+4712345678", .subject = "",
                                       .body = "Your code is 123456"};

static enum otc_issue_outcome issue(struct db *db, const struct engine *e, const char *credential, const char *code,
                                    const char *addr)
{
    enum otc_issue_outcome o;
    cr_assert_eq(store_otc_issue(db, credential, code, addr, &sms, &o), DB_OK, "%s: %s", e->label, db_errmsg(db));
    return o;
}

static enum otc_check_outcome check(struct db *db, const struct engine *e, const char *credential, const char *code)
{
    enum otc_check_outcome o;
    cr_assert_eq(store_otc_check(db, credential, code, &o), DB_OK, "%s: %s", e->label, db_errmsg(db));
    return o;
}

/* n backdated codes for credential from addr, each about `ago` ms old. */
static void old_codes(struct db *db, const char *credential, const char *addr, int n, int64_t ago)
{
    for (int i = 0; i < n; i++) {
        struct db_param p[] = {P_TEXT(credential), P_TEXT(addr), P_INT(now_ms() - ago - i)};
        cr_assert_eq(db_exec(db, &st_otc_old, p, 3, NULL), DB_OK, "%s", db_errmsg(db));
    }
}

/* ---- users and passwords ----------------------------------------------------------------------- */

STORE_TEST(test_login_user_create_makes_an_active_user_and_emits_user_created_gui, false)
{
    setup(db, e);
    int64_t events = count(db, &st_count_events);
    char id[UNIQUE_ID_LEN + 1];
    new_user(db, e, "kari@example.no", "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA", id);
    cr_assert_eq(strspn(id, "0123456789abcdef"), UNIQUE_ID_LEN, "%s", e->label);
    cr_assert_eq(count(db, &st_count_events), events + 1, "%s", e->label);

    struct db_rows *r = NULL;
    cr_assert_eq(db_query(db, &st_last_event, NULL, 0, &r), DB_OK);
    cr_assert(db_next(r));
    cr_assert_str_eq(db_text(r, 0), "USER_CREATED");
    cr_assert_str_eq(db_text(r, 1), EVENT_SOURCE_CONNECTID);
    json_t *d = json_loads(db_text(r, 2), 0, NULL);
    db_rows_free(r);
    cr_assert_not_null(d);
    cr_assert_eq(json_object_size(d), 4, "%s", e->label);
    cr_assert_str_eq(json_string_value(json_object_get(d, "uniqueId")), id);
    cr_assert_str_eq(json_string_value(json_object_get(d, "clientId")), "acme.web");
    cr_assert_str_eq(json_string_value(json_object_get(d, "credentialType")), "A");
    cr_assert_str_eq(json_string_value(json_object_get(d, "origin")), "GUI");
    json_decref(d);

    bool found = false;
    struct login_user u;
    cr_assert_eq(store_login_user_find(db, "kari@example.no", &found, &u), DB_OK);
    cr_assert(found, "%s", e->label);
    cr_assert_str_eq(u.unique_id, id);
    cr_assert_str_eq(u.state, "ACTIVE");
    cr_assert_eq(u.credential_type, 'A');
    cr_assert_str_eq(u.password_hash, "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA");
}

STORE_TEST(test_login_user_create_with_a_taken_credential_creates_nothing, false)
{
    setup(db, e);
    char id[UNIQUE_ID_LEN + 1], other[UNIQUE_ID_LEN + 1] = "untouched";
    new_user(db, e, "+4712345678", "h1", id);
    int64_t users = count(db, &st_count_users), events = count(db, &st_count_events);
    struct login_user_new u = {.credential = "+4712345678", .credential_type = 'B', .password_hash = "h2"};
    bool created = true;
    cr_assert_eq(store_login_user_create(db, &u, &created, other), DB_OK, "%s: %s", e->label, db_errmsg(db));
    cr_assert_not(created, "%s", e->label);
    cr_assert_str_eq(other, "untouched");
    cr_assert_eq(count(db, &st_count_users), users, "%s", e->label);
    cr_assert_eq(count(db, &st_count_events), events, "%s", e->label);
    struct login_user f;
    bool found = false;
    cr_assert_eq(store_login_user_find(db, "+4712345678", &found, &f), DB_OK);
    cr_assert_str_eq(f.password_hash, "h1", "%s: the first user's password stays", e->label);
}

STORE_TEST(test_login_user_find_reports_unknown_state_and_missing_password, false)
{
    setup(db, e);
    bool found = true;
    struct login_user u;
    cr_assert_eq(store_login_user_find(db, "nobody@example.no", &found, &u), DB_OK);
    cr_assert_not(found);
    char id[UNIQUE_ID_LEN + 1];
    struct login_user_new n = {.credential = "+4799999999", .credential_type = 'B'};
    bool created = false;
    cr_assert_eq(store_login_user_create(db, &n, &created, id), DB_OK);
    cr_assert(created);
    struct db_param p = P_TEXT(id);
    cr_assert_eq(db_exec(db, &st_block, &p, 1, NULL), DB_OK);
    cr_assert_eq(store_login_user_find(db, "+4799999999", &found, &u), DB_OK);
    cr_assert(found, "%s", e->label);
    cr_assert_str_eq(u.state, "BLOCKED");
    cr_assert_str_eq(u.password_hash, "", "%s: no password yet", e->label);
}

STORE_TEST(test_login_user_find_ignores_external_credentials, false)
{
    setup(db, e);
    struct extid_request rq = {.partner = "acme", .client_id = "acme.web", .credential_type = 'D',
                               .credential = "AID:42", .external_id = "42"};
    struct extid_result out;
    cr_assert_eq(store_extid_register(db, &rq, &out), DB_OK, "%s", db_errmsg(db));
    bool found = true;
    struct login_user u;
    cr_assert_eq(store_login_user_find(db, "AID:42", &found, &u), DB_OK);
    cr_assert_not(found, "%s", e->label);
}

STORE_TEST(test_set_password_replaces_the_hash_and_kills_remember_me, false)
{
    setup(db, e);
    char id[UNIQUE_ID_LEN + 1], who[UNIQUE_ID_LEN + 1];
    new_user(db, e, "ola@example.no", "old", id);
    cr_assert_eq(store_remember_create(db, "tok-web", id, "acme.web"), DB_OK, "%s", db_errmsg(db));
    cr_assert_eq(store_remember_create(db, "tok-app", id, "acme.app"), DB_OK);
    bool found = false, valid = false;
    cr_assert_eq(store_login_password_set(db, id, "new", &found), DB_OK, "%s: %s", e->label, db_errmsg(db));
    cr_assert(found);
    struct login_user u;
    cr_assert_eq(store_login_user_find(db, "ola@example.no", &found, &u), DB_OK);
    cr_assert_str_eq(u.password_hash, "new", "%s", e->label);
    cr_assert_eq(store_remember_check(db, "tok-web", "acme.web", &valid, who), DB_OK);
    cr_assert_not(valid, "%s: remember-me gone after a password change", e->label);
    cr_assert_eq(count(db, &st_count_remember), 0);
    cr_assert_eq(store_login_password_set(db, "ffffffffffffffffffffffffffffffff", "x", &found), DB_OK);
    cr_assert_not(found, "%s: unknown user", e->label);
}

/* ---- sessions -------------------------------------------------------------------------------- */

STORE_TEST(test_session_touch_extends_and_idle_sessions_expire, false)
{
    setup(db, e);
    char id[UNIQUE_ID_LEN + 1], who[UNIQUE_ID_LEN + 1];
    new_user(db, e, "s@example.no", "h", id);
    cr_assert_eq(store_session_create(db, "cookie-1", id), DB_OK, "%s: %s", e->label, db_errmsg(db));
    bool valid = false;
    cr_assert_eq(store_session_touch(db, "cookie-1", &valid, who), DB_OK, "%s", db_errmsg(db));
    cr_assert(valid, "%s", e->label);
    cr_assert_str_eq(who, id);

    age(db, &st_session_age, 59 * MINUTE); /* idle 59 min: still alive, and touching renews it */
    cr_assert_eq(store_session_touch(db, "cookie-1", &valid, who), DB_OK);
    cr_assert(valid, "%s: 59 min idle", e->label);
    cr_assert_geq(count(db, &st_session_expiry), now_ms() + 59 * MINUTE, "%s: extended", e->label);

    age(db, &st_session_age, 61 * MINUTE);
    cr_assert_eq(store_session_touch(db, "cookie-1", &valid, who), DB_OK);
    cr_assert_not(valid, "%s: 61 min idle", e->label);
    cr_assert_eq(store_session_touch(db, "no-such-cookie", &valid, who), DB_OK);
    cr_assert_not(valid);
}

STORE_TEST(test_session_delete_and_delete_user, false)
{
    setup(db, e);
    char id[UNIQUE_ID_LEN + 1], who[UNIQUE_ID_LEN + 1];
    new_user(db, e, "d@example.no", "h", id);
    cr_assert_eq(store_session_create(db, "a", id), DB_OK);
    cr_assert_eq(store_session_create(db, "b", id), DB_OK);
    cr_assert_eq(store_session_create(db, "c", id), DB_OK);
    bool valid = false;
    cr_assert_eq(store_session_delete(db, "a"), DB_OK);
    cr_assert_eq(store_session_touch(db, "a", &valid, who), DB_OK);
    cr_assert_not(valid, "%s", e->label);
    cr_assert_eq(store_session_touch(db, "b", &valid, who), DB_OK);
    cr_assert(valid, "%s", e->label);
    cr_assert_eq(store_session_delete_user(db, id), DB_OK);
    cr_assert_eq(store_session_touch(db, "b", &valid, who), DB_OK);
    cr_assert_not(valid);
    cr_assert_eq(store_session_touch(db, "c", &valid, who), DB_OK);
    cr_assert_not(valid, "%s", e->label);
}

/* ---- remember-me ------------------------------------------------------------------------------- */

STORE_TEST(test_remember_me_is_bound_to_its_client_and_expires, false)
{
    setup(db, e);
    char id[UNIQUE_ID_LEN + 1], who[UNIQUE_ID_LEN + 1];
    new_user(db, e, "r@example.no", "h", id);
    cr_assert_eq(store_remember_create(db, "tok", id, "acme.web"), DB_OK);
    bool valid = false;
    cr_assert_eq(store_remember_check(db, "tok", "acme.web", &valid, who), DB_OK);
    cr_assert(valid, "%s", e->label);
    cr_assert_str_eq(who, id);
    cr_assert_eq(store_remember_check(db, "tok", "acme.app", &valid, who), DB_OK);
    cr_assert_not(valid, "%s: another client's cookie", e->label);
    age(db, &st_remember_age, REMEMBER_ME_TTL_MS);
    cr_assert_eq(store_remember_check(db, "tok", "acme.web", &valid, who), DB_OK);
    cr_assert_not(valid, "%s: after 365 days", e->label);
}

STORE_TEST(test_remember_me_delete_and_delete_user, false)
{
    setup(db, e);
    char id[UNIQUE_ID_LEN + 1], who[UNIQUE_ID_LEN + 1];
    new_user(db, e, "l@example.no", "h", id);
    cr_assert_eq(store_remember_create(db, "t1", id, "acme.web"), DB_OK);
    cr_assert_eq(store_remember_create(db, "t2", id, "acme.web"), DB_OK);
    cr_assert_eq(store_remember_create(db, "t3", id, "acme.app"), DB_OK);
    bool valid = true;
    cr_assert_eq(store_remember_delete(db, "t1"), DB_OK);
    cr_assert_eq(store_remember_check(db, "t1", "acme.web", &valid, who), DB_OK);
    cr_assert_not(valid);
    cr_assert_eq(store_remember_check(db, "t2", "acme.web", &valid, who), DB_OK);
    cr_assert(valid);
    cr_assert_eq(store_remember_delete_user(db, id), DB_OK);
    cr_assert_eq(count(db, &st_count_remember), 0, "%s", e->label);
}

/* ---- one-time codes ---------------------------------------------------------------------------- */

STORE_TEST(test_otc_issue_stores_only_a_hash_and_queues_the_message, false)
{
    setup(db, e);
    cr_assert_eq(issue(db, e, "+4712345678", "123456", "10.0.0.1"), OTC_ISSUED);
    cr_assert_eq(count(db, &st_count_messages), 1, "%s", e->label);
    struct db_rows *r = NULL;
    cr_assert_eq(db_query(db, &st_code_hash_of, NULL, 0, &r), DB_OK);
    cr_assert(db_next(r));
    cr_assert_eq(strlen(db_text(r, 0)), 64);
    cr_assert_null(strstr(db_text(r, 0), "123456"));
    db_rows_free(r);
    cr_assert_eq(check(db, e, "+4712345678", "123456"), OTC_OK, "%s", e->label);
    cr_assert_eq(check(db, e, "+4712345678", "123456"), OTC_DEAD, "%s: single use", e->label);
    cr_assert_eq(check(db, e, "+4700000000", "123456"), OTC_DEAD, "%s: another credential has no code", e->label);
}

STORE_TEST(test_otc_resend_within_30_seconds_is_refused, false)
{
    setup(db, e);
    cr_assert_eq(issue(db, e, "a@example.no", "111111", "10.0.0.1"), OTC_ISSUED);
    cr_assert_eq(issue(db, e, "a@example.no", "222222", "10.0.0.2"), OTC_RESEND_TOO_SOON, "%s", e->label);
    cr_assert_eq(count(db, &st_count_messages), 1, "%s: nothing queued", e->label);
    cr_assert_eq(issue(db, e, "b@example.no", "333333", "10.0.0.1"), OTC_ISSUED, "%s: other credential", e->label);
    age(db, &st_otc_age, 31 * 1000);
    cr_assert_eq(issue(db, e, "a@example.no", "222222", "10.0.0.1"), OTC_ISSUED, "%s: after 31 s", e->label);
    cr_assert_eq(count(db, &st_count_messages), 3);
}

STORE_TEST(test_otc_ten_codes_per_credential_in_24_hours, false)
{
    setup(db, e);
    old_codes(db, "c@example.no", "10.0.0.9", 9, 2 * HOUR);
    old_codes(db, "c@example.no", "10.0.0.9", 5, 25 * HOUR); /* outside the window */
    cr_assert_eq(issue(db, e, "c@example.no", "000010", "10.0.0.1"), OTC_ISSUED, "%s: the 10th", e->label);
    age(db, &st_otc_age, MINUTE);
    cr_assert_eq(issue(db, e, "c@example.no", "000011", "10.0.0.1"), OTC_CREDENTIAL_LIMIT, "%s", e->label);
    cr_assert_eq(count(db, &st_count_messages), 1, "%s", e->label);
    cr_assert_eq(check(db, e, "c@example.no", "000011"), OTC_WRONG, "%s: the refused code was not stored", e->label);
}

STORE_TEST(test_otc_thirty_codes_per_address_in_24_hours, false)
{
    setup(db, e);
    char cred[32];
    for (int i = 0; i < 29; i++) {
        snprintf(cred, sizeof cred, "u%d@example.no", i);
        old_codes(db, cred, "192.0.2.7", 1, 3 * HOUR);
    }
    old_codes(db, "old@example.no", "192.0.2.7", 10, 30 * HOUR); /* outside the window */
    cr_assert_eq(issue(db, e, "x@example.no", "123123", "192.0.2.7"), OTC_ISSUED, "%s: the 30th", e->label);
    cr_assert_eq(issue(db, e, "y@example.no", "123123", "192.0.2.7"), OTC_ADDRESS_LIMIT, "%s", e->label);
    cr_assert_eq(issue(db, e, "y@example.no", "123123", "192.0.2.8"), OTC_ISSUED, "%s: other address", e->label);
}

STORE_TEST(test_otc_five_wrong_attempts_kill_the_code, false)
{
    setup(db, e);
    issue(db, e, "w@example.no", "424242", "10.0.0.1");
    for (int i = 0; i < 4; i++)
        cr_assert_eq(check(db, e, "w@example.no", "000000"), OTC_WRONG, "%s: wrong #%d", e->label, i + 1);
    cr_assert_eq(check(db, e, "w@example.no", "000000"), OTC_DEAD, "%s: the 5th wrong", e->label);
    cr_assert_eq(check(db, e, "w@example.no", "424242"), OTC_DEAD, "%s: dead even when right", e->label);
}

STORE_TEST(test_otc_four_wrong_then_right_succeeds, false)
{
    setup(db, e);
    issue(db, e, "w@example.no", "424242", "10.0.0.1");
    for (int i = 0; i < 4; i++)
        cr_assert_eq(check(db, e, "w@example.no", "999999"), OTC_WRONG);
    cr_assert_eq(check(db, e, "w@example.no", "424242"), OTC_OK, "%s", e->label);
}

STORE_TEST(test_otc_expires_after_10_minutes, false)
{
    setup(db, e);
    issue(db, e, "t@example.no", "555555", "10.0.0.1");
    age(db, &st_otc_age, 10 * MINUTE + 1000);
    cr_assert_eq(check(db, e, "t@example.no", "555555"), OTC_DEAD, "%s", e->label);
    cr_assert_eq(check(db, e, "t@example.no", "000000"), OTC_DEAD, "%s", e->label);
}

STORE_TEST(test_otc_only_the_newest_code_counts, false)
{
    setup(db, e);
    issue(db, e, "n@example.no", "111111", "10.0.0.1");
    age(db, &st_otc_age, 40 * 1000);
    issue(db, e, "n@example.no", "222222", "10.0.0.1");
    cr_assert_eq(check(db, e, "n@example.no", "111111"), OTC_WRONG, "%s: replaced", e->label);
    cr_assert_eq(check(db, e, "n@example.no", "222222"), OTC_OK, "%s", e->label);
}

/* ---- password failures and mailbox ----------------------------------------------------------- */

STORE_TEST(test_password_failures_count_within_15_minutes_per_credential_and_per_address, false)
{
    setup(db, e);
    int64_t n = -1, a = -1;
    for (int i = 0; i < PASSWORD_FAIL_LIMIT; i++)
        cr_assert_eq(store_password_failure_add(db, "p@example.no", "10.0.0.1"), DB_OK, "%s", db_errmsg(db));
    cr_assert_eq(store_password_failure_add(db, "q@example.no", "10.0.0.2"), DB_OK);
    cr_assert_eq(store_password_failures(db, "p@example.no", "10.0.0.2", &n, &a), DB_OK);
    cr_assert_eq(n, PASSWORD_FAIL_LIMIT, "%s: locked", e->label);
    cr_assert_eq(a, 1, "%s: one wrong password from 10.0.0.2", e->label);
    cr_assert_eq(store_password_failures(db, "q@example.no", "10.0.0.1", &n, &a), DB_OK);
    cr_assert_eq(n, 1);
    cr_assert_eq(a, PASSWORD_FAIL_LIMIT);
    age(db, &st_pwfail_age, 14 * MINUTE);
    cr_assert_eq(store_password_failures(db, "p@example.no", "10.0.0.1", &n, &a), DB_OK);
    cr_assert_eq(n, PASSWORD_FAIL_LIMIT, "%s: 14 min later", e->label);
    cr_assert_eq(a, PASSWORD_FAIL_LIMIT);
    age(db, &st_pwfail_age, 2 * MINUTE);
    cr_assert_eq(store_password_failures(db, "p@example.no", "10.0.0.1", &n, &a), DB_OK);
    cr_assert_eq(n, 0, "%s: 16 min later", e->label);
    cr_assert_eq(a, 0);
}

/* ---- authorization codes and approvals --------------------------------------------------------- */

static void new_code(struct db *db, const struct engine *e, const char *code, const char *uid)
{
    struct auth_code_new c = {.code = code, .client_id = "acme.web", .unique_id = uid,
                              .redirect_uri = "https://example.no/cb",
                              .code_challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
                              .challenge_method = "S256"};
    cr_assert_eq(store_auth_code_create(db, &c), DB_OK, "%s: %s", e->label, db_errmsg(db));
}

STORE_TEST(test_auth_code_is_single_use_and_carries_its_binding, false)
{
    setup(db, e);
    char id[UNIQUE_ID_LEN + 1];
    new_user(db, e, "o@example.no", "h", id);
    new_code(db, e, "Qm9xR2VhT3pLc1N0dVZ3WHlaYWJjZGVm", id);
    bool found = false;
    struct auth_code_rec r;
    cr_assert_eq(store_auth_code_consume(db, "Qm9xR2VhT3pLc1N0dVZ3WHlaYWJjZGVm", &found, &r), DB_OK);
    cr_assert(found, "%s", e->label);
    cr_assert_str_eq(r.client_id, "acme.web");
    cr_assert_str_eq(r.unique_id, id);
    cr_assert_str_eq(r.redirect_uri, "https://example.no/cb");
    cr_assert_str_eq(r.code_challenge, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    cr_assert_str_eq(r.challenge_method, "S256");
    cr_assert_eq(store_auth_code_consume(db, "Qm9xR2VhT3pLc1N0dVZ3WHlaYWJjZGVm", &found, &r), DB_OK);
    cr_assert_not(found, "%s: second use", e->label);
    cr_assert_eq(store_auth_code_consume(db, "unknown", &found, &r), DB_OK);
    cr_assert_not(found);

    struct auth_code_new plain = {.code = "no-pkce", .client_id = "acme.app", .unique_id = id, .redirect_uri = ""};
    cr_assert_eq(store_auth_code_create(db, &plain), DB_OK);
    cr_assert_eq(store_auth_code_consume(db, "no-pkce", &found, &r), DB_OK);
    cr_assert(found);
    cr_assert_str_eq(r.code_challenge, "");
    cr_assert_str_eq(r.challenge_method, "");
}

STORE_TEST(test_auth_code_expires_after_10_minutes, false)
{
    setup(db, e);
    char id[UNIQUE_ID_LEN + 1];
    new_user(db, e, "x@example.no", "h", id);
    new_code(db, e, "late", id);
    age(db, &st_code_age, AUTH_CODE_TTL_MS);
    bool found = true;
    struct auth_code_rec r;
    cr_assert_eq(store_auth_code_consume(db, "late", &found, &r), DB_OK);
    cr_assert_not(found, "%s", e->label);
}

STORE_TEST(test_approval_is_remembered_per_user_and_client, false)
{
    setup(db, e);
    char id[UNIQUE_ID_LEN + 1];
    new_user(db, e, "a@example.no", "h", id);
    bool ok = true;
    cr_assert_eq(store_approval_has(db, id, "acme.web", &ok), DB_OK);
    cr_assert_not(ok);
    cr_assert_eq(store_approval_add(db, id, "acme.web"), DB_OK, "%s", db_errmsg(db));
    cr_assert_eq(store_approval_add(db, id, "acme.web"), DB_OK, "%s: idempotent", e->label);
    cr_assert_eq(store_approval_has(db, id, "acme.web", &ok), DB_OK);
    cr_assert(ok, "%s", e->label);
    cr_assert_eq(store_approval_has(db, id, "acme.app", &ok), DB_OK);
    cr_assert_not(ok, "%s: per client", e->label);
}

STORE_TEST(test_client_login_settings_default_and_update, false)
{
    setup(db, e);
    bool found = false;
    struct client_login c;
    cr_assert_eq(store_client_login_get(db, "acme.web", &found, &c), DB_OK, "%s", db_errmsg(db));
    cr_assert(found);
    cr_assert_str_eq(c.redirect_hosts, "");
    cr_assert_str_eq(c.remember_cookie, CLIENT_REMEMBER_COOKIE_DEFAULT);
    cr_assert_not(c.require_approval);
    cr_assert_not(c.require_pkce);
    client_login_free(&c);
    struct client_login in = {.redirect_hosts = "example.no\nwww.example.no", .remember_cookie = "acme_rm",
                              .require_approval = true, .require_pkce = true};
    cr_assert_eq(store_client_login_set(db, "acme.web", &in, &found), DB_OK, "%s", db_errmsg(db));
    cr_assert(found);
    cr_assert_eq(store_client_login_get(db, "acme.web", &found, &c), DB_OK);
    cr_assert_str_eq(c.redirect_hosts, "example.no\nwww.example.no");
    cr_assert_str_eq(c.remember_cookie, "acme_rm");
    cr_assert(c.require_approval && c.require_pkce, "%s", e->label);
    client_login_free(&c);
    cr_assert_eq(store_client_login_get(db, "nope", &found, &c), DB_OK);
    cr_assert_not(found);
    cr_assert_eq(store_client_login_set(db, "nope", &in, &found), DB_OK);
    cr_assert_not(found);
}

/* ---- races ------------------------------------------------------------------------------------- */

#define RACERS 8

struct racer {
    const struct engine *e;
    pthread_barrier_t *start;
    bool create; /* store_login_user_create instead of store_auth_code_consume */
    enum db_status status;
    bool won;
    char id[UNIQUE_ID_LEN + 1];
    char err[512];
};

static void *race(void *arg)
{
    struct racer *r = arg;
    struct db *db = engine_try_connect(r->e, r->err, sizeof r->err);
    pthread_barrier_wait(r->start);
    if (db == NULL) {
        r->status = DB_ERROR;
        return NULL;
    }
    for (int attempt = 0; attempt < 20; attempt++) { /* a busy SQLite writer queue is retried, as a server would */
        if (r->create) {
            struct login_user_new u = {.credential = "race@example.no", .credential_type = 'A',
                                       .password_hash = "h", .client_id = "acme.web"};
            r->status = store_login_user_create(db, &u, &r->won, r->id);
        } else {
            struct auth_code_rec rec;
            r->status = store_auth_code_consume(db, "racy-code", &r->won, &rec);
        }
        if (r->status != DB_BUSY)
            break;
    }
    if (r->status != DB_OK)
        snprintf(r->err, sizeof r->err, "%s", db_errmsg(db));
    db_close(db);
    return NULL;
}

static int run_race(const struct engine *e, bool create)
{
    struct racer r[RACERS];
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, RACERS);
    pthread_t t[RACERS];
    for (int i = 0; i < RACERS; i++) {
        r[i] = (struct racer){.e = e, .start = &start, .create = create};
        cr_assert_eq(pthread_create(&t[i], NULL, race, &r[i]), 0);
    }
    for (int i = 0; i < RACERS; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&start);
    int won = 0;
    for (int i = 0; i < RACERS; i++) {
        cr_assert_eq(r[i].status, DB_OK, "%s: racer %d: %s", e->label, i, r[i].err);
        won += r[i].won;
    }
    return won;
}

STORE_TEST(test_auth_code_consumed_by_8_racers_has_exactly_one_winner, true)
{
    setup(db, e);
    char id[UNIQUE_ID_LEN + 1];
    new_user(db, e, "race@example.no", "h", id);
    new_code(db, e, "racy-code", id);
    cr_assert_eq(run_race(e, false), 1, "%s: exactly one consumer wins", e->label);
}

STORE_TEST(test_concurrent_creates_of_one_credential_make_one_user, true)
{
    setup(db, e);
    int64_t events = count(db, &st_count_events);
    cr_assert_eq(run_race(e, true), 1, "%s: exactly one creator", e->label);
    cr_assert_eq(count(db, &st_count_users), 1, "%s", e->label);
    cr_assert_eq(count(db, &st_count_events), events + 1, "%s: one USER_CREATED", e->label);
}
