/* routes.h — builds the router from every area's route table (api/api.h). */
#ifndef CONNECTD_ROUTES_H
#define CONNECTD_ROUTES_H

#include "config.h"
#include "router.h"

/* NULL (after logging why) if two tables claim the same route. */
struct router *routes_build(const struct config *cfg);

#endif
