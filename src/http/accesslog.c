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

/* JSON string escaping for the few fields that come from the client (method, path): runs of
 * plain bytes are copied whole. */
static void put_json_string(struct buf *b, const char *s, size_t len)
{
    static const char HEX[] = "0123456789abcdef";
    buf_putc(b, '"');
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != 0x7f && c != '"' && c != '\\')
            continue;
        buf_append(b, s + run, i - run);
        run = i + 1;
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            buf_append(b, esc, 2);
        } else {
            char esc[6] = {'\\', 'u', '0', '0', HEX[c >> 4], HEX[c & 15]};
            buf_append(b, esc, 6);
        }
    }
    buf_append(b, s + run, len - run);
    buf_putc(b, '"');
}

/* n as exactly three digits (n < 1000). */
static void put_three_digits(struct buf *b, unsigned n)
{
    char d[3] = {(char)('0' + n / 100), (char)('0' + n / 10 % 10), (char)('0' + n % 10)};
    buf_append(b, d, 3);
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
    buf_putc(b, '"');
    buf_puts(b, log->cached_time);
    buf_putc(b, '.');
    put_three_digits(b, (unsigned)(tv.tv_usec / 1000));
    buf_puts(b, "Z\"");
}

/* Milliseconds with three decimals, from seconds (what "%.3f" of seconds * 1000 prints). */
static void put_duration_ms(struct buf *b, double seconds)
{
    long long us = seconds > 0 ? (long long)(seconds * 1e6 + 0.5) : 0;
    buf_put_int(b, us / 1000);
    buf_putc(b, '.');
    put_three_digits(b, (unsigned)(us % 1000));
}

/* One line per request, written without printf: the log is on the path of every request. */
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
    if (method == HTTP_OTHER) {
        put_json_string(b, method_text, method_len);
    } else {
        buf_putc(b, '"');
        buf_puts(b, http_method_name(method));
        buf_putc(b, '"');
    }
    buf_puts(b, ",\"route\":");
    if (route)
        put_json_string(b, route, strlen(route));
    else
        buf_puts(b, "null");
    buf_puts(b, ",\"path\":");
    put_json_string(b, path, path_len);
    buf_puts(b, ",\"status\":");
    buf_put_int(b, status);
    buf_puts(b, ",\"duration_ms\":");
    put_duration_ms(b, seconds);
    buf_puts(b, ",\"client\":");
    if (client_id)
        put_json_string(b, client_id, strlen(client_id));
    else
        buf_puts(b, "null");
    buf_puts(b, ",\"worker\":");
    buf_put_int(b, (long long)worker);
    buf_puts(b, "}\n");
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
