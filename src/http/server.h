/* server.h — the HTTP server: h2o event loops, one per worker thread, each on its own
 * SO_REUSEPORT listening socket with its own database connection, access log buffer and
 * metrics slab (nothing mutable is shared between workers). SIGTERM/SIGINT stop accepting,
 * let open connections finish (up to --shutdown-timeout), then return. */
#ifndef CONNECTD_SERVER_H
#define CONNECTD_SERVER_H

#include "config.h"
#include "router.h"

/* Runs until SIGTERM or SIGINT. The database must be migrated already. Returns the process
 * exit code (0 after a clean stop). */
int server_run(const struct config *cfg, const struct router *router);

#endif
