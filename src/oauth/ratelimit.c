/* ratelimit.c — token buckets keyed by a string (ratelimit.h, spec README §10).
 * The table is split into shards by key hash; each shard has one mutex, a fixed slab of
 * entries, a chained hash index and an LRU list, all linked by 32-bit indexes, so a hit takes
 * one lock and allocates nothing. Keys are compared in full (keys longer than the inline part
 * live on the heap, allocated only when the bucket is created). A shard that is full evicts a
 * bucket that has refilled to burst (equivalent to a missing one) from the idle end of its LRU
 * list, else the bucket idle the longest. */
#include "oauth/ratelimit.h"

#include <pthread.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#define MAX_SHARDS 64
#define MIN_SHARD_KEYS 16
#define KEY_INLINE 64    /* client ids and addresses fit; longer keys go to the heap */
#define EVICT_LOOKAHEAD 8 /* idle buckets inspected for a full one before taking the idlest */
#define NIL UINT32_MAX
#define RETRY_MAX_S (86400 * 365) /* a year: for absurdly small rates */

struct rl_entry {
    uint64_t hash;
    int64_t last_us; /* when tokens was last brought up to date */
    double tokens;
    double rate, burst; /* of the last call, to tell at eviction whether the bucket is full */
    uint32_t chain;     /* next in the hash chain, or in the free list */
    uint32_t newer, older; /* LRU list */
    uint32_t keylen;
    char *key; /* inline_key, or heap for long keys */
    char inline_key[KEY_INLINE];
};

struct rl_shard {
    alignas(64) pthread_mutex_t lock;
    struct rl_entry *entries; /* slab of cap entries */
    uint32_t *heads;          /* hash index: nheads chain heads */
    uint32_t cap, used, nheads;
    uint32_t free;            /* free list through chain */
    uint32_t newest, oldest;  /* LRU ends */
};

struct ratelimit {
    uint64_t seed;
    unsigned nshards; /* power of two */
    struct rl_shard *shards;
};

/* ---- hashing: 8 bytes at a time, multiply-xorshift mixing, seeded per table -------------- */

static inline uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static uint64_t key_hash(uint64_t seed, const char *key, size_t len)
{
    const uint64_t m = 0x9e3779b97f4a7c15ULL;
    uint64_t h = seed ^ (len * m);
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, key + i, 8);
        h = (h ^ mix64(w + m)) * m;
        h ^= h >> 29;
    }
    uint64_t tail = 0;
    memcpy(&tail, key + i, len - i);
    h = (h ^ mix64(tail + (len - i))) * m;
    return mix64(h);
}

/* ---- LRU and chain plumbing (caller holds the shard lock) -------------------------------- */

static void lru_unlink(struct rl_shard *s, uint32_t i)
{
    struct rl_entry *e = &s->entries[i];
    if (e->newer != NIL)
        s->entries[e->newer].older = e->older;
    else
        s->newest = e->older;
    if (e->older != NIL)
        s->entries[e->older].newer = e->newer;
    else
        s->oldest = e->newer;
}

static void lru_push_newest(struct rl_shard *s, uint32_t i)
{
    struct rl_entry *e = &s->entries[i];
    e->newer = NIL;
    e->older = s->newest;
    if (s->newest != NIL)
        s->entries[s->newest].newer = i;
    s->newest = i;
    if (s->oldest == NIL)
        s->oldest = i;
}

static void lru_touch(struct rl_shard *s, uint32_t i)
{
    if (s->newest == i)
        return;
    lru_unlink(s, i);
    lru_push_newest(s, i);
}

static uint32_t shard_find(const struct rl_shard *s, uint64_t hash, const char *key, size_t keylen)
{
    for (uint32_t i = s->heads[hash & (s->nheads - 1)]; i != NIL; i = s->entries[i].chain) {
        const struct rl_entry *e = &s->entries[i];
        if (e->hash == hash && e->keylen == keylen && memcmp(e->key, key, keylen) == 0)
            return i;
    }
    return NIL;
}

/* Tokens of e at now_us, under the given limits (not stored). */
static double refilled(const struct rl_entry *e, double rate, double burst, int64_t now_us)
{
    double t = e->tokens;
    /* Workers read the clock before taking the lock, so now_us may trail last_us slightly. */
    if (now_us > e->last_us)
        t += (double)(now_us - e->last_us) * rate / 1e6;
    return t < burst ? t : burst;
}

static void shard_remove(struct rl_shard *s, uint32_t i)
{
    struct rl_entry *e = &s->entries[i];
    uint32_t *link = &s->heads[e->hash & (s->nheads - 1)];
    while (*link != i)
        link = &s->entries[*link].chain;
    *link = e->chain;
    lru_unlink(s, i);
    if (e->key != e->inline_key)
        free(e->key);
    e->key = NULL;
    e->chain = s->free;
    s->free = i;
    s->used--;
}

static void shard_evict(struct rl_shard *s, int64_t now_us)
{
    uint32_t victim = s->oldest;
    uint32_t i = s->oldest;
    for (int n = 0; n < EVICT_LOOKAHEAD && i != NIL; n++, i = s->entries[i].newer) {
        const struct rl_entry *e = &s->entries[i];
        if (refilled(e, e->rate, e->burst, now_us) >= e->burst) {
            victim = i;
            break;
        }
    }
    shard_remove(s, victim);
}

/* A new, full bucket for key; NIL only if a long key could not be copied. */
static uint32_t shard_insert(struct rl_shard *s, uint64_t hash, const char *key, size_t keylen, double rate,
                             double burst, int64_t now_us)
{
    if (keylen > UINT32_MAX)
        return NIL;
    char *copy = NULL;
    if (keylen > KEY_INLINE && (copy = malloc(keylen)) == NULL)
        return NIL;
    if (s->used == s->cap)
        shard_evict(s, now_us);
    uint32_t i = s->free;
    struct rl_entry *e = &s->entries[i];
    s->free = e->chain;
    s->used++;
    e->hash = hash;
    e->last_us = now_us;
    e->tokens = burst;
    e->rate = rate;
    e->burst = burst;
    e->keylen = (uint32_t)keylen;
    e->key = copy ? copy : e->inline_key;
    memcpy(e->key, key, keylen);
    uint32_t *head = &s->heads[hash & (s->nheads - 1)];
    e->chain = *head;
    *head = i;
    lru_push_newest(s, i);
    return i;
}

/* ---- public ------------------------------------------------------------------------------ */

static uint64_t table_seed(struct ratelimit *rl)
{
    uint64_t seed;
    if (getrandom(&seed, sizeof seed, GRND_NONBLOCK) == (ssize_t)sizeof seed)
        return seed;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return mix64((uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^ (uint64_t)(uintptr_t)rl);
}

struct ratelimit *ratelimit_new(size_t max_keys)
{
    if (max_keys == 0)
        max_keys = 1;
    if (max_keys > (size_t)MAX_SHARDS * (UINT32_MAX / 4))
        max_keys = (size_t)MAX_SHARDS * (UINT32_MAX / 4);
    struct ratelimit *rl = calloc(1, sizeof *rl);
    if (rl == NULL)
        return NULL;
    rl->seed = table_seed(rl);
    /* Up to MAX_SHARDS shards of at least MIN_SHARD_KEYS buckets (a shard of one or two would
     * evict on nearly every new key); each gets max_keys / nshards, so the total never exceeds
     * max_keys. */
    rl->nshards = 1;
    while (rl->nshards < MAX_SHARDS && rl->nshards * 2 * MIN_SHARD_KEYS <= max_keys)
        rl->nshards *= 2;
    rl->shards = aligned_alloc(alignof(struct rl_shard), rl->nshards * sizeof *rl->shards);
    if (rl->shards == NULL) {
        free(rl);
        return NULL;
    }
    memset(rl->shards, 0, rl->nshards * sizeof *rl->shards);
    uint32_t cap = (uint32_t)(max_keys / rl->nshards);
    uint32_t nheads = 1;
    while (nheads < cap)
        nheads *= 2;
    for (unsigned k = 0; k < rl->nshards; k++) {
        struct rl_shard *s = &rl->shards[k];
        s->cap = cap;
        s->nheads = nheads;
        s->newest = s->oldest = NIL;
        s->entries = calloc(cap, sizeof *s->entries);
        s->heads = malloc(nheads * sizeof *s->heads);
        if (s->entries == NULL || s->heads == NULL || pthread_mutex_init(&s->lock, NULL) != 0) {
            free(s->entries);
            free(s->heads);
            rl->nshards = k; /* free what was set up so far */
            ratelimit_free(rl);
            return NULL;
        }
        memset(s->heads, 0xff, nheads * sizeof *s->heads); /* all NIL */
        for (uint32_t i = 0; i < cap; i++)
            s->entries[i].chain = i + 1 < cap ? i + 1 : NIL;
        s->free = 0;
    }
    return rl;
}

void ratelimit_free(struct ratelimit *rl)
{
    if (rl == NULL)
        return;
    for (unsigned k = 0; k < rl->nshards; k++) {
        struct rl_shard *s = &rl->shards[k];
        for (uint32_t i = 0; i < s->cap; i++)
            if (s->entries[i].key != NULL && s->entries[i].key != s->entries[i].inline_key)
                free(s->entries[i].key);
        free(s->entries);
        free(s->heads);
        pthread_mutex_destroy(&s->lock);
    }
    free(rl->shards);
    free(rl);
}

static void set_retry(int *retry_after_s, double tokens, double rate)
{
    if (retry_after_s == NULL)
        return;
    double s = (1.0 - tokens) / rate; /* > 0: only called when tokens < 1 */
    if (!(s <= RETRY_MAX_S)) {
        *retry_after_s = RETRY_MAX_S;
        return;
    }
    int whole = (int)s;
    whole += (double)whole < s; /* ceil */
    *retry_after_s = whole < 1 ? 1 : whole;
}

/* One bucket operation; take: consume a token when there is one. */
static bool bucket_op(struct ratelimit *rl, const char *key, size_t keylen, double rate, double burst,
                      int64_t now_us, int *retry_after_s, bool take)
{
    if (!(rate > 0)) /* also NaN */
        return true;
    if (!(burst >= 1)) /* a bucket that can never hold one token would refuse forever */
        burst = 1;
    uint64_t hash = key_hash(rl->seed, key, keylen);
    struct rl_shard *s = &rl->shards[(hash >> 40) & (rl->nshards - 1)];
    bool ok;
    pthread_mutex_lock(&s->lock);
    uint32_t i = shard_find(s, hash, key, keylen);
    if (i == NIL) {
        /* A missing bucket is a full one: peek needs nothing stored. */
        if (take && (i = shard_insert(s, hash, key, keylen, rate, burst, now_us)) != NIL)
            s->entries[i].tokens -= 1;
        pthread_mutex_unlock(&s->lock);
        return true;
    }
    struct rl_entry *e = &s->entries[i];
    double tokens = refilled(e, rate, burst, now_us);
    ok = tokens >= 1;
    if (take) {
        e->tokens = ok ? tokens - 1 : tokens;
        if (now_us > e->last_us)
            e->last_us = now_us;
        e->rate = rate;
        e->burst = burst;
        lru_touch(s, i);
    }
    pthread_mutex_unlock(&s->lock);
    if (!ok)
        set_retry(retry_after_s, tokens, rate);
    return ok;
}

bool ratelimit_take(struct ratelimit *rl, const char *key, size_t keylen, double rate, double burst, int64_t now_us,
                    int *retry_after_s)
{
    return bucket_op(rl, key, keylen, rate, burst, now_us, retry_after_s, true);
}

bool ratelimit_peek(struct ratelimit *rl, const char *key, size_t keylen, double rate, double burst, int64_t now_us,
                    int *retry_after_s)
{
    return bucket_op(rl, key, keylen, rate, burst, now_us, retry_after_s, false);
}

size_t ratelimit_count(struct ratelimit *rl)
{
    size_t n = 0;
    for (unsigned k = 0; k < rl->nshards; k++) {
        pthread_mutex_lock(&rl->shards[k].lock);
        n += rl->shards[k].used;
        pthread_mutex_unlock(&rl->shards[k].lock);
    }
    return n;
}

int64_t ratelimit_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
