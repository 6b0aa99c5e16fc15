/* catalogue.h — loading data in bulk (connectd import, the demo): customers, products,
 * subscriptions and category descriptions of one partner. Each function works inside the
 * caller's transaction (the importer's batch, one savepoint per line), checks what the line
 * refers to first, and writes nothing when it answers anything but IMPORT_OK. A bulk load is
 * not a business event: no outbox events are written. */
#ifndef CONNECTD_STORE_CATALOGUE_H
#define CONNECTD_STORE_CATALOGUE_H

#include <stdbool.h>
#include <stdint.h>

#include <h2o/memory.h>

#include "model/catalogue.h"
#include "model/customer.h"
#include "store/db.h"

enum import_kind {
    IMPORT_CUSTOMERS,
    IMPORT_SUBSCRIPTIONS,
    IMPORT_PRODUCTS,
    IMPORT_CATEGORIES,
};

/* One JSON line of kind (an object of the model's fields; customers may nest "address" and
 * "categories", and give "customerNumber", "uniqueUserId", "personsSocialSecurityNumber"),
 * validated by the model's field tables and imported in the caller's transaction. False with
 * "<field>: <rule>" in err when refused; *db_failed says the store failed rather than the
 * line (then the transaction needs a rollback of the line's savepoint). */
bool store_import_line(struct db *db, enum import_kind kind, const char *partner, const char *line, size_t len,
                       h2o_mem_pool_t *pool, char *err, size_t errlen, bool *db_failed);

enum import_outcome {
    IMPORT_OK,
    IMPORT_REJECTED, /* *message says why (an existing customer number, an unknown product ...) */
};

/* A customer with its home address (has_home), category codes, and link to an existing user
 * (unique_user_id, optional). number 0 takes the next free number; *number receives it. */
enum db_status store_import_customer(struct db *db, const char *partner, const struct customer *c, const char *ssn,
                                     h2o_mem_pool_t *pool, int64_t *number, enum import_outcome *outcome,
                                     const char **message);
/* A product (created or replaced); its company is created for the partner when missing. */
enum db_status store_import_product(struct db *db, const char *partner, const struct product *p,
                                    h2o_mem_pool_t *pool, enum import_outcome *outcome, const char **message);
/* A subscription of a customer of the partner to one of the partner's products. */
enum db_status store_import_subscription(struct db *db, const char *partner, const struct subscription *s,
                                         h2o_mem_pool_t *pool, int64_t *id, enum import_outcome *outcome,
                                         const char **message);
/* A category type (code NULL) or code description of the partner's catalogue (replaced). */
enum db_status store_import_category(struct db *db, const char *partner, const char *type, const char *code,
                                     const char *description);
/* After a batch: the customer number counter moves past the numbers imported explicitly. */
enum db_status store_import_finish_batch(struct db *db);

#endif
