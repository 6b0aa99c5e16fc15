/* test_store_reads.c — db_share_reads (store/db.h, sqlite.c "shared reads"): a request
 * worker's reads share one read transaction, yet each read sees every commit made before it
 * started, by another connection or another process, and the connection's own writes, and a
 * released connection holds back no checkpoint. Runs on the SQLite file and on PostgreSQL,
 * where sharing is a no-op that must not change any answer. */
#include <criterion/criterion.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/db.h"
#include "store_engines.h"

DB_STMT(st_count, "SELECT count(*) FROM setting");
DB_STMT(st_put, "INSERT INTO setting (name, value) VALUES ($1, 'v')");
DB_STMT(st_all, "SELECT name FROM setting ORDER BY name");
DB_STMT(st_checkpoint, "PRAGMA wal_checkpoint(TRUNCATE)");

static void put(struct db *db, const char *name)
{
    struct db_param p = P_TEXT(name);
    cr_assert_eq(db_exec(db, &st_put, &p, 1, NULL), DB_OK, "%s", db_errmsg(db));
}

/* A reader sharing its reads, with a first read done (its shared transaction is open). */
static void start_reader(struct db *db, const struct engine *e)
{
    migrate(db, e);
    db_share_reads(db);
    cr_assert_eq(one_int(db, &st_count, NULL, 0), 0, "%s", e->label);
}

STORE_TEST(test_shared_reads_see_each_commit_of_another_connection_at_once, true)
{
    start_reader(db, e);
    struct db *other = engine_connect(e);
    for (int i = 1; i <= 3; i++) {
        char name[16];
        snprintf(name, sizeof name, "k%d", i);
        put(other, name);
        cr_assert_eq(one_int(db, &st_count, NULL, 0), i, "%s: the read after commit %d", e->label, i);
        cr_assert_eq(one_int(db, &st_count, NULL, 0), i, "%s: and the one after it", e->label);
    }
    db_close(other);
    db_reads_release(db);
    cr_assert_not(db_in_tx(db));
}

STORE_TEST(test_shared_reads_see_a_commit_of_another_process, true)
{
    start_reader(db, e);
    pid_t child = fork();
    cr_assert_geq(child, 0);
    if (child == 0) {
        char err[256];
        struct db *c = engine_try_connect(e, err, sizeof err);
        struct db_param p = P_TEXT("from-child");
        _exit(c && db_exec(c, &st_put, &p, 1, NULL) == DB_OK ? 0 : 1);
    }
    int status = 0;
    cr_assert_eq(waitpid(child, &status, 0), child);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s: the child's insert failed", e->label);
    cr_assert_eq(one_int(db, &st_count, NULL, 0), 1, "%s", e->label);
}

STORE_TEST(test_shared_reads_see_the_connections_own_writes_in_and_out_of_transactions, true)
{
    start_reader(db, e);
    put(db, "autocommit");
    cr_assert_eq(one_int(db, &st_count, NULL, 0), 1, "%s", e->label);
    cr_assert_eq(db_begin(db), DB_OK, "%s: %s", e->label, db_errmsg(db));
    put(db, "in-tx");
    cr_assert_eq(one_int(db, &st_count, NULL, 0), 2, "%s: inside the transaction", e->label);
    cr_assert_eq(db_commit(db), DB_OK, "%s: %s", e->label, db_errmsg(db));
    cr_assert_eq(one_int(db, &st_count, NULL, 0), 2, "%s", e->label);
    cr_assert_eq(db_begin(db), DB_OK);
    put(db, "rolled-back");
    db_rollback(db);
    cr_assert_eq(one_int(db, &st_count, NULL, 0), 2, "%s: after the rollback", e->label);
    cr_assert_not(db_in_tx(db));
}

STORE_TEST(test_shared_reads_with_rows_open_see_the_commit_once_the_rows_are_done, true)
{
    start_reader(db, e);
    put(db, "a");
    put(db, "b");
    struct db_rows *r = NULL;
    cr_assert_eq(db_query(db, &st_all, NULL, 0, &r), DB_OK);
    cr_assert(db_next(r));
    struct db *other = engine_connect(e);
    put(other, "c");
    int64_t during = one_int(db, &st_count, NULL, 0); /* SQLite: pinned by the open rows */
    cr_assert(during == 2 || during == 3, "%s: %lld", e->label, (long long)during);
    cr_assert(db_next(r));
    cr_assert_str_eq(db_text(r, 0), "b");
    cr_assert_not(db_next(r), "%s: the open rows keep their own snapshot", e->label);
    db_rows_free(r);
    cr_assert_eq(one_int(db, &st_count, NULL, 0), 3, "%s", e->label);
    db_close(other);
}

/* Only SQLite has a WAL to checkpoint: a reader that has released its shared transaction must
 * let a truncating checkpoint finish (its result row: busy flag 0). */
STORE_TEST(test_a_released_reader_lets_a_checkpoint_finish, true)
{
    if (db_kind(db) != DB_SQLITE)
        return;
    start_reader(db, e);
    struct db *other = engine_connect(e);
    put(other, "x");
    cr_assert_eq(one_int(db, &st_count, NULL, 0), 1);
    cr_assert_eq(one_int(other, &st_checkpoint, NULL, 0), 1, "%s: a held reader blocks the truncation", e->label);
    db_reads_release(db);
    cr_assert_eq(one_int(other, &st_checkpoint, NULL, 0), 0, "%s: a released one does not", e->label);
    db_close(other);
}
