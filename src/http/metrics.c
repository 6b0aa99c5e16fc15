/* metrics.c — per-worker counter slabs summed on read (see metrics.h).
 * Statuses are folded into a fixed set of slots so a slab is a flat array indexed by
 * (route, method, status slot); an unknown status counts under its class ("4xx"). */
#include "http/metrics.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

static const int STATUS_SLOTS[] = {200, 201, 204, 301, 302, 303, 304, 400, 401, 403,
                                   404, 405, 408, 413, 415, 429, 500, 502, 503};
#define NSTATUS (sizeof STATUS_SLOTS / sizeof STATUS_SLOTS[0])
#define NCLASS 5 /* 1xx..5xx for anything else */
#define NSLOTS (NSTATUS + NCLASS)

static const double BUCKETS[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                 0.025,  0.05,    0.1,    0.25,  0.5,    1,     2.5, 5};
#define NBUCKETS (sizeof BUCKETS / sizeof BUCKETS[0])

struct slab {
    _Atomic uint64_t *counts; /* [(route + 1) * HTTP_METHOD_COUNT+1 ...] */
    _Atomic uint64_t buckets[NBUCKETS + 1];
    _Atomic uint64_t duration_ns;
    _Atomic uint64_t total;
};

static struct {
    size_t nworkers, nroutes;
    const struct router *router;
    struct slab *slabs;
} M;

#define NMETHODS (HTTP_METHOD_COUNT + 1)

static size_t counter_index(size_t route_slot, enum http_method m, size_t status_slot)
{
    return (route_slot * NMETHODS + (size_t)m) * NSLOTS + status_slot;
}

static size_t ncounters(void)
{
    return (M.nroutes + 1) * NMETHODS * NSLOTS;
}

void metrics_init(size_t nworkers, const struct router *router)
{
    M.nworkers = nworkers;
    M.router = router;
    M.nroutes = router_count(router);
    M.slabs = xcalloc(nworkers, sizeof *M.slabs);
    for (size_t i = 0; i < nworkers; i++)
        M.slabs[i].counts = xcalloc(ncounters(), sizeof(_Atomic uint64_t));
}

void metrics_free(void)
{
    for (size_t i = 0; i < M.nworkers; i++)
        free(M.slabs[i].counts);
    free(M.slabs);
    memset(&M, 0, sizeof M);
}

static size_t status_slot(int status)
{
    for (size_t i = 0; i < NSTATUS; i++)
        if (STATUS_SLOTS[i] == status)
            return i;
    int cls = status / 100;
    return NSTATUS + (size_t)(cls >= 1 && cls <= 5 ? cls - 1 : 4);
}

/* Single writer per slab: a relaxed load + store is enough and avoids a locked add. */
static void bump(_Atomic uint64_t *c, uint64_t by)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + by, memory_order_relaxed);
}

void metrics_record(size_t worker, const struct route *route, enum http_method method, int status, double seconds)
{
    if (M.slabs == NULL || worker >= M.nworkers)
        return;
    struct slab *s = &M.slabs[worker];
    size_t rslot = route ? router_index_of(M.router, route) + 1 : 0;
    bump(&s->counts[counter_index(rslot, method, status_slot(status))], 1);
    size_t b = 0;
    while (b < NBUCKETS && seconds > BUCKETS[b])
        b++;
    bump(&s->buckets[b], 1);
    bump(&s->duration_ns, (uint64_t)(seconds * 1e9));
    bump(&s->total, 1);
}

static uint64_t sum_counter(size_t idx)
{
    uint64_t n = 0;
    for (size_t w = 0; w < M.nworkers; w++)
        n += atomic_load_explicit(&M.slabs[w].counts[idx], memory_order_relaxed);
    return n;
}

static void status_label(size_t slot, char out[8])
{
    if (slot < NSTATUS) {
        snprintf(out, 8, "%d", STATUS_SLOTS[slot]);
    } else {
        out[0] = (char)('1' + (slot - NSTATUS) % NCLASS);
        memcpy(out + 1, "xx", 3);
    }
}

static void render_requests(struct buf *out)
{
    buf_puts(out, "# HELP connectd_http_requests_total HTTP requests by method, route template and status.\n"
                  "# TYPE connectd_http_requests_total counter\n");
    for (size_t r = 0; r <= M.nroutes; r++) {
        const char *tmpl = r == 0 ? "unmatched" : router_route(M.router, r - 1)->path;
        for (size_t m = 0; m < NMETHODS; m++)
            for (size_t s = 0; s < NSLOTS; s++) {
                uint64_t n = sum_counter(counter_index(r, (enum http_method)m, s));
                if (n == 0)
                    continue;
                char st[8];
                status_label(s, st);
                const char *method = m < HTTP_METHOD_COUNT ? http_method_name((enum http_method)m) : "OTHER";
                buf_printf(out, "connectd_http_requests_total{method=\"%s\",route=\"%s\",status=\"%s\"} %llu\n",
                           method, tmpl, st, (unsigned long long)n);
            }
    }
}

static void render_histogram(struct buf *out)
{
    uint64_t cumulative = 0, total = 0, ns = 0;
    buf_puts(out, "# HELP connectd_http_request_duration_seconds Time from request to reply.\n"
                  "# TYPE connectd_http_request_duration_seconds histogram\n");
    for (size_t b = 0; b <= NBUCKETS; b++) {
        for (size_t w = 0; w < M.nworkers; w++)
            cumulative += atomic_load_explicit(&M.slabs[w].buckets[b], memory_order_relaxed);
        if (b < NBUCKETS)
            buf_printf(out, "connectd_http_request_duration_seconds_bucket{le=\"%g\"} %llu\n", BUCKETS[b],
                       (unsigned long long)cumulative);
        else
            buf_printf(out, "connectd_http_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
                       (unsigned long long)cumulative);
    }
    for (size_t w = 0; w < M.nworkers; w++) {
        total += atomic_load_explicit(&M.slabs[w].total, memory_order_relaxed);
        ns += atomic_load_explicit(&M.slabs[w].duration_ns, memory_order_relaxed);
    }
    buf_printf(out, "connectd_http_request_duration_seconds_sum %.6f\n", (double)ns / 1e9);
    buf_printf(out, "connectd_http_request_duration_seconds_count %llu\n", (unsigned long long)total);
}

void metrics_render(struct buf *out)
{
    if (M.slabs == NULL)
        return;
    render_requests(out);
    render_histogram(out);
}
