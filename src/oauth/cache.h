/* cache.h — a small process-wide cache of fixed-size values under string keys, with an age
 * limit on reads. Shared by all workers (sharded, a mutex per shard); values are copied in and
 * out, so no reader ever holds a pointer another thread may free. The OAuth layer keeps
 * clients and token states here so that validating a token never writes to the database and
 * rarely reads it. */
#ifndef CONNECTD_CACHE_H
#define CONNECTD_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cache;

/* max_entries bounds memory (the oldest entry of a full shard is replaced). */
struct cache *cache_new(size_t max_entries, size_t value_size);
void cache_free(struct cache *c);
/* Copies the value into out when present and stored at most max_age_ms ago. */
bool cache_get(struct cache *c, const char *key, size_t keylen, void *out, int64_t now_ms, int64_t max_age_ms);
void cache_put(struct cache *c, const char *key, size_t keylen, const void *value, int64_t now_ms);
void cache_del(struct cache *c, const char *key, size_t keylen);

#endif
