/* routes.c — the one place that knows every area: joins their route tables into the router.
 * Sandbox diagnostics are only added when --sandbox is on. */
#include "routes.h"

#include <string.h>

#include "api/api.h"
#include "util/log.h"

/* The auth layer decides the mode from the path prefix (spec README §5.1) before routing; a
 * table that declares something else is a bug, caught at start-up. */
static bool mode_matches_prefix(const struct route *route)
{
    bool capi = !strncmp(route->path, "/capi/", 6), client = !strncmp(route->path, "/capi/v1/client/", 16);
    enum auth_mode want = !capi ? AUTH_NONE : client ? AUTH_CLIENT : AUTH_USER;
    return route->mode == want;
}

static bool add_table(struct router *r, struct route_table t)
{
    char err[256];
    for (size_t i = 0; i < t.count; i++) {
        if (!mode_matches_prefix(&t.routes[i])) {
            log_error("route table: %s %s declares an auth mode its path prefix contradicts",
                      http_method_name(t.routes[i].method), t.routes[i].path);
            return false;
        }
        if (!router_add(r, &t.routes[i], err, sizeof err)) {
            log_error("route table: %s", err);
            return false;
        }
    }
    return true;
}

struct router *routes_build(const struct config *cfg)
{
    struct router *r = router_new();
    bool ok = add_table(r, ops_routes()) && add_table(r, oauth_routes()) && add_table(r, extid_routes()) &&
              add_table(r, login_routes()) && add_table(r, login_flow_routes()) &&
              add_table(r, authorize_routes()) && add_table(r, customer_routes()) &&
              add_table(r, address_routes()) && add_table(r, category_routes()) && add_table(r, reference_routes()) &&
              add_table(r, credential_routes()) && add_table(r, metadata_routes()) && add_table(r, profile_routes());
    if (ok && cfg->sandbox)
        ok = add_table(r, sandbox_routes()) && add_table(r, login_sandbox_routes());
    if (!ok) {
        router_free(r);
        return NULL;
    }
    return r;
}
