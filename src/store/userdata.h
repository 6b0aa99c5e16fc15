/* userdata.h — the store of User Data (customer.md §7-§9): metadata per (client, user), the
 * credential check, and what the profiles show (credentials, the linked customer of the
 * caller's partner, external-provider profiles). Writes append their ConnectID event
 * (events.md §6.2) in the same transaction. */
#ifndef CONNECTD_STORE_USERDATA_H
#define CONNECTD_STORE_USERDATA_H

#include <stdbool.h>
#include <stdint.h>

#include <h2o/memory.h>

#include "model/customer.h"
#include "store/db.h"

/* ---- metadata (§8) -------------------------------------------------------------------------- */

/* The stored object's JSON text (NULL when nothing is stored). *user_found false for an
 * unknown user (nothing else is looked at then). */
enum db_status store_metadata_get(struct db *db, const char *client_id, const char *user_id, h2o_mem_pool_t *pool,
                                  bool *user_found, const char **text);
/* Replaces the object; METADATA_CHANGED when the stored text changed. */
enum db_status store_metadata_put(struct db *db, const char *client_id, const char *partner, const char *user_id,
                                  const char *text, bool *user_found);
/* Deletes it; *old is what was stored (NULL: nothing, and no METADATA_REMOVED). */
enum db_status store_metadata_delete(struct db *db, const char *client_id, const char *partner,
                                     const char *user_id, h2o_mem_pool_t *pool, bool *user_found, const char **old);

/* ---- credentials and profiles (§7, §9) --------------------------------------------------------- */

struct credential_item {
    const char *credential;
    char type; /* 'A' e-mail, 'B' phone, 'D'..'Z' external */
};

/* #118: who has the credential (scope '', i.e. e-mail and phone). *visible says whether the
 * user is linked to a customer of the partner or was created through one of its clients. */
struct credential_owner {
    bool exists, visible, active;
    char unique_id[33];
};
enum db_status store_credential_owner(struct db *db, const char *partner, const char *credential,
                                      struct credential_owner *out);

struct external_profile {
    const char *source, *info; /* info: the provider's data as stored JSON object text */
};

struct user_profile {
    int64_t user_number;      /* C1 userId: assigned when first asked for, then never changed */
    size_t ncredentials;      /* in the order they were added; X credentials of other partners left out */
    struct credential_item *credentials;
    bool has_customer;        /* the user's customer of the partner */
    struct customer customer;
    size_t nexternal;         /* by creation */
    struct external_profile *external;
};
/* Everything the profile replies show. with_number: assign the userId if the user has none. */
enum db_status store_user_profile(struct db *db, const char *user_id, const char *partner, bool with_number,
                                  h2o_mem_pool_t *pool, bool *found, struct user_profile *out);

#endif
