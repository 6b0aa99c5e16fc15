/* hex.h — the value of one hexadecimal digit, shared by the URL decoder and the secret-hash
 * parser (both must refuse anything that is not a hex digit). */
#ifndef CONNECTD_HEX_H
#define CONNECTD_HEX_H

/* 0..15, or -1 for a character that is not a hex digit. */
static inline int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

#endif
