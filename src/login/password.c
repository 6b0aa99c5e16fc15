/* password.c — Argon2id password hashing for the login pages, over libargon2.
 * Stored strings are parsed here before libargon2 sees them, so a malformed or hostile value
 * (say m=4000000000) is refused cheaply instead of allocating; only then does argon2id_verify
 * recompute and compare in constant time. The dummy verification performs the same work
 * (one Argon2id at the given costs plus a constant-time compare) against nothing. */
#include "login/password.h"

#include <argon2.h>
#include <string.h>

#include "util/crypto.h"

#define SALT_BYTES 16
#define TAG_BYTES 32

/* What a stored string may ask of us; beyond this it is refused, not computed. */
#define T_COST_MAX 64
#define M_COST_MAX_KIB (1024u * 1024u) /* 1 GiB */
#define PARALLELISM_MAX 16

struct phc {
    struct password_params params;
    size_t salt_b64, tag_b64; /* lengths of the two base64 fields */
};

static bool params_valid(const struct password_params *p)
{
    return p->t_cost >= 1 && p->t_cost <= T_COST_MAX && p->parallelism >= 1 &&
           p->parallelism <= PARALLELISM_MAX && p->m_cost_kib >= 8 * p->parallelism &&
           p->m_cost_kib <= M_COST_MAX_KIB;
}

/* "key=<decimal>" at *s, no sign, no leading zero; advances *s past the digits. */
static bool parse_kv(const char **s, const char *key, uint32_t *out)
{
    size_t kl = strlen(key);
    if (strncmp(*s, key, kl) != 0)
        return false;
    const char *c = *s + kl;
    if (*c < '0' || *c > '9' || (c[0] == '0' && c[1] >= '0' && c[1] <= '9'))
        return false;
    uint64_t v = 0;
    while (*c >= '0' && *c <= '9') {
        v = v * 10 + (uint64_t)(*c - '0');
        if (v > UINT32_MAX)
            return false;
        c++;
    }
    *out = (uint32_t)v;
    *s = c;
    return true;
}

/* Unpadded standard base64 ending at '$' or NUL; returns its length, 0 if not base64. */
static size_t b64_span(const char *s)
{
    size_t n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");
    return n % 4 == 1 ? 0 : n;
}

/* "$argon2id$v=19$m=M,t=T,p=P$<salt>$<tag>", with sane costs and lengths. */
static bool phc_parse(const char *s, struct phc *out)
{
    if (!s || strncmp(s, "$argon2id$", 10) != 0)
        return false;
    s += 10;
    uint32_t version;
    if (!parse_kv(&s, "v=", &version) || version != ARGON2_VERSION_13 || *s++ != '$')
        return false;
    struct password_params *p = &out->params;
    if (!parse_kv(&s, "m=", &p->m_cost_kib) || *s++ != ',' || !parse_kv(&s, "t=", &p->t_cost) ||
        *s++ != ',' || !parse_kv(&s, "p=", &p->parallelism) || *s++ != '$')
        return false;
    if (!params_valid(p))
        return false;
    out->salt_b64 = b64_span(s);
    if (out->salt_b64 < 11 || out->salt_b64 > 64 || s[out->salt_b64] != '$') /* 8..48 bytes */
        return false;
    s += out->salt_b64 + 1;
    out->tag_b64 = b64_span(s);
    if (out->tag_b64 < 22 || out->tag_b64 > 86 || s[out->tag_b64] != '\0') /* 16..64 bytes */
        return false;
    return true;
}

bool password_hash(const char *password, const struct password_params *p, char *out, size_t cap)
{
    struct password_params def = PASSWORD_PARAMS_DEFAULT;
    if (!p)
        p = &def;
    if (cap > 0)
        out[0] = '\0';
    if (!password || !params_valid(p) ||
        cap < argon2_encodedlen(p->t_cost, p->m_cost_kib, p->parallelism, SALT_BYTES, TAG_BYTES,
                                Argon2_id))
        return false;
    unsigned char salt[SALT_BYTES];
    if (!random_bytes(salt, sizeof salt))
        return false;
    int rc = argon2id_hash_encoded(p->t_cost, p->m_cost_kib, p->parallelism, password,
                                   strlen(password), salt, sizeof salt, TAG_BYTES, out, cap);
    if (rc != ARGON2_OK) {
        out[0] = '\0';
        return false;
    }
    return true;
}

bool password_verify(const char *password, const char *encoded)
{
    struct phc phc;
    if (!password || !phc_parse(encoded, &phc))
        return false;
    return argon2id_verify(encoded, password, strlen(password)) == ARGON2_OK;
}

bool password_needs_rehash(const char *encoded, const struct password_params *p)
{
    struct password_params def = PASSWORD_PARAMS_DEFAULT;
    if (!p)
        p = &def;
    struct phc phc;
    if (!phc_parse(encoded, &phc))
        return true;
    const struct password_params *s = &phc.params;
    return s->t_cost < p->t_cost || s->m_cost_kib < p->m_cost_kib ||
           s->parallelism < p->parallelism || phc.salt_b64 < 22 /* < 16 bytes */ ||
           phc.tag_b64 < 43 /* < 32 bytes */;
}

void password_dummy_verify(const char *password, const struct password_params *p)
{
    /* A fixed salt and an expected tag that no computation is meant to equal: the point is
     * the work, which is what argon2id_verify does (one hash at these costs, then compare). */
    static const unsigned char salt[SALT_BYTES] = "connectd-dummy!";
    static const unsigned char expected[TAG_BYTES];
    struct password_params def = PASSWORD_PARAMS_DEFAULT;
    if (!p || !params_valid(p))
        p = &def;
    if (!password)
        password = "";
    unsigned char tag[TAG_BYTES];
    if (argon2id_hash_raw(p->t_cost, p->m_cost_kib, p->parallelism, password, strlen(password),
                          salt, sizeof salt, tag, sizeof tag) == ARGON2_OK)
        (void)ct_equal(tag, sizeof tag, expected, sizeof expected);
}

/* Decodes one UTF-8 code point at s (strict: no overlongs, surrogates or > U+10FFFF);
 * returns its byte length, 0 if invalid. */
static size_t utf8_next(const unsigned char *s, uint32_t *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    size_t n;
    uint32_t min;
    if ((s[0] & 0xe0) == 0xc0) {
        n = 2, min = 0x80, *cp = s[0] & 0x1f;
    } else if ((s[0] & 0xf0) == 0xe0) {
        n = 3, min = 0x800, *cp = s[0] & 0x0f;
    } else if ((s[0] & 0xf8) == 0xf0) {
        n = 4, min = 0x10000, *cp = s[0] & 0x07;
    } else {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) /* also stops at the NUL */
            return 0;
        *cp = (*cp << 6) | (s[i] & 0x3f);
    }
    if (*cp < min || *cp > 0x10ffff || (*cp >= 0xd800 && *cp <= 0xdfff))
        return 0;
    return n;
}

static bool is_space_cp(uint32_t c)
{
    return c == ' ' || c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 ||
           c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000 || c == 0xfeff;
}

static bool is_control_cp(uint32_t c)
{
    return c < 0x20 || (c >= 0x7f && c <= 0x9f);
}

bool password_acceptable(const char *password, const char **why)
{
    const char *dummy;
    if (!why)
        why = &dummy;
    *why = NULL;
    if (!password)
        password = "";
    const unsigned char *s = (const unsigned char *)password;
    size_t chars = 0;
    bool only_space = true;
    while (*s) {
        uint32_t cp;
        size_t n = utf8_next(s, &cp);
        if (n == 0) {
            *why = "The password contains invalid characters.";
            return false;
        }
        if (is_control_cp(cp)) {
            *why = "The password must not contain control characters.";
            return false;
        }
        if (!is_space_cp(cp))
            only_space = false;
        chars++;
        s += n;
    }
    if (chars < PASSWORD_MIN_CHARS) {
        *why = "The password must be at least 8 characters long.";
        return false;
    }
    if (chars > PASSWORD_MAX_CHARS) {
        *why = "The password must be at most 128 characters long.";
        return false;
    }
    if (only_space) {
        *why = "The password must not consist of spaces only.";
        return false;
    }
    return true;
}
