/* store_engines.h — the engine harness shared by the store's unit tests (test_store.c,
 * test_store_clients.c, test_store_tokens.c): STORE_TEST(name, needs_shared) defines a Criterion test whose body runs
 * on SQLite (a fresh file under /tmp, then :memory:) and, when CONNECTD_TEST_PG_URL is set, on
 * PostgreSQL in its own schema "connectd_t_<hash>_<test>", DROPPED (CASCADE) at the start and
 * end of the test: point the variable at a scratch database. Parallel Criterion tests never
 * share a schema (test names are unique across the files), but two runs of one binary against
 * one database at the same time would. Header-only: each test is its own executable. */
#ifndef CONNECTD_TEST_STORE_ENGINES_H
#define CONNECTD_TEST_STORE_ENGINES_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/db.h"
#include "store/store.h"

/* ---- engines ------------------------------------------------------------------------------ */

struct engine {
    const char *label;
    char url[512];
    char schema[96]; /* PostgreSQL only */
    char path[256];  /* SQLite file only */
};

typedef void (*store_test_fn)(struct db *db, const struct engine *e);

/* A connection to e, or NULL with err filled (safe from any thread: no asserts). */
static inline struct db *engine_try_connect(const struct engine *e, char *err, size_t errlen)
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

static inline struct db *engine_connect(const struct engine *e)
{
    char err[512];
    struct db *db = engine_try_connect(e, err, sizeof err);
    cr_assert_not_null(db, "%s: %s", e->label, err);
    return db;
}

static inline void remove_sqlite_files(const char *path)
{
    char p[300];
    unlink(path);
    snprintf(p, sizeof p, "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", path);
    unlink(p);
}

static inline void run_on(struct engine *e, store_test_fn fn)
{
    struct db *db = engine_connect(e);
    fn(db, e);
    db_close(db);
}

static inline void pg_schema(const struct engine *e, bool create)
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
static inline void run_everywhere(const char *test, store_test_fn fn, bool needs_shared)
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

static inline void migrate(struct db *db, const struct engine *e)
{
    char err[256] = "";
    cr_assert(store_migrate(db, err, sizeof err), "%s: %s", e->label, err);
}

/* One integer from a one-row query. */
static inline int64_t one_int(struct db *db, struct db_stmt *st, const struct db_param *p, int n)
{
    struct db_rows *r = NULL;
    cr_assert_eq(db_query(db, st, p, n, &r), DB_OK, "%s", db_errmsg(db));
    cr_assert(db_next(r));
    int64_t v = db_int(r, 0);
    db_rows_free(r);
    return v;
}

#endif
