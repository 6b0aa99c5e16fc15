/* addresses.c — a customer's address history (customer.md §2, store/customer.h "addresses").
 * Each row is the home address, a temporary change (for some products, between two instants),
 * a pending permanent move, or a historical address. Time turns rows historical without a
 * write: a temporary change whose end has passed reads as historical. A permanent move needs a
 * write when its day comes (the old home turns historical, ADDRESS_CHANGED "effective"): the
 * customer row's address_due_at marks it, reads settle it first, and a periodic job settles
 * the rest. Writers lock the customer row, so each check and its write are one step (§11.1 e). */
#include <stdlib.h>
#include <string.h>

#include "store/customer_internal.h"
#include "store/driver.h"
#include "codec/record.h"
#include "store/record.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/pool.h"

#define ADDRESS_ROW "id, kind, " ADDRESS_COLUMNS ", products, start_time, end_time"

DB_STMT(st_load, "SELECT " ADDRESS_ROW " FROM address WHERE customer_number = $1");
DB_STMT(st_insert, "INSERT INTO address (customer_number, kind, " ADDRESS_COLUMNS ", products, start_time,\n"
                   " end_time, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,\n"
                   " $13, $14, $15, $16, $17, $18, $19, $19) RETURNING id");
DB_STMT(st_set_fields, "UPDATE address SET (" ADDRESS_COLUMNS ", start_time, updated_at)\n"
                       " = ($2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) WHERE id = $1");
DB_STMT(st_set_period, "UPDATE address SET start_time = $2, end_time = $3, updated_at = $4 WHERE id = $1");
DB_STMT(st_delete, "DELETE FROM address WHERE id = $1");
DB_STMT(st_home_retire, "UPDATE address SET kind = 'historical', end_time = $2, updated_at = $3\n"
                        " WHERE customer_number = $1 AND kind = 'home'");
DB_STMT(st_permanent_take, "UPDATE address SET kind = 'home', end_time = NULL, updated_at = $2\n"
                           " WHERE id = $1 AND kind = 'permanent'");
DB_STMT(st_due_permanent, "SELECT id, start_time FROM address WHERE customer_number = $1 AND kind = 'permanent'\n"
                          " AND start_time <= $2");
DB_STMT(st_set_due, "UPDATE customer SET address_due_at = $2 WHERE customer_number = $1");
DB_STMT(st_due_customers, "SELECT customer_number FROM customer WHERE address_due_at <= $1\n"
                          " ORDER BY address_due_at LIMIT $2");
DB_STMT(st_subscribed, "SELECT 1 FROM subscription WHERE customer_number = $1 AND product_code = $2\n"
                       " AND stopped = 0 AND start_time <= $3 AND (end_time IS NULL OR end_time > $3)");

/* ---- rows ------------------------------------------------------------------------------------- */

enum db_status address_insert(struct db *db, int64_t customer, const struct address *a, h2o_mem_pool_t *pool,
                              int64_t *id)
{
    struct db_param p[19];
    p[0] = P_INT(customer);
    p[1] = P_TEXT(ADDRESS_KIND_NAMES[a->kind]);
    db_bind_record(p + 2, ADDRESS_FIELDS, ADDRESS_FIELD_COUNT, a, pool);
    p[15] = P_TEXT_OR_NULL(db_array_text(&a->products, pool));
    p[16] = a->start_time.set ? P_INT(a->start_time.v) : P_NULL;
    p[17] = a->end_time.set ? P_INT(a->end_time.v) : P_NULL;
    p[18] = P_INT(db_now_ms());
    bool inserted = false;
    enum db_status s = db_query_first_int(db, &st_insert, p, 19, &inserted, id);
    return s == DB_OK && !inserted ? db_fail(db, st_insert.sql, DB_ERROR, "address insert returned no id") : s;
}

/* All the customer's rows, kinds as stored. */
static enum db_status load(struct db *db, int64_t customer, h2o_mem_pool_t *pool, struct address_list *out)
{
    out->n = 0;
    out->items = NULL;
    struct db_param p = P_INT(customer);
    struct db_rows *r = NULL;
    enum db_status s = db_query(db, &st_load, &p, 1, &r);
    if (s != DB_OK)
        return s;
    size_t cap = 0;
    while (db_next(r)) {
        out->items = pool_grow(pool, out->items, out->n, &cap, sizeof *out->items);
        struct address *a = &out->items[out->n];
        memset(a, 0, sizeof *a);
        a->id = db_int(r, 0);
        int col = 2 + (int)ADDRESS_FIELD_COUNT;
        if (!address_kind_parse(db_text(r, 1), &a->kind) ||
            !db_read_record(db, r, 2, ADDRESS_FIELDS, ADDRESS_FIELD_COUNT, a, pool) ||
            !db_read_array(r, col, &a->products, pool)) {
            s = db_fail(db, st_load.sql, DB_ERROR, "malformed address row");
            break;
        }
        a->start_time = (struct opt_int){!db_is_null(r, col + 1), db_is_null(r, col + 1) ? 0 : db_int(r, col + 1)};
        a->end_time = (struct opt_int){!db_is_null(r, col + 2), db_is_null(r, col + 2) ? 0 : db_int(r, col + 2)};
        out->n++;
    }
    if (s == DB_OK)
        s = db_rows_status(r);
    db_rows_free(r);
    return s;
}

/* ---- the view at a moment ------------------------------------------------------------------------ */

/* Kinds as they read now: a temporary change that has ended is historical. */
static void classify(struct address_list *l, int64_t now)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->items[i].kind == ADDRESS_TEMPORARY && l->items[i].end_time.set && l->items[i].end_time.v <= now)
            l->items[i].kind = ADDRESS_HISTORICAL;
}

static bool has_product(const struct address *a, const char *product)
{
    for (size_t i = 0; i < a->products.n; i++)
        if (!strcmp(a->products.items[i], product))
            return true;
    return false;
}

static bool shown(const struct address *a, const char *product, int64_t now)
{
    if (a->kind == ADDRESS_HISTORICAL)
        return product == NULL && (!a->end_time.set || a->end_time.v >= now - ADDRESS_HISTORY_MS);
    return product == NULL || a->kind != ADDRESS_TEMPORARY || has_product(a, product);
}

static int compare(const void *x, const void *y)
{
    const struct address *a = x, *b = y;
    if (a->kind != b->kind)
        return (int)a->kind - (int)b->kind;
    int64_t sa = a->start_time.set ? a->start_time.v : INT64_MIN, sb = b->start_time.set ? b->start_time.v : INT64_MIN;
    if (sa != sb)
        return sa < sb ? -1 : 1;
    return a->id < b->id ? -1 : a->id > b->id;
}

/* The list of #2 (product NULL) or #4/#5, from all rows. */
static void select_view(struct address_list *l, const char *product, int64_t now)
{
    classify(l, now);
    size_t k = 0;
    for (size_t i = 0; i < l->n; i++)
        if (shown(&l->items[i], product, now))
            l->items[k++] = l->items[i];
    l->n = k;
    if (k > 1)
        qsort(l->items, k, sizeof *l->items, compare);
}

static struct address *find(struct address_list *l, int64_t id)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->items[i].id == id)
            return &l->items[i];
    return NULL;
}

static struct address *find_kind(struct address_list *l, enum address_kind kind)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->items[i].kind == kind)
            return &l->items[i];
    return NULL;
}

/* ---- settling a permanent move ------------------------------------------------------------------ */

static enum db_status address_event(struct db *db, const char *schema, int64_t customer, const char *change_type,
                                    int64_t id, const struct str_array *products)
{
    static const struct str_array none = {0, NULL};
    json_t *extra = json_pack("{s:s, s:I, s:o}", "changeType", change_type, "addressId", (json_int_t)id, "products",
                              json_string_array(products ? products : &none));
    return customer_event(db, "ADDRESS_CHANGED", schema, customer, extra);
}

static enum db_status set_due(struct db *db, int64_t customer, const struct opt_int *due)
{
    struct db_param p[] = {P_INT(customer), due && due->set ? P_INT(due->v) : P_NULL};
    return db_exec(db, &st_set_due, p, 2, NULL);
}

/* The customer's permanent change due at now: *id 0 when there is none. */
static enum db_status due_permanent(struct db *db, int64_t customer, int64_t now, int64_t *id, int64_t *start)
{
    *id = 0;
    struct db_param q[] = {P_INT(customer), P_INT(now)};
    struct db_rows *r = NULL;
    enum db_status s = db_query(db, &st_due_permanent, q, 2, &r);
    if (s != DB_OK)
        return s;
    if (db_next(r)) {
        *id = db_int(r, 0);
        *start = db_int(r, 1);
    }
    s = db_rows_status(r);
    db_rows_free(r);
    return s;
}

/* With the customer locked: the permanent change due at now takes over. */
static enum db_status settle_locked(struct db *db, int64_t customer, const char *schema, int64_t now)
{
    int64_t id = 0, start = 0;
    enum db_status s = due_permanent(db, customer, now, &id, &start);
    if (s != DB_OK || id == 0)
        return s == DB_OK ? set_due(db, customer, NULL) : s;
    struct db_param rp[] = {P_INT(customer), P_INT(start), P_INT(now)}, tp[] = {P_INT(id), P_INT(now)};
    s = db_exec(db, &st_home_retire, rp, 3, NULL);
    if (s == DB_OK)
        s = db_exec(db, &st_permanent_take, tp, 2, NULL);
    if (s == DB_OK)
        s = set_due(db, customer, NULL);
    if (s == DB_OK)
        s = address_event(db, schema, customer, "effective", id, NULL);
    return s;
}

enum db_status store_address_settle_customer(struct db *db, int64_t customer, int64_t now)
{
    char schema[SCHEMA_MAX];
    bool found = false;
    enum db_status s = customer_lock(db, NULL, customer, &found, schema, NULL);
    return s == DB_OK && found ? settle_locked(db, customer, schema, now) : s;
}

enum db_status store_address_settle_due(struct db *db, int64_t now, int limit, int *settled)
{
    *settled = 0;
    struct db_param p[] = {P_INT(now), P_INT(limit)};
    struct db_rows *r = NULL;
    enum db_status s = db_query(db, &st_due_customers, p, 2, &r);
    if (s != DB_OK)
        return s;
    int64_t *due = xcalloc((size_t)(limit > 0 ? limit : 1), sizeof *due);
    int n = 0;
    while (n < limit && db_next(r))
        due[n++] = db_int(r, 0);
    s = db_rows_status(r);
    db_rows_free(r);
    for (int i = 0; s == DB_OK && i < n; i++) {
        s = db_begin(db);
        if (s == DB_OK)
            s = db_finish(db, store_address_settle_customer(db, due[i], now));
        if (s == DB_OK)
            (*settled)++;
    }
    free(due);
    return s;
}

/* ---- the rules of #1 ------------------------------------------------------------------------------ */

/* One change being applied: the request, the customer's rows, and what to answer. */
struct change_ctx {
    struct db *db;
    int64_t customer, now;
    const char *schema;
    const struct address_change *c;
    struct address_list all;
    h2o_mem_pool_t *pool;
    enum address_outcome outcome;
    const char *message;
};

static enum db_status refuse(struct change_ctx *x, enum address_outcome o, const char *message)
{
    x->outcome = o;
    x->message = message;
    return DB_OK;
}

static bool overlaps(const struct address *a, int64_t start, int64_t end)
{
    return a->start_time.v < end && (!a->end_time.set || start < a->end_time.v);
}

/* Rule 8: another current or future temporary change for one of products overlapping [start, end). */
static bool overlap_found(struct change_ctx *x, const struct str_array *products, int64_t start, int64_t end,
                          int64_t self)
{
    for (size_t i = 0; i < x->all.n; i++) {
        const struct address *a = &x->all.items[i];
        if (a->id == self || a->kind != ADDRESS_TEMPORARY || !overlaps(a, start, end))
            continue;
        for (size_t k = 0; k < products->n; k++)
            if (has_product(a, products->items[k]))
                return true;
    }
    return false;
}

/* The address data a new row gets: the request's, or a historical address's (rule 6). */
static enum db_status source_data(struct change_ctx *x, struct address *out, bool *ok)
{
    *ok = false;
    memset(out, 0, sizeof *out);
    if (!x->c->id.set) {
        *out = x->c->data;
        *ok = true;
        return DB_OK;
    }
    struct address *src = find(&x->all, x->c->id.v);
    if (src == NULL)
        return refuse(x, ADDRESS_ID_NOT_FOUND, "id: the customer has no such address");
    if (src->kind != ADDRESS_HISTORICAL)
        return refuse(x, ADDRESS_INVALID, src->kind == ADDRESS_HOME ? "id: must not name the home address"
                                                                    : "id: must name a historical address");
    *out = *src;
    *ok = true;
    return DB_OK;
}

static enum db_status check_subscribed(struct change_ctx *x, bool *ok)
{
    *ok = true;
    for (size_t i = 0; i < x->c->products.n; i++) {
        struct db_param p[] = {P_INT(x->customer), P_TEXT(x->c->products.items[i]), P_INT(x->now)};
        bool found = false;
        enum db_status s = db_query_first_int(x->db, &st_subscribed, p, 3, &found, NULL);
        if (s != DB_OK)
            return s;
        if (!found) {
            *ok = false;
            size_t n = strlen(x->c->products.items[i]) + 64;
            char *msg = h2o_mem_alloc_pool(x->pool, n);
            snprintf(msg, n, "product: %s is not an active subscription of the customer", x->c->products.items[i]);
            return refuse(x, ADDRESS_NOT_SUBSCRIBED, msg);
        }
    }
    return DB_OK;
}

/* create and createPermanent (rules 6, 7, 8). */
static enum db_status change_create(struct change_ctx *x, bool permanent)
{
    const struct address_change *c = x->c;
    if (permanent && find_kind(&x->all, ADDRESS_PERMANENT))
        return refuse(x, ADDRESS_ILLEGAL_STATE, "A permanent change is already planned: delete it first");
    struct address a;
    bool ok;
    enum db_status s = source_data(x, &a, &ok);
    if (s != DB_OK || !ok)
        return s;
    if (!permanent && ((s = check_subscribed(x, &ok)) != DB_OK || !ok))
        return s;
    if (!permanent && overlap_found(x, &c->products, c->start.v, c->end.v, 0))
        return refuse(x, ADDRESS_ILLEGAL_STATE, "The period overlaps another temporary change for the product");
    a.kind = permanent ? ADDRESS_PERMANENT : ADDRESS_TEMPORARY;
    a.start_time = c->start;
    a.end_time = permanent ? (struct opt_int){false, 0} : c->end;
    a.products = permanent ? (struct str_array){0, NULL} : c->products;
    int64_t id = 0;
    s = address_insert(x->db, x->customer, &a, x->pool, &id);
    if (s == DB_OK && permanent)
        s = set_due(x->db, x->customer, &c->start);
    if (s == DB_OK)
        s = address_event(x->db, x->schema, x->customer, permanent ? "createPermanent" : "create", id,
                          permanent ? NULL : &c->products);
    return s;
}

/* Rules 1 and 2: the home address gets the request's data; the old one is kept as history. */
static enum db_status change_home(struct change_ctx *x, struct address *home)
{
    const struct address_change *c = x->c;
    if (c->has_period)
        return refuse(x, ADDRESS_INVALID, "period: is not allowed when the home address is updated");
    if ((!c->data.street && !c->data.postal_address) || !c->data.postal_code)
        return refuse(x, ADDRESS_INVALID, "streetAddress or postalAddress, and postalCode: are required");
    struct address next = c->data;
    next.kind = ADDRESS_HOME;
    next.start_time = (struct opt_int){true, x->now};
    int64_t id = 0;
    enum db_status s;
    if (home == NULL) {
        s = address_insert(x->db, x->customer, &next, x->pool, &id);
    } else {
        struct address old = *home;
        old.kind = ADDRESS_HISTORICAL;
        old.end_time = (struct opt_int){true, x->now};
        if (!old.start_time.set)
            old.start_time = old.end_time;
        int64_t hist = 0;
        id = home->id;
        s = address_insert(x->db, x->customer, &old, x->pool, &hist);
        struct db_param p[16];
        p[0] = P_INT(id);
        db_bind_record(p + 1, ADDRESS_FIELDS, ADDRESS_FIELD_COUNT, &next, x->pool);
        p[14] = P_INT(x->now);
        p[15] = P_INT(x->now);
        if (s == DB_OK)
            s = db_exec(x->db, &st_set_fields, p, 16, NULL);
    }
    return s == DB_OK ? address_event(x->db, x->schema, x->customer, "update", id, &c->products) : s;
}

/* Rule 3: address fields in the request must repeat the stored ones. */
static const char *data_differs(const struct address *given, const struct address *stored, h2o_mem_pool_t *pool)
{
    for (size_t i = 0; i < ADDRESS_FIELD_COUNT; i++) {
        const struct field *f = &ADDRESS_FIELDS[i];
        if (!record_has(f, given) || record_field_equal(f, given, stored))
            continue;
        size_t n = strlen(f->name) + 80;
        char *msg = h2o_mem_alloc_pool(pool, n);
        snprintf(msg, n, "%s: only the period of a planned change can be changed", f->name);
        return msg;
    }
    return NULL;
}

/* Rule 3: a planned change gets a new period. */
static enum db_status change_period(struct change_ctx *x, struct address *a)
{
    const struct address_change *c = x->c;
    const char *differs = data_differs(&c->data, a, x->pool);
    if (differs)
        return refuse(x, ADDRESS_INVALID, differs);
    bool permanent = a->kind == ADDRESS_PERMANENT, started = a->start_time.v <= x->now;
    int64_t start = c->start.set ? c->start.v : a->start_time.v;
    int64_t end = permanent ? 0 : c->end.set ? c->end.v : a->end_time.v;
    if (started && c->start.set && c->start.v != a->start_time.v)
        return refuse(x, ADDRESS_ILLEGAL_STATE, "The change has started: only period.endTime may change");
    if (started && c->end.set && c->end.v < c->today)
        return refuse(x, ADDRESS_ILLEGAL_STATE, "The change has started: period.endTime must not be before today");
    if (!started && c->start.set && c->start.v < c->today)
        return refuse(x, ADDRESS_INVALID, "period.startTime: must not be before today");
    if (!permanent && end <= start)
        return refuse(x, ADDRESS_INVALID, "period.endTime: must be after period.startTime");
    if (!permanent && overlap_found(x, &a->products, start, end, a->id))
        return refuse(x, ADDRESS_ILLEGAL_STATE, "The period overlaps another temporary change for the product");
    struct db_param p[] = {P_INT(a->id), P_INT(start), permanent ? P_NULL : P_INT(end), P_INT(x->now)};
    enum db_status s = db_exec(x->db, &st_set_period, p, 4, NULL);
    struct opt_int due = {true, start};
    if (s == DB_OK && permanent)
        s = set_due(x->db, x->customer, &due);
    return s == DB_OK ? address_event(x->db, x->schema, x->customer, "update", a->id, &a->products) : s;
}

static enum db_status change_update(struct change_ctx *x)
{
    if (!x->c->id.set)
        return change_home(x, find_kind(&x->all, ADDRESS_HOME));
    struct address *a = find(&x->all, x->c->id.v);
    if (a == NULL)
        return refuse(x, ADDRESS_ID_NOT_FOUND, "id: the customer has no such address");
    switch (a->kind) {
    case ADDRESS_HISTORICAL: return refuse(x, ADDRESS_ILLEGAL_STATE, "A historical address cannot be changed");
    case ADDRESS_HOME: return change_home(x, a);
    default: return change_period(x, a);
    }
}

/* Rule 5. */
static enum db_status change_delete(struct change_ctx *x)
{
    struct address *a = find(&x->all, x->c->id.v);
    if (a == NULL)
        return refuse(x, ADDRESS_ID_NOT_FOUND, "id: the customer has no such address");
    if (a->kind == ADDRESS_HISTORICAL)
        return refuse(x, ADDRESS_ILLEGAL_STATE, "A historical address cannot be deleted");
    if (a->kind == ADDRESS_HOME)
        return refuse(x, ADDRESS_ILLEGAL_STATE, "The home address cannot be deleted");
    if (a->start_time.v <= x->now)
        return refuse(x, ADDRESS_ILLEGAL_STATE, "The change has started and can no longer be deleted");
    struct db_param p = P_INT(a->id);
    enum db_status s = db_exec(x->db, &st_delete, &p, 1, NULL);
    if (s == DB_OK && a->kind == ADDRESS_PERMANENT)
        s = set_due(x->db, x->customer, NULL);
    return s == DB_OK ? address_event(x->db, x->schema, x->customer, "delete", a->id, &a->products) : s;
}

static enum db_status change_locked(struct change_ctx *x, int64_t due)
{
    enum db_status s = due && due <= x->now ? settle_locked(x->db, x->customer, x->schema, x->now) : DB_OK;
    if (s == DB_OK)
        s = load(x->db, x->customer, x->pool, &x->all);
    if (s != DB_OK)
        return s;
    classify(&x->all, x->now);
    switch (x->c->type) {
    case CHANGE_UPDATE: return change_update(x);
    case CHANGE_DELETE: return change_delete(x);
    case CHANGE_CREATE: return change_create(x, false);
    case CHANGE_CREATE_PERMANENT: return change_create(x, true);
    }
    return DB_ERROR;
}

enum db_status store_address_change(struct db *db, const char *partner, int64_t customer,
                                    const struct address_change *c, h2o_mem_pool_t *pool,
                                    enum address_outcome *outcome, const char **message, struct address_list *out)
{
    struct change_ctx x = {.db = db, .customer = customer, .now = db_now_ms(), .c = c, .pool = pool,
                           .outcome = ADDRESS_OK};
    char schema[SCHEMA_MAX];
    bool found = false;
    int64_t due = 0;
    enum db_status s = db_begin(db);
    if (s == DB_OK)
        s = customer_lock(db, partner, customer, &found, schema, &due);
    x.schema = schema;
    if (s == DB_OK && !found)
        x.outcome = ADDRESS_CUSTOMER_NOT_FOUND;
    if (s == DB_OK && found)
        s = change_locked(&x, due);
    if (s == DB_OK && x.outcome == ADDRESS_OK) {
        s = load(db, customer, pool, out);
        select_view(out, NULL, x.now);
    }
    *outcome = x.outcome;
    *message = x.message;
    if (x.outcome != ADDRESS_OK) {
        if (db->in_tx)
            db_rollback(db);
        return s;
    }
    return db->in_tx ? db_finish(db, s) : s;
}

enum db_status store_address_list(struct db *db, const char *partner, int64_t customer, const char *product,
                                  h2o_mem_pool_t *pool, bool *found, struct address_list *out)
{
    struct customer c;
    enum db_status s = store_customer_get(db, partner, customer, pool, found, &c); /* settles a due move */
    if (s != DB_OK || !*found)
        return s;
    s = load(db, customer, pool, out);
    if (s == DB_OK)
        select_view(out, product, db_now_ms());
    return s;
}
