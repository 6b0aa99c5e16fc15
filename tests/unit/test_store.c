/* test_store.c — src/store/ (db.h, store.h) on every engine: each test body runs on SQLite (a
 * fresh file under /tmp, then :memory:) and, when CONNECTD_TEST_PG_URL is set, on PostgreSQL in
 * its own schema "connectd_t_<hash>_<test>", DROPPED (CASCADE) at the start and end of the test:
 * point the variable at a scratch database. Parallel Criterion tests never share a schema, but
 * two runs of this binary against one database at the same time would. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/db.h"
#include "store/store.h"
#include "util/crypto.h"

/* ---- engines ------------------------------------------------------------------------------ */

struct engine {
    const char *label;
    char url[512];
    char schema[96]; /* PostgreSQL only */
    char path[256];  /* SQLite file only */
};

typedef void (*store_test_fn)(struct db *db, const struct engine *e);

/* A connection to e, or NULL with err filled (safe from any thread: no asserts). */
static struct db *engine_try_connect(const struct engine *e, char *err, size_t errlen)
{
    struct db *db = db_open(e->url, err, errlen);
    if (db == NULL || e->schema[0] == '\0')
        return db;
    char sql[160];
    snprintf(sql, sizeof sql, "SET search_path TO %s", e->schema);
    if (db_exec_script(db, sql) != DB_OK) {
        snprintf(err, errlen, "cannot set search_path: %s", db_errmsg(db));
        db_close(db);
        return NULL;
    }
    return db;
}

static struct db *engine_connect(const struct engine *e)
{
    char err[512];
    struct db *db = engine_try_connect(e, err, sizeof err);
    cr_assert_not_null(db, "%s: %s", e->label, err);
    return db;
}

static void remove_sqlite_files(const char *path)
{
    char p[300];
    unlink(path);
    snprintf(p, sizeof p, "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", path);
    unlink(p);
}

static void run_on(struct engine *e, store_test_fn fn)
{
    struct db *db = engine_connect(e);
    fn(db, e);
    db_close(db);
}

static void pg_schema(const struct engine *e, bool create)
{
    struct engine admin = *e;
    admin.schema[0] = '\0';
    struct db *db = engine_connect(&admin);
    char sql[256];
    snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS %s CASCADE%s%s", e->schema, create ? "; CREATE SCHEMA " : "",
             create ? e->schema : "");
    cr_assert_eq(db_exec_script(db, sql), DB_OK, "%s: %s", sql, db_errmsg(db));
    db_close(db);
}

/* Runs fn on each engine. needs_shared skips engines where connections do not share data. */
static void run_everywhere(const char *test, store_test_fn fn, bool needs_shared)
{
    struct engine e = {.label = "sqlite-file"};
    snprintf(e.path, sizeof e.path, "/tmp/connectd_test_store_%d_%s.db", (int)getpid(), test);
    snprintf(e.url, sizeof e.url, "sqlite:%s", e.path);
    remove_sqlite_files(e.path);
    run_on(&e, fn);
    remove_sqlite_files(e.path);

    if (!needs_shared) {
        struct engine m = {.label = "sqlite-memory", .url = "sqlite::memory:"};
        run_on(&m, fn);
    }

    const char *pg = getenv("CONNECTD_TEST_PG_URL");
    if (pg && *pg) {
        struct engine p = {.label = "postgres"};
        snprintf(p.url, sizeof p.url, "%s", pg);
        /* PostgreSQL cuts identifiers at 63 bytes: a hash keeps long test names apart. */
        unsigned h = 5381;
        for (const char *c = test; *c; c++)
            h = h * 33 + (unsigned char)*c;
        snprintf(p.schema, sizeof p.schema, "connectd_t_%08x_%.40s", h, test);
        pg_schema(&p, true);
        run_on(&p, fn);
        pg_schema(&p, false);
    }
}

#define STORE_TEST(name, needs_shared)                                                                            \
    static void name##_body(struct db *db, const struct engine *e);                                              \
    Test(store, name)                                                                                            \
    {                                                                                                            \
        run_everywhere(#name, name##_body, needs_shared);                                                        \
    }                                                                                                            \
    static void name##_body(struct db *db, const struct engine *e)

static void migrate(struct db *db, const struct engine *e)
{
    char err[256] = "";
    cr_assert(store_migrate(db, err, sizeof err), "%s: %s", e->label, err);
}

/* One integer from a one-row query. */
static int64_t one_int(struct db *db, struct db_stmt *st, const struct db_param *p, int n)
{
    struct db_rows *r = NULL;
    cr_assert_eq(db_query(db, st, p, n, &r), DB_OK, "%s", db_errmsg(db));
    cr_assert(db_next(r));
    int64_t v = db_int(r, 0);
    db_rows_free(r);
    return v;
}

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
    cr_assert_eq(one_int(db, &st_count_migrations, NULL, 0), store_schema_latest(), "%s", e->label);
    cr_assert_eq(one_int(db, &st_count_outbox, NULL, 0), 0);
    cr_assert(db_ping(db));
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

/* ---- clients -------------------------------------------------------------------------------- */

DB_STMT(st_partner_schema, "SELECT schema_id, name FROM partner WHERE id = $1");

static struct client_new client(const char *id, const char *partner)
{
    return (struct client_new){.client_id = id, .secret_hash = "hs256$x$y", .partner = partner,
                               .grants = "client_credentials,authorization_code",
                               .redirect_uris = "https://a.example/cb\nhttps://b.example/cb"};
}

struct listing {
    char ids[8][32];
    int n;
};

static void collect(const struct client_rec *c, void *arg)
{
    struct listing *l = arg;
    if (l->n < 8)
        snprintf(l->ids[l->n++], sizeof l->ids[0], "%s", c->client_id);
}

STORE_TEST(test_client_add_get_list_remove, false)
{
    migrate(db, e);
    struct client_new c1 = client("c1.example", "acme");
    cr_assert_eq(store_client_add(db, &c1), DB_OK, "%s: %s", e->label, db_errmsg(db));

    bool found = false;
    struct client_rec rec;
    cr_assert_eq(store_client_get(db, "c1.example", &found, &rec), DB_OK);
    cr_assert(found);
    cr_assert_str_eq(rec.client_id, "c1.example");
    cr_assert_str_eq(rec.secret_hash, "hs256$x$y");
    cr_assert_str_eq(rec.partner, "acme");
    cr_assert_str_eq(rec.grants, "client_credentials,authorization_code");
    cr_assert_str_eq(rec.redirect_uris, "https://a.example/cb\nhttps://b.example/cb");
    cr_assert(rec.created_at > 1600000000000LL);
    client_rec_free(&rec);
    cr_assert_null(rec.client_id);

    struct db_param pid = P_TEXT("acme");
    struct db_rows *r = NULL;
    cr_assert_eq(db_query(db, &st_partner_schema, &pid, 1, &r), DB_OK);
    cr_assert(db_next(r), "%s: partner created", e->label);
    cr_assert_str_eq(db_text(r, 0), "ACME");
    cr_assert_str_eq(db_text(r, 1), "acme");
    db_rows_free(r);

    struct client_new c2 = client("c2.example", "acme"), c0 = client("c0.example", "acme");
    c0.redirect_uris = NULL;
    cr_assert_eq(store_client_add(db, &c2), DB_OK, "%s: partner already there", e->label);
    cr_assert_eq(store_client_add(db, &c0), DB_OK);
    cr_assert_eq(one_int(db, &st_count_partners, NULL, 0), 1);

    struct listing l = {.n = 0};
    cr_assert_eq(store_client_list(db, collect, &l), DB_OK);
    cr_assert_eq(l.n, 3);
    cr_assert_str_eq(l.ids[0], "c0.example");
    cr_assert_str_eq(l.ids[1], "c1.example");
    cr_assert_str_eq(l.ids[2], "c2.example");

    bool removed = false;
    cr_assert_eq(store_client_remove(db, "c1.example", &removed), DB_OK);
    cr_assert(removed);
    cr_assert_eq(store_client_remove(db, "c1.example", &removed), DB_OK);
    cr_assert_not(removed);
    cr_assert_eq(store_client_get(db, "c1.example", &found, &rec), DB_OK);
    cr_assert_not(found);
    cr_assert_eq(store_client_get(db, "c0.example", &found, &rec), DB_OK);
    cr_assert(found);
    cr_assert_str_eq(rec.redirect_uris, "", "NULL redirect URIs are stored as empty");
    client_rec_free(&rec);
}

STORE_TEST(test_adding_an_existing_client_id_is_db_constraint, false)
{
    migrate(db, e);
    struct client_new c = client("dup.example", "acme");
    cr_assert_eq(store_client_add(db, &c), DB_OK);
    struct client_new again = client("dup.example", "other");
    cr_assert_eq(store_client_add(db, &again), DB_CONSTRAINT, "%s", e->label);
    cr_assert_eq(one_int(db, &st_count_clients, NULL, 0), 1);
    cr_assert_eq(one_int(db, &st_count_partners, NULL, 0), 1, "%s: the second partner was rolled back", e->label);
    bool found = false;
    struct client_rec rec;
    cr_assert_eq(store_client_get(db, "dup.example", &found, &rec), DB_OK);
    cr_assert_str_eq(rec.partner, "acme", "the original is untouched");
    client_rec_free(&rec);
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
    cr_assert_str_eq(rec.grants, "client_credentials");
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
    struct client_new c = client("real.example", "real");
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
    cr_assert_eq(one_int(db, &st_count_migrations, NULL, 0), store_schema_latest(), "%s", e->label);
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
