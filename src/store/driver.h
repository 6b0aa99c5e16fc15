/* driver.h — what a database engine provides to db.c (internal to src/store/).
 * db.c owns everything portable: URL dispatch, statement slot numbers, transaction state and
 * error logging. sqlite.c and postgres.c each own one engine and fill in a struct db_driver.
 * A driver's connection struct begins with struct db, its result struct with struct db_rows,
 * so db.c can reach the common fields and the driver can downcast. */
#ifndef CONNECTD_STORE_DRIVER_H
#define CONNECTD_STORE_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/db.h"

struct db_driver {
    enum db_kind kind;
    void (*close)(struct db *db);
    /* Runs st (already checked by db.c). rows NULL: discard any result, fill *changes. */
    enum db_status (*run)(struct db *db, struct db_stmt *st, const struct db_param *params, int nparams,
                          struct db_rows **rows, int64_t *changes);
    enum db_status (*exec_script)(struct db *db, const char *sql);
    enum db_status (*begin)(struct db *db);
    enum db_status (*commit)(struct db *db);
    void (*rollback)(struct db *db);
    bool (*tx_active)(struct db *db); /* the engine's view: a transaction is open */
    void (*share_reads)(struct db *db); /* the two are NULL when reads have nothing to share */
    void (*reads_release)(struct db *db);
    enum db_status (*listen)(struct db *db); /* the three are NULL when the engine has no notifications */
    int (*notify_fd)(struct db *db);
    int (*notify_drain)(struct db *db);

    bool (*next)(struct db_rows *r);
    bool (*is_null)(const struct db_rows *r, int col);
    int64_t (*get_int)(const struct db_rows *r, int col);
    double (*get_real)(const struct db_rows *r, int col);
    const char *(*get_text)(const struct db_rows *r, int col);
    size_t (*text_len)(const struct db_rows *r, int col);
    void (*rows_free)(struct db_rows *r);
};

struct db {
    const struct db_driver *drv;
    bool in_tx;     /* between a successful db_begin and db_commit / db_rollback */
    bool tx_failed; /* a statement failed inside the transaction: only rollback is allowed */
    bool outbox_appended; /* the open transaction appended an event (db_set_outbox_hook) */
    char errmsg[256];
};

struct db_rows {
    const struct db_driver *drv;
    struct db *db;
    enum db_status status; /* DB_OK until iteration fails */
};

/* Engine entry points (db_open picks one by URL scheme). */
struct db *db_sqlite_open(const char *path, char *err, size_t errlen);
struct db *db_pg_open(const char *url, char *err, size_t errlen);

/* The statement's process-wide slot, assigned on first use (thread-safe). */
int db_stmt_slot(struct db_stmt *st);
/* Grows a per-connection slot array (elements of elem bytes, zero-filled) to hold slot. */
void *db_slots_grow(void *arr, int *cap, int slot, size_t elem);
/* Records msg as the connection's last error and logs it with the statement's first line
 * (constraint violations at debug level: they are ordinary outcomes). Returns status. */
enum db_status db_fail(struct db *db, const char *sql, enum db_status status, const char *msg);

/* In a transaction: the USER_CREATED event of events.md §6.2 (users.c; shared by the External
 * Identity and the login-page ways of creating a user). */
enum db_status store_emit_user_created(struct db *db, const char *unique_id, const char *client_id,
                                      char credential_type, const char *origin);

/* outbox.c: an event was appended on db (runs the outbox hook now, or at commit). */
void db_note_outbox_append(struct db *db);

/* Wall-clock time in epoch milliseconds (shared by the store files). */
int64_t db_now_ms(void);

#endif
