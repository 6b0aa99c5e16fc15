/* db.c — the engine-neutral half of db.h: picks a driver by URL, numbers statements, keeps
 * transaction state and logs failures; the rest goes through sqlite.c or postgres.c (driver.h).
 * Both engines are made to agree on one rule: after a failed statement a transaction accepts
 * only db_rollback (PostgreSQL's own behaviour), and db_commit rolls back and says DB_ERROR. */
#include "store/driver.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "util/buf.h"
#include "util/log.h"

/* ---- statement slots ------------------------------------------------------------------ */

/* The next unused slot. db_stmt.slot is a plain int (db.h is shared by all store files), so
 * both are accessed with the GCC/Clang __atomic builtins rather than C11 _Atomic types. */
static int next_slot;

int db_stmt_slot(struct db_stmt *st)
{
    int slot = __atomic_load_n(&st->slot, __ATOMIC_ACQUIRE);
    if (slot >= 0)
        return slot;
    /* Several workers may meet a statement for the first time at once: each draws a number,
     * one wins the compare-and-swap, the losers use the winner's (their numbers stay unused). */
    int fresh = __atomic_fetch_add(&next_slot, 1, __ATOMIC_RELAXED);
    int expected = -1;
    if (__atomic_compare_exchange_n(&st->slot, &expected, fresh, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        return fresh;
    return expected;
}

void *db_slots_grow(void *arr, int *cap, int slot, size_t elem)
{
    if (slot < *cap)
        return arr;
    int ncap = *cap ? *cap : 32;
    while (ncap <= slot)
        ncap *= 2;
    char *p = xrealloc(arr, (size_t)ncap * elem);
    memset(p + (size_t)*cap * elem, 0, (size_t)(ncap - *cap) * elem);
    *cap = ncap;
    return p;
}

/* ---- errors ----------------------------------------------------------------------------- */

/* The statement's first line (trimmed, at most cap-1 bytes): enough to find it in the code,
 * and free of parameter values since those never enter SQL text. */
static void first_line(const char *sql, char *out, size_t cap)
{
    while (*sql == ' ' || *sql == '\n' || *sql == '\t')
        sql++;
    size_t n = strcspn(sql, "\n");
    if (n >= cap)
        n = cap - 1;
    memcpy(out, sql, n);
    out[n] = '\0';
}

enum db_status db_fail(struct db *db, const char *sql, enum db_status status, const char *msg)
{
    snprintf(db->errmsg, sizeof db->errmsg, "%s", msg ? msg : "unknown error");
    char line[120];
    first_line(sql ? sql : "", line, sizeof line);
    static const char *const names[] = {"ok", "constraint", "busy", "error"};
    if (status == DB_CONSTRAINT)
        log_debug("db %s: %s [%s]", names[status], db->errmsg, line);
    else
        log_error("db %s: %s [%s]", names[status], db->errmsg, line);
    return status;
}

int64_t db_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- connections -------------------------------------------------------------------- */

struct db *db_open(const char *url, char *err, size_t errlen)
{
    if (url == NULL) {
        snprintf(err, errlen, "no database URL");
        return NULL;
    }
    if (strncmp(url, "sqlite:", 7) == 0)
        return db_sqlite_open(url + 7, err, errlen);
    if (strncmp(url, "postgresql://", 13) == 0 || strncmp(url, "postgres://", 11) == 0)
        return db_pg_open(url, err, errlen);
    snprintf(err, errlen, "unsupported database URL (expected sqlite:PATH or postgresql://...)");
    return NULL;
}

void db_close(struct db *db)
{
    if (db)
        db->drv->close(db);
}

enum db_kind db_kind(const struct db *db)
{
    return db->drv->kind;
}

const char *db_errmsg(const struct db *db)
{
    return db->errmsg;
}

/* ---- statements ----------------------------------------------------------------------- */

/* Refuses work in a poisoned transaction, so SQLite reports what PostgreSQL would. */
static bool usable(struct db *db, const char *sql)
{
    if (!db->tx_failed)
        return true;
    db_fail(db, sql, DB_ERROR, "transaction aborted by an earlier failure; roll back first");
    return false;
}

static enum db_status note(struct db *db, enum db_status s)
{
    if (s != DB_OK && db->in_tx)
        db->tx_failed = true;
    return s;
}

enum db_status db_query(struct db *db, struct db_stmt *st, const struct db_param *params, int nparams,
                        struct db_rows **rows)
{
    if (rows)
        *rows = NULL;
    if (!usable(db, st->sql))
        return DB_ERROR;
    return note(db, db->drv->run(db, st, params, nparams, rows, NULL));
}

enum db_status db_exec(struct db *db, struct db_stmt *st, const struct db_param *params, int nparams,
                       int64_t *changes)
{
    if (changes)
        *changes = 0;
    if (!usable(db, st->sql))
        return DB_ERROR;
    return note(db, db->drv->run(db, st, params, nparams, NULL, changes));
}

enum db_status db_exec_script(struct db *db, const char *sql)
{
    if (!usable(db, sql))
        return DB_ERROR;
    return note(db, db->drv->exec_script(db, sql));
}

/* ---- rows ------------------------------------------------------------------------------- */

bool db_next(struct db_rows *r)
{
    if (r == NULL || r->status != DB_OK)
        return false;
    bool more = r->drv->next(r);
    if (r->status != DB_OK)
        note(r->db, r->status);
    return more;
}

enum db_status db_rows_status(const struct db_rows *r)
{
    return r ? r->status : DB_ERROR;
}

bool db_is_null(const struct db_rows *r, int col)
{
    return r->drv->is_null(r, col);
}

int64_t db_int(const struct db_rows *r, int col)
{
    return r->drv->get_int(r, col);
}

double db_real(const struct db_rows *r, int col)
{
    return r->drv->get_real(r, col);
}

const char *db_text(const struct db_rows *r, int col)
{
    return r->drv->get_text(r, col);
}

size_t db_text_len(const struct db_rows *r, int col)
{
    return r->drv->text_len(r, col);
}

void db_rows_free(struct db_rows *r)
{
    if (r)
        r->drv->rows_free(r);
}

/* ---- transactions ------------------------------------------------------------------------ */

enum db_status db_begin(struct db *db)
{
    if (db->in_tx)
        return db_fail(db, "BEGIN", DB_ERROR, "a transaction is already open on this connection");
    enum db_status s = db->drv->begin(db);
    if (s == DB_OK) {
        db->in_tx = true;
        db->tx_failed = false;
        db->outbox_appended = false;
    }
    return s;
}

/* ---- change notification ------------------------------------------------------------------ */

static void (*outbox_hook)(void);

void db_set_outbox_hook(void (*fn)(void))
{
    __atomic_store_n(&outbox_hook, fn, __ATOMIC_RELEASE);
}

static void run_outbox_hook(void)
{
    void (*fn)(void) = __atomic_load_n(&outbox_hook, __ATOMIC_ACQUIRE);
    if (fn)
        fn();
}

void db_note_outbox_append(struct db *db)
{
    if (db->in_tx)
        db->outbox_appended = true;
    else
        run_outbox_hook();
}

enum db_status db_relax_durability(struct db *db)
{
    return db_exec_script(db, db->drv->kind == DB_SQLITE ? "PRAGMA synchronous=NORMAL" : "SET synchronous_commit = off");
}

enum db_status db_listen_outbox(struct db *db)
{
    return db->drv->listen ? db->drv->listen(db) : DB_OK;
}

int db_notify_fd(struct db *db)
{
    return db->drv->notify_fd ? db->drv->notify_fd(db) : -1;
}

int db_notify_drain(struct db *db)
{
    return db->drv->notify_drain ? db->drv->notify_drain(db) : 0;
}

enum db_status db_commit(struct db *db)
{
    if (!db->in_tx)
        return db_fail(db, "COMMIT", DB_ERROR, "no transaction is open");
    if (db->tx_failed) {
        db_rollback(db);
        return db_fail(db, "COMMIT", DB_ERROR, "a statement failed in this transaction; rolled back");
    }
    enum db_status s = db->drv->commit(db);
    if (s != DB_OK) {
        db_rollback(db); /* never leave the connection inside a half-finished transaction */
        return s;
    }
    db->in_tx = false;
    if (db->outbox_appended) {
        db->outbox_appended = false;
        run_outbox_hook();
    }
    return DB_OK;
}

void db_rollback(struct db *db)
{
    /* The engine may already have ended the transaction (SQLite does on some errors;
     * a lost PostgreSQL connection has none), so ask it rather than trust in_tx. */
    if (db->drv->tx_active(db))
        db->drv->rollback(db);
    db->in_tx = false;
    db->tx_failed = false;
    db->outbox_appended = false;
}

void db_share_reads(struct db *db)
{
    if (db->drv->share_reads)
        db->drv->share_reads(db);
}

void db_reads_release(struct db *db)
{
    if (db->drv->reads_release)
        db->drv->reads_release(db);
}

bool db_in_tx(const struct db *db)
{
    return db->in_tx;
}

enum db_status db_finish(struct db *db, enum db_status s)
{
    if (s == DB_OK)
        return db_commit(db);
    db_rollback(db);
    return s;
}

/* ---- savepoints ---------------------------------------------------------------------------- */

enum db_status db_unit_begin(struct db *db)
{
    if (!db->in_tx)
        return db_fail(db, "SAVEPOINT", DB_ERROR, "no transaction is open");
    return db_exec_script(db, "SAVEPOINT unit");
}

enum db_status db_unit_commit(struct db *db)
{
    return db_exec_script(db, "RELEASE SAVEPOINT unit");
}

enum db_status db_unit_rollback(struct db *db)
{
    /* Bypasses usable(): undoing the failed unit is exactly what a failed transaction needs. */
    enum db_status s = db->drv->exec_script(db, "ROLLBACK TO SAVEPOINT unit");
    if (s == DB_OK)
        s = db->drv->exec_script(db, "RELEASE SAVEPOINT unit");
    if (s == DB_OK)
        db->tx_failed = false;
    return s;
}

/* ---- liveness ------------------------------------------------------------------------------ */

DB_STMT(st_ping, "SELECT 1");

bool db_text_copy(const struct db_rows *r, int col, char *dst, size_t cap)
{
    const char *s = db_text(r, col);
    size_t n = s ? db_text_len(r, col) : 0;
    if (n >= cap)
        return false;
    memcpy(dst, s ? s : "", n);
    dst[n] = '\0';
    return true;
}

enum db_status db_query_first(struct db *db, struct db_stmt *st, const struct db_param *params, int nparams,
                              bool (*read)(const struct db_rows *r, void *out), void *out, bool *found)
{
    *found = false;
    struct db_rows *r = NULL;
    enum db_status s = db_query(db, st, params, nparams, &r);
    if (s != DB_OK)
        return s;
    if (db_next(r)) {
        if (read(r, out))
            *found = true;
        else
            s = db_fail(db, st->sql, DB_ERROR, "a stored value is longer than expected");
    }
    if (s == DB_OK)
        s = db_rows_status(r);
    db_rows_free(r);
    return s;
}

struct two_texts {
    char *a, *b;
    size_t acap, bcap;
};

static bool read_two_texts(const struct db_rows *r, void *out)
{
    struct two_texts *t = out;
    return (t->a == NULL || db_text_copy(r, 0, t->a, t->acap)) && (t->b == NULL || db_text_copy(r, 1, t->b, t->bcap));
}

enum db_status db_query_first_text(struct db *db, struct db_stmt *st, const struct db_param *params, int nparams,
                                   bool *found, char *a, size_t acap, char *b, size_t bcap)
{
    struct two_texts t = {a, b, acap, bcap};
    return db_query_first(db, st, params, nparams, read_two_texts, &t, found);
}

enum db_status db_query_first_int(struct db *db, struct db_stmt *st, const struct db_param *params, int nparams,
                                  bool *found, int64_t *v)
{
    *found = false;
    struct db_rows *r = NULL;
    enum db_status s = db_query(db, st, params, nparams, &r);
    if (s != DB_OK)
        return s;
    if (db_next(r)) {
        *found = true;
        if (v)
            *v = db_is_null(r, 0) ? 0 : db_int(r, 0);
    }
    s = db_rows_status(r);
    db_rows_free(r);
    return s;
}

bool db_ping(struct db *db)
{
    if (db->in_tx)
        return !db->tx_failed && db->drv->tx_active(db);
    /* A driver may reconnect a broken connection on its next use, so one retry. */
    for (int attempt = 0; attempt < 2; attempt++) {
        struct db_rows *r = NULL;
        if (db->drv->run(db, &st_ping, NULL, 0, &r, NULL) == DB_OK) {
            bool ok = db_next(r) && db_int(r, 0) == 1;
            db_rows_free(r);
            if (ok)
                return true;
        }
    }
    return false;
}
