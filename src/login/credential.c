/* credential.c — normalising login identifiers (e-mail, mobile) to their stored form.
 * Deliberately stricter than RFC 5321: the goal is to catch typos before a lookup or a code
 * is sent, and an address we refuse here can still be registered by a partner over the API. */
#include "login/credential.h"

#include <stdbool.h>
#include <string.h>

static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alnum(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Local part: atext of RFC 5322 plus dots, dots not first, last or doubled. */
static bool email_local_ok(const char *s, size_t n)
{
    if (n == 0 || n > 64 || s[0] == '.' || s[n - 1] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '.' ? s[i + 1] == '.' : !(is_alnum(c) || strchr("!#$%&'*+/=?^_`{|}~-", c)))
            return false;
    }
    return true;
}

/* Domain: two or more labels of [A-Za-z0-9-], each 1..63, not starting or ending with '-';
 * the last label not all digits (that would be an IP address or a typo). */
static bool email_domain_ok(const char *s, size_t n)
{
    size_t labels = 0, i = 0;
    bool all_digits = false;
    while (i <= n) {
        size_t start = i;
        all_digits = true;
        while (i < n && s[i] != '.') {
            if (!is_alnum(s[i]) && s[i] != '-')
                return false;
            if (!is_digit(s[i]))
                all_digits = false;
            i++;
        }
        size_t len = i - start;
        if (len == 0 || len > 63 || s[start] == '-' || s[i - 1] == '-')
            return false;
        labels++;
        i++; /* past the dot, or past the end */
    }
    return labels >= 2 && !all_digits;
}

static enum credential_kind email_normalize(const char *s, size_t n, char *out, size_t cap)
{
    const char *at = memchr(s, '@', n);
    if (n > CREDENTIAL_MAX || n + 1 > cap || memchr(at + 1, '@', n - (size_t)(at + 1 - s)))
        return CREDENTIAL_INVALID;
    size_t local = (size_t)(at - s);
    if (!email_local_ok(s, local) || !email_domain_ok(at + 1, n - local - 1))
        return CREDENTIAL_INVALID;
    for (size_t i = 0; i < n; i++)
        out[i] = lower(s[i]);
    out[n] = '\0';
    return CREDENTIAL_EMAIL;
}

static enum credential_kind phone_normalize(const char *s, size_t n, char *out, size_t cap)
{
    char digits[CREDENTIAL_BUF];
    size_t nd = 0;
    bool plus = false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '+' && i == 0) {
            plus = true;
        } else if (is_digit(c)) {
            if (nd + 1 >= sizeof digits)
                return CREDENTIAL_INVALID;
            digits[nd++] = c;
        } else if (!(c == ' ' || c == '-' || c == '.' || c == '(' || c == ')')) {
            return CREDENTIAL_INVALID; /* letters, a second '+', tabs inside, ... */
        }
    }
    digits[nd] = '\0';
    const char *national = digits;
    const char *country = "";
    if (!plus) {
        if (nd >= 2 && digits[0] == '0' && digits[1] == '0') {
            national += 2;
        } else if (nd == 8) {
            country = "47"; /* Norway: see credential.h */
        } else {
            return CREDENTIAL_INVALID;
        }
    }
    size_t total = strlen(country) + strlen(national);
    const char *first = *country ? country : national;
    if (total < 8 || total > 15 || first[0] == '0' || total + 2 > cap)
        return CREDENTIAL_INVALID;
    out[0] = '+';
    strcpy(out + 1, country);
    strcat(out, national);
    return CREDENTIAL_PHONE;
}

enum credential_kind credential_normalize(const char *input, char *out, size_t cap)
{
    if (!out || cap == 0)
        return CREDENTIAL_INVALID;
    out[0] = '\0';
    if (!input)
        return CREDENTIAL_INVALID;
    while (is_ws(*input))
        input++;
    size_t n = strlen(input);
    while (n > 0 && is_ws(input[n - 1]))
        n--;
    if (n == 0)
        return CREDENTIAL_INVALID;
    enum credential_kind k = memchr(input, '@', n) ? email_normalize(input, n, out, cap)
                                                   : phone_normalize(input, n, out, cap);
    if (k == CREDENTIAL_INVALID)
        out[0] = '\0';
    return k;
}

char credential_type_code(enum credential_kind kind)
{
    switch (kind) {
    case CREDENTIAL_EMAIL:
        return 'A';
    case CREDENTIAL_PHONE:
        return 'B';
    default:
        return '\0';
    }
}
