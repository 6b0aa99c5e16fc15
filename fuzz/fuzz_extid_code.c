/* fuzz_extid_code.c — libFuzzer target for the extidCode verifier (src/oauth/extid_code.c,
 * identity.md §2): arbitrary text is offered as a code. Also signs a code for claims taken from
 * the input and checks it verifies, and that flipping any one of its bytes never yields a code
 * that verifies with different claims. The store is replaced by a fixed signing key. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oauth/extid_code.h"
#include "util/utf8.h"

#define CHECK(c)                                                                                  \
    do {                                                                                          \
        if (!(c)) {                                                                               \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #c);            \
            abort();                                                                              \
        }                                                                                         \
    } while (0)

/* The one store call the verifier makes. */
enum db_status store_server_secret(struct db *db, const char *name, char out[129])
{
    (void)db;
    (void)name;
    memset(out, 'k', 128);
    out[128] = '\0';
    return DB_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    struct extid_claims claims;
    enum extid_code_status st = extid_code_verify(NULL, text, &claims);
    CHECK(st == EXTID_CODE_VALID || st == EXTID_CODE_INVALID || st == EXTID_CODE_EXPIRED);
    if (st == EXTID_CODE_VALID)
        CHECK(strlen(claims.sub) > 0 && strlen(claims.aud) > 0 && strlen(claims.jti) > 0);

    /* Sign claims made of the input (NUL-free prefix, bounded, valid UTF-8 as every parsed
     * body field is), verify, then tamper. */
    char ext[61];
    size_t n = strnlen(text, 60);
    memcpy(ext, text, n);
    ext[n] = '\0';
    utf8_scrub(ext);
    if (n > 0) {
        char *code = extid_code_issue(NULL, "0123456789abcdef0123456789abcdef", "fuzz.client", ext, 'D', "AID:x");
        CHECK(code != NULL);
        CHECK(extid_code_verify(NULL, code, &claims) == EXTID_CODE_VALID);
        CHECK(strcmp(claims.aud, "fuzz.client") == 0);
        size_t len = strlen(code), at = (size_t)data[0] * 7 % len;
        code[at] = code[at] == 'A' ? 'B' : 'A';
        struct extid_claims tampered;
        if (extid_code_verify(NULL, code, &tampered) == EXTID_CODE_VALID)
            CHECK(strcmp(tampered.sub, claims.sub) == 0 && strcmp(tampered.aud, claims.aud) == 0 &&
                  strcmp(tampered.jti, claims.jti) == 0);
        free(code);
    }
    free(text);
    return 0;
}
