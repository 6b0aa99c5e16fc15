/* import.c — bulk loading (store/catalogue.h): a JSON line becomes a record through the
 * model's field tables (the API's validation, word for word: "emails: must be a valid e-mail
 * address"; nested parts such as a customer's address are validated the same way, their
 * messages prefixed with where they are), then the rows it becomes, written with the same
 * column tables as the API's writes. Lines that refer to something missing are refused before
 * anything is written; the importer wraps each line in a savepoint, so even an unexpected
 * failure leaves nothing of the line behind. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "codec/json.h"
#include "store/catalogue.h"
#include "store/customer_internal.h"
#include "store/driver.h"
#include "store/record.h"
#include "util/pool.h"

DB_STMT(st_next_number, "UPDATE counter SET value = value + 1 WHERE name = 'customer_number' RETURNING value");
DB_STMT(st_counter_catch_up, "UPDATE counter SET value = (SELECT MAX(customer_number) FROM customer)\n"
                             " WHERE name = 'customer_number' AND value < (SELECT MAX(customer_number) FROM customer)");
DB_STMT(st_customer_insert, "INSERT INTO customer (customer_number, partner_id, " CUSTOMER_COLUMNS ", ssn,\n"
                            " created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,\n"
                            " $13, $14, $15, $16, $16) ON CONFLICT DO NOTHING RETURNING customer_number");
DB_STMT(st_category_set, "INSERT INTO customer_category (customer_number, category_type, category_code, free_value)\n"
                         " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING");
DB_STMT(st_user_free, "SELECT u.unique_id, uc.customer_number FROM users u\n"
                      " LEFT JOIN user_customer uc ON uc.user_id = u.unique_id AND uc.partner_id = $2\n"
                      " WHERE u.unique_id = $1");
DB_STMT(st_link, "INSERT INTO user_customer (user_id, partner_id, customer_number, created_at)\n"
                 " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING user_id");
DB_STMT(st_company_of, "SELECT partner_id FROM company WHERE code = $1");
DB_STMT(st_company_add, "INSERT INTO company (code, partner_id, name) VALUES ($1, $2, $1) ON CONFLICT DO NOTHING");
DB_STMT(st_product_upsert, "INSERT INTO product (" PRODUCT_COLUMNS ", changed_at) VALUES ($1, $2, $3, $4, $5, $6,\n"
                           " $7, $8, $9, $10, $11, $12, COALESCE($13, 0), COALESCE($14, 0), COALESCE($15, 0), $16)\n"
                           " ON CONFLICT (company_code, code) DO UPDATE SET description = excluded.description,\n"
                           " product_type = excluded.product_type, start_time = excluded.start_time,\n"
                           " end_time = excluded.end_time, weight = excluded.weight, campaigns = excluded.campaigns,\n"
                           " currency = excluded.currency, web_offer_price = excluded.web_offer_price,\n"
                           " retail_price = excluded.retail_price, vat_percent = excluded.vat_percent,\n"
                           " digital = excluded.digital, shop = excluded.shop, series = excluded.series,\n"
                           " changed_at = excluded.changed_at");
DB_STMT(st_subscription_refs, "SELECT 1 FROM customer c JOIN company co ON co.partner_id = c.partner_id\n"
                              " JOIN product p ON p.company_code = co.code\n"
                              " WHERE c.customer_number = $1 AND c.partner_id = $2 AND co.code = $3 AND p.code = $4");
DB_STMT(st_customer_of_partner, "SELECT 1 FROM customer WHERE customer_number = $1 AND partner_id = $2");
DB_STMT(st_subscription_insert, "INSERT INTO subscription (" SUBSCRIPTION_COLUMNS ", created_at, updated_at)\n"
                                " VALUES ($1, $2, $3, $4, $5, $6, COALESCE($7, 1), $8, $9, $10, COALESCE($11, $1),\n"
                                " $12, $13, $14, $15, COALESCE($16, 0), $17, $17) RETURNING id");
DB_STMT(st_catalogue_set, "INSERT INTO category (partner_id, category_type, category_code, description)\n"
                          " VALUES ($1, $2, $3, $4) ON CONFLICT (partner_id, category_type, category_code)\n"
                          " DO UPDATE SET description = excluded.description");

static enum db_status reject(enum import_outcome *outcome, const char **message, const char *why)
{
    *outcome = IMPORT_REJECTED;
    *message = why;
    return DB_OK;
}

/* A message naming a value (pool memory). */
static const char *message_with(h2o_mem_pool_t *pool, const char *fmt, const char *value)
{
    size_t n = strlen(fmt) + strlen(value) + 1;
    char *m = h2o_mem_alloc_pool(pool, n);
    snprintf(m, n, fmt, value);
    return m;
}

/* ---- customers ---------------------------------------------------------------------------------- */

static enum db_status user_free_or_reject(struct db *db, const char *partner, const char *user,
                                          enum import_outcome *outcome, const char **message)
{
    struct db_param p[] = {P_TEXT(user), P_TEXT(partner)};
    struct db_rows *r = NULL;
    enum db_status s = db_query(db, &st_user_free, p, 2, &r);
    if (s != DB_OK)
        return s;
    bool exists = db_next(r), linked = exists && !db_is_null(r, 1);
    s = db_rows_status(r);
    db_rows_free(r);
    if (s == DB_OK && !exists)
        return reject(outcome, message, "uniqueUserId: no such user");
    if (s == DB_OK && linked)
        return reject(outcome, message, "uniqueUserId: the user already has a customer of this partner");
    return s;
}

static enum db_status insert_customer_row(struct db *db, const char *partner, const struct customer *c,
                                          const char *ssn, h2o_mem_pool_t *pool, bool *inserted)
{
    struct db_param p[16];
    p[0] = P_INT(c->number);
    p[1] = P_TEXT(partner);
    db_bind_record(p + 2, CUSTOMER_FIELDS, CUSTOMER_FIELD_COUNT, c, pool);
    p[14] = P_TEXT_OR_NULL(ssn);
    p[15] = P_INT(db_now_ms());
    return db_query_first_int(db, &st_customer_insert, p, 16, inserted, NULL);
}

static enum db_status insert_related(struct db *db, const char *partner, const struct customer *c,
                                     h2o_mem_pool_t *pool, bool *linked)
{
    enum db_status s = customer_write_contacts(db, c, pool);
    if (s == DB_OK && c->has_home) {
        struct address home = c->home;
        home.kind = ADDRESS_HOME;
        home.start_time = (struct opt_int){true, db_now_ms()};
        int64_t id;
        s = address_insert(db, c->number, &home, pool, &id);
    }
    for (size_t i = 0; s == DB_OK && i < c->ncategories; i++) {
        const struct category_item *k = &c->categories[i];
        struct db_param p[] = {P_INT(c->number), P_TEXT(k->type), P_TEXT(k->code), P_TEXT_OR_NULL(k->free_value)};
        s = db_exec(db, &st_category_set, p, 4, NULL);
    }
    *linked = true;
    if (s == DB_OK && c->unique_user_id) {
        struct db_param p[] = {P_TEXT(c->unique_user_id), P_TEXT(partner), P_INT(c->number), P_INT(db_now_ms())};
        s = db_query_first_int(db, &st_link, p, 4, linked, NULL);
    }
    return s;
}

enum db_status store_import_customer(struct db *db, const char *partner, const struct customer *c, const char *ssn,
                                     h2o_mem_pool_t *pool, int64_t *number, enum import_outcome *outcome,
                                     const char **message)
{
    *outcome = IMPORT_OK;
    *message = NULL;
    enum db_status s = c->unique_user_id ? user_free_or_reject(db, partner, c->unique_user_id, outcome, message)
                                         : DB_OK;
    if (s != DB_OK || *outcome != IMPORT_OK)
        return s;
    struct customer row = *c;
    bool ok = true, inserted = false, linked = false;
    if (row.number == 0)
        s = db_query_first_int(db, &st_next_number, NULL, 0, &ok, &row.number);
    if (s == DB_OK && ok)
        s = insert_customer_row(db, partner, &row, ssn, pool, &inserted);
    if (s == DB_OK && !inserted)
        return reject(outcome, message, "customerNumber: a customer with this number exists");
    if (s == DB_OK)
        s = insert_related(db, partner, &row, pool, &linked);
    if (s == DB_OK && !linked) /* taken a moment ago by another transaction: the unit is undone */
        return reject(outcome, message, "uniqueUserId: the user already has a customer of this partner");
    *number = row.number;
    return s;
}

enum db_status store_import_finish_batch(struct db *db)
{
    return db_exec(db, &st_counter_catch_up, NULL, 0, NULL);
}

/* ---- products, subscriptions, categories --------------------------------------------------------- */

enum db_status store_import_product(struct db *db, const char *partner, const struct product *p,
                                    h2o_mem_pool_t *pool, enum import_outcome *outcome, const char **message)
{
    *outcome = IMPORT_OK;
    char owner[64];
    bool found = false;
    struct db_param cp[] = {P_TEXT(p->company_code), P_TEXT(partner)};
    enum db_status s = db_query_first_text(db, &st_company_of, cp, 1, &found, owner, sizeof owner, NULL, 0);
    if (s == DB_OK && found && strcmp(owner, partner))
        return reject(outcome, message, message_with(pool, "companyCode: %s belongs to another partner",
                                                     p->company_code));
    if (s == DB_OK && !found)
        s = db_exec(db, &st_company_add, cp, 2, NULL);
    struct db_param pp[16];
    db_bind_record(pp, PRODUCT_FIELDS, PRODUCT_FIELD_COUNT, p, pool);
    pp[15] = P_INT(db_now_ms());
    return s == DB_OK ? db_exec(db, &st_product_upsert, pp, 16, NULL) : s;
}

enum db_status store_import_subscription(struct db *db, const char *partner, const struct subscription *sub,
                                         h2o_mem_pool_t *pool, int64_t *id, enum import_outcome *outcome,
                                         const char **message)
{
    *outcome = IMPORT_OK;
    struct db_param rp[] = {P_INT(sub->customer_number.v), P_TEXT(partner), P_TEXT(sub->company_code),
                            P_TEXT(sub->product)};
    bool found = false;
    enum db_status s = db_query_first_int(db, &st_subscription_refs, rp, 4, &found, NULL);
    if (s == DB_OK && !found)
        return reject(outcome, message, "customerNumber, companyCode, product: no such customer and product of "
                                        "this partner");
    if (s == DB_OK && sub->payer_customer_number.set) {
        struct db_param pp[] = {P_INT(sub->payer_customer_number.v), P_TEXT(partner)};
        s = db_query_first_int(db, &st_customer_of_partner, pp, 2, &found, NULL);
        if (s == DB_OK && !found)
            return reject(outcome, message, "payerCustomerNumber: no such customer of this partner");
    }
    struct db_param p[17];
    db_bind_record(p, SUBSCRIPTION_FIELDS, SUBSCRIPTION_FIELD_COUNT, sub, pool);
    p[16] = P_INT(db_now_ms());
    return s == DB_OK ? db_query_first_int(db, &st_subscription_insert, p, 17, &found, id) : s;
}

enum db_status store_import_category(struct db *db, const char *partner, const char *type, const char *code,
                                     const char *description)
{
    struct db_param p[] = {P_TEXT(partner), P_TEXT(type), P_TEXT(code ? code : ""), P_TEXT_OR_NULL(description)};
    return db_exec(db, &st_catalogue_set, p, 4, NULL);
}

/* ---- JSON lines ------------------------------------------------------------------------------ */

/* One line being imported: where messages go and the line's pool. */
struct line_ctx {
    struct db *db;
    const char *partner;
    h2o_mem_pool_t *pool;
    char *err;
    size_t errlen;
    bool db_failed;
};

static bool refuse(struct line_ctx *x, const char *prefix, const char *message)
{
    snprintf(x->err, x->errlen, "%s%s", prefix, message ? message : "refused");
    return false;
}

static bool fields_or_refuse(struct line_ctx *x, const json_t *obj, const char *prefix, const struct field *fields,
                             size_t n, void *out)
{
    struct validate_error e;
    return validate_fields(obj, false, fields, n, out, x->pool, &e) || refuse(x, prefix, e.message);
}

/* The store's answer for the line. */
static bool stored(struct line_ctx *x, enum db_status s, enum import_outcome outcome, const char *message)
{
    if (s != DB_OK) {
        x->db_failed = true;
        return refuse(x, "", "the database refused the line (details in the log)");
    }
    return outcome == IMPORT_OK || refuse(x, "", message);
}

/* ---- customers ---------------------------------------------------------------------------------- */

struct customer_line {
    struct opt_int number;
    const char *unique_user_id, *ssn;
    const json_t *address, *categories;
};

#define L(m) offsetof(struct customer_line, m)
static const struct field CUSTOMER_LINE[] = {
    {"customerNumber", FIELD_INT, 0, 0, NULL, L(number)},
    {"uniqueUserId", FIELD_STRING, 0, 32, NULL, L(unique_user_id)},
    {"personsSocialSecurityNumber", FIELD_STRING, 0, 11, NULL, L(ssn)},
    {"address", FIELD_VALUE, 0, 0, NULL, L(address)},
    {"categories", FIELD_VALUE, 0, 0, NULL, L(categories)},
};
#undef L

static bool categories_or_refuse(struct line_ctx *x, const json_t *list, struct customer *c)
{
    if (list == NULL)
        return true;
    if (!json_is_array(list))
        return refuse(x, "", "categories: must be an array");
    c->ncategories = json_array_size(list);
    c->categories = pool_alloc(x->pool, (c->ncategories ? c->ncategories : 1) * sizeof *c->categories);
    for (size_t i = 0; i < c->ncategories; i++) {
        char prefix[48];
        snprintf(prefix, sizeof prefix, "categories[%zu].", i);
        if (!fields_or_refuse(x, json_array_get(list, i), prefix, CATEGORY_FIELDS, CATEGORY_FIELD_COUNT,
                              &c->categories[i]))
            return false;
    }
    return true;
}

static bool customer_line_or_refuse(struct line_ctx *x, const json_t *v, struct customer *c, struct customer_line *l)
{
    memset(c, 0, sizeof *c);
    if (!fields_or_refuse(x, v, "", CUSTOMER_LINE, N_FIELDS(CUSTOMER_LINE), l) ||
        !fields_or_refuse(x, v, "", CUSTOMER_FIELDS, CUSTOMER_FIELD_COUNT, c))
        return false;
    if (l->number.set && l->number.v <= 0)
        return refuse(x, "", "customerNumber: must be greater than 0");
    if (l->unique_user_id && (strlen(l->unique_user_id) != 32 || strspn(l->unique_user_id, "0123456789abcdef") != 32))
        return refuse(x, "", "uniqueUserId: must be 32 lowercase hexadecimal characters");
    if (l->ssn && (strlen(l->ssn) != 11 || strspn(l->ssn, "0123456789") != 11))
        return refuse(x, "", "personsSocialSecurityNumber: must be 11 digits");
    if (l->address && !json_is_object(l->address))
        return refuse(x, "", "address: must be an object");
    if (l->address && !fields_or_refuse(x, l->address, "address.", ADDRESS_FIELDS, ADDRESS_FIELD_COUNT, &c->home))
        return false;
    c->has_home = l->address && address_has_data(&c->home);
    c->number = l->number.set ? l->number.v : 0;
    c->unique_user_id = l->unique_user_id;
    const char *broken = customer_rule_broken(c, (int64_t)time(NULL) * 1000);
    return categories_or_refuse(x, l->categories, c) && (broken == NULL || refuse(x, "", broken));
}

static bool import_customer(struct line_ctx *x, const json_t *v)
{
    struct customer c;
    struct customer_line l;
    if (!customer_line_or_refuse(x, v, &c, &l))
        return false;
    int64_t number;
    enum import_outcome outcome;
    const char *message = NULL;
    enum db_status s = store_import_customer(x->db, x->partner, &c, l.ssn, x->pool, &number, &outcome, &message);
    return stored(x, s, outcome, message);
}

/* ---- the other kinds ------------------------------------------------------------------------------ */

static bool import_product(struct line_ctx *x, const json_t *v)
{
    struct product p;
    if (!fields_or_refuse(x, v, "", PRODUCT_FIELDS, PRODUCT_FIELD_COUNT, &p))
        return false;
    enum import_outcome outcome;
    const char *message = NULL;
    enum db_status s = store_import_product(x->db, x->partner, &p, x->pool, &outcome, &message);
    return stored(x, s, outcome, message);
}

static bool import_subscription(struct line_ctx *x, const json_t *v)
{
    struct subscription sub;
    memset(&sub, 0, sizeof sub);
    if (!fields_or_refuse(x, v, "", SUBSCRIPTION_FIELDS, SUBSCRIPTION_FIELD_COUNT, &sub))
        return false;
    if (sub.copies.set && (sub.copies.v < 1 || sub.copies.v > 999))
        return refuse(x, "", "copies: must be between 1 and 999");
    if (sub.end_time.set && sub.end_time.v <= sub.start_time.v)
        return refuse(x, "", "endTime: must be after startTime");
    int64_t id;
    enum import_outcome outcome;
    const char *message = NULL;
    enum db_status s = store_import_subscription(x->db, x->partner, &sub, x->pool, &id, &outcome, &message);
    return stored(x, s, outcome, message);
}

struct category_line {
    const char *type, *code, *description;
};

static const struct field CATEGORY_LINE[] = {
    {"categoryType", FIELD_STRING, FIELD_REQUIRED, 12, NULL, offsetof(struct category_line, type)},
    {"categoryCode", FIELD_STRING, 0, 12, NULL, offsetof(struct category_line, code)},
    {"description", FIELD_STRING, FIELD_REQUIRED, 255, NULL, offsetof(struct category_line, description)},
};

static bool import_category(struct line_ctx *x, const json_t *v)
{
    struct category_line l;
    if (!fields_or_refuse(x, v, "", CATEGORY_LINE, N_FIELDS(CATEGORY_LINE), &l))
        return false;
    enum db_status s = store_import_category(x->db, x->partner, l.type, l.code, l.description);
    return stored(x, s, IMPORT_OK, NULL);
}

/* ---- lines ----------------------------------------------------------------------------------------- */

static bool import_value(struct line_ctx *x, enum import_kind kind, const char *line, size_t len)
{
    json_t *v = json_parse_body(line, len, JSON_MAX_DEPTH);
    if (v == NULL)
        return refuse(x, "", "not a JSON value (one JSON object per line)");
    bool ok;
    if (!json_is_object(v))
        ok = refuse(x, "", "must be a JSON object");
    else if (kind == IMPORT_CUSTOMERS)
        ok = import_customer(x, v);
    else if (kind == IMPORT_PRODUCTS)
        ok = import_product(x, v);
    else if (kind == IMPORT_SUBSCRIPTIONS)
        ok = import_subscription(x, v);
    else
        ok = import_category(x, v);
    json_decref(v);
    return ok;
}

bool store_import_line(struct db *db, enum import_kind kind, const char *partner, const char *line, size_t len,
                       h2o_mem_pool_t *pool, char *err, size_t errlen, bool *db_failed)
{
    struct line_ctx x = {db, partner, pool, err, errlen, false};
    bool ok = import_value(&x, kind, line, len);
    *db_failed = x.db_failed;
    return ok;
}
