/* customers.c — the customer record of customer.md §1.3 (store/customer.h "customers"):
 * reading it whole in one statement (the hot path of List customer info), changing it (#10),
 * search (#11) and the check (#12). E-mails and phone numbers live in the row as JSON array
 * text, and are indexed in customer_contact (e-mails lower-cased) for search; names and
 * streets are compared in C with Unicode case folding, so both engines agree on what matches. */
#include <stdlib.h>
#include <string.h>

#include "store/customer_internal.h"
#include "store/driver.h"
#include "codec/record.h"
#include "store/record.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/pool.h"
#include "util/utf8.h"

DB_STMT(st_lock, "UPDATE customer SET updated_at = updated_at\n"
                 " WHERE customer_number = $1 AND partner_id = COALESCE($2, partner_id)\n"
                 " RETURNING address_due_at, (SELECT schema_id FROM partner p WHERE p.id = customer.partner_id)");
DB_STMT(st_of_user, "SELECT customer_number FROM user_customer WHERE user_id = $1 AND partner_id = $2");
/* The whole Customer in one statement (one read transaction): a row per category code. The
 * codes are sorted in C: an ORDER BY here would cost SQLite a temporary b-tree per read. */
DB_STMT(st_get, CUSTOMER_SELECT ", cc.category_type, cc.category_code, cc.free_value FROM customer c" CUSTOMER_JOINS
                "\n LEFT JOIN customer_category cc ON cc.customer_number = c.customer_number"
                "\n WHERE c.customer_number = $1 AND c.partner_id = $2");
DB_STMT(st_update, "UPDATE customer SET (" CUSTOMER_COLUMNS ", updated_at)\n"
                   " = ($2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) WHERE customer_number = $1");
DB_STMT(st_contacts_drop, "DELETE FROM customer_contact WHERE customer_number = $1");
DB_STMT(st_contact_add, "INSERT INTO customer_contact (kind, value, customer_number) VALUES ($1, $2, $3)\n"
                        " ON CONFLICT DO NOTHING");
DB_STMT(st_search_contact, CUSTOMER_SELECT " FROM customer_contact k JOIN customer c"
                           " ON c.customer_number = k.customer_number" CUSTOMER_JOINS
                           "\n WHERE k.kind = $2 AND k.value = $3 AND c.partner_id = $1 ORDER BY c.customer_number");
DB_STMT(st_search_postal, CUSTOMER_SELECT " FROM address a JOIN customer c ON c.customer_number = a.customer_number"
                          CUSTOMER_USER_JOIN "\n WHERE a.kind = 'home' AND a.postal_code = $2 AND c.partner_id = $1"
                          " ORDER BY c.customer_number");
DB_STMT(st_failures, "SELECT at FROM customer_check_failure WHERE partner_id = $1 AND customer_number = $2\n"
                     " AND at > $3 ORDER BY at DESC");
DB_STMT(st_failure_sweep, "DELETE FROM customer_check_failure WHERE at <= $1");
DB_STMT(st_failure_add, "INSERT INTO customer_check_failure (partner_id, customer_number, at) VALUES ($1, $2, $3)");

/* ---- shared with the other Customer Data files ------------------------------------------------- */

enum db_status customer_lock(struct db *db, const char *partner, int64_t number, bool *found,
                             char schema[SCHEMA_MAX], int64_t *due_at)
{
    *found = false;
    struct db_param p[] = {P_INT(number), P_TEXT_OR_NULL(partner)};
    struct db_rows *r = NULL;
    enum db_status s = db_query(db, &st_lock, p, 2, &r);
    if (s != DB_OK)
        return s;
    if (db_next(r)) {
        *found = true;
        if (due_at)
            *due_at = db_is_null(r, 0) ? 0 : db_int(r, 0);
        if (!db_text_copy(r, 1, schema, SCHEMA_MAX))
            s = db_fail(db, st_lock.sql, DB_ERROR, "partner schema longer than expected");
    }
    if (s == DB_OK)
        s = db_rows_status(r);
    db_rows_free(r);
    return s;
}

enum db_status customer_event(struct db *db, const char *type, const char *schema, int64_t customer, json_t *extra)
{
    json_t *d = json_pack("{s:s, s:I}", "schema", schema, "customer", (json_int_t)customer);
    if (extra)
        json_object_update(d, extra);
    enum db_status s = store_outbox_append(db, type, EVENT_SOURCE_CONNECT, d);
    json_decref(d);
    json_decref(extra);
    return s;
}

const char *ascii_lower(const char *s, h2o_mem_pool_t *pool)
{
    if (s == NULL)
        return NULL;
    char *out = pool_strdup(pool, s);
    for (char *p = out; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    return out;
}

/* Column layout of CUSTOMER_SELECT. */
enum { COL_NUMBER, COL_DUE, COL_USER, COL_FIELDS };
#define COL_HOME_ID (COL_FIELDS + 12)
#define COL_HOME_FIELDS (COL_HOME_ID + 1)
#define COL_HOME_START (COL_HOME_FIELDS + 13)
#define COL_CATEGORY (COL_HOME_START + 1)

bool customer_read_row(struct db *db, const struct db_rows *r, h2o_mem_pool_t *pool, struct customer *out,
                       int64_t *due_at)
{
    memset(out, 0, sizeof *out);
    out->number = db_int(r, COL_NUMBER);
    if (due_at)
        *due_at = db_is_null(r, COL_DUE) ? 0 : db_int(r, COL_DUE);
    out->unique_user_id = db_pool_text(r, COL_USER, pool);
    if (!db_read_record(db, r, COL_FIELDS, CUSTOMER_FIELDS, CUSTOMER_FIELD_COUNT, out, pool))
        return false;
    out->has_home = !db_is_null(r, COL_HOME_ID);
    if (!out->has_home)
        return true;
    out->home.id = db_int(r, COL_HOME_ID);
    out->home.kind = ADDRESS_HOME;
    if (!db_is_null(r, COL_HOME_START))
        out->home.start_time = (struct opt_int){true, db_int(r, COL_HOME_START)};
    return db_read_record(db, r, COL_HOME_FIELDS, ADDRESS_FIELDS, ADDRESS_FIELD_COUNT, &out->home, pool);
}

/* ---- reading ------------------------------------------------------------------------------------ */

enum db_status store_customer_of_user(struct db *db, const char *user_id, const char *partner, bool *found,
                                      int64_t *number)
{
    struct db_param p[] = {P_TEXT(user_id), P_TEXT(partner)};
    return db_query_first_int(db, &st_of_user, p, 2, found, number);
}

/* The category code of a st_get row (columns after CUSTOMER_SELECT's), if it has one. */
static void take_category(const struct db_rows *r, struct customer *c, size_t *cap, h2o_mem_pool_t *pool)
{
    if (db_is_null(r, COL_CATEGORY))
        return;
    c->categories = pool_grow(pool, c->categories, c->ncategories, cap, sizeof *c->categories);
    c->categories[c->ncategories++] = (struct category_item){
        db_pool_text(r, COL_CATEGORY, pool), db_pool_text(r, COL_CATEGORY + 1, pool),
        db_pool_text(r, COL_CATEGORY + 2, pool), NULL};
}

static int category_order(const void *x, const void *y)
{
    const struct category_item *a = x, *b = y;
    int c = strcmp(a->type, b->type);
    return c ? c : strcmp(a->code, b->code);
}

/* One read of the row; *due_at tells the caller whether a permanent change is waiting. */
static enum db_status read_customer(struct db *db, const char *partner, int64_t number, h2o_mem_pool_t *pool,
                                    bool *found, struct customer *out, int64_t *due_at)
{
    *found = false;
    struct db_param p[] = {P_INT(number), P_TEXT(partner)};
    struct db_rows *r = NULL;
    enum db_status s = db_query(db, &st_get, p, 2, &r);
    if (s != DB_OK)
        return s;
    size_t cap = 0;
    if (db_next(r)) {
        if (customer_read_row(db, r, pool, out, due_at))
            *found = true;
        else
            s = DB_ERROR;
    }
    if (*found) {
        do
            take_category(r, out, &cap, pool);
        while (db_next(r));
        if (out->ncategories > 1)
            qsort(out->categories, out->ncategories, sizeof *out->categories, category_order);
    }
    if (s == DB_OK)
        s = db_rows_status(r);
    db_rows_free(r);
    return s;
}

static enum db_status settle(struct db *db, int64_t number, int64_t now)
{
    enum db_status s = db_begin(db);
    if (s == DB_OK)
        s = db_finish(db, store_address_settle_customer(db, number, now));
    return s;
}

enum db_status store_customer_get(struct db *db, const char *partner, int64_t number, h2o_mem_pool_t *pool,
                                  bool *found, struct customer *out)
{
    int64_t due = 0, now = db_now_ms();
    enum db_status s = read_customer(db, partner, number, pool, found, out, &due);
    if (s == DB_OK && *found && due && due <= now) {
        s = settle(db, number, now);
        if (s == DB_OK)
            s = read_customer(db, partner, number, pool, found, out, &due);
    }
    return s;
}

/* ---- #10 ---------------------------------------------------------------------------------------- */

/* Rebuilds the customer's search entries from its lists. */
enum db_status customer_write_contacts(struct db *db, const struct customer *c, h2o_mem_pool_t *pool)
{
    struct db_param np = P_INT(c->number);
    enum db_status s = db_exec(db, &st_contacts_drop, &np, 1, NULL);
    for (size_t i = 0; s == DB_OK && i <= c->emails.n; i++) {
        const char *e = i < c->emails.n ? c->emails.items[i] : c->invoice_email;
        if (e == NULL)
            continue;
        struct db_param p[] = {P_TEXT("E"), P_TEXT(ascii_lower(e, pool)), P_INT(c->number)};
        s = db_exec(db, &st_contact_add, p, 3, NULL);
    }
    for (size_t i = 0; s == DB_OK && i < c->phone_numbers.n; i++) {
        struct db_param p[] = {P_TEXT("P"), P_TEXT(c->phone_numbers.items[i]), P_INT(c->number)};
        s = db_exec(db, &st_contact_add, p, 3, NULL);
    }
    return s;
}


/* Merges the patch into cur; the names of the fields whose value changed go to changed. */
static void apply_patch(struct customer *cur, const struct customer_patch *patch, json_t *changed)
{
    for (size_t i = 0; i < CUSTOMER_FIELD_COUNT; i++) {
        const struct field *f = &CUSTOMER_FIELDS[i];
        struct customer before = *cur;
        if (patch->cleared & (1u << i))
            record_field_clear(f, cur);
        else if (patch->given & (1u << i))
            record_field_copy(f, cur, &patch->values);
        else
            continue;
        if (!record_field_equal(f, &before, cur))
            json_array_append_new(changed, json_string(f->name));
    }
}

static enum db_status write_fields(struct db *db, const struct customer *c, h2o_mem_pool_t *pool)
{
    struct db_param p[14];
    p[0] = P_INT(c->number);
    db_bind_record(p + 1, CUSTOMER_FIELDS, CUSTOMER_FIELD_COUNT, c, pool);
    p[13] = P_INT(db_now_ms());
    return db_exec(db, &st_update, p, 14, NULL);
}

static enum db_status change_in_tx(struct db *db, const char *partner, int64_t number,
                                   const struct customer_patch *patch, h2o_mem_pool_t *pool,
                                   enum customer_change_outcome *outcome, const char **message)
{
    char schema[SCHEMA_MAX];
    bool found = false;
    enum db_status s = customer_lock(db, partner, number, &found, schema, NULL);
    struct customer cur;
    if (s == DB_OK && found)
        s = read_customer(db, partner, number, pool, &found, &cur, NULL);
    if (s != DB_OK || !found) {
        *outcome = CUSTOMER_CHANGE_NOT_FOUND;
        return s;
    }
    json_t *changed = json_array();
    apply_patch(&cur, patch, changed);
    *message = customer_rule_broken(&cur, db_now_ms());
    if (*message) {
        *outcome = CUSTOMER_CHANGE_INVALID;
        json_decref(changed);
        return DB_OK;
    }
    if (json_array_size(changed) == 0) {
        json_decref(changed);
        return DB_OK;
    }
    s = write_fields(db, &cur, pool);
    if (s == DB_OK)
        s = customer_write_contacts(db, &cur, pool);
    if (s == DB_OK)
        return customer_event(db, "CUSTOMER_CHANGED", schema, number, json_pack("{s:o}", "changedFields", changed));
    json_decref(changed);
    return s;
}

enum db_status store_customer_change(struct db *db, const char *partner, int64_t number,
                                     const struct customer_patch *patch, h2o_mem_pool_t *pool,
                                     struct customer *out, enum customer_change_outcome *outcome,
                                     const char **message)
{
    *outcome = CUSTOMER_CHANGED_OK;
    *message = NULL;
    enum db_status s = db_begin(db);
    if (s != DB_OK)
        return s;
    s = change_in_tx(db, partner, number, patch, pool, outcome, message);
    if (*outcome != CUSTOMER_CHANGED_OK) {
        db_rollback(db);
        return s;
    }
    s = db_finish(db, s);
    bool found = false;
    if (s == DB_OK)
        s = store_customer_get(db, partner, number, pool, &found, out);
    if (s == DB_OK && !found)
        *outcome = CUSTOMER_CHANGE_NOT_FOUND;
    return s;
}

/* ---- #11 and #12 -------------------------------------------------------------------------------- */

static bool list_has(const struct str_array *a, const char *v, bool fold)
{
    for (size_t i = 0; i < a->n; i++)
        if (fold ? utf8_casefold_equal(a->items[i], v) : !strcmp(a->items[i], v))
            return true;
    return false;
}

/* A criterion NULL always matches. */
static bool text_matches(const char *want, const char *have)
{
    return want == NULL || (have && utf8_casefold_equal(want, have));
}

static bool email_matches(const char *want, const struct customer *c)
{
    return want == NULL || list_has(&c->emails, want, true) || text_matches(want, c->invoice_email);
}

static bool phone_matches(const char *want, const struct customer *c)
{
    return want == NULL || list_has(&c->phone_numbers, want, false);
}

static bool postal_matches(const char *want, const struct customer *c)
{
    return want == NULL || (c->has_home && c->home.postal_code && !strcmp(want, c->home.postal_code));
}

static bool query_matches(const struct customer_query *q, const struct customer *c)
{
    return email_matches(q->email, c) && phone_matches(q->phone, c) && text_matches(q->first_name, c->first_name) &&
           text_matches(q->last_name, c->last_name) && text_matches(q->company_name, c->company_name) &&
           postal_matches(q->postal_code, c) && (q->street == NULL || (c->has_home && text_matches(q->street, c->home.street)));
}

enum db_status store_customer_search(struct db *db, const char *partner, const struct customer_query *q,
                                     h2o_mem_pool_t *pool, struct customer **out, size_t *n)
{
    *n = 0;
    *out = pool_alloc(pool, CUSTOMER_SEARCH_MAX * sizeof **out);
    struct db_stmt *st = q->postal_code && !q->email && !q->phone ? &st_search_postal : &st_search_contact;
    struct db_param p[] = {P_TEXT(partner), P_TEXT(q->email ? "E" : "P"),
                           P_TEXT(q->email ? ascii_lower(q->email, pool) : q->phone)};
    if (st == &st_search_postal)
        p[1] = P_TEXT(q->postal_code);
    struct db_rows *r = NULL;
    enum db_status s = db_query(db, st, p, st == &st_search_postal ? 2 : 3, &r);
    if (s != DB_OK)
        return s;
    struct customer c;
    while (*n < CUSTOMER_SEARCH_MAX && db_next(r)) {
        if (!customer_read_row(db, r, pool, &c, NULL)) {
            s = DB_ERROR;
            break;
        }
        if (query_matches(q, &c))
            (*out)[(*n)++] = c;
    }
    if (s == DB_OK)
        s = db_rows_status(r);
    db_rows_free(r);
    return s;
}

static bool facts_match(const struct customer_facts *f, const struct customer *c)
{
    bool name = f->last_name == NULL || text_matches(f->last_name, c->last_name) ||
                text_matches(f->last_name, c->company_name);
    return name && postal_matches(f->postal_code, c) && email_matches(f->email, c) && phone_matches(f->phone, c);
}

/* Seconds until the number may be checked again, 0 when it may now. */
static enum db_status throttled_for(struct db *db, const char *partner, int64_t number, int64_t now, int *retry)
{
    *retry = 0;
    struct db_param p[] = {P_TEXT(partner), P_INT(number), P_INT(now - CUSTOMER_CHECK_WINDOW_MS)};
    struct db_rows *r = NULL;
    enum db_status s = db_query(db, &st_failures, p, 3, &r);
    if (s != DB_OK)
        return s;
    int count = 0;
    int64_t tenth = 0;
    while (count < CUSTOMER_CHECK_FAILURES && db_next(r))
        if (++count == CUSTOMER_CHECK_FAILURES)
            tenth = db_int(r, 0);
    s = db_rows_status(r);
    db_rows_free(r);
    if (count >= CUSTOMER_CHECK_FAILURES) {
        int64_t wait_ms = tenth + CUSTOMER_CHECK_WINDOW_MS - now;
        *retry = (int)((wait_ms + 999) / 1000);
        if (*retry < 1)
            *retry = 1;
    }
    return s;
}

static enum db_status count_failure(struct db *db, const char *partner, int64_t number, int64_t now)
{
    struct db_param sp = P_INT(now - CUSTOMER_CHECK_WINDOW_MS);
    struct db_param p[] = {P_TEXT(partner), P_INT(number), P_INT(now)};
    enum db_status s = db_begin(db);
    if (s != DB_OK)
        return s;
    s = db_exec(db, &st_failure_sweep, &sp, 1, NULL);
    if (s == DB_OK)
        s = db_exec(db, &st_failure_add, p, 3, NULL);
    return db_finish(db, s);
}

enum db_status store_customer_check(struct db *db, const char *partner, const struct customer_facts *f,
                                    bool *valid, int *retry_after_s)
{
    *valid = false;
    int64_t now = db_now_ms();
    enum db_status s = throttled_for(db, partner, f->number, now, retry_after_s);
    if (s != DB_OK || *retry_after_s > 0)
        return s;
    h2o_mem_pool_t pool;
    h2o_mem_init_pool(&pool);
    struct customer c;
    bool found = false;
    s = read_customer(db, partner, f->number, &pool, &found, &c, NULL);
    *valid = s == DB_OK && found && facts_match(f, &c);
    h2o_mem_clear_pool(&pool);
    if (s == DB_OK && !*valid)
        s = count_failure(db, partner, f->number, now);
    return s;
}
