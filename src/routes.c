/* routes.c — the one place that knows every area: joins their route tables into the router.
 * Sandbox diagnostics are only added when --sandbox is on. */
#include "routes.h"

#include "api/api.h"
#include "util/log.h"

static bool add_table(struct router *r, struct route_table t)
{
    char err[256];
    for (size_t i = 0; i < t.count; i++) {
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
    bool ok = add_table(r, ops_routes());
    if (ok && cfg->sandbox)
        ok = add_table(r, sandbox_routes());
    if (!ok) {
        router_free(r);
        return NULL;
    }
    return r;
}
