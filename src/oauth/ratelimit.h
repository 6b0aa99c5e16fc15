/* ratelimit.h — token buckets keyed by a string (a client id, a source address), shared by
 * every worker of the process (spec README §10). A bucket refills at `rate` tokens per second
 * up to `burst`; a request takes one token. The table is sharded by key hash, each shard under
 * its own mutex, and idle full buckets are evicted so hostile keys cannot grow it forever. */
#ifndef CONNECTD_RATELIMIT_H
#define CONNECTD_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ratelimit;

/* max_keys bounds memory: when a shard is full, its stalest bucket is dropped. */
struct ratelimit *ratelimit_new(size_t max_keys);
void ratelimit_free(struct ratelimit *rl);

/* Takes one token from key's bucket. rate <= 0 means unlimited (always true). On refusal
 * *retry_after_s (may be NULL) receives the whole seconds until a token is available, at
 * least 1. now_us: a monotonic clock in microseconds (passed in so tests control time). */
bool ratelimit_take(struct ratelimit *rl, const char *key, size_t keylen, double rate, double burst, int64_t now_us,
                    int *retry_after_s);
/* True when key's bucket holds at least one token (without taking it). */
bool ratelimit_peek(struct ratelimit *rl, const char *key, size_t keylen, double rate, double burst, int64_t now_us,
                    int *retry_after_s);

/* How many buckets the table holds now (never more than max_keys); for tests and metrics. */
size_t ratelimit_count(struct ratelimit *rl);

/* Monotonic microseconds. */
int64_t ratelimit_now_us(void);

#endif
