/* crypto.h — the few primitives the server needs, over OpenSSL libcrypto.
 * Client secrets are high-entropy random strings, so a fast keyed hash (HMAC-SHA256 with a
 * per-secret random salt as key) is the right tool: a slow password hash would cap token
 * throughput without adding anything. Comparisons of secrets are constant-time. */
#ifndef CONNECTD_CRYPTO_H
#define CONNECTD_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Fills p with n cryptographically random bytes; false if the RNG failed. */
bool random_bytes(void *p, size_t n);
/* n random bytes as 2n lowercase hex characters + NUL into out. */
bool random_hex(char *out, size_t nbytes);
/* A random version-4 UUID, "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx" (37 bytes with NUL). */
bool uuid_v4(char out[37]);
/* A new client secret: 32 random bytes, URL-safe base64 without padding (43 chars + NUL). */
bool secret_generate(char out[44]);

#define SECRET_HASH_MAX 128
/* "hs256$<salt hex>$<hmac hex>" into out. */
bool secret_hash(const char *secret, char out[SECRET_HASH_MAX]);
/* Constant-time check of a secret against a stored hash. */
bool secret_verify(const char *secret, const char *stored);

/* Constant-time equality of two byte strings (length leaks, content does not). */
bool ct_equal(const void *a, size_t alen, const void *b, size_t blen);

void hex_encode(const unsigned char *in, size_t n, char *out); /* 2n chars + NUL */

/* SHA-256 of data (32 bytes). */
void sha256(const void *data, size_t n, unsigned char out[32]);

/* SHA-256 of data as 64 lowercase hex characters + NUL (how tokens are stored and looked up). */
void sha256_hex(const void *data, size_t n, char out[65]);

#endif
