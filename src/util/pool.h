/* pool.h — allocation from a per-request arena (h2o's memory pool): everything a request, an
 * import line or a store read needs lives until the pool is cleared, with no free bookkeeping.
 * h2o 2.2's pool hands out unaligned memory, so anything holding pointers or integers goes
 * through pool_alloc, which aligns. */
#ifndef CONNECTD_POOL_H
#define CONNECTD_POOL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <h2o/memory.h>

static inline void *pool_alloc(h2o_mem_pool_t *pool, size_t size)
{
    const size_t align = _Alignof(max_align_t);
    uintptr_t p = (uintptr_t)h2o_mem_alloc_pool(pool, size + align - 1);
    return (void *)((p + align - 1) & ~(uintptr_t)(align - 1));
}

/* Room for one more item in a pool array of *n items of size bytes (capacity *cap): returns
 * the array, moved to a larger block when it was full, with *n items kept. The caller then
 * writes item (*n)++. */
static inline void *pool_grow(h2o_mem_pool_t *pool, void *items, size_t n, size_t *cap, size_t size)
{
    if (n < *cap)
        return items;
    *cap = *cap ? *cap * 2 : 8;
    void *grown = pool_alloc(pool, *cap * size);
    if (n)
        memcpy(grown, items, n * size);
    return grown;
}

static inline char *pool_strndup(h2o_mem_pool_t *pool, const char *s, size_t len)
{
    char *p = h2o_mem_alloc_pool(pool, len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

static inline char *pool_strdup(h2o_mem_pool_t *pool, const char *s)
{
    return pool_strndup(pool, s, strlen(s));
}

#endif
