/* ops.c — operations endpoints: liveness (/healthz), readiness (/readyz: the worker's
 * database answers) and Prometheus metrics (/metrics). No authentication: they are meant for
 * the load balancer and the scraper on the operator's network. */
#include "login/messenger.h"
#include "api/api.h"

#include "http/metrics.h"
#include "http/request.h"
#include "store/store.h"
#include "util/buf.h"

static void ops_healthz(struct request *req)
{
    reply_value(req, 200, json_pack("{s:s}", "status", "ok"));
}

static void ops_readyz(struct request *req)
{
    if (db_ping(req->db))
        reply_value(req, 200, json_pack("{s:s}", "status", "ready"));
    else
        reply_value(req, 503, json_pack("{s:s}", "status", "unavailable"));
}

static void ops_metrics(struct request *req)
{
    struct buf out = BUF_INIT;
    metrics_render(&out);
    messenger_metrics_render(&out);
    int64_t backlog = store_outbox_backlog(req->db);
    buf_puts(&out, "# HELP connectd_outbox_backlog Events in the outbox not yet delivered.\n"
                   "# TYPE connectd_outbox_backlog gauge\n");
    buf_printf(&out, "connectd_outbox_backlog %lld\n", (long long)(backlog < 0 ? 0 : backlog));
    reply_raw(req, 200, "text/plain; version=0.0.4; charset=utf-8", out.data, out.len);
    buf_free(&out);
}

static const struct route ROUTES[] = {
    {HTTP_GET, "/healthz", AUTH_NONE, ops_healthz, 0, "health"},
    {HTTP_GET, "/readyz", AUTH_NONE, ops_readyz, 0, "ready"},
    {HTTP_GET, "/metrics", AUTH_NONE, ops_metrics, 0, NULL},
};

struct route_table ops_routes(void)
{
    return ROUTE_TABLE(ROUTES);
}
