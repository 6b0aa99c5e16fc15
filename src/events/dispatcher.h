/* dispatcher.h — delivers the outbox as webhooks (spec/events.md §1-§5), inside `connectd
 * serve`. One scheduler thread owns a database connection: it routes new outbox events to
 * subscriptions, claims due deliveries under a lease and records outcomes; a few sender threads
 * only build, sign and POST. It wakes when this process commits an event, on PostgreSQL when any
 * process does (LISTEN/NOTIFY), when a retry falls due, and at least once a second. With SQLite
 * one process per database file dispatches (an flock on "<file>-dispatch"); others stand by and
 * take over when it exits. */
#ifndef CONNECTD_EVENTS_DISPATCHER_H
#define CONNECTD_EVENTS_DISPATCHER_H

#include <stdbool.h>

#include "config.h"
#include "util/buf.h"

#define WEBHOOK_TIMEOUT_MS 10000 /* §5: a 2xx within 10 s */

/* Starts the threads (cfg must outlive them). False after logging why. */
bool dispatcher_start(const struct config *cfg);
/* Stops them: POSTs in flight are given up and their deliveries released (not counted as
 * attempts), outcomes already known are recorded. Safe to call when not started. */
void dispatcher_stop(void);
/* The delivered / retried / dropped counters of this process, as Prometheus text. */
void dispatcher_metrics_render(struct buf *out);

#endif
