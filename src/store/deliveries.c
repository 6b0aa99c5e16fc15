/* deliveries.c — the webhook dispatcher's work queue (store.h "webhook deliveries").
 * Three steps, each its own unit of work: routing (an outbox event becomes one pending delivery
 * per subscription that wants it, exactly once: the unrouted rows are locked, and on PostgreSQL
 * other processes skip them), claiming (a due delivery is leased to one dispatcher; SKIP LOCKED
 * keeps two processes off the same row and the lease frees the claims of a process that died),
 * and recording (the outcome, then the event's delivered_at once nothing is pending). Locks are
 * always taken outbox row first, then delivery rows, in id order, so no two steps deadlock. */
#include <stdlib.h>
#include <string.h>

#include "store/driver.h"
#include "store/store.h"
#include "util/buf.h"

#define EVENT_COLUMNS "id, event_id, detail_type, source, detail, created_at"
#define CLAIM_MAX 64

DB_STMT(st_unrouted_sqlite, "SELECT " EVENT_COLUMNS " FROM outbox WHERE routed_at IS NULL ORDER BY id LIMIT $1");
DB_STMT(st_unrouted_pg, "SELECT " EVENT_COLUMNS " FROM outbox WHERE routed_at IS NULL ORDER BY id LIMIT $1\n"
                        " FOR UPDATE SKIP LOCKED");
/* The partner: the client's (ConnectID events) else the schema's; no partner, no rows. */
DB_STMT(st_fanout, "INSERT INTO delivery (outbox_id, webhook_id, state, attempts, next_at, created_at, updated_at)\n"
                   " SELECT $1, w.id, 'pending', 0, $2, $2, $2 FROM webhook w\n"
                   " WHERE w.partner_id = COALESCE((SELECT partner_id FROM client WHERE client_id = $3),\n"
                   "                               (SELECT id FROM partner WHERE schema_id = $4))\n"
                   " AND ($6 = 0 OR w.id = $6)\n"
                   " AND EXISTS (SELECT 1 FROM webhook_event e WHERE e.webhook_id = w.id\n"
                   "             AND (e.detail_type = $5 OR e.detail_type = '*'))\n"
                   " ON CONFLICT DO NOTHING");
/* Routed, and finished (delivered_at) exactly when no delivery of it is pending. */
DB_STMT(st_settle, "UPDATE outbox SET routed_at = COALESCE(routed_at, $2),\n"
                   " delivered_at = CASE WHEN EXISTS (SELECT 1 FROM delivery d WHERE d.outbox_id = $1\n"
                   "                AND d.state = 'pending') THEN NULL ELSE COALESCE(delivered_at, $2) END\n"
                   " WHERE id = $1");
DB_STMT(st_claim_sqlite, "UPDATE delivery SET lease_owner = $1, lease_until = $3 WHERE id IN (\n"
                         " SELECT id FROM delivery WHERE state = 'pending' AND next_at <= $2\n"
                         " AND (lease_until IS NULL OR lease_until <= $2) ORDER BY next_at, id LIMIT $4)\n"
                         " RETURNING id");
DB_STMT(st_claim_pg, "UPDATE delivery SET lease_owner = $1, lease_until = $3 WHERE id IN (\n"
                     " SELECT id FROM delivery WHERE state = 'pending' AND next_at <= $2\n"
                     " AND (lease_until IS NULL OR lease_until <= $2) ORDER BY next_at, id LIMIT $4\n"
                     " FOR UPDATE SKIP LOCKED) RETURNING id");
DB_STMT(st_job, "SELECT d.outbox_id, d.webhook_id, d.attempts, o.id, o.event_id, o.detail_type, o.source, o.detail,\n"
                " o.created_at, w.base_url, COALESCE(e.path, w.path), w.auth_header, w.auth_value, w.signing_secret\n"
                " FROM delivery d JOIN outbox o ON o.id = d.outbox_id JOIN webhook w ON w.id = d.webhook_id\n"
                " LEFT JOIN webhook_event e ON e.webhook_id = w.id AND e.detail_type = o.detail_type\n"
                " WHERE d.id = $1");
DB_STMT(st_lock_event, "SELECT id FROM outbox WHERE id = $1 FOR UPDATE");
/* $4 = attempts made now (0 when released). A delivery leased to another owner is left alone. */
DB_STMT(st_record, "UPDATE delivery SET state = $3, attempts = attempts + $4, next_at = COALESCE($5, next_at),\n"
                   " lease_owner = NULL, lease_until = NULL,\n"
                   " last_status = CASE WHEN $4 > 0 THEN $6 ELSE last_status END,\n"
                   " last_error = CASE WHEN $4 > 0 THEN $7 ELSE last_error END, updated_at = $8\n"
                   " WHERE id = $1 AND lease_owner = $2");
DB_STMT(st_next_due, "SELECT MIN(CASE WHEN lease_until IS NOT NULL AND lease_until > next_at THEN lease_until\n"
                     " ELSE next_at END) FROM delivery WHERE state = 'pending'");
DB_STMT(st_release_all, "UPDATE delivery SET lease_owner = NULL, lease_until = NULL WHERE lease_owner IS NOT NULL");
#define LIST_COLUMNS                                                                                          \
    "SELECT o.event_id, o.created_at, o.detail_type, o.routed_at, d.webhook_id, d.state, d.attempts,\n"      \
    " d.last_status, d.last_error, d.updated_at FROM outbox o"
DB_STMT(st_list_all, LIST_COLUMNS " LEFT JOIN delivery d ON d.outbox_id = o.id\n"
                     " ORDER BY o.id DESC, d.webhook_id LIMIT $1");
DB_STMT(st_list_failed, LIST_COLUMNS " JOIN delivery d ON d.outbox_id = o.id\n"
                        " WHERE d.state = 'dropped' OR (d.state = 'pending' AND d.attempts > 0)\n"
                        " ORDER BY o.id DESC, d.webhook_id LIMIT $1");
DB_STMT(st_event_sqlite, "SELECT " EVENT_COLUMNS " FROM outbox WHERE event_id = $1");
DB_STMT(st_event_pg, "SELECT " EVENT_COLUMNS " FROM outbox WHERE event_id = $1 FOR UPDATE");
DB_STMT(st_forget, "DELETE FROM delivery WHERE outbox_id = $1 AND ($2 = 0 OR webhook_id = $2)");
DB_STMT(st_notify, "SELECT pg_notify('connectd_outbox', '')");

static bool pg(const struct db *db)
{
    return db_kind(db) == DB_POSTGRES;
}

static enum db_status finish(struct db *db, enum db_status s)
{
    if (s == DB_OK)
        return db_commit(db);
    db_rollback(db);
    return s;
}

/* ---- events ---------------------------------------------------------------------------------- */

/* The event in columns col..col+5 of r (EVENT_COLUMNS order). */
static bool event_read(const struct db_rows *r, int col, struct outbox_event *ev)
{
    memset(ev, 0, sizeof *ev);
    ev->id = db_int(r, col);
    ev->created_at = db_int(r, col + 5);
    if (!db_text_copy(r, col + 1, ev->event_id, sizeof ev->event_id) ||
        !db_text_copy(r, col + 2, ev->detail_type, sizeof ev->detail_type) ||
        !db_text_copy(r, col + 3, ev->source, sizeof ev->source))
        return false;
    const char *d = db_text(r, col + 4);
    ev->detail = xstrdup(d ? d : "{}");
    return true;
}

static void event_free(struct outbox_event *ev)
{
    free(ev->detail);
    ev->detail = NULL;
}

/* In a transaction: ev's deliveries to its partner's subscriptions (only `only` when > 0). */
static enum db_status fan_out(struct db *db, const struct outbox_event *ev, event_key_fn key, int64_t only, int *n)
{
    char client[CLIENT_ID_MAX + 1] = "", schema[EVENT_SCHEMA_MAX + 1] = "";
    key(ev, client, schema);
    int64_t now = db_now_ms(), changes = 0;
    struct db_param p[] = {P_INT(ev->id), P_INT(now), client[0] ? P_TEXT(client) : P_NULL,
                           schema[0] ? P_TEXT(schema) : P_NULL, P_TEXT(ev->detail_type), P_INT(only)};
    enum db_status s = db_exec(db, &st_fanout, p, 6, &changes);
    if (s == DB_OK) {
        struct db_param sp[] = {P_INT(ev->id), P_INT(now)};
        s = db_exec(db, &st_settle, sp, 2, NULL);
    }
    if (n)
        *n = (int)changes;
    return s;
}

/* In a transaction: up to max unrouted events into evs (locked on PostgreSQL). */
static enum db_status load_unrouted(struct db *db, int max, struct outbox_event *evs, int *n)
{
    *n = 0;
    struct db_param p = P_INT(max);
    struct db_rows *r = NULL;
    enum db_status s = db_query(db, pg(db) ? &st_unrouted_pg : &st_unrouted_sqlite, &p, 1, &r);
    if (s != DB_OK)
        return s;
    while (*n < max && db_next(r)) {
        if (!event_read(r, 0, &evs[*n])) {
            event_free(&evs[*n]);
            s = db_fail(db, st_unrouted_sqlite.sql, DB_ERROR, "an outbox value is longer than expected");
            break;
        }
        (*n)++;
    }
    if (s == DB_OK)
        s = db_rows_status(r);
    db_rows_free(r);
    return s;
}

enum db_status store_events_route(struct db *db, int max, event_key_fn key, int *routed)
{
    *routed = 0;
    if (max <= 0)
        return DB_OK;
    struct outbox_event *evs = xcalloc((size_t)max, sizeof *evs);
    int n = 0;
    enum db_status s = db_begin(db);
    if (s == DB_OK)
        s = load_unrouted(db, max, evs, &n);
    for (int i = 0; s == DB_OK && i < n; i++)
        s = fan_out(db, &evs[i], key, 0, NULL);
    s = db->in_tx ? finish(db, s) : s;
    for (int i = 0; i < n; i++)
        event_free(&evs[i]);
    free(evs);
    if (s == DB_OK)
        *routed = n;
    return s;
}

/* ---- claiming ---------------------------------------------------------------------------------- */

void delivery_job_free(struct delivery_job *j)
{
    event_free(&j->event);
    free(j->base_url);
    free(j->path);
    free(j->auth_header);
    free(j->auth_value);
    memset(j, 0, sizeof *j);
}

static char *dup_col(const struct db_rows *r, int col)
{
    const char *v = db_text(r, col);
    return xstrdup(v ? v : "");
}

/* A row of st_job (the delivery's id is set by the caller). */
static bool job_read(const struct db_rows *r, void *out)
{
    struct delivery_job *j = out;
    j->outbox_id = db_int(r, 0);
    j->webhook_id = db_int(r, 1);
    j->attempts = (int)db_int(r, 2);
    bool fits = event_read(r, 3, &j->event) && db_text_copy(r, 13, j->secret_hex, sizeof j->secret_hex);
    j->base_url = dup_col(r, 9);
    j->path = dup_col(r, 10);
    j->auth_header = dup_col(r, 11);
    j->auth_value = dup_col(r, 12);
    if (!fits)
        delivery_job_free(j);
    return fits;
}

/* The job of delivery id; *found false when it went away meanwhile (replayed, removed). */
static enum db_status load_job(struct db *db, int64_t id, struct delivery_job *j, bool *found)
{
    memset(j, 0, sizeof *j);
    struct db_param p = P_INT(id);
    enum db_status s = db_query_first(db, &st_job, &p, 1, job_read, j, found);
    j->id = id;
    return s;
}

enum db_status store_delivery_claim(struct db *db, const char *owner, int64_t lease_ms, int max,
                                    struct delivery_job *jobs, int *n)
{
    *n = 0;
    if (max <= 0)
        return DB_OK;
    if (max > CLAIM_MAX)
        max = CLAIM_MAX;
    int64_t ids[CLAIM_MAX], now = db_now_ms();
    int nids = 0;
    struct db_param p[] = {P_TEXT(owner), P_INT(now), P_INT(now + lease_ms), P_INT(max)};
    struct db_rows *r = NULL;
    enum db_status s = db_query(db, pg(db) ? &st_claim_pg : &st_claim_sqlite, p, 4, &r);
    if (s != DB_OK)
        return s;
    while (nids < max && db_next(r))
        ids[nids++] = db_int(r, 0);
    s = db_rows_status(r);
    db_rows_free(r);
    for (int i = 0; s == DB_OK && i < nids; i++) {
        bool found = false;
        s = load_job(db, ids[i], &jobs[*n], &found);
        if (s == DB_OK && found)
            (*n)++;
    }
    if (s != DB_OK) {
        for (int i = 0; i < *n; i++)
            delivery_job_free(&jobs[i]);
        *n = 0; /* the leases run out by themselves */
    }
    return s;
}

/* ---- recording --------------------------------------------------------------------------------- */

static int by_outbox_id(const void *a, const void *b)
{
    const struct delivery_outcome *x = a, *y = b;
    return x->outbox_id < y->outbox_id ? -1 : x->outbox_id > y->outbox_id;
}

static enum db_status record_one(struct db *db, const char *owner, const struct delivery_outcome *o, int64_t now)
{
    static const char *const STATES[] = {"delivered", "pending", "dropped", "pending"};
    struct db_param lp = P_INT(o->outbox_id);
    enum db_status s = pg(db) ? db_exec(db, &st_lock_event, &lp, 1, NULL) : DB_OK;
    bool attempted = o->result != DELIVERY_RELEASED;
    struct db_param p[] = {P_INT(o->id),
                           P_TEXT(owner),
                           P_TEXT(STATES[o->result]),
                           P_INT(attempted ? 1 : 0),
                           o->result == DELIVERY_RETRY ? P_INT(o->next_at) : P_NULL,
                           o->status > 0 ? P_INT(o->status) : P_NULL,
                           o->error && *o->error ? P_TEXTN(o->error, strnlen(o->error, DELIVERY_ERROR_MAX)) : P_NULL,
                           P_INT(now)};
    if (s == DB_OK)
        s = db_exec(db, &st_record, p, 8, NULL);
    if (s == DB_OK && o->result != DELIVERY_RETRY && o->result != DELIVERY_RELEASED) {
        struct db_param sp[] = {P_INT(o->outbox_id), P_INT(now)};
        s = db_exec(db, &st_settle, sp, 2, NULL);
    }
    return s;
}

enum db_status store_delivery_record(struct db *db, const char *owner, struct delivery_outcome *o, int n)
{
    if (n <= 0)
        return DB_OK;
    qsort(o, (size_t)n, sizeof *o, by_outbox_id); /* lock order: outbox rows by id */
    enum db_status s = db_begin(db);
    int64_t now = db_now_ms();
    for (int i = 0; s == DB_OK && i < n; i++)
        s = record_one(db, owner, &o[i], now);
    return db->in_tx ? finish(db, s) : s;
}

enum db_status store_delivery_next_due(struct db *db, bool *any, int64_t *at)
{
    *any = false;
    struct db_rows *r = NULL;
    enum db_status s = db_query(db, &st_next_due, NULL, 0, &r);
    if (s != DB_OK)
        return s;
    if (db_next(r) && !db_is_null(r, 0)) {
        *any = true;
        *at = db_int(r, 0);
    }
    s = db_rows_status(r);
    db_rows_free(r);
    return s;
}

enum db_status store_delivery_release_all(struct db *db)
{
    return db_exec(db, &st_release_all, NULL, 0, NULL);
}

/* ---- operator commands -------------------------------------------------------------------------- */

enum db_status store_event_list(struct db *db, bool failed_only, int limit,
                                void (*fn)(const struct event_delivery_rec *r, void *arg), void *arg)
{
    struct db_param p = P_INT(limit);
    struct db_rows *r = NULL;
    enum db_status s = db_query(db, failed_only ? &st_list_failed : &st_list_all, &p, 1, &r);
    if (s != DB_OK)
        return s;
    while (db_next(r)) {
        const char *err = db_text(r, 8);
        struct event_delivery_rec e = {.event_id = db_text(r, 0), .created_at = db_int(r, 1),
                                       .detail_type = db_text(r, 2), .routed = !db_is_null(r, 3),
                                       .has_delivery = !db_is_null(r, 4), .webhook_id = db_int(r, 4),
                                       .state = db_text(r, 5), .attempts = (int)db_int(r, 6),
                                       .last_status = (int)db_int(r, 7), .last_error = err ? err : "",
                                       .updated_at = db_int(r, 9)};
        fn(&e, arg);
    }
    s = db_rows_status(r);
    db_rows_free(r);
    return s;
}

static bool event_row_read(const struct db_rows *r, void *out)
{
    if (event_read(r, 0, out))
        return true;
    event_free(out);
    return false;
}

/* In a transaction: the event with this id (locked on PostgreSQL). */
static enum db_status load_event(struct db *db, const char *event_id, bool *found, struct outbox_event *ev)
{
    struct db_param p = P_TEXT(event_id);
    return db_query_first(db, pg(db) ? &st_event_pg : &st_event_sqlite, &p, 1, event_row_read, ev, found);
}

enum db_status store_event_replay(struct db *db, const char *event_id, int64_t only_webhook, event_key_fn key,
                                  bool *found, int *n)
{
    *found = false;
    *n = 0;
    struct outbox_event ev = {0};
    enum db_status s = db_begin(db);
    if (s == DB_OK)
        s = load_event(db, event_id, found, &ev);
    if (s == DB_OK && *found) {
        struct db_param p[] = {P_INT(ev.id), P_INT(only_webhook)};
        s = db_exec(db, &st_forget, p, 2, NULL);
        if (s == DB_OK)
            s = fan_out(db, &ev, key, only_webhook, n);
        if (s == DB_OK && pg(db)) /* wake every dispatcher: no outbox insert to trigger it */
            s = db_exec(db, &st_notify, NULL, 0, NULL);
    }
    event_free(&ev);
    s = db->in_tx ? finish(db, s) : s;
    if (s != DB_OK)
        *n = 0;
    return s;
}
