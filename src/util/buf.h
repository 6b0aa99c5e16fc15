/* buf.h — a growable byte buffer, used by the renderers (JSON, XML, metrics, logs).
 * Allocation failure aborts (as Redis's zmalloc does): a server that cannot allocate a
 * few kilobytes cannot answer anything sensible anyway. */
#ifndef CONNECTD_BUF_H
#define CONNECTD_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <string.h>

struct buf {
    char *data; /* always NUL-terminated once anything was appended */
    size_t len;
    size_t cap;
};

#define BUF_INIT {NULL, 0, 0}

/* The appenders are inline: the renderers call them once per token, and the common case is a
 * bounds check and a copy. buf_grow is the rare path. */
void buf_grow(struct buf *b, size_t need);

static inline void buf_reserve(struct buf *b, size_t extra)
{
    if (b->len + extra + 1 > b->cap)
        buf_grow(b, b->len + extra + 1);
}

static inline void buf_append(struct buf *b, const void *p, size_t n)
{
    buf_reserve(b, n);
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static inline void buf_puts(struct buf *b, const char *s)
{
    buf_append(b, s, strlen(s));
}

static inline void buf_putc(struct buf *b, char c)
{
    buf_reserve(b, 1);
    b->data[b->len++] = c;
    b->data[b->len] = '\0';
}

/* A decimal integer, without printf. */
void buf_put_int(struct buf *b, long long v);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap);
void buf_reset(struct buf *b); /* len = 0, keeps the memory */
void buf_free(struct buf *b);

/* xmalloc family: abort with a message on out-of-memory. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Copies src (NULL as "") into dst[cap], cutting it short if needed; always NUL-terminated.
 * For fixed fields whose sources are already bounded. */
void str_copy(char *dst, size_t cap, const char *src);

#endif
