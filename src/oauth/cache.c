/* cache.c — sharded, bounded, copy-in/copy-out cache (see cache.h).
 * Each shard is a fixed array probed in a window of PROBE slots from the key's hash: a key
 * lives somewhere in its window or nowhere, so deletion needs no tombstones, and a full window
 * simply recycles its oldest slot. Keys longer than KEY_MAX are never cached (a miss). */
#include "oauth/cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

#define NSHARDS 16
#define PROBE 8
#define KEY_MAX 128

struct slot {
    bool used;
    uint8_t keylen;
    char key[KEY_MAX];
    uint64_t hash;
    int64_t stored_at;
    /* value bytes follow */
};

struct shard {
    pthread_mutex_t lock;
    unsigned char *slots; /* nslots * slot_size bytes */
};

struct cache {
    size_t value_size, slot_size, nslots; /* per shard */
    struct shard shards[NSHARDS];
};

static uint64_t hash_key(const char *key, size_t len)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)key[i];
        h *= 1099511628211ULL;
    }
    return h ^ (h >> 29);
}

static struct slot *slot_at(struct cache *c, struct shard *s, size_t i)
{
    return (struct slot *)(s->slots + (i % c->nslots) * c->slot_size);
}

static void *slot_value(struct slot *sl)
{
    return (unsigned char *)sl + sizeof *sl;
}

struct cache *cache_new(size_t max_entries, size_t value_size)
{
    struct cache *c = xcalloc(1, sizeof *c);
    c->value_size = value_size;
    c->slot_size = (sizeof(struct slot) + value_size + 15) & ~(size_t)15;
    c->nslots = max_entries / NSHARDS < PROBE ? PROBE : max_entries / NSHARDS;
    for (size_t i = 0; i < NSHARDS; i++) {
        pthread_mutex_init(&c->shards[i].lock, NULL);
        c->shards[i].slots = xcalloc(c->nslots, c->slot_size);
    }
    return c;
}

void cache_free(struct cache *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < NSHARDS; i++) {
        pthread_mutex_destroy(&c->shards[i].lock);
        free(c->shards[i].slots);
    }
    free(c);
}

/* The slot holding key in its window, or NULL. Called with the shard locked. */
static struct slot *find(struct cache *c, struct shard *s, uint64_t h, const char *key, size_t len)
{
    for (size_t i = 0; i < PROBE; i++) {
        struct slot *sl = slot_at(c, s, (size_t)(h >> 4) + i);
        if (sl->used && sl->hash == h && sl->keylen == len && memcmp(sl->key, key, len) == 0)
            return sl;
    }
    return NULL;
}

bool cache_get(struct cache *c, const char *key, size_t keylen, void *out, int64_t now_ms, int64_t max_age_ms)
{
    if (keylen > KEY_MAX)
        return false;
    uint64_t h = hash_key(key, keylen);
    struct shard *s = &c->shards[h % NSHARDS];
    pthread_mutex_lock(&s->lock);
    struct slot *sl = find(c, s, h, key, keylen);
    bool hit = sl != NULL && now_ms - sl->stored_at <= max_age_ms;
    if (hit)
        memcpy(out, slot_value(sl), c->value_size);
    pthread_mutex_unlock(&s->lock);
    return hit;
}

void cache_put(struct cache *c, const char *key, size_t keylen, const void *value, int64_t now_ms)
{
    if (keylen > KEY_MAX)
        return;
    uint64_t h = hash_key(key, keylen);
    struct shard *s = &c->shards[h % NSHARDS];
    pthread_mutex_lock(&s->lock);
    struct slot *sl = find(c, s, h, key, keylen);
    for (size_t i = 0; sl == NULL && i < PROBE; i++) {
        struct slot *cand = slot_at(c, s, (size_t)(h >> 4) + i);
        if (!cand->used)
            sl = cand;
    }
    if (sl == NULL) { /* window full: recycle its oldest slot */
        sl = slot_at(c, s, (size_t)(h >> 4));
        for (size_t i = 1; i < PROBE; i++) {
            struct slot *cand = slot_at(c, s, (size_t)(h >> 4) + i);
            if (cand->stored_at < sl->stored_at)
                sl = cand;
        }
    }
    sl->used = true;
    sl->hash = h;
    sl->keylen = (uint8_t)keylen;
    memcpy(sl->key, key, keylen);
    sl->stored_at = now_ms;
    memcpy(slot_value(sl), value, c->value_size);
    pthread_mutex_unlock(&s->lock);
}

void cache_del(struct cache *c, const char *key, size_t keylen)
{
    if (keylen > KEY_MAX)
        return;
    uint64_t h = hash_key(key, keylen);
    struct shard *s = &c->shards[h % NSHARDS];
    pthread_mutex_lock(&s->lock);
    struct slot *sl = find(c, s, h, key, keylen);
    if (sl)
        sl->used = false;
    pthread_mutex_unlock(&s->lock);
}
