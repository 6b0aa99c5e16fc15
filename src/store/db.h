/* db.h — the portable SQL layer under the store (one connection, owned by one thread).
 * Two drivers implement it: SQLite (sqlite.c) and PostgreSQL over libpq (postgres.c). Store
 * functions above it are written once: SQL uses $1, $2 ... placeholders (rewritten to ?NNN
 * for SQLite), statements are declared once with DB_STMT and prepared lazily per connection
 * (prepared statements only: values never enter SQL text). */
#ifndef CONNECTD_DB_H
#define CONNECTD_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum db_kind {
    DB_SQLITE,
    DB_POSTGRES,
};

enum db_status {
    DB_OK = 0,
    DB_CONSTRAINT, /* unique / foreign-key / check violation */
    DB_BUSY,       /* lock not obtained within the busy timeout, or serialization failure */
    DB_ERROR,      /* anything else; details went to the log, never to a client */
};

/* A statement, declared once at file scope:
 *   DB_STMT(client_get, "SELECT secret_hash FROM client WHERE client_id = $1");
 * slot is assigned on first use and indexes each connection's prepared-statement cache. */
struct db_stmt {
    const char *sql;
    int slot;
};
#define DB_STMT(name, text) static struct db_stmt name = {(text), -1}

enum db_type {
    DBT_NULL,
    DBT_INT,
    DBT_REAL,
    DBT_TEXT,
};

struct db_param {
    enum db_type type;
    int64_t i;
    double d;
    const char *s;
    size_t len; /* for DBT_TEXT; (size_t)-1 means strlen(s) */
};

#define P_INT(v) ((struct db_param){.type = DBT_INT, .i = (int64_t)(v)})
#define P_REAL(v) ((struct db_param){.type = DBT_REAL, .d = (double)(v)})
#define P_TEXT(v) ((struct db_param){.type = DBT_TEXT, .s = (v), .len = (size_t)-1})
#define P_TEXTN(v, n) ((struct db_param){.type = DBT_TEXT, .s = (v), .len = (n)})
#define P_NULL ((struct db_param){.type = DBT_NULL})
/* NULL when the pointer is NULL */
#define P_TEXT_OR_NULL(v) ((v) ? P_TEXT(v) : P_NULL)

struct db;
struct db_rows;

/* Opens "sqlite:PATH" (file created if missing, WAL, synchronous=FULL, busy timeout,
 * foreign keys on) or "postgresql://..." / "postgres://...". NULL with a message in err. */
struct db *db_open(const char *url, char *err, size_t errlen);
void db_close(struct db *db);
enum db_kind db_kind(const struct db *db);

/* Runs st with params. On DB_OK, *rows (if rows is non-NULL) iterates the result and must be
 * released with db_rows_free. */
enum db_status db_query(struct db *db, struct db_stmt *st, const struct db_param *params, int nparams,
                        struct db_rows **rows);
/* For statements without a result set. *changes (may be NULL) receives affected rows. */
enum db_status db_exec(struct db *db, struct db_stmt *st, const struct db_param *params, int nparams,
                       int64_t *changes);
/* Runs a script of ';'-separated statements with no parameters (migrations only). */
enum db_status db_exec_script(struct db *db, const char *sql);

bool db_next(struct db_rows *r); /* advance to the next row; false at the end or on error */
enum db_status db_rows_status(const struct db_rows *r); /* DB_OK unless iteration failed */
bool db_is_null(const struct db_rows *r, int col);
int64_t db_int(const struct db_rows *r, int col);
double db_real(const struct db_rows *r, int col);
const char *db_text(const struct db_rows *r, int col); /* valid until the next db_next; NULL for NULL */
size_t db_text_len(const struct db_rows *r, int col);
/* Copies column col (NULL as "") into dst; false when it does not fit: the store's writers
 * never produce such a row, so it is reported rather than cut short. */
bool db_text_copy(const struct db_rows *r, int col, char *dst, size_t cap);
void db_rows_free(struct db_rows *r);

/* The first row of st, read into out by read(); *found false when there is none. A row that
 * read() refuses (a value longer than the store ever writes) is DB_ERROR; read() frees
 * whatever it allocated before refusing. */
enum db_status db_query_first(struct db *db, struct db_stmt *st, const struct db_param *params, int nparams,
                              bool (*read)(const struct db_rows *r, void *out), void *out, bool *found);
/* The first row of st: column 0 into a and column 1 into b (either may be NULL: not read).
 * *found false when there is no row; a value that does not fit is DB_ERROR. */
enum db_status db_query_first_text(struct db *db, struct db_stmt *st, const struct db_param *params, int nparams,
                                   bool *found, char *a, size_t acap, char *b, size_t bcap);
/* Whether st returns a row (an INSERT ... RETURNING inserted one); its column 0 as a number
 * (NULL as 0) into v, which may be NULL. */
enum db_status db_query_first_int(struct db *db, struct db_stmt *st, const struct db_param *params, int nparams,
                                  bool *found, int64_t *v);

/* Transactions. db_begin starts a write transaction (SQLite: BEGIN IMMEDIATE). */
enum db_status db_begin(struct db *db);
enum db_status db_commit(struct db *db);
void db_rollback(struct db *db);
/* Ends a transaction by the status of its work: commits on DB_OK (the commit's status is
 * returned), else rolls back and returns s. */
enum db_status db_finish(struct db *db, enum db_status s);
/* Whether a transaction is open on the connection. */
bool db_in_tx(const struct db *db);

/* A savepoint inside the open transaction: one unit of work that can be undone alone (an
 * import line), leaving the transaction usable even after a failed statement. Units do not
 * nest. */
enum db_status db_unit_begin(struct db *db);
enum db_status db_unit_commit(struct db *db);
/* Undoes the unit and clears a failure inside it. */
enum db_status db_unit_rollback(struct db *db);

/* Change notification, for the webhook dispatcher (events/dispatcher.c).
 * In this process: fn runs after every commit of a transaction that appended to the outbox
 * (store_outbox_append), on the committing thread; it must be quick and thread-safe. Set it
 * once, before threads start; NULL turns it off. */
void db_set_outbox_hook(void (*fn)(void));
/* Across processes (PostgreSQL): LISTEN on the outbox channel (migration 6 NOTIFYs it on
 * every outbox insert). SQLite has no such thing: DB_OK and nothing happens. */
enum db_status db_listen_outbox(struct db *db);
/* The socket to poll() for notifications, or -1 (SQLite, or no connection). */
int db_notify_fd(struct db *db);
/* Reads what arrived on the socket; returns the number of notifications (0 on SQLite). */
int db_notify_drain(struct db *db);

/* For a connection whose writes can be redone (the webhook dispatcher's delivery bookkeeping):
 * commits no longer wait for the disk (SQLite synchronous=NORMAL in WAL mode, PostgreSQL
 * synchronous_commit=off). A crash of the machine or the database server may then forget the
 * last few such commits, never corrupt anything, and never touches other connections'
 * durability: a forgotten "delivered" is delivered once more, which at-least-once allows. */
enum db_status db_relax_durability(struct db *db);

/* For a connection that serves many short reads in bursts (a request worker): its reads may
 * share one read transaction (SQLite: one WAL read lock instead of one per statement). Each
 * statement still sees every commit made, by any connection or process, before it started;
 * writes and db_begin end the shared transaction first. The owner calls db_reads_release at
 * every pause (a worker: each turn of its event loop), so a checkpoint never waits for it
 * long. Both do nothing on PostgreSQL, whose reads have no such cost. */
void db_share_reads(struct db *db);
void db_reads_release(struct db *db);

/* Cheap liveness check (SELECT 1). */
bool db_ping(struct db *db);

/* Last error text of this connection, for logs only. */
const char *db_errmsg(const struct db *db);

#endif
