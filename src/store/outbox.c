/* outbox.c — the transactional outbox (spec/events.md §1): each state change appends its
 * event here in the caller's transaction, and the dispatcher (events/) later builds the
 * envelope of §4.1 from the row: event_id is the envelope "id", created_at its "time"
 * (whole seconds, as the spec requires), detail_type, source and detail (compact JSON). */
#include <stdlib.h>

#include "store/driver.h"
#include "store/store.h"
#include "util/crypto.h"
#include "util/log.h"

DB_STMT(st_append, "INSERT INTO outbox (event_id, detail_type, source, detail, created_at)\n"
                   " VALUES ($1, $2, $3, $4, $5)");
DB_STMT(st_backlog, "SELECT count(*) FROM outbox WHERE delivered_at IS NULL");

enum db_status store_outbox_append(struct db *db, const char *detail_type, const char *source,
                                   const json_t *detail)
{
    if (detail_type == NULL || source == NULL) {
        log_error("store: outbox event without detail-type or source");
        return DB_ERROR;
    }
    char id[37];
    if (!uuid_v4(id)) {
        log_error("store: no randomness for an event id");
        return DB_ERROR;
    }
    /* A missing detail is stored as {} so the envelope's "detail" is always an object. */
    char *text = detail ? json_dumps(detail, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    if (detail && text == NULL) {
        log_error("store: outbox detail of %s is not a JSON object", detail_type);
        return DB_ERROR;
    }
    int64_t now = db_now_ms();
    struct db_param p[] = {P_TEXT(id), P_TEXT(detail_type), P_TEXT(source), P_TEXT(text ? text : "{}"),
                           P_INT(now - now % 1000)};
    enum db_status s = db_exec(db, &st_append, p, 5, NULL);
    free(text);
    if (s == DB_OK)
        db_note_outbox_append(db);
    return s;
}

int64_t store_outbox_backlog(struct db *db)
{
    struct db_rows *r = NULL;
    if (db_query(db, &st_backlog, NULL, 0, &r) != DB_OK)
        return -1;
    int64_t n = db_next(r) ? db_int(r, 0) : -1;
    db_rows_free(r);
    return n;
}
