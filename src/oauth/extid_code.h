/* extid_code.h — the extidCode of identity.md §2: a compact JWS, HS512 with the installation's
 * signing key (store_server_secret "extid_signing_key", shared by every process on the
 * database), claims sub (uniqueId), aud (client id), ext (externalId), ct
 * ("<type>_<credential>"), iat, exp (iat + 600) and jti (128-bit hex). Signed and verified
 * with libjwt; single use is enforced by the store (store_code_use) at exchange time. */
#ifndef CONNECTD_EXTID_CODE_H
#define CONNECTD_EXTID_CODE_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

#define EXTID_CODE_TTL_S 600
#define EXTID_CODE_MAX 2048 /* longer input is not one of ours */

struct extid_claims {
    char sub[UNIQUE_ID_LEN + 1];
    char aud[CLIENT_ID_MAX + 1];
    char jti[33];
    int64_t exp; /* epoch seconds */
};

/* A fresh code (malloc'd, free with free()); NULL when the key or the RNG failed. */
char *extid_code_issue(struct db *db, const char *unique_id, const char *client_id, const char *external_id,
                       char credential_type, const char *credential);

enum extid_code_status {
    EXTID_CODE_VALID,
    EXTID_CODE_INVALID, /* malformed, bad signature, wrong algorithm, missing claims */
    EXTID_CODE_EXPIRED,
    EXTID_CODE_ERROR,   /* the key could not be read */
};

/* Checks signature, algorithm and expiry, and fills the claims. */
enum extid_code_status extid_code_verify(struct db *db, const char *code, struct extid_claims *out);

#endif
