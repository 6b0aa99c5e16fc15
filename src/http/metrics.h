/* metrics.h — request counters and latency histogram for GET /metrics (Prometheus text).
 * Each worker writes only its own slab (thread confinement, no locks, no atomics with a
 * lock prefix on the hot path); the /metrics handler sums the slabs with relaxed loads. */
#ifndef CONNECTD_METRICS_H
#define CONNECTD_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "router.h"
#include "util/buf.h"

/* Sizes the slabs: one per worker, one counter per (route or "unmatched", method, status). */
void metrics_init(size_t nworkers, const struct router *router);
void metrics_free(void);
/* route may be NULL (no route matched). */
void metrics_record(size_t worker, const struct route *route, enum http_method method, int status, double seconds);
/* Appends the Prometheus text exposition of every non-zero counter and the histogram. */
void metrics_render(struct buf *out);

#endif
