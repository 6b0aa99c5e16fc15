/* credential.c — normalising login identifiers (e-mail, mobile) to their stored form.
 * Deliberately stricter than RFC 5321: the goal is to catch typos before a lookup or a code
 * is sent, and an address we refuse here can still be registered by a partner over the API. */
#include "login/credential.h"

#include <stdbool.h>
#include <string.h>

#include "util/syntax.h"

static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static enum credential_kind email_normalize(const char *s, size_t n, char *out, size_t cap)
{
    if (n > CREDENTIAL_MAX || n + 1 > cap || !email_syntax_ok(s, n))
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
