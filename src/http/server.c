/* server.c — h2o glue: sockets, worker threads, signals, and the request pipeline.
 * The pipeline runs the checks in the order of spec README §4 (route -> 404/405, content
 * type -> 415, body -> 400) before the handler, then renders the one reply, logs and counts
 * it. The authentication step of §4 (1)-(2) slots in before routing for /capi paths. */
#include "http/server.h"

#include <errno.h>
#include <h2o.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http/accesslog.h"
#include "http/metrics.h"
#include "http/request.h"
#include "login/gui.h"
#include "oauth/oauth.h"
#include "store/db.h"
#include "util/log.h"

/* An accepted connection, tracked so that a stopping worker can tell idle keep-alive
 * connections (close them now) from ones in the middle of a request (let them finish):
 * h2o 2.2 only closes HTTP/2 connections itself on shutdown. */
struct conn {
    h2o_linklist_t link;
    h2o_socket_t *sock;
    int fd;
    size_t bytes_at_last_reply; /* sock->bytes_read when the last request was answered */
};

struct worker {
    size_t index;
    h2o_linklist_t conns;
    h2o_context_t ctx;
    h2o_accept_ctx_t accept_ctx;
    int listen_fd;
    h2o_socket_t *listener;
    struct db *db;
    struct accesslog log;
    pthread_t thread;
};

static struct {
    const struct config *cfg;
    const struct router *router;
    h2o_globalconf_t h2o;
    struct worker *workers;
    size_t nworkers;
    atomic_bool stopping;
} S;

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* ---- the pipeline ---------------------------------------------------------------------- */

static bool parse_path_or_reply(struct request *req, const char *raw, size_t len)
{
    char *scratch = h2o_mem_alloc_pool(req->pool, len + 1);
    switch (path_parse(raw, len, scratch, len + 1, &req->path)) {
    case PATH_OK:
        return true;
    case PATH_BAD_ENCODING:
        return reply_validation(req, "path: malformed percent-encoding");
    default:
        return reply_error(req, 404, EXC_NO_HANDLER, "No handler found for %s %.200s",
                           http_method_name(req->method), raw);
    }
}

static bool route_or_reply(struct request *req, const char *norm)
{
    switch (router_match(S.router, req->method, &req->path, &req->match)) {
    case ROUTE_FOUND:
        return true;
    case ROUTE_METHOD_NOT_ALLOWED: {
        char allow[128];
        router_allow_header(req->match.allow, allow, sizeof allow);
        reply_header(req, "allow", allow);
        req->match.route = NULL;
        return reply_error(req, 405, EXC_METHOD, "Request method '%.*s' is not supported",
                           (int)req->h2o->method.len, req->h2o->method.base);
    }
    default:
        req->match.route = NULL;
        return reply_error(req, 404, EXC_NO_HANDLER, "No handler found for %.*s %.200s", (int)req->h2o->method.len,
                           req->h2o->method.base, norm);
    }
}

static bool body_or_reply(struct request *req)
{
    size_t ctlen;
    const char *ct = request_header(req, H2O_TOKEN_CONTENT_TYPE, &ctlen);
    /* JSON-only endpoints (metadata) refuse XML, even malformed XML, as a media type. */
    if ((req->match.route->flags & ROUTE_JSON_ONLY) &&
        body_is_xml(ct, ctlen, req->h2o->entity.base, req->h2o->entity.len))
        return reply_error(req, 415, EXC_MEDIA_TYPE, "This endpoint takes JSON bodies only");
    switch (body_parse(ct, ctlen, req->h2o->entity.base, req->h2o->entity.len, &req->body)) {
    case BODY_OK:
        return true;
    case BODY_UNSUPPORTED_MEDIA_TYPE:
        return reply_error(req, 415, EXC_MEDIA_TYPE, "Content-Type '%.*s' is not supported",
                           (int)(ctlen > 100 ? 100 : ctlen), ct);
    default:
        req->body.value = NULL;
        return reply_validation(req, "Malformed request body");
    }
}

static bool is_capi(const struct path *p)
{
    return p->nseg >= 1 && p->seg[0].len == 4 && !memcmp(p->seg[0].p, "capi", 4);
}

static void dispatch(struct request *req, const char *norm)
{
    h2o_req_t *h = req->h2o;
    size_t raw_len = h->query_at == SIZE_MAX ? h->path.len : h->query_at;
    if (h->query_at != SIZE_MAX) {
        req->query = h->path.base + h->query_at + 1;
        req->query_len = h->path.len - h->query_at - 1;
    }
    if (!parse_path_or_reply(req, h->path.base, raw_len))
        return;
    /* /capi authenticates before routing: 401/403/429 come before 404/405 (README §4). */
    if (is_capi(&req->path) && !bearer_or_reply(req))
        return;
    if (!route_or_reply(req, norm))
        return;
    if ((req->match.route->flags & ROUTE_GUI) && !gui_rate_or_reply(req))
        return;
    if ((req->match.route->flags & ROUTE_BODY) && !body_or_reply(req))
        return;
    req->match.route->handler(req);
}

static int on_req(h2o_handler_t *self, h2o_req_t *h)
{
    (void)self;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct worker *w = (struct worker *)((char *)h->conn->ctx - offsetof(struct worker, ctx));
    struct request req;
    memset(&req, 0, sizeof req);
    req.h2o = h;
    req.pool = &h->pool;
    req.worker = w;
    req.db = w->db;
    req.method = http_method_parse(h->method.base, h->method.len);

    size_t raw_len = h->query_at == SIZE_MAX ? h->path.len : h->query_at;
    char *norm = h2o_mem_alloc_pool(&h->pool, raw_len + 1);
    size_t norm_len = path_normalize(h->path.base, raw_len, norm);

    dispatch(&req, norm);
    const struct route *route = req.match.route;
    request_send(&req, S.cfg->default_format);

    h2o_socket_t *sock = h->conn->callbacks->get_socket ? h->conn->callbacks->get_socket(h->conn) : NULL;
    if (sock != NULL && sock->on_close.data != NULL)
        ((struct conn *)sock->on_close.data)->bytes_at_last_reply = sock->bytes_read;

    double secs = seconds_since(&t0);
    metrics_record(w->index, route, req.method, req.status, secs);
    accesslog_add(&w->log, req.method, h->method.base, h->method.len, route ? route->path : NULL, norm, norm_len,
                  req.status, secs, req.client_id, w->index);
    return 0;
}

/* ---- sockets and threads --------------------------------------------------------------- */

static int listen_socket(const struct config *cfg, char *err, size_t errlen)
{
    char port[8];
    snprintf(port, sizeof port, "%u", cfg->listen_port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE}, *ai;
    char host[256];
    snprintf(host, sizeof host, "%s", cfg->listen_host);
    size_t hl = strlen(host);
    char *h = host;
    if (hl > 2 && host[0] == '[' && host[hl - 1] == ']') { /* [::1]:8080 */
        host[hl - 1] = '\0';
        h = host + 1;
    }
    int rc = getaddrinfo(h, port, &hints, &ai);
    if (rc != 0) {
        snprintf(err, errlen, "listen: cannot resolve %s: %s", cfg->listen_host, gai_strerror(rc));
        return -1;
    }
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 ||
        listen(fd, 4096) != 0) {
        snprintf(err, errlen, "listen: cannot listen on %s:%u: %s", cfg->listen_host, cfg->listen_port,
                 strerror(errno));
        if (fd >= 0)
            close(fd);
        fd = -1;
    }
    freeaddrinfo(ai);
    return fd;
}

static void on_conn_close(void *data)
{
    struct conn *c = data;
    h2o_linklist_unlink(&c->link);
    free(c);
}

/* We accept ourselves (rather than h2o_evloop_socket_accept) to keep the fd, which a
 * stopping worker needs to close idle connections. */
static void on_accept(h2o_socket_t *listener, const char *err)
{
    if (err != NULL)
        return;
    struct worker *w = listener->data;
    for (int i = 0; i < 16; i++) {
        int fd = accept4(w->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), one = 1;
        if (fd < 0)
            return;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct conn *c = xcalloc(1, sizeof *c);
        c->fd = fd;
        c->sock = h2o_evloop_socket_create(w->ctx.loop, fd, H2O_SOCKET_FLAG_IS_ACCEPTED_CONNECTION);
        c->sock->on_close.cb = on_conn_close;
        c->sock->on_close.data = c;
        h2o_linklist_insert(&w->conns, &c->link);
        h2o_accept(&w->accept_ctx, c->sock);
    }
}

/* Idle: everything read so far was answered, and nothing unparsed is buffered. */
static bool conn_is_idle(const struct conn *c)
{
    return c->sock->bytes_read == c->bytes_at_last_reply && (c->sock->input == NULL || c->sock->input->size == 0);
}

/* Shutting the read side makes h2o see end-of-stream and close the connection once any reply
 * still being written has gone out. all: also connections that are mid-request (deadline). */
static void close_connections(struct worker *w, bool all)
{
    for (h2o_linklist_t *l = w->conns.next; l != &w->conns; l = l->next) {
        struct conn *c = H2O_STRUCT_FROM_MEMBER(struct conn, link, l);
        if (all || conn_is_idle(c))
            shutdown(c->fd, all ? SHUT_RDWR : SHUT_RD);
    }
}

static bool connections_open(struct worker *w)
{
    return !h2o_linklist_is_empty(&w->ctx.http1._conns) || !h2o_linklist_is_empty(&w->ctx.http2._conns);
}

/* Stop accepting, ask h2o to close connections after their current request, and keep the
 * loop turning until they are gone or the shutdown timeout passes. */
static void drain(struct worker *w)
{
    h2o_socket_read_stop(w->listener);
    h2o_socket_close(w->listener);
    w->listener = NULL;
    h2o_context_request_shutdown(&w->ctx);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (connections_open(w) && seconds_since(&t0) < S.cfg->shutdown_timeout_s) {
        close_connections(w, false);
        h2o_evloop_run(w->ctx.loop, 20);
        db_reads_release(w->db);
        accesslog_flush(&w->log);
    }
    close_connections(w, true);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    h2o_linklist_init_anchor(&w->conns);
    h2o_context_init(&w->ctx, h2o_evloop_create(), &S.h2o);
    w->accept_ctx.ctx = &w->ctx;
    w->accept_ctx.hosts = S.h2o.hosts;
    w->listener = h2o_evloop_socket_create(w->ctx.loop, w->listen_fd, H2O_SOCKET_FLAG_DONT_READ);
    w->listener->data = w;
    h2o_socket_read_start(w->listener, on_accept);
    while (!atomic_load(&S.stopping)) {
        h2o_evloop_run(w->ctx.loop, 100); /* the timeout bounds how late we notice SIGTERM */
        db_reads_release(w->db);
        accesslog_flush(&w->log);
    }
    drain(w);
    /* Let closing sockets' deferred callbacks run so the context's timers are empty. */
    for (int i = 0; i < 10 && connections_open(w); i++)
        h2o_evloop_run(w->ctx.loop, 10);
    accesslog_flush(&w->log);
    /* request_shutdown arms HTTP/2's graceful-shutdown timer; disarm it before disposing. */
    if (h2o_timeout_is_linked(&w->ctx.http2._graceful_shutdown_timeout))
        h2o_timeout_unlink(&w->ctx.http2._graceful_shutdown_timeout);
    if (!connections_open(w))
        h2o_context_dispose(&w->ctx);
    return NULL;
}

static void configure_h2o(const struct config *cfg)
{
    h2o_config_init(&S.h2o);
    S.h2o.server_name = h2o_iovec_init(H2O_STRLIT("connectd"));
    S.h2o.max_request_entity_size = CONFIG_MAX_BODY; /* h2o answers 413 itself above this */
    S.h2o.http1.req_timeout = (uint64_t)cfg->read_timeout_s * 1000;
    S.h2o.http2.idle_timeout = (uint64_t)cfg->read_timeout_s * 1000;
    h2o_hostconf_t *host = h2o_config_register_host(&S.h2o, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    h2o_pathconf_t *pc = h2o_config_register_path(host, "/", 0);
    h2o_handler_t *handler = h2o_create_handler(pc, sizeof *handler);
    handler->on_req = on_req;
}

static bool workers_open(const struct config *cfg, char *err, size_t errlen)
{
    for (size_t i = 0; i < S.nworkers; i++) {
        struct worker *w = &S.workers[i];
        w->index = i;
        w->listen_fd = listen_socket(cfg, err, errlen);
        if (w->listen_fd < 0)
            return false;
        w->db = db_open(cfg->db_url, err, errlen);
        if (w->db == NULL)
            return false;
        db_share_reads(w->db);
        if (!accesslog_open(&w->log, cfg->access_log, err, errlen))
            return false;
    }
    return true;
}

static void workers_close(void)
{
    for (size_t i = 0; i < S.nworkers; i++) {
        struct worker *w = &S.workers[i];
        if (w->db)
            db_close(w->db);
        if (w->listener == NULL && w->listen_fd >= 0 && w->ctx.loop == NULL)
            close(w->listen_fd);
        accesslog_close(&w->log);
    }
    free(S.workers);
    S.workers = NULL;
}

static int wait_for_signal(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    int sig = 0;
    sigwait(&set, &sig);
    return sig;
}

int server_run(const struct config *cfg, const struct router *router)
{
    char err[512];
    S.cfg = cfg;
    S.router = router;
    S.nworkers = (size_t)config_workers(cfg);
    S.workers = xcalloc(S.nworkers, sizeof *S.workers);
    for (size_t i = 0; i < S.nworkers; i++)
        S.workers[i].listen_fd = -1;
    atomic_store(&S.stopping, false);

    /* Workers inherit this mask: only the main thread takes the stop signals. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    configure_h2o(cfg);
    if (!workers_open(cfg, err, sizeof err)) {
        log_error("%s", err);
        workers_close();
        return 1;
    }
    metrics_init(S.nworkers, router);
    for (size_t i = 0; i < S.nworkers; i++)
        pthread_create(&S.workers[i].thread, NULL, worker_main, &S.workers[i]);
    log_info("listening on %s:%u (%zu workers)", cfg->listen_host, cfg->listen_port, S.nworkers);

    int sig = wait_for_signal();
    log_info("%s received: finishing open requests (up to %d s)", sig == SIGINT ? "SIGINT" : "SIGTERM",
             cfg->shutdown_timeout_s);
    atomic_store(&S.stopping, true);
    for (size_t i = 0; i < S.nworkers; i++)
        pthread_join(S.workers[i].thread, NULL);
    workers_close();
    metrics_free();
    h2o_config_dispose(&S.h2o);
    log_info("stopped");
    return 0;
}
