/* customer_internal.h — what the Customer Data store files share (internal to src/store/):
 * locking a customer for a write, its events, and reading the Customer row shape. */
#ifndef CONNECTD_STORE_CUSTOMER_INTERNAL_H
#define CONNECTD_STORE_CUSTOMER_INTERNAL_H

#include <jansson.h>

#include "store/customer.h"

#define SCHEMA_MAX 64

/* In a transaction: locks the partner's customer row (PostgreSQL: a row lock held to commit,
 * which serialises writers of one customer, README §11.1 e; SQLite's write transaction already
 * does) and gives the partner's schema and the customer's address_due_at (0 when none).
 * *found false when the partner has no such customer; partner NULL: any partner's. */
enum db_status customer_lock(struct db *db, const char *partner, int64_t number, bool *found,
                             char schema[SCHEMA_MAX], int64_t *due_at);

/* In a transaction: appends a Connect event with detail {"schema", "customer", <extra's
 * members>}. Takes ownership of extra (may be NULL). */
enum db_status customer_event(struct db *db, const char *type, const char *schema, int64_t customer, json_t *extra);

/* The columns every Customer read selects, and the reader of that row shape (home address
 * included, categories not). */
#define CUSTOMER_SELECT                                                                                          \
    "SELECT c.customer_number, c.address_due_at, uc.user_id, " CUSTOMER_COLUMNS ", a.id, " ADDRESS_COLUMNS       \
    ", a.start_time"
#define CUSTOMER_USER_JOIN " LEFT JOIN user_customer uc ON uc.customer_number = c.customer_number"
#define CUSTOMER_JOINS                                                                                           \
    CUSTOMER_USER_JOIN " LEFT JOIN address a ON a.customer_number = c.customer_number AND a.kind = 'home'"
bool customer_read_row(struct db *db, const struct db_rows *r, h2o_mem_pool_t *pool, struct customer *out,
                       int64_t *due_at);

/* In a transaction: replaces the customer's search entries (customer_contact) by its lists. */
enum db_status customer_write_contacts(struct db *db, const struct customer *c, h2o_mem_pool_t *pool);

/* In a transaction: inserts an address row of the customer (kind, fields, products, period);
 * its id into *id. */
enum db_status address_insert(struct db *db, int64_t customer, const struct address *a, h2o_mem_pool_t *pool,
                              int64_t *id);

/* Case-insensitive ASCII copy into pool (e-mail addresses are ASCII: codec checks them). */
const char *ascii_lower(const char *s, h2o_mem_pool_t *pool);

#endif
