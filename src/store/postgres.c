/* postgres.c — the PostgreSQL driver behind db.h, over libpq (driver.h says how db.c calls it).
 * Each DB_STMT is prepared once per connection as "s<slot>" and run with text parameters and
 * text results; a result arrives whole and the rows object only walks it. Logged errors carry
 * the primary message and SQLSTATE only: DETAIL lines and data-error texts can quote values. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/driver.h"
#include "util/buf.h"
#include "util/log.h"

#define OID_INT8 20
#define OID_FLOAT8 701

struct pg_db {
    struct db base;
    PGconn *conn;
    bool *prepared; /* per slot: "s<slot>" exists on this connection */
    int nprepared;
    bool listening; /* LISTEN connectd_outbox was issued: a reset connection issues it again */
};

struct pg_rows {
    struct db_rows base;
    PGresult *res;
    int row; /* current row; -1 before the first db_next */
    int nrows;
};

static const struct db_driver pg_driver;

/* ---- errors ----------------------------------------------------------------------------- */

static enum db_status map_sqlstate(const char *state)
{
    if (state == NULL)
        return DB_ERROR;
    if (strncmp(state, "23", 2) == 0)
        return DB_CONSTRAINT;
    if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 || strcmp(state, "55P03") == 0)
        return DB_BUSY;
    return DB_ERROR;
}

/* Logs and maps a failed result (res may be NULL when libpq could not even send). */
static enum db_status pg_fail(struct pg_db *p, const char *sql, const PGresult *res)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    char msg[256];
    if (state && strncmp(state, "22", 2) == 0)
        snprintf(msg, sizeof msg, "data exception (SQLSTATE %s)", state); /* text quotes the value */
    else if (primary)
        snprintf(msg, sizeof msg, "%s (SQLSTATE %s)", primary, state ? state : "?");
    else {
        snprintf(msg, sizeof msg, "%s", PQerrorMessage(p->conn)); /* connection-level failure */
        msg[strcspn(msg, "\n")] = '\0';
    }
    return db_fail(&p->base, sql, map_sqlstate(state), msg);
}

/* Server notices (client_min_messages=warning keeps them rare) go to our log, primary text only. */
static void notice_to_log(void *arg, const PGresult *res)
{
    (void)arg;
    const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
    log_warn("postgres: %s", primary ? primary : "notice");
}

/* ---- connection ------------------------------------------------------------------------ */

static bool listen_outbox(PGconn *conn)
{
    PGresult *res = PQexec(conn, "LISTEN connectd_outbox");
    bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    PQclear(res);
    return ok;
}

static bool session_setup(PGconn *conn)
{
    PQsetNoticeReceiver(conn, notice_to_log, NULL);
    PGresult *res = PQexec(conn, "SET client_min_messages = warning");
    bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    PQclear(res);
    return ok;
}

/* A connection that broke outside a transaction is reset and its statements re-prepared on
 * demand. Inside a transaction it is not: the caller's earlier writes are gone, and silently
 * continuing on a fresh connection would commit only the tail of the transaction. */
static bool pg_alive(struct pg_db *p)
{
    if (PQstatus(p->conn) == CONNECTION_OK)
        return true;
    if (p->base.in_tx)
        return false;
    PQreset(p->conn);
    if (PQstatus(p->conn) != CONNECTION_OK || !session_setup(p->conn) || (p->listening && !listen_outbox(p->conn)))
        return false;
    if (p->prepared)
        memset(p->prepared, 0, (size_t)p->nprepared * sizeof *p->prepared);
    log_warn("postgres: connection was reset");
    return true;
}

/* The password in a URL: after "user:" in the authority, or a password= query parameter. */
static size_t find_password(const char *url, const char **pw)
{
    const char *auth = strstr(url, "://");
    auth = auth ? auth + 3 : url;
    size_t authlen = strcspn(auth, "/?#");
    const char *at = memrchr(auth, '@', authlen);
    const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
    if (colon) {
        *pw = colon + 1;
        return (size_t)(at - colon - 1);
    }
    const char *q = strstr(url, "password=");
    if (q) {
        *pw = q + 9;
        return strcspn(*pw, "&#");
    }
    return 0;
}

/* Copies s to out with every occurrence of the password replaced by "***". */
static void scrub(const char *s, const char *url, char *out, size_t cap)
{
    const char *pw;
    size_t n = find_password(url, &pw);
    struct buf b = BUF_INIT;
    while (*s) {
        if (n > 0 && strncmp(s, pw, n) == 0) {
            buf_puts(&b, "***");
            s += n;
        } else
            buf_putc(&b, *s++);
    }
    snprintf(out, cap, "%s", b.data ? b.data : "");
    buf_free(&b);
}

static void open_error(const char *url, const char *why, char *err, size_t errlen)
{
    char safe_url[256], safe_why[512];
    scrub(url, url, safe_url, sizeof safe_url);
    scrub(why, url, safe_why, sizeof safe_why);
    safe_why[strcspn(safe_why, "\n")] = '\0';
    snprintf(err, errlen, "postgres: cannot connect to %s: %s", safe_url, safe_why);
}

struct db *db_pg_open(const char *url, char *err, size_t errlen)
{
    PGconn *conn = PQconnectdb(url);
    if (conn == NULL) {
        open_error(url, "out of memory", err, errlen);
        return NULL;
    }
    if (PQstatus(conn) != CONNECTION_OK || !session_setup(conn)) {
        open_error(url, PQerrorMessage(conn), err, errlen);
        PQfinish(conn);
        return NULL;
    }
    struct pg_db *p = xcalloc(1, sizeof *p);
    p->base.drv = &pg_driver;
    p->conn = conn;
    return &p->base;
}

static void pg_close(struct db *db)
{
    struct pg_db *p = (struct pg_db *)db;
    PQfinish(p->conn);
    free(p->prepared);
    free(p);
}

/* ---- running ---------------------------------------------------------------------------- */

/* The declared parameter types come from the first execution on the connection: INT is
 * int8 (so "$1 + 1" stays 64-bit for epoch ms; a function taking int4 needs CAST($1 AS
 * INTEGER)), REAL is float8, TEXT and NULL are left to the server's inference. */
static enum db_status ensure_prepared(struct pg_db *p, struct db_stmt *st, const struct db_param *params,
                                      int n, char name[16])
{
    int slot = db_stmt_slot(st);
    snprintf(name, 16, "s%d", slot);
    p->prepared = db_slots_grow(p->prepared, &p->nprepared, slot, sizeof *p->prepared);
    if (p->prepared[slot])
        return DB_OK;
    Oid types[n > 0 ? n : 1];
    for (int i = 0; i < n; i++)
        types[i] = params[i].type == DBT_INT ? OID_INT8 : params[i].type == DBT_REAL ? OID_FLOAT8 : 0;
    PGresult *res = PQprepare(p->conn, name, st->sql, n, n > 0 ? types : NULL);
    enum db_status r = PQresultStatus(res) == PGRES_COMMAND_OK ? DB_OK : pg_fail(p, st->sql, res);
    PQclear(res);
    if (r == DB_OK)
        p->prepared[slot] = true;
    return r;
}

/* Text forms of the parameters. Numbers are formatted into one scratch buffer, and so are
 * texts with an explicit length (libpq wants NUL-terminated text); pointers into the buffer
 * are taken only after it stops growing. */
static void format_params(const struct db_param *p, int n, struct buf *scratch, const char **values)
{
    size_t offs[n > 0 ? n : 1];
    for (int i = 0; i < n; i++) {
        offs[i] = scratch->len;
        if (p[i].type == DBT_INT)
            buf_printf(scratch, "%lld", (long long)p[i].i);
        else if (p[i].type == DBT_REAL)
            buf_printf(scratch, "%.17g", p[i].d);
        else if (p[i].type == DBT_TEXT && p[i].s && p[i].len != (size_t)-1)
            buf_append(scratch, p[i].s, p[i].len);
        else
            continue;
        buf_putc(scratch, '\0');
    }
    for (int i = 0; i < n; i++) {
        if (p[i].type == DBT_INT || p[i].type == DBT_REAL || (p[i].type == DBT_TEXT && p[i].s && p[i].len != (size_t)-1))
            values[i] = scratch->data + offs[i];
        else
            values[i] = p[i].type == DBT_TEXT ? p[i].s : NULL; /* NULL pointer = SQL NULL */
    }
}

static struct db_rows *rows_new(struct pg_db *p, PGresult *res)
{
    struct pg_rows *r = xcalloc(1, sizeof *r);
    r->base.drv = &pg_driver;
    r->base.db = &p->base;
    r->base.status = DB_OK;
    r->res = res;
    r->row = -1;
    r->nrows = PQntuples(res);
    return &r->base;
}

static enum db_status pg_run(struct db *db, struct db_stmt *st, const struct db_param *params, int nparams,
                             struct db_rows **rows, int64_t *changes)
{
    struct pg_db *p = (struct pg_db *)db;
    if (!pg_alive(p))
        return pg_fail(p, st->sql, NULL);
    char name[16];
    enum db_status r = ensure_prepared(p, st, params, nparams, name);
    if (r != DB_OK)
        return r;
    struct buf scratch = BUF_INIT;
    const char *values[nparams > 0 ? nparams : 1];
    format_params(params, nparams, &scratch, values);
    PGresult *res = PQexecPrepared(p->conn, name, nparams, values, NULL, NULL, 0);
    buf_free(&scratch);
    ExecStatusType es = PQresultStatus(res);
    if (es != PGRES_COMMAND_OK && es != PGRES_TUPLES_OK) {
        r = pg_fail(p, st->sql, res);
        PQclear(res);
        return r;
    }
    if (changes) { /* rows written; a plain SELECT counts none, as on SQLite */
        const char *n = PQcmdTuples(res);
        bool select = strncmp(PQcmdStatus(res), "SELECT", 6) == 0;
        *changes = *n && !select ? strtoll(n, NULL, 10) : 0;
    }
    if (rows)
        *rows = rows_new(p, res);
    else
        PQclear(res);
    return DB_OK;
}

/* Simple-query protocol: several statements in one string, run as one implicit transaction
 * unless the caller already opened one. */
static enum db_status pg_simple(struct pg_db *p, const char *sql, PGresult **out)
{
    if (!pg_alive(p))
        return pg_fail(p, sql, NULL);
    PGresult *res = PQexec(p->conn, sql);
    ExecStatusType es = PQresultStatus(res);
    enum db_status r = es == PGRES_COMMAND_OK || es == PGRES_TUPLES_OK ? DB_OK : pg_fail(p, sql, res);
    if (out && r == DB_OK)
        *out = res;
    else
        PQclear(res);
    return r;
}

static enum db_status pg_exec_script(struct db *db, const char *sql)
{
    return pg_simple((struct pg_db *)db, sql, NULL);
}

static enum db_status pg_begin(struct db *db)
{
    return pg_simple((struct pg_db *)db, "BEGIN", NULL);
}

/* COMMIT of an aborted transaction "succeeds" with the tag ROLLBACK; that is a failure here. */
static enum db_status pg_commit(struct db *db)
{
    struct pg_db *p = (struct pg_db *)db;
    PGresult *res = NULL;
    enum db_status r = pg_simple(p, "COMMIT", &res);
    if (r != DB_OK)
        return r;
    bool committed = strcmp(PQcmdStatus(res), "COMMIT") == 0;
    PQclear(res);
    return committed ? DB_OK : db_fail(db, "COMMIT", DB_ERROR, "transaction was rolled back by the server");
}

static void pg_rollback(struct db *db)
{
    pg_simple((struct pg_db *)db, "ROLLBACK", NULL);
}

static bool pg_tx_active(struct db *db)
{
    PGTransactionStatusType t = PQtransactionStatus(((struct pg_db *)db)->conn);
    return t == PQTRANS_INTRANS || t == PQTRANS_INERROR || t == PQTRANS_ACTIVE;
}

/* ---- rows ------------------------------------------------------------------------------- */

static bool pg_next(struct db_rows *base)
{
    struct pg_rows *r = (struct pg_rows *)base;
    if (r->row < r->nrows)
        r->row++;
    return r->row < r->nrows;
}

/* The value at col of the current row, or NULL when it is SQL NULL or out of range. */
static const char *value(const struct db_rows *base, int col)
{
    const struct pg_rows *r = (const struct pg_rows *)base;
    if (r->row < 0 || r->row >= r->nrows || col < 0 || col >= PQnfields(r->res))
        return NULL;
    if (PQgetisnull(r->res, r->row, col))
        return NULL;
    return PQgetvalue(r->res, r->row, col);
}

static bool pg_is_null(const struct db_rows *r, int col)
{
    return value(r, col) == NULL;
}

/* Booleans arrive as "t"/"f" in text format; read them as 1/0 like SQLite stores them. */
static int64_t pg_int(const struct db_rows *r, int col)
{
    const char *v = value(r, col);
    if (v == NULL)
        return 0;
    if (v[0] == 't' && v[1] == '\0')
        return 1;
    return strtoll(v, NULL, 10);
}

static double pg_real(const struct db_rows *r, int col)
{
    const char *v = value(r, col);
    return v ? strtod(v, NULL) : 0.0;
}

static const char *pg_text(const struct db_rows *r, int col)
{
    return value(r, col);
}

static size_t pg_text_len(const struct db_rows *base, int col)
{
    const struct pg_rows *r = (const struct pg_rows *)base;
    return value(base, col) ? (size_t)PQgetlength(r->res, r->row, col) : 0;
}

static void pg_rows_free(struct db_rows *base)
{
    PQclear(((struct pg_rows *)base)->res);
    free(base);
}

/* ---- notifications --------------------------------------------------------------------------- */

static enum db_status pg_listen(struct db *db)
{
    struct pg_db *p = (struct pg_db *)db;
    if (!pg_alive(p) || !listen_outbox(p->conn))
        return db_fail(db, "LISTEN connectd_outbox", DB_ERROR, PQerrorMessage(p->conn));
    p->listening = true;
    return DB_OK;
}

static int pg_notify_fd(struct db *db)
{
    struct pg_db *p = (struct pg_db *)db;
    return PQstatus(p->conn) == CONNECTION_OK ? PQsocket(p->conn) : -1;
}

static int pg_notify_drain(struct db *db)
{
    struct pg_db *p = (struct pg_db *)db;
    if (!PQconsumeInput(p->conn))
        return 0; /* a broken connection: the next statement resets it (pg_alive) */
    int n = 0;
    for (PGnotify *note; (note = PQnotifies(p->conn)) != NULL; n++)
        PQfreemem(note);
    return n;
}

static const struct db_driver pg_driver = {
    .kind = DB_POSTGRES,
    .close = pg_close,
    .run = pg_run,
    .exec_script = pg_exec_script,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .tx_active = pg_tx_active,
    .listen = pg_listen,
    .notify_fd = pg_notify_fd,
    .notify_drain = pg_notify_drain,
    .next = pg_next,
    .is_null = pg_is_null,
    .get_int = pg_int,
    .get_real = pg_real,
    .get_text = pg_text,
    .text_len = pg_text_len,
    .rows_free = pg_rows_free,
};
