/* accesslog.c — buffered JSON access-log lines (see accesslog.h). */
#include "http/accesslog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define FLUSH_AT (64 * 1024)

bool accesslog_open(struct accesslog *log, const char *target, char *err, size_t errlen)
{
    memset(log, 0, sizeof *log);
    log->cached_second = -1;
    if (!strcmp(target, "off")) {
        log->fd = -1;
        return true;
    }
    if (!strcmp(target, "-")) {
        log->fd = dup(STDOUT_FILENO);
    } else {
        log->fd = open(target, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    }
    if (log->fd < 0) {
        snprintf(err, errlen, "access-log: cannot open %s: %s", target, strerror(errno));
        return false;
    }
    return true;
}

void accesslog_close(struct accesslog *log)
{
    accesslog_flush(log);
    if (log->fd >= 0)
        close(log->fd);
    log->fd = -1;
    buf_free(&log->pending);
}

/* JSON string escaping for the few fields that come from the client (method, path). */
static void put_json_string(struct buf *b, const char *s, size_t len)
{
    buf_putc(b, '"');
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            buf_putc(b, '\\');
            buf_putc(b, (char)c);
        } else if (c < 0x20 || c == 0x7f) {
            buf_printf(b, "\\u%04x", c);
        } else {
            buf_putc(b, (char)c);
        }
    }
    buf_putc(b, '"');
}

static void put_time(struct accesslog *log, struct buf *b)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    if (tv.tv_sec != log->cached_second) {
        struct tm tm;
        time_t t = tv.tv_sec;
        gmtime_r(&t, &tm);
        strftime(log->cached_time, sizeof log->cached_time, "%Y-%m-%dT%H:%M:%S", &tm);
        log->cached_second = tv.tv_sec;
    }
    buf_printf(b, "\"%s.%03dZ\"", log->cached_time, (int)(tv.tv_usec / 1000));
}

void accesslog_add(struct accesslog *log, enum http_method method, const char *method_text, size_t method_len,
                   const char *route, const char *path, size_t path_len, int status, double seconds,
                   const char *client_id, size_t worker)
{
    if (log->fd < 0)
        return;
    struct buf *b = &log->pending;
    buf_puts(b, "{\"time\":");
    put_time(log, b);
    buf_puts(b, ",\"method\":");
    if (method == HTTP_OTHER)
        put_json_string(b, method_text, method_len);
    else
        buf_printf(b, "\"%s\"", http_method_name(method));
    buf_puts(b, ",\"route\":");
    if (route)
        put_json_string(b, route, strlen(route));
    else
        buf_puts(b, "null");
    buf_puts(b, ",\"path\":");
    put_json_string(b, path, path_len);
    buf_printf(b, ",\"status\":%d,\"duration_ms\":%.3f,\"client\":", status, seconds * 1000.0);
    if (client_id)
        put_json_string(b, client_id, strlen(client_id));
    else
        buf_puts(b, "null");
    buf_printf(b, ",\"worker\":%zu}\n", worker);
    if (b->len >= FLUSH_AT)
        accesslog_flush(log);
}

void accesslog_flush(struct accesslog *log)
{
    size_t off = 0;
    while (log->fd >= 0 && off < log->pending.len) {
        ssize_t n = write(log->fd, log->pending.data + off, log->pending.len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break; /* a full disk must not stop the server; the lines are dropped */
        off += (size_t)n;
    }
    buf_reset(&log->pending);
}
