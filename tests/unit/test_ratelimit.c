/* test_ratelimit.c — src/oauth/ratelimit.c: token buckets per key (spec README §10).
 * Time is passed in, so most tests run on a fake clock (T0 plus offsets) and count exactly;
 * the concurrency tests run several threads on one key, with a frozen and with the real clock. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "oauth/ratelimit.h"

#define T0 ((int64_t)1000000000) /* arbitrary start, microseconds */
#define SEC 1000000

static bool take(struct ratelimit *rl, const char *key, double rate, double burst, int64_t now)
{
    return ratelimit_take(rl, key, strlen(key), rate, burst, now, NULL);
}

static int takes_allowed(struct ratelimit *rl, const char *key, double rate, double burst, int64_t now, int tries)
{
    int n = 0;
    for (int i = 0; i < tries; i++)
        n += take(rl, key, rate, burst, now);
    return n;
}

Test(ratelimit, test_burst_is_allowed_then_refused)
{
    struct ratelimit *rl = ratelimit_new(1000);
    cr_assert_not_null(rl);
    for (int i = 0; i < 5; i++)
        cr_assert(take(rl, "client", 10, 5, T0), "take %d of the burst", i);
    int retry = 0;
    cr_assert_not(ratelimit_take(rl, "client", 6, 10, 5, T0, &retry));
    cr_assert_eq(retry, 1);
    cr_assert_not(take(rl, "client", 10, 5, T0));
    ratelimit_free(rl);
}

Test(ratelimit, test_tokens_refill_continuously_up_to_burst)
{
    struct ratelimit *rl = ratelimit_new(1000);
    cr_assert_eq(takes_allowed(rl, "k", 10, 5, T0, 100), 5);
    cr_assert_not(take(rl, "k", 10, 5, T0 + SEC / 10 - 1), "just short of one token after 99.999 ms");
    cr_assert(take(rl, "k", 10, 5, T0 + SEC / 10), "one token after 100 ms at 10/s");
    cr_assert_not(take(rl, "k", 10, 5, T0 + SEC / 10));
    cr_assert_eq(takes_allowed(rl, "k", 10, 5, T0 + SEC / 10 + SEC / 2, 100), 5, "half a second refills 5");
    cr_assert_eq(takes_allowed(rl, "k", 10, 5, T0 + 100 * SEC, 100), 5, "never more than burst");
    ratelimit_free(rl);
}

Test(ratelimit, test_fractional_refill_accumulates)
{
    struct ratelimit *rl = ratelimit_new(1000);
    cr_assert_eq(takes_allowed(rl, "k", 4, 1, T0, 10), 1);
    /* 0.25 s per token: three refused tries at 0.1 s steps keep their partial refill */
    cr_assert_not(take(rl, "k", 4, 1, T0 + SEC / 10));
    cr_assert_not(take(rl, "k", 4, 1, T0 + 2 * SEC / 10));
    cr_assert(take(rl, "k", 4, 1, T0 + 3 * SEC / 10));
    ratelimit_free(rl);
}

Test(ratelimit, test_retry_after_is_whole_seconds_rounded_up_and_at_least_1)
{
    struct ratelimit *rl = ratelimit_new(1000);
    int retry = -1;
    cr_assert(ratelimit_take(rl, "slow", 4, 0.25, 1, T0, &retry));
    cr_assert_eq(retry, -1, "untouched on success");
    cr_assert_not(ratelimit_take(rl, "slow", 4, 0.25, 1, T0, &retry));
    cr_assert_eq(retry, 4, "1 token at 0.25/s");
    cr_assert_not(ratelimit_take(rl, "slow", 4, 0.25, 1, T0 + SEC, &retry));
    cr_assert_eq(retry, 3, "0.75 token missing");
    cr_assert_not(ratelimit_take(rl, "slow", 4, 0.25, 1, T0 + SEC + 1, &retry));
    cr_assert_eq(retry, 3, "2.999996 s rounds up");

    cr_assert_eq(takes_allowed(rl, "fast", 1000, 2, T0, 3), 2);
    cr_assert_not(ratelimit_take(rl, "fast", 4, 1000, 2, T0, &retry));
    cr_assert_eq(retry, 1, "1 ms is reported as the minimum, 1 s");

    cr_assert_eq(takes_allowed(rl, "odd", 0.4, 1, T0, 2), 1);
    cr_assert_not(ratelimit_take(rl, "odd", 3, 0.4, 1, T0, &retry));
    cr_assert_eq(retry, 3, "2.5 s rounds up to 3");

    cr_assert_not(ratelimit_take(rl, "odd", 3, 0.4, 1, T0, NULL), "retry_after may be NULL");
    ratelimit_free(rl);
}

Test(ratelimit, test_rate_zero_or_negative_is_unlimited)
{
    struct ratelimit *rl = ratelimit_new(1000);
    cr_assert_eq(takes_allowed(rl, "bench", 0, 0, T0, 100000), 100000);
    cr_assert_eq(takes_allowed(rl, "bench", -1, 5, T0, 1000), 1000);
    cr_assert(ratelimit_peek(rl, "bench", 5, 0, 0, T0, NULL));
    cr_assert_eq(ratelimit_count(rl), 0, "unlimited keys are not stored");
    ratelimit_free(rl);
}

Test(ratelimit, test_keys_are_independent)
{
    struct ratelimit *rl = ratelimit_new(1000);
    cr_assert_eq(takes_allowed(rl, "a", 1, 3, T0, 10), 3);
    cr_assert_eq(takes_allowed(rl, "b", 1, 3, T0, 10), 3);
    cr_assert_eq(takes_allowed(rl, "ab", 1, 3, T0, 10), 3);
    cr_assert_eq(takes_allowed(rl, "", 1, 3, T0, 10), 3, "the empty key is a key");
    /* keys are byte strings of a given length, NULs included */
    cr_assert(ratelimit_take(rl, "x\0y", 3, 1, 1, T0, NULL));
    cr_assert(ratelimit_take(rl, "x\0z", 3, 1, 1, T0, NULL));
    cr_assert(ratelimit_take(rl, "x\0", 2, 1, 1, T0, NULL));
    cr_assert_not(ratelimit_take(rl, "x\0y", 3, 1, 1, T0, NULL));
    cr_assert_eq(ratelimit_count(rl), 7);
    ratelimit_free(rl);
}

Test(ratelimit, test_peek_does_not_consume)
{
    struct ratelimit *rl = ratelimit_new(1000);
    for (int i = 0; i < 100; i++)
        cr_assert(ratelimit_peek(rl, "ip", 2, 1, 3, T0, NULL));
    cr_assert_eq(ratelimit_count(rl), 0, "peeking at a missing key stores nothing");
    cr_assert_eq(takes_allowed(rl, "ip", 1, 3, T0, 2), 2);
    cr_assert(ratelimit_peek(rl, "ip", 2, 1, 3, T0, NULL));
    cr_assert(ratelimit_peek(rl, "ip", 2, 1, 3, T0, NULL));
    cr_assert(take(rl, "ip", 1, 3, T0));
    int retry = 0;
    cr_assert_not(ratelimit_peek(rl, "ip", 2, 1, 3, T0, &retry));
    cr_assert_eq(retry, 1);
    cr_assert(ratelimit_peek(rl, "ip", 2, 1, 3, T0 + SEC, NULL));
    cr_assert(take(rl, "ip", 1, 3, T0 + SEC));
    cr_assert_not(take(rl, "ip", 1, 3, T0 + SEC));
    ratelimit_free(rl);
}

Test(ratelimit, test_burst_below_one_behaves_as_one)
{
    struct ratelimit *rl = ratelimit_new(1000);
    cr_assert_eq(takes_allowed(rl, "k", 1, 0, T0, 5), 1);
    cr_assert_eq(takes_allowed(rl, "k", 1, 0.5, T0 + 10 * SEC, 5), 1);
    ratelimit_free(rl);
}

Test(ratelimit, test_lowering_burst_caps_the_stored_tokens)
{
    struct ratelimit *rl = ratelimit_new(1000);
    cr_assert(take(rl, "k", 1, 100, T0));
    cr_assert_eq(takes_allowed(rl, "k", 1, 2, T0, 10), 2);
    ratelimit_free(rl);
}

Test(ratelimit, test_eviction_keeps_the_table_bounded_and_a_hot_key_keeps_its_bucket)
{
    enum { MAX = 1024 };
    struct ratelimit *rl = ratelimit_new(MAX);
    char key[32];
    int hot_allowed = 0;
    for (int i = 0; i < 10 * MAX; i++) {
        snprintf(key, sizeof key, "10.0.%d.%d", i / 256, i % 256);
        cr_assert(take(rl, key, 1, 5, T0), "a new key starts full");
        /* the hot key is used all along: 5 tokens in total, however much else comes and goes */
        hot_allowed += take(rl, "hot", 0.001, 5, T0);
        if (i % 1000 == 0)
            cr_assert_leq(ratelimit_count(rl), MAX);
    }
    cr_assert_leq(ratelimit_count(rl), MAX);
    cr_assert_geq(ratelimit_count(rl), MAX / 2, "the table is actually used");
    cr_assert_eq(hot_allowed, 5);
    ratelimit_free(rl);
}

Test(ratelimit, test_full_buckets_are_evicted_before_drained_ones)
{
    enum { MAX = 16 }; /* one shard */
    struct ratelimit *rl = ratelimit_new(MAX);
    char key[32];
    cr_assert_eq(takes_allowed(rl, "drained", 1, 10, T0, 10), 10);
    for (int i = 0; i < MAX - 1; i++) {
        snprintf(key, sizeof key, "old%d", i);
        cr_assert(take(rl, key, 1000, 10, T0)); /* full again 1 ms later */
    }
    cr_assert_eq(ratelimit_count(rl), MAX);
    for (int i = 0; i < MAX - 1; i++) {
        snprintf(key, sizeof key, "new%d", i);
        cr_assert(take(rl, key, 1000, 10, T0 + SEC));
    }
    cr_assert_eq(ratelimit_count(rl), MAX);
    /* still the drained bucket: one token refilled in a second, not a fresh burst of 10 */
    cr_assert_eq(takes_allowed(rl, "drained", 1, 10, T0 + SEC, 10), 1);
    ratelimit_free(rl);
}

Test(ratelimit, test_without_full_buckets_the_idlest_is_evicted)
{
    enum { MAX = 16 };
    struct ratelimit *rl = ratelimit_new(MAX);
    char key[32];
    for (int i = 0; i < MAX; i++) {
        snprintf(key, sizeof key, "k%d", i);
        cr_assert_eq(takes_allowed(rl, key, 0.001, 2, T0 + i, 3), 2);
    }
    cr_assert_eq(takes_allowed(rl, "k0", 0.001, 2, T0 + MAX, 3), 0, "touching k0 makes k1 the idlest");
    cr_assert(take(rl, "newcomer", 0.001, 2, T0 + MAX));
    cr_assert_eq(ratelimit_count(rl), MAX);
    cr_assert_eq(takes_allowed(rl, "k0", 0.001, 2, T0 + MAX, 3), 0, "k0 kept");
    cr_assert_eq(takes_allowed(rl, "k2", 0.001, 2, T0 + MAX, 3), 0, "k2 kept");
    cr_assert_eq(takes_allowed(rl, "k1", 0.001, 2, T0 + MAX, 3), 2, "k1 was dropped, so starts full");
    ratelimit_free(rl);
}

Test(ratelimit, test_long_keys_are_compared_in_full)
{
    struct ratelimit *rl = ratelimit_new(64);
    static char a[5000], b[5000];
    memset(a, 'k', sizeof a);
    memcpy(b, a, sizeof b);
    b[sizeof b - 1] = 'x'; /* differs only in the last byte */
    int na = 0, nb = 0;
    for (int i = 0; i < 5; i++) {
        na += ratelimit_take(rl, a, sizeof a, 1, 2, T0, NULL);
        nb += ratelimit_take(rl, b, sizeof b, 1, 2, T0, NULL);
    }
    cr_assert_eq(na, 2);
    cr_assert_eq(nb, 2);
    cr_assert(ratelimit_take(rl, a, sizeof a - 1, 1, 2, T0, NULL), "a prefix is another key");
    /* around the inline/heap boundary */
    for (size_t len = 60; len < 70; len++)
        cr_assert_eq(ratelimit_take(rl, a, len, 1, 1, T0, NULL), true, "len %zu", len);
    for (size_t len = 60; len < 70; len++)
        cr_assert_eq(ratelimit_take(rl, a, len, 1, 1, T0, NULL), false, "len %zu", len);
    /* long keys evicted and freed (ASan checks the frees) */
    for (int i = 0; i < 1000; i++) {
        snprintf(a, 16, "%015d", i);
        ratelimit_take(rl, a, 300, 1, 1, T0, NULL);
    }
    cr_assert_leq(ratelimit_count(rl), 64);
    ratelimit_free(rl);
}

/* ---- concurrency ------------------------------------------------------------------------- */

struct worker {
    struct ratelimit *rl;
    bool frozen;
    int tries;
    int allowed;
    int id;
};

static void *hammer(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < w->tries; i++) {
        int64_t now = w->frozen ? T0 : ratelimit_now_us();
        w->allowed += ratelimit_take(w->rl, "shared", 6, w->frozen ? 1 : 20000, w->frozen ? 1000 : 100, now, NULL);
    }
    return NULL;
}

static int run_threads(struct ratelimit *rl, bool frozen, int tries)
{
    enum { N = 4 };
    pthread_t t[N];
    struct worker w[N];
    for (int i = 0; i < N; i++) {
        w[i] = (struct worker){.rl = rl, .frozen = frozen, .tries = tries, .id = i};
        cr_assert_eq(pthread_create(&t[i], NULL, hammer, &w[i]), 0);
    }
    int total = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        total += w[i].allowed;
    }
    return total;
}

Test(ratelimit, test_concurrent_takes_on_one_key_allow_exactly_burst_with_frozen_clock)
{
    struct ratelimit *rl = ratelimit_new(1000);
    cr_assert_eq(run_threads(rl, true, 5000), 1000);
    ratelimit_free(rl);
}

Test(ratelimit, test_concurrent_takes_never_exceed_burst_plus_refill)
{
    struct ratelimit *rl = ratelimit_new(1000);
    int64_t start = ratelimit_now_us();
    int total = run_threads(rl, false, 100000);
    int64_t end = ratelimit_now_us();
    double bound = 100 + 20000.0 * (double)(end - start) / 1e6;
    cr_assert_leq(total, (int)bound + 1, "allowed %d in %lld us", total, (long long)(end - start));
    cr_assert_geq(total, 100);
    ratelimit_free(rl);
}

static void *churn(void *arg)
{
    struct worker *w = arg;
    char key[32];
    for (int i = 0; i < w->tries; i++) {
        snprintf(key, sizeof key, "t%d-%d", w->id, i);
        ratelimit_take(w->rl, key, strlen(key), 1, 1, T0, NULL);
        w->allowed += ratelimit_take(w->rl, "hot", 3, 0.001, 50, T0, NULL);
    }
    return NULL;
}

Test(ratelimit, test_concurrent_churn_stays_bounded_and_consistent)
{
    enum { N = 4, MAX = 256 };
    struct ratelimit *rl = ratelimit_new(MAX);
    pthread_t t[N];
    struct worker w[N];
    for (int i = 0; i < N; i++) {
        w[i] = (struct worker){.rl = rl, .tries = 20000, .id = i};
        cr_assert_eq(pthread_create(&t[i], NULL, churn, &w[i]), 0);
    }
    int hot = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        hot += w[i].allowed;
    }
    cr_assert_leq(ratelimit_count(rl), MAX);
    /* the hot key may be evicted (then starts full again) only if it was the idlest in its
     * shard; touched by every iteration it never is, so its 50 tokens are never exceeded */
    cr_assert_eq(hot, 50);
    ratelimit_free(rl);
}

Test(ratelimit, test_now_us_is_monotonic)
{
    int64_t a = ratelimit_now_us();
    int64_t b = ratelimit_now_us();
    cr_assert_geq(b, a);
    cr_assert_gt(a, 0);
}
