/* jobs.h — periodic work of a running server, on one background thread with its own database
 * connection: for now, making permanent address changes take effect on their day
 * (customer.md §2.1 rule 7, ADDRESS_CHANGED "effective"), so the event goes out even for a
 * customer nobody reads. Safe with several servers on one database. */
#ifndef CONNECTD_JOBS_H
#define CONNECTD_JOBS_H

#include "config.h"

#define JOBS_INTERVAL_S 30

struct jobs;

/* Starts the thread (it runs the jobs at once, then every JOBS_INTERVAL_S). NULL after logging
 * why when the database cannot be opened. */
struct jobs *jobs_start(const struct config *cfg);
/* Wakes the thread, waits for it to finish its current job, and frees it. NULL is fine. */
void jobs_stop(struct jobs *j);

#endif
