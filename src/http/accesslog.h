/* accesslog.h — one JSON line per request: time, method, route template, path, status,
 * duration and client id. Never the query string, a header, a token or a secret: the path is
 * logged without its query, and route templates keep parameters out of aggregations.
 * Each worker buffers its own lines and writes them in one write(2) after each turn of its
 * event loop, so logging costs no syscall per request under load. */
#ifndef CONNECTD_ACCESSLOG_H
#define CONNECTD_ACCESSLOG_H

#include <stdbool.h>
#include <stddef.h>

#include "router.h"
#include "util/buf.h"

struct accesslog {
    int fd; /* -1: off */
    struct buf pending;
    long cached_second; /* the time prefix is formatted once per second */
    char cached_time[32];
};

/* target: "-" (stdout), "off", or a file path (appended). Opens one fd per call. */
bool accesslog_open(struct accesslog *log, const char *target, char *err, size_t errlen);
void accesslog_close(struct accesslog *log);
void accesslog_add(struct accesslog *log, enum http_method method, const char *method_text, size_t method_len,
                   const char *route, const char *path, size_t path_len, int status, double seconds,
                   const char *client_id, size_t worker);
/* Writes buffered lines. */
void accesslog_flush(struct accesslog *log);

#endif
