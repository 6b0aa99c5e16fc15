/* test_store_users.c — src/store/users.c (store.h "users and external identities", "server
 * secrets") on every engine, through the harness in store_engines.h: #127 and #128 as the store
 * sees them (identity.md §2.1, §2.2), their events (events.md §6.2), the one-customer-per-user-
 * per-partner rules (README §2), single-use codes, server secrets, and concurrent first calls
 * creating exactly one user (README §11.1). */
#include <criterion/criterion.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "store/db.h"
#include "store/store.h"
#include "store_engines.h"

DB_STMT(st_partner_add, "INSERT INTO partner (id, name, schema_id, created_at) VALUES ($1, $1, $2, 0)");
DB_STMT(st_customer_add, "INSERT INTO customer (customer_number, partner_id, created_at, updated_at)\n"
                         " VALUES ($1, $2, 0, 0)");
DB_STMT(st_count_users, "SELECT count(*) FROM users");
DB_STMT(st_count_links, "SELECT count(*) FROM user_customer");
DB_STMT(st_count_events, "SELECT count(*) FROM outbox");
DB_STMT(st_count_type, "SELECT count(*) FROM outbox WHERE detail_type = $1");
DB_STMT(st_last_event, "SELECT detail_type, source, detail FROM outbox ORDER BY id DESC");
DB_STMT(st_block, "UPDATE users SET state = 'BLOCKED' WHERE unique_id = $1");

/* Wall-clock epoch ms (the store's clock, to the second). */
static int64_t now_ms(void)
{
    return (int64_t)time(NULL) * 1000;
}

/* ---- fixtures ------------------------------------------------------------------------------ */

static void add_partner(struct db *db, const char *id, const char *schema)
{
    struct db_param p[] = {P_TEXT(id), P_TEXT(schema)};
    cr_assert_eq(db_exec(db, &st_partner_add, p, 2, NULL), DB_OK, "%s", db_errmsg(db));
}

static void add_customer(struct db *db, int64_t number, const char *partner)
{
    struct db_param p[] = {P_INT(number), P_TEXT(partner)};
    cr_assert_eq(db_exec(db, &st_customer_add, p, 2, NULL), DB_OK, "%s", db_errmsg(db));
}

/* Partners acme (schema ACME, customers 100, 101, 102) and beta (schema BETA, customer 200). */
static void setup(struct db *db, const struct engine *e)
{
    migrate(db, e);
    add_partner(db, "acme", "ACME");
    add_partner(db, "beta", "BETA");
    add_customer(db, 100, "acme");
    add_customer(db, 101, "acme");
    add_customer(db, 102, "acme");
    add_customer(db, 200, "beta");
}

/* A request of partner's client "<partner>.client" for "<PREFIX>:ext". */
struct req {
    struct extid_request rq;
    char credential[80];
};

static struct extid_request *req(struct req *r, const char *partner, char type, const char *ext, int64_t customer)
{
    static const char *const prefixes[] = {"AID", "EGM", "BYG", "COR", "LRF", "MEN", "EXT", "ZEP"};
    const char *types = "DEHILMXZ";
    const char *prefix = prefixes[strchr(types, type) - types];
    snprintf(r->credential, sizeof r->credential, "%s:%s", prefix, ext);
    r->rq = (struct extid_request){.partner = partner,
                                   .client_id = !strcmp(partner, "acme") ? "acme.client" : "beta.client",
                                   .credential_type = type,
                                   .credential = r->credential,
                                   .external_id = ext,
                                   .customer_number = customer};
    return &r->rq;
}

static struct extid_result do_register(struct db *db, const struct engine *e, const char *partner, char type,
                                       const char *ext)
{
    struct req r;
    struct extid_result out;
    cr_assert_eq(store_extid_register(db, req(&r, partner, type, ext, 0), &out), DB_OK, "%s: %s", e->label,
                 db_errmsg(db));
    cr_assert_eq(strlen(out.unique_id), UNIQUE_ID_LEN, "%s", e->label);
    cr_assert_eq(strspn(out.unique_id, "0123456789abcdef"), UNIQUE_ID_LEN, "%s: lowercase hex", e->label);
    return out;
}

static enum extid_outcome do_bind(struct db *db, const struct engine *e, const char *partner, char type,
                                  const char *ext, int64_t customer, struct extid_result *out)
{
    struct req r;
    enum extid_outcome o = EXTID_OK;
    cr_assert_eq(store_extid_bind_customer(db, req(&r, partner, type, ext, customer), out, &o), DB_OK, "%s: %s",
                 e->label, db_errmsg(db));
    return o;
}

static int64_t count(struct db *db, struct db_stmt *st)
{
    return one_int(db, st, NULL, 0);
}

static int64_t count_type(struct db *db, const char *type)
{
    struct db_param p = P_TEXT(type);
    return one_int(db, &st_count_type, &p, 1);
}

/* The newest event's detail, parsed (caller decrefs); its type and source checked. */
static json_t *last_event(struct db *db, const struct engine *e, const char *type)
{
    struct db_rows *r = NULL;
    cr_assert_eq(db_query(db, &st_last_event, NULL, 0, &r), DB_OK, "%s", db_errmsg(db));
    cr_assert(db_next(r), "%s: an event", e->label);
    cr_assert_str_eq(db_text(r, 0), type, "%s", e->label);
    cr_assert_str_eq(db_text(r, 1), EVENT_SOURCE_CONNECTID, "%s", e->label);
    json_error_t err;
    json_t *d = json_loads(db_text(r, 2), 0, &err);
    cr_assert_not_null(d, "%s: detail is JSON: %s", e->label, err.text);
    db_rows_free(r);
    return d;
}

static const char *jstr(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    cr_assert_not_null(s, "detail.%s is a string", key);
    return s;
}

/* ---- #127 ---------------------------------------------------------------------------------- */

STORE_TEST(test_register_creates_an_active_user_and_emits_user_created, false)
{
    setup(db, e);
    struct extid_result out = do_register(db, e, "acme", 'D', "59cb6372");
    cr_assert(out.new_user, "%s", e->label);
    cr_assert_str_eq(out.state, "ACTIVE", "%s", e->label);
    cr_assert_not(out.had_link);
    cr_assert_eq(count(db, &st_count_users), 1);
    cr_assert_eq(count(db, &st_count_events), 1, "%s", e->label);
    json_t *d = last_event(db, e, "USER_CREATED");
    cr_assert_eq(json_object_size(d), 4, "%s: uniqueId, clientId, credentialType, origin", e->label);
    cr_assert_str_eq(jstr(d, "uniqueId"), out.unique_id);
    cr_assert_str_eq(jstr(d, "clientId"), "acme.client");
    cr_assert_str_eq(jstr(d, "credentialType"), "D");
    cr_assert_str_eq(jstr(d, "origin"), "EXTID");
    json_decref(d);

    bool found = false;
    char state[8];
    cr_assert_eq(store_user_state(db, out.unique_id, &found, state), DB_OK);
    cr_assert(found);
    cr_assert_str_eq(state, "ACTIVE");
}

STORE_TEST(test_register_twice_returns_the_same_user_without_a_new_event, false)
{
    setup(db, e);
    struct extid_result first = do_register(db, e, "acme", 'D', "abc");
    struct extid_result again = do_register(db, e, "acme", 'D', "abc");
    cr_assert_str_eq(again.unique_id, first.unique_id, "%s", e->label);
    cr_assert_not(again.new_user, "%s", e->label);
    cr_assert_str_eq(again.state, "ACTIVE");
    cr_assert_eq(count(db, &st_count_users), 1);
    cr_assert_eq(count(db, &st_count_events), 1, "%s: no second USER_CREATED", e->label);
    /* Another partner's client finds the same installation-wide D credential. */
    struct extid_result other = do_register(db, e, "beta", 'D', "abc");
    cr_assert_str_eq(other.unique_id, first.unique_id, "%s: D is installation-wide", e->label);
    cr_assert_not(other.new_user);
}

STORE_TEST(test_register_credentials_are_case_sensitive, false)
{
    setup(db, e);
    struct extid_result upper = do_register(db, e, "acme", 'D', "ABC");
    struct extid_result lower = do_register(db, e, "acme", 'D', "abc");
    cr_assert(upper.new_user && lower.new_user, "%s", e->label);
    cr_assert_str_neq(upper.unique_id, lower.unique_id, "%s", e->label);
    cr_assert_eq(count(db, &st_count_users), 2);
}

STORE_TEST(test_x_credentials_are_scoped_per_partner, false)
{
    setup(db, e);
    struct extid_result a = do_register(db, e, "acme", 'X', "42");
    struct extid_result b = do_register(db, e, "beta", 'X', "42");
    cr_assert(a.new_user && b.new_user, "%s: EXT:42 of acme and of beta are two users", e->label);
    cr_assert_str_neq(a.unique_id, b.unique_id);
    struct extid_result a2 = do_register(db, e, "acme", 'X', "42");
    cr_assert_str_eq(a2.unique_id, a.unique_id, "%s", e->label);
    cr_assert_not(a2.new_user);
    /* Different types are different credentials. */
    struct extid_result d = do_register(db, e, "acme", 'D', "42");
    cr_assert(d.new_user, "%s", e->label);
    cr_assert_eq(count(db, &st_count_users), 3);
}

/* ---- #128 ---------------------------------------------------------------------------------- */

STORE_TEST(test_bind_creates_a_pending_user_which_register_activates, false)
{
    setup(db, e);
    struct extid_result b;
    cr_assert_eq(do_bind(db, e, "acme", 'D', "u1", 100, &b), EXTID_OK, "%s", e->label);
    cr_assert(b.new_user, "%s", e->label);
    cr_assert_str_eq(b.state, "PENDING", "%s", e->label);
    cr_assert_not(b.had_link, "%s: the first link answers without customerNumber", e->label);
    cr_assert_eq(count_type(db, "USER_CREATED"), 1, "%s", e->label);
    cr_assert_eq(count_type(db, "USER_CUSTOMER_LINKED"), 1, "%s", e->label);
    json_t *d = last_event(db, e, "USER_CUSTOMER_LINKED");
    cr_assert_eq(json_object_size(d), 4, "%s: uniqueId, clientId, schema, customer", e->label);
    cr_assert_str_eq(jstr(d, "uniqueId"), b.unique_id);
    cr_assert_str_eq(jstr(d, "clientId"), "acme.client");
    cr_assert_str_eq(jstr(d, "schema"), "ACME", "%s: the partner's schema id", e->label);
    cr_assert(json_is_integer(json_object_get(d, "customer")));
    cr_assert_eq(json_integer_value(json_object_get(d, "customer")), 100);
    json_decref(d);

    struct extid_result r = do_register(db, e, "acme", 'D', "u1");
    cr_assert_str_eq(r.unique_id, b.unique_id, "%s", e->label);
    cr_assert_not(r.new_user);
    cr_assert_str_eq(r.state, "ACTIVE", "%s: PENDING -> ACTIVE", e->label);
    cr_assert(r.had_link, "%s", e->label);
    cr_assert_eq(r.customer_number, 100);
    cr_assert_eq(count(db, &st_count_events), 2, "%s: activation emits nothing", e->label);
    bool found = false;
    char state[8];
    cr_assert_eq(store_user_state(db, b.unique_id, &found, state), DB_OK);
    cr_assert_str_eq(state, "ACTIVE", "%s: stored", e->label);
}

STORE_TEST(test_had_link_is_the_link_of_the_callers_partner_before_the_call, false)
{
    setup(db, e);
    struct extid_result first = do_register(db, e, "acme", 'D', "u1");
    cr_assert_not(first.had_link);
    struct extid_result b;
    cr_assert_eq(do_bind(db, e, "acme", 'D', "u1", 100, &b), EXTID_OK, "%s", e->label);
    cr_assert_not(b.new_user);
    cr_assert_str_eq(b.state, "ACTIVE");
    cr_assert_not(b.had_link, "%s: first bind", e->label);
    cr_assert_eq(do_bind(db, e, "acme", 'D', "u1", 100, &b), EXTID_OK, "%s", e->label);
    cr_assert(b.had_link, "%s: repeated bind", e->label);
    cr_assert_eq(b.customer_number, 100);
    cr_assert_eq(count_type(db, "USER_CUSTOMER_LINKED"), 1, "%s: linked once", e->label);
    cr_assert_eq(count(db, &st_count_links), 1);

    struct extid_result r = do_register(db, e, "acme", 'D', "u1");
    cr_assert(r.had_link, "%s: register after bind, same partner", e->label);
    cr_assert_eq(r.customer_number, 100);
    r = do_register(db, e, "beta", 'D', "u1");
    cr_assert_not(r.had_link, "%s: never another partner's customer", e->label);

    /* The same user may have one customer of beta as well. */
    cr_assert_eq(do_bind(db, e, "beta", 'D', "u1", 200, &b), EXTID_OK, "%s", e->label);
    cr_assert_not(b.had_link, "%s", e->label);
    json_t *d = last_event(db, e, "USER_CUSTOMER_LINKED");
    cr_assert_str_eq(jstr(d, "schema"), "BETA");
    json_decref(d);
    r = do_register(db, e, "beta", 'D', "u1");
    cr_assert(r.had_link && r.customer_number == 200, "%s", e->label);
    r = do_register(db, e, "acme", 'D', "u1");
    cr_assert(r.had_link && r.customer_number == 100, "%s", e->label);
}

/* Snapshot of what a failed call must leave alone. */
struct counts {
    int64_t users, links, events;
};

static struct counts counts_now(struct db *db)
{
    return (struct counts){count(db, &st_count_users), count(db, &st_count_links), count(db, &st_count_events)};
}

static void assert_unchanged(struct db *db, const struct engine *e, struct counts before, const char *what)
{
    struct counts now = counts_now(db);
    cr_assert_eq(now.users, before.users, "%s: %s created no user", e->label, what);
    cr_assert_eq(now.links, before.links, "%s: %s linked nothing", e->label, what);
    cr_assert_eq(now.events, before.events, "%s: %s emitted nothing", e->label, what);
}

STORE_TEST(test_bind_to_an_unknown_or_another_partners_customer_is_not_found, false)
{
    setup(db, e);
    struct counts before = counts_now(db);
    struct extid_result b;
    cr_assert_eq(do_bind(db, e, "acme", 'D', "u1", 999, &b), EXTID_CUSTOMER_NOT_FOUND, "%s", e->label);
    assert_unchanged(db, e, before, "unknown customer");
    cr_assert_eq(do_bind(db, e, "acme", 'D', "u1", 200, &b), EXTID_CUSTOMER_NOT_FOUND, "%s: beta's", e->label);
    assert_unchanged(db, e, before, "another partner's customer");
    /* An existing user is not activated or changed either. */
    struct extid_result r = do_register(db, e, "acme", 'X', "u2");
    before = counts_now(db);
    cr_assert_eq(do_bind(db, e, "beta", 'X', "u2", 100, &b), EXTID_CUSTOMER_NOT_FOUND, "%s", e->label);
    assert_unchanged(db, e, before, "beta binding acme's customer");
    (void)r;
}

STORE_TEST(test_bind_conflicts_change_nothing, false)
{
    setup(db, e);
    struct extid_result b;
    cr_assert_eq(do_bind(db, e, "acme", 'D', "u1", 100, &b), EXTID_OK);
    struct extid_result u2 = do_register(db, e, "acme", 'D', "u2");
    struct counts before = counts_now(db);

    /* u1 already has customer 100 of acme. */
    cr_assert_eq(do_bind(db, e, "acme", 'D', "u1", 101, &b), EXTID_USER_LINKED_ELSEWHERE, "%s", e->label);
    assert_unchanged(db, e, before, "user linked elsewhere");
    /* Customer 100 already has u1: an existing user ... */
    cr_assert_eq(do_bind(db, e, "acme", 'D', "u2", 100, &b), EXTID_CUSTOMER_LINKED_ELSEWHERE, "%s", e->label);
    assert_unchanged(db, e, before, "customer linked elsewhere (existing user)");
    /* ... and a new one, which is then not created (rule 0). */
    cr_assert_eq(do_bind(db, e, "acme", 'D', "new", 100, &b), EXTID_CUSTOMER_LINKED_ELSEWHERE, "%s", e->label);
    assert_unchanged(db, e, before, "customer linked elsewhere (new user)");
    struct req r;
    struct extid_result x;
    cr_assert_eq(store_extid_register(db, req(&r, "acme", 'D', "new", 0), &x), DB_OK);
    cr_assert(x.new_user, "%s: 'new' did not exist", e->label);

    /* u2 is still free to take another customer. */
    cr_assert_eq(do_bind(db, e, "acme", 'D', "u2", 101, &b), EXTID_OK, "%s", e->label);
    cr_assert_str_eq(b.unique_id, u2.unique_id);
}

STORE_TEST(test_bind_links_a_blocked_user_and_keeps_it_blocked, false)
{
    setup(db, e);
    struct extid_result r = do_register(db, e, "acme", 'M', "b1");
    struct db_param p = P_TEXT(r.unique_id);
    cr_assert_eq(db_exec(db, &st_block, &p, 1, NULL), DB_OK);
    struct extid_result b;
    cr_assert_eq(do_bind(db, e, "acme", 'M', "b1", 102, &b), EXTID_OK, "%s", e->label);
    cr_assert_str_eq(b.state, "BLOCKED", "%s", e->label);
    cr_assert_not(b.new_user);
    cr_assert_eq(count(db, &st_count_links), 1, "%s: linked", e->label);
    struct extid_result again = do_register(db, e, "acme", 'M', "b1");
    cr_assert_str_eq(again.state, "BLOCKED", "%s: register changes nothing either", e->label);
    cr_assert(again.had_link && again.customer_number == 102);
}

STORE_TEST(test_user_state_of_an_unknown_user_is_not_found, false)
{
    setup(db, e);
    bool found = true;
    char state[8];
    cr_assert_eq(store_user_state(db, "0123456789abcdef0123456789abcdef", &found, state), DB_OK);
    cr_assert_not(found, "%s", e->label);
}

/* ---- codes and secrets ----------------------------------------------------------------------- */

STORE_TEST(test_a_code_id_can_be_used_once, false)
{
    setup(db, e);
    int64_t later = now_ms() + 600000;
    cr_assert_eq(store_code_use(db, "jti-1", later), DB_OK, "%s: %s", e->label, db_errmsg(db));
    cr_assert_eq(store_code_use(db, "jti-1", later), DB_CONSTRAINT, "%s", e->label);
    cr_assert_eq(store_code_use(db, "jti-2", later), DB_OK, "%s", e->label);
    /* Inside a caller's transaction, the conflict leaves the transaction usable. */
    cr_assert_eq(db_begin(db), DB_OK);
    cr_assert_eq(store_code_use(db, "jti-2", later), DB_CONSTRAINT, "%s", e->label);
    cr_assert_eq(store_code_use(db, "jti-3", later), DB_OK, "%s: %s", e->label, db_errmsg(db));
    cr_assert_eq(db_commit(db), DB_OK, "%s: %s", e->label, db_errmsg(db));
    cr_assert_eq(store_code_use(db, "jti-3", later), DB_CONSTRAINT, "%s", e->label);
}

DB_STMT(st_count_codes, "SELECT count(*) FROM used_code");

STORE_TEST(test_expired_code_ids_are_forgotten, false)
{
    setup(db, e);
    cr_assert_eq(store_code_use(db, "old", now_ms() - 1000), DB_OK);
    cr_assert_eq(store_code_use(db, "new", now_ms() + 600000), DB_OK);
    cr_assert_eq(count(db, &st_count_codes), 1, "%s: the expired id went", e->label);
}

STORE_TEST(test_server_secret_is_created_once_and_shared, true)
{
    setup(db, e);
    char a[129], b[129], c[129], other[129];
    cr_assert_eq(store_server_secret(db, "extid_code_key", a), DB_OK, "%s: %s", e->label, db_errmsg(db));
    cr_assert_eq(strlen(a), 128);
    cr_assert_eq(strspn(a, "0123456789abcdef"), 128, "%s: hex", e->label);
    cr_assert_eq(store_server_secret(db, "extid_code_key", b), DB_OK);
    cr_assert_str_eq(a, b, "%s: stable", e->label);
    struct db *db2 = engine_connect(e);
    cr_assert_eq(store_server_secret(db2, "extid_code_key", c), DB_OK, "%s: %s", e->label, db_errmsg(db2));
    cr_assert_str_eq(a, c, "%s: the same on another connection", e->label);
    cr_assert_eq(store_server_secret(db2, "another", other), DB_OK);
    cr_assert_str_neq(a, other, "%s: one secret per name", e->label);
    db_close(db2);
}

/* ---- concurrency (README §11.1) ------------------------------------------------------------- */

#define RACERS 8

struct racer {
    const struct engine *e;
    pthread_barrier_t *start;
    bool bind;       /* #128 instead of #127 */
    const char *ext; /* the external id this racer uses */
    enum db_status status;
    enum extid_outcome outcome;
    struct extid_result out;
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
    struct req q;
    for (int attempt = 0; attempt < 20; attempt++) { /* a busy SQLite writer queue is retried, as a server would */
        if (r->bind)
            r->status = store_extid_bind_customer(db, req(&q, "acme", 'D', r->ext, 101), &r->out, &r->outcome);
        else
            r->status = store_extid_register(db, req(&q, "acme", 'D', r->ext, 0), &r->out);
        if (r->status != DB_BUSY)
            break;
    }
    if (r->status != DB_OK)
        snprintf(r->err, sizeof r->err, "%s", db_errmsg(db));
    db_close(db);
    return NULL;
}

/* RACERS threads, each with its own connection, start the same call at once; distinct gives each
 * its own external id. */
static void start_race(struct db *db, const struct engine *e, bool bind, bool distinct, struct racer r[RACERS])
{
    setup(db, e);
    static const char *const ids[RACERS] = {"r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7"};
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, RACERS);
    pthread_t t[RACERS];
    for (int i = 0; i < RACERS; i++) {
        r[i] = (struct racer){.e = e, .start = &start, .bind = bind, .ext = distinct ? ids[i] : "racer"};
        cr_assert_eq(pthread_create(&t[i], NULL, race, &r[i]), 0);
    }
    for (int i = 0; i < RACERS; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&start);
}

static void run_race(struct db *db, const struct engine *e, bool bind)
{
    struct racer r[RACERS];
    start_race(db, e, bind, false, r);
    int created = 0;
    for (int i = 0; i < RACERS; i++) {
        cr_assert_eq(r[i].status, DB_OK, "%s: racer %d: %s", e->label, i, r[i].err);
        cr_assert_eq(r[i].outcome, EXTID_OK, "%s: racer %d", e->label, i);
        cr_assert_str_eq(r[i].out.unique_id, r[0].out.unique_id, "%s: one user for all", e->label);
        created += r[i].out.new_user;
    }
    cr_assert_eq(created, 1, "%s: exactly one call created the user", e->label);
    cr_assert_eq(count(db, &st_count_users), 1, "%s", e->label);
    cr_assert_eq(count_type(db, "USER_CREATED"), 1, "%s", e->label);
    if (bind) {
        cr_assert_eq(count(db, &st_count_links), 1, "%s", e->label);
        cr_assert_eq(count_type(db, "USER_CUSTOMER_LINKED"), 1, "%s", e->label);
        int first = 0;
        for (int i = 0; i < RACERS; i++)
            first += !r[i].out.had_link;
        cr_assert_eq(first, 1, "%s: one call made the link, the others saw it", e->label);
    }
}

STORE_TEST(test_concurrent_first_registers_create_one_user, true)
{
    run_race(db, e, false);
}

STORE_TEST(test_concurrent_first_binds_create_one_user_and_one_link, true)
{
    run_race(db, e, true);
}

STORE_TEST(test_concurrent_binds_of_one_customer_by_new_users_link_exactly_one, true)
{
    struct racer r[RACERS];
    start_race(db, e, true, true, r);
    int won = 0;
    for (int i = 0; i < RACERS; i++) {
        cr_assert_eq(r[i].status, DB_OK, "%s: racer %d: %s", e->label, i, r[i].err);
        if (r[i].outcome == EXTID_OK)
            won++;
        else
            cr_assert_eq(r[i].outcome, EXTID_CUSTOMER_LINKED_ELSEWHERE, "%s: racer %d", e->label, i);
    }
    cr_assert_eq(won, 1, "%s: one user got customer 101", e->label);
    cr_assert_eq(count(db, &st_count_users), 1, "%s: the losers' users were rolled back", e->label);
    cr_assert_eq(count(db, &st_count_links), 1, "%s", e->label);
    cr_assert_eq(count_type(db, "USER_CREATED"), 1, "%s", e->label);
    cr_assert_eq(count_type(db, "USER_CUSTOMER_LINKED"), 1, "%s", e->label);
}

/* ---- migration 3 ------------------------------------------------------------------------------- */

DB_STMT(st_old_client, "INSERT INTO client (client_id, secret_hash, partner_id, grants, created_at)\n"
                       " VALUES ($1, 'h', 'acme', 'client_credentials', 0)");
DB_STMT(st_client_types, "SELECT count(*) FROM client WHERE client_id = $1 AND extid_types = $2");

STORE_TEST(test_migration_3_gives_the_demo_client_every_type_and_others_none, false)
{
    char err[256] = "";
    cr_assert(store_migrate_to(db, 2, err, sizeof err), "%s: %s", e->label, err);
    add_partner(db, "acme", "ACME");
    struct db_param demo = P_TEXT(DEMO_CLIENT_ID), other = P_TEXT("other.example");
    cr_assert_eq(db_exec(db, &st_old_client, &demo, 1, NULL), DB_OK, "%s", db_errmsg(db));
    cr_assert_eq(db_exec(db, &st_old_client, &other, 1, NULL), DB_OK, "%s", db_errmsg(db));
    migrate(db, e);
    struct db_param p1[] = {P_TEXT(DEMO_CLIENT_ID), P_TEXT("DEHILMXZ")}, p2[] = {P_TEXT("other.example"), P_TEXT("")};
    cr_assert_eq(one_int(db, &st_client_types, p1, 2), 1, "%s", e->label);
    cr_assert_eq(one_int(db, &st_client_types, p2, 2), 1, "%s", e->label);
}
