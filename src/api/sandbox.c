/* sandbox.c — developer diagnostics, registered only with --sandbox.
 * POST /sandbox/echo answers with the request body as the server understood it (after the
 * JSON/XML parsing of spec README §6), rendered by the same negotiation as every endpoint:
 * a quick way for an integrator to see how their XML maps to fields. GET /sandbox/echo/{value}
 * shows how a path parameter was decoded. */
#include "api/api.h"

#include "http/request.h"

static void sandbox_echo_body(struct request *req)
{
    reply_value(req, 200, json_incref(req->body.value));
}

static void sandbox_echo_param(struct request *req)
{
    reply_value(req, 200, json_pack("{s:s}", "value", request_param(req, "value")));
}

static const struct route ROUTES[] = {
    {HTTP_POST, "/sandbox/echo", AUTH_NONE, sandbox_echo_body, ROUTE_BODY, "echo"},
    {HTTP_GET, "/sandbox/echo/{value}", AUTH_NONE, sandbox_echo_param, 0, "echo"},
};

struct route_table sandbox_routes(void)
{
    return ROUTE_TABLE(ROUTES);
}
