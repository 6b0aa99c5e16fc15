/* utf8.c — scrubbing echoed text (see utf8.h). */
#include "util/utf8.h"

#include <stdbool.h>
#include <string.h>

/* Length of the valid UTF-8 sequence starting at s, or 0. Overlong forms, surrogates and
 * code points above U+10FFFF are invalid. */
static size_t sequence_len(const unsigned char *s)
{
    if (s[0] < 0x80)
        return 1;
    size_t n = (s[0] & 0xE0) == 0xC0 ? 2 : (s[0] & 0xF0) == 0xE0 ? 3 : (s[0] & 0xF8) == 0xF0 ? 4 : 0;
    if (n == 0 || (n == 2 && s[0] < 0xC2))
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    if (n == 3 && ((s[0] == 0xE0 && s[1] < 0xA0) || (s[0] == 0xED && s[1] >= 0xA0)))
        return 0;
    if (n == 4 && ((s[0] == 0xF0 && s[1] < 0x90) || s[0] > 0xF4 || (s[0] == 0xF4 && s[1] >= 0x90)))
        return 0;
    return n;
}

void utf8_scrub(char *s)
{
    unsigned char *p = (unsigned char *)s;
    while (*p) {
        size_t n = sequence_len(p);
        if (n == 0 || (n == 1 && (*p < 0x20 || *p == 0x7f))) {
            *p++ = '?';
            continue;
        }
        p += n;
    }
}

void text_prefix(const char *s, size_t n, char *out, size_t cap)
{
    size_t i = 0;
    for (; i < n && i + 1 < cap && s[i]; i++) {
        unsigned char c = (unsigned char)s[i];
        out[i] = c >= 0x20 && c < 0x7f && c != '"' && c != '\\' ? (char)c : '?';
    }
    out[i < cap ? i : cap - 1] = '\0';
}

/* The next code point of s (advancing *i); U+FFFD for a broken sequence. */
static unsigned next_code_point(const unsigned char *s, size_t len, size_t *i)
{
    unsigned char c = s[*i];
    size_t n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
    if (*i + n > len || (n > 1 && sequence_len(s + *i) != n)) {
        (*i)++;
        return 0xFFFD;
    }
    unsigned cp = n == 1 ? c : c & (0x3F >> (n - 1));
    for (size_t k = 1; k < n; k++)
        cp = cp << 6 | (s[*i + k] & 0x3F);
    *i += n;
    return cp;
}

/* Simple case folding for the scripts customer names are written in here: Latin (ASCII,
 * Latin-1 with Æ Ø Å, Latin Extended-A), Greek and Cyrillic. */
static unsigned fold(unsigned cp)
{
    if ((cp >= 'A' && cp <= 'Z') || (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7))
        return cp + 0x20;
    if (cp >= 0x100 && cp <= 0x17F && cp != 0x130 && cp != 0x131 && cp != 0x138 && cp != 0x149 && cp != 0x178 &&
        cp != 0x17F) {
        bool odd_upper = (cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E);
        if (odd_upper ? (cp & 1) : !(cp & 1))
            return cp + 1;
        return cp;
    }
    if (cp == 0x178)
        return 0xFF;
    if ((cp >= 0x391 && cp <= 0x3A9 && cp != 0x3A2) || (cp >= 0x410 && cp <= 0x42F))
        return cp + 0x20;
    if (cp >= 0x400 && cp <= 0x40F)
        return cp + 0x50;
    return cp;
}

bool utf8_casefold_equal(const char *a, const char *b)
{
    const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;
    size_t i = 0, j = 0, nx = strlen(a), ny = strlen(b);
    while (i < nx && j < ny)
        if (fold(next_code_point(x, nx, &i)) != fold(next_code_point(y, ny, &j)))
            return false;
    return i == nx && j == ny;
}
