/* buf.h — a growable byte buffer, used by the renderers (JSON, XML, metrics, logs).
 * Allocation failure aborts (as Redis's zmalloc does): a server that cannot allocate a
 * few kilobytes cannot answer anything sensible anyway. */
#ifndef CONNECTD_BUF_H
#define CONNECTD_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
    char *data; /* always NUL-terminated once anything was appended */
    size_t len;
    size_t cap;
};

#define BUF_INIT {NULL, 0, 0}

void buf_reserve(struct buf *b, size_t extra);
void buf_append(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
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
