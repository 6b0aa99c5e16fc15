/* sqlite.c — the SQLite driver behind db.h (driver.h says how db.c calls it).
 * A connection belongs to one thread (opened NOMUTEX) and caches prepared statements by slot;
 * $N placeholders become ?N at prepare time, so one SQL text serves both engines. db_query
 * steps the first row itself (errors surface there, as on PostgreSQL); later rows step lazily.
 * A worker's connection shares one read transaction between its reads (db_share_reads, below). */
#include <ctype.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/driver.h"
#include "util/buf.h"
#include "util/log.h"

#define BUSY_TIMEOUT_MS 5000
enum { WAL_HDR_WORDS = 12 }; /* the WAL-index header's 48 bytes (shared reads, below) */

struct slot {
    sqlite3_stmt *stmt;
    bool in_use; /* held by an open rows object */
};

struct sq_db {
    struct db base;
    sqlite3 *h;
    struct slot *slots;
    int nslots;
    int open_rows; /* rows objects still holding a stepped statement */
    bool wal;      /* the file is in WAL mode (configure) */
    /* db_share_reads: the WAL-index header in shared memory (NULL: sharing off), whether the
     * shared read transaction is open, and the header as it was just before it began. */
    const uint32_t *wal_hdr;
    bool reading;
    uint32_t seen[WAL_HDR_WORDS];
};

struct sq_rows {
    struct db_rows base;
    sqlite3_stmt *stmt; /* NULL once finished */
    int slot;           /* cache slot to release, or -1 for a one-off statement to finalize */
    bool pending;       /* db_query stepped a row that db_next has not handed out yet */
    bool on_row;        /* positioned on a row: columns may be read */
    int ncol;           /* the statement's column count */
    const char *sql;    /* for error messages */
};

static const struct db_driver sqlite_driver;

static enum db_status map_rc(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
        return DB_CONSTRAINT;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return DB_BUSY;
    default:
        return DB_ERROR;
    }
}

static enum db_status sq_fail(struct sq_db *s, const char *sql, int rc)
{
    return db_fail(&s->base, sql, map_rc(rc), sqlite3_errmsg(s->h));
}

/* ---- preparing -------------------------------------------------------------------------- */

/* Copies a quoted run ('text' or "identifier") starting at p; a doubled quote simply closes
 * and reopens, which copies correctly. Returns the position after the closing quote. */
static const char *copy_quoted(struct buf *b, const char *p)
{
    char q = *p;
    const char *end = strchr(p + 1, q);
    end = end ? end + 1 : p + strlen(p);
    buf_append(b, p, (size_t)(end - p));
    return end;
}

static const char *copy_comment(struct buf *b, const char *p)
{
    const char *end;
    if (p[0] == '-') {
        end = p + strcspn(p, "\n");
    } else {
        end = strstr(p + 2, "*/");
        end = end ? end + 2 : p + strlen(p);
    }
    buf_append(b, p, (size_t)(end - p));
    return end;
}

/* $N -> ?N outside literals, identifiers and comments. ?N (not bare ?) keeps each number
 * bound to its parameter, so "$2 ... $1" and repeated "$1" work as in PostgreSQL. */
static char *rewrite_placeholders(const char *sql)
{
    struct buf b = BUF_INIT;
    const char *p = sql;
    while (*p) {
        if (*p == '\'' || *p == '"')
            p = copy_quoted(&b, p);
        else if ((p[0] == '-' && p[1] == '-') || (p[0] == '/' && p[1] == '*'))
            p = copy_comment(&b, p);
        else if (p[0] == '$' && isdigit((unsigned char)p[1])) {
            buf_putc(&b, '?');
            p++;
        } else
            buf_putc(&b, *p++);
    }
    if (b.data == NULL)
        buf_puts(&b, "");
    return b.data;
}

static bool only_blank(const char *p)
{
    for (; p && *p; p++)
        if (!isspace((unsigned char)*p) && *p != ';')
            return false;
    return true;
}

static enum db_status prepare(struct sq_db *s, const char *sql, bool persistent, sqlite3_stmt **out)
{
    char *text = rewrite_placeholders(sql);
    const char *tail = NULL;
    int rc = sqlite3_prepare_v3(s->h, text, -1, persistent ? SQLITE_PREPARE_PERSISTENT : 0, out, &tail);
    bool extra = rc == SQLITE_OK && !only_blank(tail);
    free(text);
    if (rc != SQLITE_OK)
        return sq_fail(s, sql, rc);
    if (*out == NULL || extra) {
        sqlite3_finalize(*out);
        *out = NULL;
        return db_fail(&s->base, sql, DB_ERROR, "a DB_STMT must hold exactly one statement");
    }
    return DB_OK;
}

/* The statement to run: the cached one, or, when an open rows object still holds that one
 * (the same statement used again while iterating it), a one-off copy; *slot is -1 for those.
 * So several rows objects may be open on one connection, even of the same statement. */
static enum db_status acquire(struct sq_db *s, struct db_stmt *st, sqlite3_stmt **out, int *slot)
{
    int n = db_stmt_slot(st);
    s->slots = db_slots_grow(s->slots, &s->nslots, n, sizeof *s->slots);
    struct slot *e = &s->slots[n];
    if (e->in_use) {
        *slot = -1;
        return prepare(s, st->sql, false, out);
    }
    if (e->stmt == NULL) {
        enum db_status r = prepare(s, st->sql, true, &e->stmt);
        if (r != DB_OK)
            return r;
    }
    *out = e->stmt;
    *slot = n;
    return DB_OK;
}

static void release(struct sq_db *s, sqlite3_stmt *stmt, int slot)
{
    if (slot < 0) {
        sqlite3_finalize(stmt);
        return;
    }
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    s->slots[slot].in_use = false;
}

static enum db_status bind_all(struct sq_db *s, sqlite3_stmt *stmt, const char *sql, const struct db_param *p,
                               int n)
{
    if (sqlite3_bind_parameter_count(stmt) != n) {
        char msg[96];
        snprintf(msg, sizeof msg, "statement takes %d parameters, %d given", sqlite3_bind_parameter_count(stmt), n);
        return db_fail(&s->base, sql, DB_ERROR, msg);
    }
    for (int i = 0; i < n; i++) {
        int rc;
        if (p[i].type == DBT_INT)
            rc = sqlite3_bind_int64(stmt, i + 1, p[i].i);
        else if (p[i].type == DBT_REAL)
            rc = sqlite3_bind_double(stmt, i + 1, p[i].d);
        else if (p[i].type == DBT_TEXT && p[i].s != NULL) {
            size_t len = p[i].len == (size_t)-1 ? strlen(p[i].s) : p[i].len;
            /* TRANSIENT: SQLite copies, so callers may free their strings before db_next. */
            rc = sqlite3_bind_text64(stmt, i + 1, p[i].s, len, SQLITE_TRANSIENT, SQLITE_UTF8);
        } else
            rc = sqlite3_bind_null(stmt, i + 1);
        if (rc != SQLITE_OK)
            return sq_fail(s, sql, rc);
    }
    return DB_OK;
}

/* ---- running ---------------------------------------------------------------------------- */

static struct db_rows *rows_new(struct sq_db *s, struct db_stmt *st, sqlite3_stmt *stmt, int slot, int rc)
{
    struct sq_rows *r = xcalloc(1, sizeof *r);
    r->base.drv = &sqlite_driver;
    r->base.db = &s->base;
    r->base.status = DB_OK;
    r->sql = st->sql;
    r->slot = slot;
    r->ncol = sqlite3_column_count(stmt);
    if (rc == SQLITE_ROW) {
        r->stmt = stmt;
        r->pending = true;
        s->open_rows++;
        if (slot >= 0)
            s->slots[slot].in_use = true;
    } else {
        release(s, stmt, slot); /* empty result: nothing to hold */
    }
    return &r->base;
}

static enum db_status reads_join(struct sq_db *s);
static enum db_status reads_end(struct sq_db *s);

/* control: a transaction statement of this file, which the shared read transaction leaves be. */
static enum db_status run(struct sq_db *s, struct db_stmt *st, const struct db_param *params, int nparams,
                          struct db_rows **rows, int64_t *changes, bool control)
{
    sqlite3_stmt *stmt;
    int slot;
    enum db_status r = acquire(s, st, &stmt, &slot);
    if (r != DB_OK)
        return r;
    if (!control && s->wal_hdr && !s->base.in_tx)
        r = sqlite3_stmt_readonly(stmt) ? reads_join(s) : reads_end(s);
    if (r == DB_OK)
        r = bind_all(s, stmt, st->sql, params, nparams);
    int rc = r == DB_OK ? sqlite3_step(stmt) : SQLITE_OK;
    while (r == DB_OK && rows == NULL && rc == SQLITE_ROW)
        rc = sqlite3_step(stmt);
    if (r == DB_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
        r = sq_fail(s, st->sql, rc);
    if (r != DB_OK) {
        release(s, stmt, slot);
        return r;
    }
    if (rows) {
        *rows = rows_new(s, st, stmt, slot, rc);
        return DB_OK;
    }
    if (changes)
        *changes = sqlite3_stmt_readonly(stmt) ? 0 : sqlite3_changes64(s->h);
    release(s, stmt, slot);
    return DB_OK;
}

static enum db_status sq_run(struct db *db, struct db_stmt *st, const struct db_param *params, int nparams,
                             struct db_rows **rows, int64_t *changes)
{
    return run((struct sq_db *)db, st, params, nparams, rows, changes, false);
}

static enum db_status sq_exec_script(struct db *db, const char *sql)
{
    struct sq_db *s = (struct sq_db *)db;
    reads_end(s);
    char *msg = NULL;
    int rc = sqlite3_exec(s->h, sql, NULL, NULL, &msg);
    enum db_status r = DB_OK;
    if (rc != SQLITE_OK)
        r = db_fail(db, sql, map_rc(rc), msg ? msg : sqlite3_errmsg(s->h));
    sqlite3_free(msg);
    return r;
}

/* BEGIN IMMEDIATE takes the write lock up front: two deferred transactions that both read
 * and then try to write would otherwise deadlock on the upgrade and one would fail. */
DB_STMT(st_begin, "BEGIN IMMEDIATE");
DB_STMT(st_commit, "COMMIT");
DB_STMT(st_rollback, "ROLLBACK");

static enum db_status sq_begin(struct db *db)
{
    struct sq_db *s = (struct sq_db *)db;
    enum db_status r = reads_end(s);
    return r == DB_OK ? run(s, &st_begin, NULL, 0, NULL, NULL, true) : r;
}

static enum db_status sq_commit(struct db *db)
{
    return run((struct sq_db *)db, &st_commit, NULL, 0, NULL, NULL, true);
}

static void sq_rollback(struct db *db)
{
    run((struct sq_db *)db, &st_rollback, NULL, 0, NULL, NULL, true);
}

/* A shared read transaction is not one of db.c's: it is this file's to end. */
static bool sq_tx_active(struct db *db)
{
    struct sq_db *s = (struct sq_db *)db;
    return !sqlite3_get_autocommit(s->h) && !s->reading;
}

/* ---- shared reads (db.h: db_share_reads) -----------------------------------------------------
 * Each read transaction of its own costs a WAL read lock and unlock: two fcntl calls, made
 * under a mutex that every connection of the process takes, so the workers queue for it. A
 * worker's connection instead keeps one read transaction open across its reads, as long as
 * nothing has been committed since it began, and its owner ends it at every pause.
 * "Nothing committed" is read from the WAL-index header, the first 48 bytes of the -shm file
 * (SQLite's "WAL-index format"): every commit, by any connection of any process, rewrites it,
 * its change counter and frame count at least. The header is copied just before the
 * transaction begins, so a commit that slips in between only makes the copy look old, and the
 * next read starts afresh: a read never misses a commit made before it started. Statements
 * still open from earlier (rows being iterated) pin the connection's snapshot, in SQLite as
 * before; a new shared transaction is only begun when there are none. */
DB_STMT(st_read_begin, "BEGIN DEFERRED");
DB_STMT(st_read_end, "COMMIT");

static void wal_hdr_read(const struct sq_db *s, uint32_t out[WAL_HDR_WORDS])
{
    for (int i = 0; i < WAL_HDR_WORDS; i++)
        out[i] = __atomic_load_n(&s->wal_hdr[i], __ATOMIC_ACQUIRE);
}

static enum db_status reads_end(struct sq_db *s)
{
    if (!s->reading)
        return DB_OK;
    s->reading = false;
    if (sqlite3_get_autocommit(s->h)) /* SQLite already ended it (after an error) */
        return DB_OK;
    enum db_status r = run(s, &st_read_end, NULL, 0, NULL, NULL, true);
    if (r != DB_OK)
        run(s, &st_rollback, NULL, 0, NULL, NULL, true);
    return r;
}

/* Before a read statement: keep the shared transaction if it is still the newest state,
 * else begin a new one (or, while older statements pin the snapshot, read without one). */
static enum db_status reads_join(struct sq_db *s)
{
    uint32_t now[WAL_HDR_WORDS];
    wal_hdr_read(s, now);
    if (s->reading && !sqlite3_get_autocommit(s->h) && memcmp(now, s->seen, sizeof now) == 0)
        return DB_OK;
    enum db_status r = reads_end(s);
    if (r != DB_OK || s->open_rows > 0)
        return r;
    memcpy(s->seen, now, sizeof now);
    r = run(s, &st_read_begin, NULL, 0, NULL, NULL, true);
    s->reading = r == DB_OK;
    return r;
}

/* The header is mapped by SQLite once the connection has read in WAL mode; xShmMap without
 * extending hands back that same mapping, which stays put while the connection is open. */
static void sq_share_reads(struct db *db)
{
    struct sq_db *s = (struct sq_db *)db;
    sqlite3_file *f = NULL;
    void volatile *p = NULL;
    if (s->wal_hdr || !s->wal)
        return;
    if (sqlite3_exec(s->h, "PRAGMA schema_version", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_file_control(s->h, "main", SQLITE_FCNTL_FILE_POINTER, &f) != SQLITE_OK || f == NULL ||
        f->pMethods == NULL || f->pMethods->iVersion < 2 || f->pMethods->xShmMap == NULL ||
        f->pMethods->xShmMap(f, 0, 32768, 0, &p) != SQLITE_OK || p == NULL) {
        log_warn("sqlite: WAL index not mapped; reads keep a transaction each");
        return;
    }
    s->wal_hdr = (const uint32_t *)(uintptr_t)p;
}

static void sq_reads_release(struct db *db)
{
    reads_end((struct sq_db *)db);
}

/* ---- rows ------------------------------------------------------------------------------- */

static void rows_finish(struct sq_rows *r)
{
    if (r->stmt) {
        struct sq_db *s = (struct sq_db *)r->base.db;
        s->open_rows--;
        release(s, r->stmt, r->slot);
    }
    r->stmt = NULL;
    r->on_row = false;
}

static bool sq_next(struct db_rows *base)
{
    struct sq_rows *r = (struct sq_rows *)base;
    if (r->stmt == NULL)
        return false;
    if (r->pending) {
        r->pending = false;
        r->on_row = true;
        return true;
    }
    int rc = sqlite3_step(r->stmt);
    if (rc == SQLITE_ROW)
        return true;
    if (rc != SQLITE_DONE)
        base->status = sq_fail((struct sq_db *)base->db, r->sql, rc);
    rows_finish(r);
    return false;
}

/* Column access is valid only on a row and inside the result's columns; anything else reads
 * as NULL rather than crashing. */
static sqlite3_stmt *at(const struct db_rows *base, int col)
{
    const struct sq_rows *r = (const struct sq_rows *)base;
    if (!r->on_row || col < 0 || col >= r->ncol)
        return NULL;
    return r->stmt;
}

static bool sq_is_null(const struct db_rows *r, int col)
{
    sqlite3_stmt *s = at(r, col);
    return s == NULL || sqlite3_column_type(s, col) == SQLITE_NULL;
}

static int64_t sq_int(const struct db_rows *r, int col)
{
    sqlite3_stmt *s = at(r, col);
    return s ? sqlite3_column_int64(s, col) : 0;
}

static double sq_real(const struct db_rows *r, int col)
{
    sqlite3_stmt *s = at(r, col);
    return s ? sqlite3_column_double(s, col) : 0.0;
}

static const char *sq_text(const struct db_rows *r, int col)
{
    sqlite3_stmt *s = at(r, col);
    return s ? (const char *)sqlite3_column_text(s, col) : NULL;
}

static size_t sq_text_len(const struct db_rows *r, int col)
{
    sqlite3_stmt *s = at(r, col);
    if (s == NULL || sqlite3_column_text(s, col) == NULL) /* text first, then its length */
        return 0;
    return (size_t)sqlite3_column_bytes(s, col);
}

static void sq_rows_free(struct db_rows *base)
{
    rows_finish((struct sq_rows *)base);
    free(base);
}

/* ---- connection ------------------------------------------------------------------------ */

static void sq_close(struct db *db)
{
    struct sq_db *s = (struct sq_db *)db;
    reads_end(s);
    for (int i = 0; i < s->nslots; i++)
        sqlite3_finalize(s->slots[i].stmt);
    free(s->slots);
    sqlite3_close_v2(s->h); /* _v2: defers if a caller still holds a rows object */
    free(s);
}

static int first_column(void *arg, int ncol, char **vals, char **names)
{
    (void)names;
    if (ncol > 0 && vals[0])
        snprintf(arg, 16, "%s", vals[0]);
    return 0;
}

/* Reads of pages missing from the connection's page cache come from a memory map of the file
 * (up to 2 GiB) instead of a pread each: on a database of a million customers that is most
 * pages, and the map makes a lookup there cost close to one in a small database (bench/). The
 * map is the kernel's file cache, shared by every connection; it shows in the resident size as
 * file-backed memory. The page cache itself is 16 MB per connection instead of 2 MB, so bulk
 * imports spill fewer dirty pages to the WAL mid-transaction; savepoint journals (one per
 * imported line) stay in memory rather than in temporary files. */
#define SQLITE_TUNING "PRAGMA mmap_size=2147483648; PRAGMA cache_size=-16384; PRAGMA temp_store=MEMORY"

/* *wal: whether the file ended up in WAL mode (not so in memory, or where WAL is unavailable). */
static bool configure(sqlite3 *h, const char *path, bool *wal, char *err, size_t errlen)
{
    sqlite3_busy_timeout(h, BUSY_TIMEOUT_MS);
    char mode[16] = "";
    char *msg = NULL;
    int rc = sqlite3_exec(h, "PRAGMA journal_mode=WAL", first_column, mode, &msg);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(h, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; " SQLITE_TUNING, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "sqlite: cannot configure %s: %s", path, msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        return false;
    }
    *wal = strcmp(mode, "wal") == 0;
    if (!*wal && strcmp(mode, "memory") != 0)
        log_warn("sqlite: %s stays in journal mode %s (WAL unavailable)", path, mode);
    return true;
}

/* Process-wide settings, made once before the first connection. Every connection belongs to
 * one thread at a time (a worker, the dispatcher, the messenger, the jobs), so SQLite's
 * multi-thread mode is enough and its per-connection mutexes are pure cost; and the
 * memory-use statistics, which no one reads, would take one global mutex on every allocation,
 * which the workers then contend for. */
static pthread_once_t sqlite_once = PTHREAD_ONCE_INIT;

static void configure_library(void)
{
    if (sqlite3_config(SQLITE_CONFIG_MULTITHREAD) != SQLITE_OK || sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) != SQLITE_OK)
        log_warn("sqlite: library already initialised; keeping its default threading mode");
    sqlite3_initialize();
}

struct db *db_sqlite_open(const char *path, char *err, size_t errlen)
{
    pthread_once(&sqlite_once, configure_library);
    if (path == NULL || *path == '\0') {
        snprintf(err, errlen, "sqlite: empty path");
        return NULL;
    }
    sqlite3 *h = NULL;
    int rc = sqlite3_open_v2(path, &h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "sqlite: cannot open %s: %s", path, h ? sqlite3_errmsg(h) : sqlite3_errstr(rc));
        sqlite3_close(h);
        return NULL;
    }
    bool wal = false;
    if (!configure(h, path, &wal, err, errlen)) {
        sqlite3_close(h);
        return NULL;
    }
    struct sq_db *s = xcalloc(1, sizeof *s);
    s->base.drv = &sqlite_driver;
    s->h = h;
    s->wal = wal;
    return &s->base;
}

static const struct db_driver sqlite_driver = {
    .kind = DB_SQLITE,
    .close = sq_close,
    .run = sq_run,
    .exec_script = sq_exec_script,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .tx_active = sq_tx_active,
    .share_reads = sq_share_reads,
    .reads_release = sq_reads_release,
    .next = sq_next,
    .is_null = sq_is_null,
    .get_int = sq_int,
    .get_real = sq_real,
    .get_text = sq_text,
    .text_len = sq_text_len,
    .rows_free = sq_rows_free,
};
