/* json_alloc.c — the allocator jansson uses in connectd (json.h: json_alloc_init).
 * A reply is a tree of some sixty small blocks (values, object slots, strings) made and freed
 * together. Freed in a burst, they overflow glibc's per-thread cache (seven blocks per size),
 * so most frees took malloc's slow path. Here each thread keeps its own lists of freed blocks
 * by 16-byte size class, up to BLOCKS_KEPT each, and hands them out again.
 * Every block is an ordinary malloc block, classed by malloc_usable_size when it is freed: so
 * whatever jansson hands out may still be released with free (libjwt does that with
 * json_dumps's text), and a block freed on another thread simply joins that thread's lists.
 * Under AddressSanitizer jansson keeps plain malloc, so the sanitizer sees every block. */
#include "codec/json.h"

#if !defined(__SANITIZE_ADDRESS__)
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>

#define CLASS_BYTES 16
#define CLASSES 16 /* blocks of up to 256 bytes are kept */
#define BLOCKS_KEPT 1024

struct free_block {
    struct free_block *next;
};

/* head[c]: blocks whose usable size is at least c * CLASS_BYTES. */
struct kept {
    struct free_block *head[CLASSES + 1];
    unsigned count[CLASSES + 1];
};

static _Thread_local struct kept kept;
static pthread_key_t kept_key;

static void *json_block_alloc(size_t n)
{
    size_t cls = n <= CLASS_BYTES ? 1 : (n + CLASS_BYTES - 1) / CLASS_BYTES;
    if (cls > CLASSES)
        return malloc(n);
    struct free_block *b = kept.head[cls];
    if (b) {
        kept.head[cls] = b->next;
        kept.count[cls]--;
        return b;
    }
    /* The thread's lists go back to malloc when it exits (release_kept). */
    if (pthread_getspecific(kept_key) == NULL)
        pthread_setspecific(kept_key, &kept);
    return malloc(cls * CLASS_BYTES);
}

static void json_block_free(void *p)
{
    if (p == NULL)
        return;
    size_t cls = malloc_usable_size(p) / CLASS_BYTES;
    if (cls == 0 || cls > CLASSES || kept.count[cls] >= BLOCKS_KEPT) {
        free(p);
        return;
    }
    struct free_block *b = p;
    b->next = kept.head[cls];
    kept.head[cls] = b;
    kept.count[cls]++;
}

static void release_kept(void *arg)
{
    struct kept *k = arg;
    for (size_t c = 1; c <= CLASSES; c++) {
        while (k->head[c]) {
            struct free_block *b = k->head[c];
            k->head[c] = b->next;
            free(b);
        }
        k->count[c] = 0;
    }
}

void json_alloc_init(void)
{
    if (pthread_key_create(&kept_key, release_kept) == 0)
        json_set_alloc_funcs(json_block_alloc, json_block_free);
}

#else

void json_alloc_init(void)
{
}

#endif
