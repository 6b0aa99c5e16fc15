/* extid_code.c — issuing and verifying extidCodes with libjwt (see extid_code.h).
 * The signing key is read from the store once per process and kept: it never changes after
 * the first process created it. Verification insists on HS512 whatever the header claims,
 * so a token signed with another algorithm (or none) is never accepted. */
#include "oauth/extid_code.h"

#include <jwt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/date.h"
#include "util/crypto.h"
#include "util/log.h"

static pthread_mutex_t key_lock = PTHREAD_MUTEX_INITIALIZER;
static char key[129];
static bool key_loaded;

static bool signing_key(struct db *db, const unsigned char **k, size_t *len)
{
    pthread_mutex_lock(&key_lock);
    if (!key_loaded && store_server_secret(db, "extid_signing_key", key) == DB_OK)
        key_loaded = true;
    pthread_mutex_unlock(&key_lock);
    *k = (const unsigned char *)key;
    *len = strlen(key);
    return key_loaded;
}

char *extid_code_issue(struct db *db, const char *unique_id, const char *client_id, const char *external_id,
                       char credential_type, const char *credential)
{
    const unsigned char *k;
    size_t klen;
    char jti[33], ct[128];
    jwt_t *jwt = NULL;
    char *out = NULL;
    if (!signing_key(db, &k, &klen) || !random_hex(jti, 16) || jwt_new(&jwt) != 0)
        return NULL;
    long iat = (long)(date_now_ms() / 1000);
    snprintf(ct, sizeof ct, "%c_%s", credential_type, credential);
    if (jwt_add_grant(jwt, "ct", ct) == 0 && jwt_add_grant(jwt, "sub", unique_id) == 0 &&
        jwt_add_grant(jwt, "aud", client_id) == 0 && jwt_add_grant(jwt, "ext", external_id) == 0 &&
        jwt_add_grant_int(jwt, "iat", iat) == 0 && jwt_add_grant_int(jwt, "exp", iat + EXTID_CODE_TTL_S) == 0 &&
        jwt_add_grant(jwt, "jti", jti) == 0 && jwt_set_alg(jwt, JWT_ALG_HS512, k, (int)klen) == 0)
        out = jwt_encode_str(jwt);
    jwt_free(jwt);
    return out;
}

static bool copy_claim(jwt_t *jwt, const char *name, char *out, size_t cap)
{
    const char *v = jwt_get_grant(jwt, name);
    if (v == NULL || strlen(v) == 0 || strlen(v) >= cap)
        return false;
    memcpy(out, v, strlen(v) + 1);
    return true;
}

enum extid_code_status extid_code_verify(struct db *db, const char *code, struct extid_claims *out)
{
    const unsigned char *k;
    size_t klen;
    jwt_t *jwt = NULL;
    if (strlen(code) > EXTID_CODE_MAX)
        return EXTID_CODE_INVALID;
    if (!signing_key(db, &k, &klen))
        return EXTID_CODE_ERROR;
    if (jwt_decode(&jwt, code, k, (int)klen) != 0 || jwt == NULL)
        return EXTID_CODE_INVALID;
    enum extid_code_status st = EXTID_CODE_INVALID;
    memset(out, 0, sizeof *out);
    if (jwt_get_alg(jwt) == JWT_ALG_HS512 && copy_claim(jwt, "sub", out->sub, sizeof out->sub) &&
        copy_claim(jwt, "aud", out->aud, sizeof out->aud) && copy_claim(jwt, "jti", out->jti, sizeof out->jti)) {
        out->exp = jwt_get_grant_int(jwt, "exp");
        st = out->exp > date_now_ms() / 1000 ? EXTID_CODE_VALID : EXTID_CODE_EXPIRED;
    }
    jwt_free(jwt);
    return st;
}
