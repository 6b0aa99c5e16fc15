/* crypto.c — random values, client-secret hashing and constant-time comparison (crypto.h).
 * Everything random comes from OpenSSL's CSPRNG (RAND_bytes); the only state kept is the SHA-256
 * implementation and one digest context per thread, so every function is safe to call from any
 * worker thread. The stored secret format is
 * "hs256$<32 hex salt>$<64 hex HMAC-SHA256(key = salt bytes, data = secret)>". */
#include "util/crypto.h"
#include "util/hex.h"

#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <string.h>

#define SALT_BYTES 16
#define MAC_BYTES 32
#define SECRET_BYTES 32
#define HASH_PREFIX "hs256$"
#define HASH_PREFIX_LEN (sizeof HASH_PREFIX - 1)
/* "hs256$" + salt hex + "$" + mac hex */
#define HASH_LEN (HASH_PREFIX_LEN + 2 * SALT_BYTES + 1 + 2 * MAC_BYTES)

bool random_bytes(void *p, size_t n)
{
    unsigned char *out = p;
    /* RAND_bytes takes an int length; loop so any size_t request is honoured. */
    while (n > 0) {
        int chunk = n > INT_MAX ? INT_MAX : (int)n;
        if (RAND_bytes(out, chunk) != 1)
            return false;
        out += chunk;
        n -= (size_t)chunk;
    }
    return true;
}

void hex_encode(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 0x0f];
    }
    out[2 * n] = '\0';
}

bool random_hex(char *out, size_t nbytes)
{
    unsigned char chunk[64];
    size_t done = 0;
    while (done < nbytes) {
        size_t n = nbytes - done < sizeof chunk ? nbytes - done : sizeof chunk;
        if (!random_bytes(chunk, n)) {
            OPENSSL_cleanse(chunk, sizeof chunk);
            return false;
        }
        hex_encode(chunk, n, out + 2 * done);
        done += n;
    }
    out[2 * nbytes] = '\0';
    OPENSSL_cleanse(chunk, sizeof chunk);
    return true;
}

bool uuid_v4(char out[37])
{
    unsigned char b[16];
    if (!random_bytes(b, sizeof b))
        return false;
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* variant 10xx (RFC 4122) */
    char hex[33];
    hex_encode(b, sizeof b, hex);
    /* 8-4-4-4-12 */
    memcpy(out, hex, 8);
    out[8] = '-';
    memcpy(out + 9, hex + 8, 4);
    out[13] = '-';
    memcpy(out + 14, hex + 12, 4);
    out[18] = '-';
    memcpy(out + 19, hex + 16, 4);
    out[23] = '-';
    memcpy(out + 24, hex + 20, 12);
    out[36] = '\0';
    return true;
}

bool secret_generate(char out[44])
{
    unsigned char raw[SECRET_BYTES];
    unsigned char b64[4 * ((SECRET_BYTES + 2) / 3) + 1]; /* 44 chars + NUL, one '=' pad */
    if (!random_bytes(raw, sizeof raw))
        return false;
    int n = EVP_EncodeBlock(b64, raw, sizeof raw);
    OPENSSL_cleanse(raw, sizeof raw);
    /* Standard base64 to the URL-safe alphabet, padding dropped: 32 bytes -> 43 chars. */
    int w = 0;
    for (int i = 0; i < n && b64[i] != '='; i++) {
        char c = (char)b64[i];
        out[w++] = c == '+' ? '-' : c == '/' ? '_' : c;
    }
    out[w] = '\0';
    OPENSSL_cleanse(b64, sizeof b64);
    return w == 43;
}

static bool hmac_secret(const unsigned char salt[SALT_BYTES], const char *secret, unsigned char mac[MAC_BYTES])
{
    unsigned int len = 0;
    if (HMAC(EVP_sha256(), salt, SALT_BYTES, (const unsigned char *)secret, strlen(secret), mac, &len) == NULL)
        return false;
    return len == MAC_BYTES;
}

bool secret_hash(const char *secret, char out[SECRET_HASH_MAX])
{
    unsigned char salt[SALT_BYTES], mac[MAC_BYTES];
    if (secret == NULL || !random_bytes(salt, sizeof salt) || !hmac_secret(salt, secret, mac))
        return false;
    memcpy(out, HASH_PREFIX, HASH_PREFIX_LEN);
    hex_encode(salt, sizeof salt, out + HASH_PREFIX_LEN);
    out[HASH_PREFIX_LEN + 2 * SALT_BYTES] = '$';
    hex_encode(mac, sizeof mac, out + HASH_PREFIX_LEN + 2 * SALT_BYTES + 1);
    OPENSSL_cleanse(mac, sizeof mac);
    return true;
}

/* Strict hex decoding: exactly 2n hex digits, nothing else. */
static bool hex_decode(const char *in, size_t n, unsigned char *out)
{
    for (size_t i = 0; i < n; i++) {
        int hi = hex_value(in[2 * i]), lo = hex_value(in[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return true;
}

bool secret_verify(const char *secret, const char *stored)
{
    if (secret == NULL || stored == NULL || strlen(stored) != HASH_LEN)
        return false;
    if (memcmp(stored, HASH_PREFIX, HASH_PREFIX_LEN) != 0 || stored[HASH_PREFIX_LEN + 2 * SALT_BYTES] != '$')
        return false;
    unsigned char salt[SALT_BYTES], want[MAC_BYTES], got[MAC_BYTES];
    if (!hex_decode(stored + HASH_PREFIX_LEN, SALT_BYTES, salt) ||
        !hex_decode(stored + HASH_PREFIX_LEN + 2 * SALT_BYTES + 1, MAC_BYTES, want))
        return false;
    if (!hmac_secret(salt, secret, got))
        return false;
    bool ok = CRYPTO_memcmp(got, want, MAC_BYTES) == 0;
    OPENSSL_cleanse(got, sizeof got);
    return ok;
}

bool ct_equal(const void *a, size_t alen, const void *b, size_t blen)
{
    if (alen != blen)
        return false;
    return alen == 0 || CRYPTO_memcmp(a, b, alen) == 0;
}

/* SHA256() looks the algorithm up in OpenSSL 3's provider tables and allocates a context on
 * every call, which cost more than the digest itself on the bearer path (every /capi request
 * hashes its token): the implementation is fetched once per process and each thread keeps one
 * context, freed when the thread ends. */
static EVP_MD *sha256_md;
static pthread_key_t sha256_ctx_key;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void free_ctx(void *ctx)
{
    EVP_MD_CTX_free(ctx);
}

static void fetch_sha256(void)
{
    sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
    if (pthread_key_create(&sha256_ctx_key, free_ctx) != 0) {
        EVP_MD_free(sha256_md);
        sha256_md = NULL;
    }
}

static EVP_MD_CTX *thread_ctx(void)
{
    EVP_MD_CTX *ctx = pthread_getspecific(sha256_ctx_key);
    if (ctx == NULL && (ctx = EVP_MD_CTX_new()) != NULL && pthread_setspecific(sha256_ctx_key, ctx) != 0) {
        EVP_MD_CTX_free(ctx);
        ctx = NULL;
    }
    return ctx;
}

void sha256(const void *data, size_t n, unsigned char out[32])
{
    pthread_once(&sha256_once, fetch_sha256);
    EVP_MD_CTX *ctx = sha256_md ? thread_ctx() : NULL;
    if (ctx == NULL || !EVP_DigestInit_ex2(ctx, sha256_md, NULL) || !EVP_DigestUpdate(ctx, data, n) ||
        !EVP_DigestFinal_ex(ctx, out, NULL))
        SHA256(data, n, out); /* out of memory: the slow path still answers */
}

void sha256_hex(const void *data, size_t n, char out[65])
{
    unsigned char md[32];
    sha256(data, n, md);
    hex_encode(md, sizeof md, out);
}
