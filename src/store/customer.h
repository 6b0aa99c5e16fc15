/* customer.h — the store of Customer Data (customer.md): customer records, their address
 * history, category codes and external references, plus the import of customers. Every
 * function sees only the given partner's customers: another partner's customer is reported
 * exactly like one that does not exist (README §5.1). Writes are one transaction each and
 * append their event (events.md §6.1, detail.schema = the partner's schema) in it. Records
 * and lists are allocated from the caller's pool. */
#ifndef CONNECTD_STORE_CUSTOMER_H
#define CONNECTD_STORE_CUSTOMER_H

#include <stdbool.h>
#include <stdint.h>

#include <h2o/memory.h>

#include "model/customer.h"
#include "store/db.h"

/* ---- customers (customers.c) ---------------------------------------------------------------- */

/* The customer linked to a user for a partner (README §2, §5.3). */
enum db_status store_customer_of_user(struct db *db, const char *user_id, const char *partner, bool *found,
                                      int64_t *number);
/* The whole Customer (§1.3): fields, linked user, home address, category codes. A permanent
 * address change that is due takes effect first (ADDRESS_CHANGED "effective"). */
enum db_status store_customer_get(struct db *db, const char *partner, int64_t number, h2o_mem_pool_t *pool,
                                  bool *found, struct customer *out);

/* #10: a partial change. given/cleared have bit i set for CUSTOMER_FIELDS[i] given in the
 * request / sent as JSON null; given values are in values. */
struct customer_patch {
    struct customer values;
    uint32_t given, cleared;
};
enum customer_change_outcome {
    CUSTOMER_CHANGED_OK,
    CUSTOMER_CHANGE_NOT_FOUND,
    CUSTOMER_CHANGE_INVALID, /* the result breaks customer_rule_broken(): *message says how */
};
/* Applies the patch, emits CUSTOMER_CHANGED with the fields whose value changed (none: no
 * event), and gives the updated customer in out. */
enum db_status store_customer_change(struct db *db, const char *partner, int64_t number,
                                     const struct customer_patch *patch, h2o_mem_pool_t *pool,
                                     struct customer *out, enum customer_change_outcome *outcome,
                                     const char **message);

/* #11: criteria (NULL = not given; at least one anchor as the handler checked). */
struct customer_query {
    const char *email, *phone, *first_name, *last_name, *company_name, *postal_code, *street;
};
#define CUSTOMER_SEARCH_MAX 50
/* Matching customers (with their home addresses, no categories), by number, at most
 * CUSTOMER_SEARCH_MAX. */
enum db_status store_customer_search(struct db *db, const char *partner, const struct customer_query *q,
                                     h2o_mem_pool_t *pool, struct customer **out, size_t *n);

/* #12 */
struct customer_facts {
    int64_t number;
    const char *postal_code, *last_name, *email, *phone;
};
#define CUSTOMER_CHECK_FAILURES 10                 /* valid:false answers per number ... */
#define CUSTOMER_CHECK_WINDOW_MS (3600LL * 1000)   /* ... within this window, then 429 */
/* Whether the facts match a customer of the partner. When the number has had
 * CUSTOMER_CHECK_FAILURES failed checks in the window, nothing is checked: *retry_after_s > 0
 * says for how long to refuse. A false answer is counted. */
enum db_status store_customer_check(struct db *db, const char *partner, const struct customer_facts *f,
                                    bool *valid, int *retry_after_s);

/* ---- addresses (addresses.c) ----------------------------------------------------------------- */

#define ADDRESS_HISTORY_MS (730LL * 24 * 3600 * 1000) /* historical addresses shown: 2 years */

struct address_list {
    size_t n;
    struct address *items;
};

/* #2-#5: with product NULL, the home address, current and future changes and the historical
 * addresses of the last 2 years; with a product, the home address, the pending permanent
 * change and the temporary changes for that product. Sorted by kind, then start. */
enum db_status store_address_list(struct db *db, const char *partner, int64_t customer, const char *product,
                                  h2o_mem_pool_t *pool, bool *found, struct address_list *out);

enum address_change_type {
    CHANGE_UPDATE,
    CHANGE_DELETE,
    CHANGE_CREATE,
    CHANGE_CREATE_PERMANENT,
};

/* #1, validated by the handler as far as the request alone allows. */
struct address_change {
    enum address_change_type type;
    struct str_array products; /* the product codes ("product" split at commas) */
    struct opt_int id;
    struct address data;       /* the address fields given */
    bool has_data;
    bool has_period;
    struct opt_int start, end; /* period.startTime / period.endTime */
    int64_t today;             /* start of today in the business time zone (rules 3, 6) */
};

enum address_outcome {
    ADDRESS_OK,
    ADDRESS_CUSTOMER_NOT_FOUND,
    ADDRESS_ID_NOT_FOUND,   /* NotFoundException */
    ADDRESS_NOT_SUBSCRIBED, /* NotFoundException: a product that is no active subscription */
    ADDRESS_ILLEGAL_STATE,  /* IllegalStateException */
    ADDRESS_INVALID,        /* ValidationException */
};

/* Applies the change (rules 1-8) and emits ADDRESS_CHANGED (rule 9); out is then the list of
 * #2. On another outcome nothing changed and *message explains it. */
enum db_status store_address_change(struct db *db, const char *partner, int64_t customer,
                                    const struct address_change *c, h2o_mem_pool_t *pool,
                                    enum address_outcome *outcome, const char **message, struct address_list *out);

/* In a transaction: makes a due permanent change of the customer the home address (the old
 * one turns historical) and emits ADDRESS_CHANGED "effective". */
enum db_status store_address_settle_customer(struct db *db, int64_t customer, int64_t now);
/* Settles every customer whose permanent change is due (the periodic job), at most limit;
 * *settled counts them. Safe to run on several nodes at once. */
enum db_status store_address_settle_due(struct db *db, int64_t now, int limit, int *settled);

/* ---- categories and external references (customer_refs.c) ---------------------------------- */

/* #6: the distinct category types of the customer's codes, with the type's description. */
enum db_status store_category_types(struct db *db, const char *partner, int64_t customer, h2o_mem_pool_t *pool,
                                    bool *found, struct category_item **out, size_t *n);
/* #7, #8 (type NULL = all): the customer's codes with the code's description. */
enum db_status store_category_codes(struct db *db, const char *partner, int64_t customer, const char *type,
                                    h2o_mem_pool_t *pool, bool *found, struct category_item **out, size_t *n);

struct external_reference {
    const char *code, *external_id;
};
/* #16, sorted by referenceCode. */
enum db_status store_reference_list(struct db *db, const char *partner, int64_t customer, h2o_mem_pool_t *pool,
                                    bool *found, struct external_reference **out, size_t *n);
enum reference_op {
    REFERENCE_REGISTER, /* #17: success when there was none with the code */
    REFERENCE_CHANGE,   /* #15: success when there was one */
    REFERENCE_REMOVE,   /* #14: success when there was one */
};
/* One of #14, #15, #17; *success as the endpoint answers it, with its event when true. */
enum db_status store_reference_write(struct db *db, const char *partner, int64_t customer, enum reference_op op,
                                     const char *code, const char *external_id, bool *found, bool *success);

#endif
