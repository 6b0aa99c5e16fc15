/* test_store.c — src/store/ (db.h, store.h: schema, SQL layer, outbox, demo data) on every
 * engine, through the harness in store_engines.h: SQLite file, SQLite :memory: and, when
 * CONNECTD_TEST_PG_URL is set, PostgreSQL in a scratch schema per test. Clients and tokens have
 * their own files (test_store_clients.c, test_store_tokens.c). */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/db.h"
#include "store/store.h"
#include "store_engines.h"
#include "util/crypto.h"

DB_STMT(st_count_settings, "SELECT count(*) FROM setting");
DB_STMT(st_count_partners, "SELECT count(*) FROM partner");
DB_STMT(st_count_companies, "SELECT count(*) FROM company");
DB_STMT(st_count_products, "SELECT count(*) FROM product");
DB_STMT(st_count_customers, "SELECT count(*) FROM customer");
DB_STMT(st_count_clients, "SELECT count(*) FROM client");
DB_STMT(st_count_outbox, "SELECT count(*) FROM outbox");
DB_STMT(st_count_migrations, "SELECT count(*) FROM schema_migrations");
DB_STMT(st_setting_put, "INSERT INTO setting (name, value) VALUES ($1, $2)");

/* ---- schema ------------------------------------------------------------------------------- */

STORE_TEST(test_migrate_twice_is_idempotent_and_reaches_latest, false)
{
    cr_assert_eq(store_schema_version(db), 0, "%s: a fresh database has version 0", e->label);
    migrate(db, e);
    cr_assert_eq(store_schema_version(db), store_schema_latest(), "%s", e->label);
    migrate(db, e);
    cr_assert_eq(store_schema_version(db), store_schema_latest(), "%s", e->label);
    cr_assert_eq(one_int(db, &st_count_migrations, NULL, 0), store_schema_count(), "%s", e->label);
    cr_assert_eq(one_int(db, &st_count_outbox, NULL, 0), 0);
    cr_assert(db_ping(db));
}

DB_STMT(st_v1_partner, "INSERT INTO partner (id, name, schema_id, created_at) VALUES ($1, $2, $3, $4)");
DB_STMT(st_v1_client, "INSERT INTO client (client_id, secret_hash, partner_id, grants, redirect_uris, created_at)\n"
                      " VALUES ('old.example', 'hs256$o$o', 'acme', 'client_credentials', '', 1700000000000)");

STORE_TEST(test_migration_2_upgrades_a_version_1_database_keeping_its_clients, false)
{
    char err[256] = "";
    cr_assert(store_migrate_to(db, 1, err, sizeof err), "%s: %s", e->label, err);
    cr_assert_eq(store_schema_version(db), 1, "%s", e->label);
    struct db_param p[] = {P_TEXT("acme"), P_TEXT("acme"), P_TEXT("ACME"), P_INT(0)};
    cr_assert_eq(db_exec(db, &st_v1_partner, p, 4, NULL), DB_OK);
    cr_assert_eq(db_exec(db, &st_v1_client, NULL, 0, NULL), DB_OK, "%s: %s", e->label, db_errmsg(db));

    migrate(db, e);
    cr_assert_eq(store_schema_version(db), store_schema_latest());
    cr_assert_geq(store_schema_latest(), 2);
    cr_assert_eq(one_int(db, &st_count_migrations, NULL, 0), store_schema_count(), "%s", e->label);
    bool found = false;
    struct client_rec rec;
    cr_assert_eq(store_client_get(db, "old.example", &found, &rec), DB_OK, "%s: %s", e->label, db_errmsg(db));
    cr_assert(found);
    cr_assert_eq(rec.access_ttl, CLIENT_ACCESS_TTL_DEFAULT, "%s", e->label);
    cr_assert_eq(rec.refresh_ttl, CLIENT_REFRESH_TTL_DEFAULT);
    cr_assert_eq(rec.capi_rate, CLIENT_CAPI_RATE_DEFAULT);
    cr_assert_eq(rec.token_rate, CLIENT_TOKEN_RATE_DEFAULT);
    cr_assert_eq(rec.updated_at, 1700000000000LL, "%s: an existing client was last changed when created", e->label);
    client_rec_free(&rec);
    struct token_new t = {.hash = "ab", .kind = TOKEN_ACCESS, .client_id = "old.example", .expires_at = 1};
    cr_assert_eq(store_token_insert(db, &t), DB_OK, "%s: the token table is there: %s", e->label, db_errmsg(db));
}

/* ---- parameters and placeholders ---------------------------------------------------------- */

DB_STMT(st_rt_insert, "INSERT INTO rt (i, r, t, n) VALUES ($1, $2, $3, $4)");
DB_STMT(st_rt_select, "SELECT i, r, t, n FROM rt ORDER BY i");

STORE_TEST(test_params_of_each_type_and_null_round_trip, false)
{
    cr_assert_eq(db_exec_script(db, "CREATE TABLE rt (i BIGINT, r DOUBLE PRECISION, t TEXT, n TEXT)"), DB_OK);
    const char *utf8 = "Blåbærsyltetøy 'single' \"double\" $1 ?1 \\";
    struct db_param rows[3][4] = {
        {P_INT(INT64_MIN), P_REAL(-0.1), P_TEXTN("abcdef", 3), P_TEXT_OR_NULL(NULL)},
        {P_INT(0), P_REAL(1e300), P_TEXT(""), P_TEXT("x")},
        {P_INT(INT64_MAX), P_REAL(3.25), P_TEXT(utf8), P_NULL},
    };
    for (int i = 0; i < 3; i++) {
        int64_t changes = -1;
        cr_assert_eq(db_exec(db, &st_rt_insert, rows[i], 4, &changes), DB_OK, "%s: %s", e->label, db_errmsg(db));
        cr_assert_eq(changes, 1);
    }
    struct db_rows *r = NULL;
    cr_assert_eq(db_query(db, &st_rt_select, NULL, 0, &r), DB_OK);

    cr_assert(db_next(r));
    cr_assert_eq(db_int(r, 0), INT64_MIN);
    cr_assert_eq(db_real(r, 1), -0.1);
    cr_assert_str_eq(db_text(r, 2), "abc");
    cr_assert_eq(db_text_len(r, 2), 3);
    cr_assert(db_is_null(r, 3));
    cr_assert_null(db_text(r, 3));

    cr_assert(db_next(r));
    cr_assert_eq(db_int(r, 0), 0);
    cr_assert_eq(db_real(r, 1), 1e300);
    cr_assert_not(db_is_null(r, 2), "%s: empty text is not NULL", e->label);
    cr_assert_str_eq(db_text(r, 2), "");
    cr_assert_eq(db_text_len(r, 2), 0);
    cr_assert_str_eq(db_text(r, 3), "x");

    cr_assert(db_next(r));
    cr_assert_eq(db_int(r, 0), INT64_MAX);
    cr_assert_eq(db_real(r, 1), 3.25);
    cr_assert_str_eq(db_text(r, 2), utf8);
    cr_assert_eq(db_text_len(r, 2), strlen(utf8));
    cr_assert(db_is_null(r, 3));
    cr_assert_not(db_is_null(r, 0));

    cr_assert_not(db_next(r));
    cr_assert_not(db_next(r), "stays at the end");
    cr_assert_eq(db_rows_status(r), DB_OK);
    db_rows_free(r);
}

DB_STMT(st_reorder, "SELECT $2, $1, $2");

STORE_TEST(test_placeholders_bind_by_number_not_position, false)
{
    struct db_param p[] = {P_TEXT("first"), P_TEXT("second")};
    struct db_rows *r = NULL;
    cr_assert_eq(db_query(db, &st_reorder, p, 2, &r), DB_OK, "%s: %s", e->label, db_errmsg(db));
    cr_assert(db_next(r));
    cr_assert_str_eq(db_text(r, 0), "second");
    cr_assert_str_eq(db_text(r, 1), "first");
    cr_assert_str_eq(db_text(r, 2), "second");
    cr_assert_not(db_next(r));
    db_rows_free(r);
}

DB_STMT(st_literal, "SELECT '$1', $1, 'it''s $2' AS \"$3\" /* $4 */ -- $5\n");

STORE_TEST(test_dollar_one_inside_a_literal_is_not_rewritten, false)
{
    struct db_param p = P_TEXT("value");
    struct db_rows *r = NULL;
    cr_assert_eq(db_query(db, &st_literal, &p, 1, &r), DB_OK, "%s: %s", e->label, db_errmsg(db));
    cr_assert(db_next(r));
    cr_assert_str_eq(db_text(r, 0), "$1");
    cr_assert_str_eq(db_text(r, 1), "value");
    cr_assert_str_eq(db_text(r, 2), "it's $2");
    db_rows_free(r);
}

DB_STMT(st_int_expr, "SELECT $1 + 1, $2 * 2");

STORE_TEST(test_int_and_real_params_keep_their_width, false)
{
    /* Epoch ms exceed 32 bits: arithmetic on an INT parameter must stay 64-bit. */
    struct db_param p[] = {P_INT(1700000000000LL), P_REAL(1.25)};
    struct db_rows *r = NULL;
    cr_assert_eq(db_query(db, &st_int_expr, p, 2, &r), DB_OK, "%s: %s", e->label, db_errmsg(db));
    cr_assert(db_next(r));
    cr_assert_eq(db_int(r, 0), 1700000000001LL);
    cr_assert_eq(db_real(r, 1), 2.5);
    db_rows_free(r);
}

/* ---- errors and transactions ---------------------------------------------------------------- */

DB_STMT(st_company_put, "INSERT INTO company (code, partner_id, name) VALUES ($1, $2, $3)");
DB_STMT(st_partner_put, "INSERT INTO partner (id, name, schema_id, created_at) VALUES ($1, $2, $3, $4)");
DB_STMT(st_syntax_error, "SELEC 1");

STORE_TEST(test_constraint_violations_are_db_constraint, false)
{
    migrate(db, e);
    struct db_param s[] = {P_TEXT("k"), P_TEXT("v")};
    cr_assert_eq(db_exec(db, &st_setting_put, s, 2, NULL), DB_OK);
    cr_assert_eq(db_exec(db, &st_setting_put, s, 2, NULL), DB_CONSTRAINT, "%s: unique", e->label);

    struct db_param c[] = {P_TEXT("1"), P_TEXT("no-such-partner"), P_TEXT("x")};
    cr_assert_eq(db_exec(db, &st_company_put, c, 3, NULL), DB_CONSTRAINT, "%s: foreign key", e->label);

    struct db_param p[] = {P_TEXT("p"), P_NULL, P_TEXT("P"), P_INT(0)};
    cr_assert_eq(db_exec(db, &st_partner_put, p, 4, NULL), DB_CONSTRAINT, "%s: not null", e->label);

    cr_assert_eq(db_exec(db, &st_syntax_error, NULL, 0, NULL), DB_ERROR);
    cr_assert_neq(db_errmsg(db)[0], '\0');
    cr_assert_eq(one_int(db, &st_count_settings, NULL, 0), 1);
}

STORE_TEST(test_rollback_leaves_nothing_and_commit_keeps_all, false)
{
    migrate(db, e);
    struct db_param a[] = {P_TEXT("a"), P_TEXT("1")}, b[] = {P_TEXT("b"), P_TEXT("2")};
    cr_assert_eq(db_begin(db), DB_OK);
    cr_assert_eq(db_exec(db, &st_setting_put, a, 2, NULL), DB_OK);
    cr_assert_eq(db_exec(db, &st_setting_put, b, 2, NULL), DB_OK);
    cr_assert_eq(one_int(db, &st_count_settings, NULL, 0), 2, "visible inside the transaction");
    db_rollback(db);
    cr_assert_eq(one_int(db, &st_count_settings, NULL, 0), 0, "%s", e->label);

    cr_assert_eq(db_begin(db), DB_OK);
    cr_assert_eq(db_begin(db), DB_ERROR, "no nested transactions");
    cr_assert_eq(db_exec(db, &st_setting_put, a, 2, NULL), DB_OK);
    cr_assert_eq(db_commit(db), DB_OK);
    cr_assert_eq(one_int(db, &st_count_settings, NULL, 0), 1);
    cr_assert_eq(db_commit(db), DB_ERROR, "nothing to commit");
    db_rollback(db); /* harmless without a transaction */
}

STORE_TEST(test_a_failed_statement_poisons_the_transaction_on_every_engine, false)
{
    migrate(db, e);
    struct db_param a[] = {P_TEXT("a"), P_TEXT("1")}, b[] = {P_TEXT("b"), P_TEXT("2")};
    cr_assert_eq(db_exec(db, &st_setting_put, a, 2, NULL), DB_OK);
    cr_assert_eq(db_begin(db), DB_OK);
    cr_assert_eq(db_exec(db, &st_setting_put, b, 2, NULL), DB_OK);
    cr_assert_eq(db_exec(db, &st_setting_put, a, 2, NULL), DB_CONSTRAINT);
    cr_assert_eq(db_exec(db, &st_setting_put, (struct db_param[]){P_TEXT("c"), P_TEXT("3")}, 2, NULL), DB_ERROR,
                 "%s: nothing runs after a failure", e->label);
    cr_assert_eq(db_commit(db), DB_ERROR, "%s", e->label);
    cr_assert_eq(one_int(db, &st_count_settings, NULL, 0), 1, "%s: b was rolled back", e->label);
    cr_assert_eq(db_begin(db), DB_OK, "the connection is usable again");
    db_rollback(db);
}

DB_STMT(st_setting_names, "SELECT name FROM setting ORDER BY name");

STORE_TEST(test_a_statement_runs_again_while_its_rows_are_open, false)
{
    migrate(db, e);
    struct db_param a[] = {P_TEXT("a"), P_TEXT("1")}, b[] = {P_TEXT("b"), P_TEXT("2")};
    cr_assert_eq(db_exec(db, &st_setting_put, a, 2, NULL), DB_OK);
    cr_assert_eq(db_exec(db, &st_setting_put, b, 2, NULL), DB_OK);
    struct db_rows *outer = NULL, *inner = NULL;
    cr_assert_eq(db_query(db, &st_setting_names, NULL, 0, &outer), DB_OK);
    cr_assert(db_next(outer));
    cr_assert_eq(db_query(db, &st_setting_names, NULL, 0, &inner), DB_OK, "%s: %s", e->label, db_errmsg(db));
    cr_assert(db_next(inner));
    cr_assert(db_next(inner));
    cr_assert_str_eq(db_text(inner, 0), "b");
    cr_assert_not(db_next(inner));
    db_rows_free(inner);
    cr_assert_str_eq(db_text(outer, 0), "a");
    cr_assert(db_next(outer));
    cr_assert_str_eq(db_text(outer, 0), "b");
    db_rows_free(outer); /* freed before the end: the statement is released */
    cr_assert_eq(one_int(db, &st_count_settings, NULL, 0), 2);
    cr_assert_eq(db_query(db, &st_setting_names, NULL, 0, NULL), DB_OK, "rows may be NULL");
}

/* ---- outbox --------------------------------------------------------------------------------- */

DB_STMT(st_outbox_row, "SELECT event_id, detail_type, source, detail, created_at, delivered_at FROM outbox");

static json_t *sample_detail(void)
{
    return json_pack("{s:s, s:i, s:s, s:n}", "schema", "CNxx", "customer", 12345, "product", "CO27409",
                     "periodEnd");
}

STORE_TEST(test_outbox_append_rolled_back_leaves_no_event, false)
{
    migrate(db, e);
    json_t *d = sample_detail();
    cr_assert_eq(db_begin(db), DB_OK);
    cr_assert_eq(store_outbox_append(db, "SUBSCRIPTION_START", EVENT_SOURCE_CONNECT, d), DB_OK, "%s", e->label);
    cr_assert_eq(store_outbox_backlog(db), 1);
    db_rollback(db);
    json_decref(d);
    cr_assert_eq(store_outbox_backlog(db), 0, "%s", e->label);
    cr_assert_eq(one_int(db, &st_count_outbox, NULL, 0), 0);
}

STORE_TEST(test_outbox_append_committed_leaves_one_event_with_a_uuid, false)
{
    migrate(db, e);
    json_t *d = sample_detail();
    int64_t before = (int64_t)time(NULL) * 1000;
    cr_assert_eq(db_begin(db), DB_OK);
    cr_assert_eq(store_outbox_append(db, "SUBSCRIPTION_START", EVENT_SOURCE_CONNECT, d), DB_OK, "%s", e->label);
    cr_assert_eq(db_commit(db), DB_OK);
    json_decref(d);
    cr_assert_eq(store_outbox_backlog(db), 1, "%s", e->label);

    struct db_rows *r = NULL;
    cr_assert_eq(db_query(db, &st_outbox_row, NULL, 0, &r), DB_OK);
    cr_assert(db_next(r));
    const char *id = db_text(r, 0);
    cr_assert_eq(strlen(id), 36, "event id %s", id);
    cr_assert_eq(id[8], '-');
    cr_assert_eq(id[14], '4', "version 4 uuid: %s", id);
    cr_assert_str_eq(db_text(r, 1), "SUBSCRIPTION_START");
    cr_assert_str_eq(db_text(r, 2), "no.mediaconnect.connect");
    cr_assert_str_eq(db_text(r, 3), "{\"schema\":\"CNxx\",\"customer\":12345,\"product\":\"CO27409\",\"periodEnd\":null}");
    int64_t at = db_int(r, 4);
    cr_assert_eq(at % 1000, 0, "whole seconds: %lld", (long long)at);
    cr_assert(at >= before - 1000 && at <= (int64_t)time(NULL) * 1000 + 1000);
    cr_assert(db_is_null(r, 5), "not delivered yet");
    cr_assert_not(db_next(r));
    db_rows_free(r);
}

/* ---- demo data ---------------------------------------------------------------------------- */

STORE_TEST(test_demo_loads_once_with_a_working_secret, false)
{
    migrate(db, e);
    char secret[65];
    bool loaded = false;
    cr_assert_eq(store_demo_load(db, &loaded, secret, sizeof secret), DB_OK, "%s: %s", e->label, db_errmsg(db));
    cr_assert(loaded);
    cr_assert_eq(strlen(secret), 43);
    cr_assert_eq(one_int(db, &st_count_partners, NULL, 0), 1);
    int64_t companies = one_int(db, &st_count_companies, NULL, 0);
    int64_t products = one_int(db, &st_count_products, NULL, 0);
    int64_t customers = one_int(db, &st_count_customers, NULL, 0);
    cr_assert(companies >= 2 && products >= 5 && customers >= 5);

    bool found = false;
    struct client_rec rec;
    cr_assert_eq(store_client_get(db, DEMO_CLIENT_ID, &found, &rec), DB_OK);
    cr_assert(found);
    cr_assert_str_eq(rec.partner, DEMO_PARTNER);
    cr_assert_str_eq(rec.grants, "client_credentials,extid_code,refresh_token");
    cr_assert_str_eq(rec.extid_types, "DEHILMXZ", "the demo client may register every external type");
    cr_assert(secret_verify(secret, rec.secret_hash), "the printed secret works");
    cr_assert_eq(strstr(rec.secret_hash, secret), NULL, "only the hash is stored");
    client_rec_free(&rec);

    char second[65] = "untouched";
    cr_assert_eq(store_demo_load(db, &loaded, second, sizeof second), DB_OK);
    cr_assert_not(loaded, "%s: loads only into an empty database", e->label);
    cr_assert_str_eq(second, "untouched");
    cr_assert_eq(one_int(db, &st_count_companies, NULL, 0), companies);
    cr_assert_eq(one_int(db, &st_count_products, NULL, 0), products);
    cr_assert_eq(one_int(db, &st_count_customers, NULL, 0), customers);
    cr_assert_eq(one_int(db, &st_count_clients, NULL, 0), 1);
}

STORE_TEST(test_demo_does_not_load_next_to_real_data, false)
{
    migrate(db, e);
    struct client_new c = {.client_id = "real.example", .secret_hash = "hs256$x$y", .partner = "real",
                           .grants = "client_credentials", .capi_rate = -1, .token_rate = -1};
    cr_assert_eq(store_client_add(db, &c), DB_OK);
    char secret[65];
    bool loaded = true;
    cr_assert_eq(store_demo_load(db, &loaded, secret, sizeof secret), DB_OK);
    cr_assert_not(loaded);
    cr_assert_eq(one_int(db, &st_count_partners, NULL, 0), 1);
}

/* ---- concurrency ------------------------------------------------------------------------------ */

#define NTHREADS 4
#define NSTMTS 24

static struct db_stmt shared_stmts[NSTMTS];

struct worker {
    const struct engine *e;
    pthread_barrier_t *ready;
    int index;
    bool migrate; /* run store_migrate instead of the inserts */
    int failures;
    char err[256];
};

static void worker_inserts(struct worker *w, struct db *db)
{
    for (int i = 0; i < NSTMTS; i++) {
        char name[32];
        snprintf(name, sizeof name, "w%d-%d", w->index, i);
        struct db_param p[] = {P_TEXT(name), P_TEXT("v")};
        enum db_status s;
        int tries = 0;
        while ((s = db_exec(db, &shared_stmts[i], p, 2, NULL)) == DB_BUSY && ++tries < 20)
            usleep(10000);
        if (s != DB_OK) {
            w->failures++;
            snprintf(w->err, sizeof w->err, "%s", db_errmsg(db));
        }
    }
}

/* No Criterion asserts here (they are not thread-safe): problems are counted and checked in main. */
static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct db *db = engine_try_connect(w->e, w->err, sizeof w->err);
    pthread_barrier_wait(w->ready); /* everyone starts at once */
    if (db == NULL)
        w->failures++;
    else if (w->migrate)
        w->failures += !store_migrate(db, w->err, sizeof w->err);
    else
        worker_inserts(w, db);
    db_close(db);
    return NULL;
}

static void run_workers(const struct engine *e, bool migrate)
{
    pthread_barrier_t ready;
    pthread_barrier_init(&ready, NULL, NTHREADS);
    pthread_t t[NTHREADS];
    struct worker w[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
        w[i] = (struct worker){.e = e, .ready = &ready, .index = i, .migrate = migrate};
        cr_assert_eq(pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
    }
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&ready);
    for (int i = 0; i < NTHREADS; i++)
        cr_assert_eq(w[i].failures, 0, "%s worker %d: %s", e->label, i, w[i].err);
}

STORE_TEST(test_threads_share_fresh_statements_on_their_own_connections, true)
{
    migrate(db, e);
    /* Fresh (unnumbered) statements for every engine run, so the race on the slot is real. */
    for (int i = 0; i < NSTMTS; i++)
        shared_stmts[i] = (struct db_stmt){"INSERT INTO setting (name, value) VALUES ($1, $2)", -1};
    run_workers(e, false);
    for (int i = 0; i < NSTMTS; i++) {
        cr_assert_geq(shared_stmts[i].slot, 0);
        for (int j = i + 1; j < NSTMTS; j++)
            cr_assert_neq(shared_stmts[i].slot, shared_stmts[j].slot, "slots are distinct");
    }
    cr_assert_eq(one_int(db, &st_count_settings, NULL, 0), NTHREADS * NSTMTS, "%s", e->label);
}

STORE_TEST(test_concurrent_migrations_apply_each_version_once, true)
{
    run_workers(e, true);
    cr_assert_eq(store_schema_version(db), store_schema_latest());
    cr_assert_eq(one_int(db, &st_count_migrations, NULL, 0), store_schema_count(), "%s", e->label);
}

/* ---- opening ---------------------------------------------------------------------------------- */

Test(store, test_open_rejects_unknown_urls_and_bad_paths)
{
    char err[256] = "";
    cr_assert_null(db_open("mysql://x", err, sizeof err));
    cr_assert_neq(err[0], '\0');
    err[0] = '\0';
    cr_assert_null(db_open("sqlite:/nonexistent-dir-connectd/x.db", err, sizeof err));
    cr_assert_neq(err[0], '\0');
    struct db *db = db_open("sqlite::memory:", err, sizeof err);
    cr_assert_not_null(db, "%s", err);
    cr_assert_eq(db_kind(db), DB_SQLITE);
    cr_assert(db_ping(db));
    db_close(db);
}

Test(store, test_postgres_connect_error_never_shows_the_password)
{
    const char *pg = getenv("CONNECTD_TEST_PG_URL");
    if (pg == NULL || *pg == '\0')
        cr_skip_test("CONNECTD_TEST_PG_URL not set");
    char err[512] = "";
    cr_assert_null(db_open("postgresql://connectd:Wr0ngPassw0rd@127.0.0.1:5432/connectd_unit", err, sizeof err));
    cr_assert_neq(err[0], '\0');
    cr_assert_null(strstr(err, "Wr0ngPassw0rd"), "%s", err);
    cr_assert_null(db_open("postgresql://127.0.0.1:1/x?user=u&password=Wr0ngPassw0rd", err, sizeof err));
    cr_assert_null(strstr(err, "Wr0ngPassw0rd"), "%s", err);
    struct db *db = db_open(pg, err, sizeof err);
    cr_assert_not_null(db, "%s", err);
    cr_assert_eq(db_kind(db), DB_POSTGRES);
    cr_assert(db_ping(db));
    db_close(db);
}

DB_STMT(st_backend_pid, "SELECT pg_backend_pid()");
DB_STMT(st_terminate, "SELECT pg_terminate_backend(CAST($1 AS INTEGER))"); /* INT params are int8 */

Test(store, test_postgres_connection_broken_outside_a_transaction_is_reset)
{
    const char *pg = getenv("CONNECTD_TEST_PG_URL");
    if (pg == NULL || *pg == '\0')
        cr_skip_test("CONNECTD_TEST_PG_URL not set");
    char err[512] = "";
    struct db *db = db_open(pg, err, sizeof err), *admin = db_open(pg, err, sizeof err);
    cr_assert(db && admin, "%s", err);
    struct db_param pid = P_INT(one_int(db, &st_backend_pid, NULL, 0));
    cr_assert_eq(db_exec(admin, &st_terminate, &pid, 1, NULL), DB_OK);
    usleep(100000);
    cr_assert(db_ping(db), "ping reconnects");
    cr_assert_neq(one_int(db, &st_backend_pid, NULL, 0), pid.i, "a new backend, statement prepared again");

    /* Inside a transaction the break is reported, never papered over. */
    cr_assert_eq(db_begin(db), DB_OK);
    pid = P_INT(one_int(db, &st_backend_pid, NULL, 0));
    cr_assert_eq(db_exec(admin, &st_terminate, &pid, 1, NULL), DB_OK);
    usleep(100000);
    cr_assert_eq(db_query(db, &st_backend_pid, NULL, 0, NULL), DB_ERROR);
    cr_assert_eq(db_query(db, &st_backend_pid, NULL, 0, NULL), DB_ERROR, "still in the broken transaction");
    cr_assert_eq(db_commit(db), DB_ERROR);
    cr_assert(db_ping(db), "usable again after the transaction ended");
    db_close(admin);
    db_close(db);
}
