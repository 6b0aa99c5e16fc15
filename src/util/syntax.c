/* syntax.c — e-mail and E.164 shapes (see syntax.h). */
#include "util/syntax.h"

#include <string.h>

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alnum(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Local part: atext of RFC 5322 plus dots, dots not first, last or doubled. */
static bool email_local_ok(const char *s, size_t n)
{
    if (n == 0 || n > 64 || s[0] == '.' || s[n - 1] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '.' ? i + 1 < n && s[i + 1] == '.' : !(is_alnum(c) || (c && strchr("!#$%&'*+/=?^_`{|}~-", c))))
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

bool email_syntax_ok(const char *s, size_t n)
{
    const char *at = memchr(s, '@', n);
    if (at == NULL || memchr(at + 1, '@', n - (size_t)(at + 1 - s)))
        return false;
    size_t local = (size_t)(at - s);
    return email_local_ok(s, local) && email_domain_ok(at + 1, n - local - 1);
}

bool e164_ok(const char *s, size_t n)
{
    if (n < 9 || n > 16 || s[0] != '+' || s[1] == '0')
        return false;
    for (size_t i = 1; i < n; i++)
        if (!is_digit(s[i]))
            return false;
    return true;
}
