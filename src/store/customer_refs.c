/* customer_refs.c — the small things hung on a customer (store/customer.h "categories and
 * external references"): its category codes with the partner's catalogue descriptions
 * (customer.md §3), and its external references (§5), at most one per reference code. The
 * writes of §5 decide success in their one statement (ON CONFLICT / affected rows), so
 * concurrent calls give exactly one success (README §11.1 d). */
#include <string.h>

#include "store/customer_internal.h"
#include "store/driver.h"
#include "store/record.h"
#include "util/pool.h"

DB_STMT(st_exists, "SELECT 1 FROM customer WHERE customer_number = $1 AND partner_id = $2");
DB_STMT(st_types, "SELECT DISTINCT cc.category_type, t.description FROM customer_category cc\n"
                  " JOIN customer c ON c.customer_number = cc.customer_number\n"
                  " LEFT JOIN category t ON t.partner_id = c.partner_id AND t.category_type = cc.category_type\n"
                  "  AND t.category_code = ''\n"
                  " WHERE cc.customer_number = $1 ORDER BY cc.category_type");
DB_STMT(st_codes, "SELECT cc.category_type, cc.category_code, k.description, cc.free_value FROM customer_category cc\n"
                  " JOIN customer c ON c.customer_number = cc.customer_number\n"
                  " LEFT JOIN category k ON k.partner_id = c.partner_id AND k.category_type = cc.category_type\n"
                  "  AND k.category_code = cc.category_code\n"
                  " WHERE cc.customer_number = $1 AND cc.category_type = COALESCE($2, cc.category_type)\n"
                  " ORDER BY cc.category_type, cc.category_code");
DB_STMT(st_refs, "SELECT reference_code, external_id FROM external_reference WHERE customer_number = $1\n"
                 " ORDER BY reference_code");
DB_STMT(st_ref_add, "INSERT INTO external_reference (customer_number, reference_code, external_id, created_at,\n"
                    " updated_at) VALUES ($1, $2, $3, $4, $4) ON CONFLICT DO NOTHING RETURNING reference_code");
DB_STMT(st_ref_set, "UPDATE external_reference SET external_id = $3, updated_at = $4\n"
                    " WHERE customer_number = $1 AND reference_code = $2");
DB_STMT(st_ref_del, "DELETE FROM external_reference WHERE customer_number = $1 AND reference_code = $2");

static enum db_status exists(struct db *db, const char *partner, int64_t customer, bool *found)
{
    struct db_param p[] = {P_INT(customer), P_TEXT(partner)};
    return db_query_first_int(db, &st_exists, p, 2, found, NULL);
}

/* Runs st for the customer (with the optional text parameter) and hands each row to take. */
static enum db_status each_row(struct db *db, struct db_stmt *st, int64_t customer, const char *arg, bool with_arg,
                               void (*take)(const struct db_rows *r, void *item, h2o_mem_pool_t *pool),
                               size_t item_size, h2o_mem_pool_t *pool, void **out, size_t *n)
{
    struct db_param p[] = {P_INT(customer), P_TEXT_OR_NULL(arg)};
    struct db_rows *r = NULL;
    enum db_status s = db_query(db, st, p, with_arg ? 2 : 1, &r);
    *n = 0;
    *out = NULL;
    if (s != DB_OK)
        return s;
    size_t cap = 0;
    while (db_next(r)) {
        *out = pool_grow(pool, *out, *n, &cap, item_size);
        take(r, (char *)*out + *n * item_size, pool);
        (*n)++;
    }
    s = db_rows_status(r);
    db_rows_free(r);
    return s;
}

static void take_type(const struct db_rows *r, void *item, h2o_mem_pool_t *pool)
{
    *(struct category_item *)item = (struct category_item){db_pool_text(r, 0, pool), NULL, NULL,
                                                           db_pool_text(r, 1, pool)};
}

static void take_code(const struct db_rows *r, void *item, h2o_mem_pool_t *pool)
{
    *(struct category_item *)item = (struct category_item){db_pool_text(r, 0, pool), db_pool_text(r, 1, pool),
                                                           db_pool_text(r, 3, pool), db_pool_text(r, 2, pool)};
}

static void take_ref(const struct db_rows *r, void *item, h2o_mem_pool_t *pool)
{
    *(struct external_reference *)item = (struct external_reference){db_pool_text(r, 0, pool),
                                                                     db_pool_text(r, 1, pool)};
}

enum db_status store_category_types(struct db *db, const char *partner, int64_t customer, h2o_mem_pool_t *pool,
                                    bool *found, struct category_item **out, size_t *n)
{
    enum db_status s = exists(db, partner, customer, found);
    if (s != DB_OK || !*found)
        return s;
    return each_row(db, &st_types, customer, NULL, false, take_type, sizeof **out, pool, (void **)out, n);
}

enum db_status store_category_codes(struct db *db, const char *partner, int64_t customer, const char *type,
                                    h2o_mem_pool_t *pool, bool *found, struct category_item **out, size_t *n)
{
    enum db_status s = exists(db, partner, customer, found);
    if (s != DB_OK || !*found)
        return s;
    return each_row(db, &st_codes, customer, type, true, take_code, sizeof **out, pool, (void **)out, n);
}

enum db_status store_reference_list(struct db *db, const char *partner, int64_t customer, h2o_mem_pool_t *pool,
                                    bool *found, struct external_reference **out, size_t *n)
{
    enum db_status s = exists(db, partner, customer, found);
    if (s != DB_OK || !*found)
        return s;
    return each_row(db, &st_refs, customer, NULL, false, take_ref, sizeof **out, pool, (void **)out, n);
}

static const char *const REFERENCE_EVENTS[] = {"EXTERNAL_REFERENCE_REGISTERED", "EXTERNAL_REFERENCE_CHANGED",
                                               "EXTERNAL_REFERENCE_REMOVED"};

static enum db_status reference_apply(struct db *db, int64_t customer, enum reference_op op, const char *code,
                                      const char *external_id, bool *success)
{
    struct db_param p[] = {P_INT(customer), P_TEXT(code), P_TEXT_OR_NULL(external_id), P_INT(db_now_ms())};
    int64_t changes = 0;
    enum db_status s;
    switch (op) {
    case REFERENCE_REGISTER:
        return db_query_first_int(db, &st_ref_add, p, 4, success, NULL);
    case REFERENCE_CHANGE:
        s = db_exec(db, &st_ref_set, p, 4, &changes);
        break;
    default:
        s = db_exec(db, &st_ref_del, p, 2, &changes);
        break;
    }
    *success = changes > 0;
    return s;
}

enum db_status store_reference_write(struct db *db, const char *partner, int64_t customer, enum reference_op op,
                                     const char *code, const char *external_id, bool *found, bool *success)
{
    *success = false;
    char schema[SCHEMA_MAX];
    enum db_status s = db_begin(db);
    if (s != DB_OK)
        return s;
    s = customer_lock(db, partner, customer, found, schema, NULL);
    if (s == DB_OK && *found)
        s = reference_apply(db, customer, op, code, external_id, success);
    if (s == DB_OK && *success) {
        json_t *extra = json_pack("{s:s}", "referenceCode", code);
        if (op != REFERENCE_REMOVE)
            json_object_set_new(extra, "externalId", json_string(external_id));
        s = customer_event(db, REFERENCE_EVENTS[op], schema, customer, extra);
    }
    return db_finish(db, s);
}
