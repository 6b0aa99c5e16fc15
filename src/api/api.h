/* api.h — the route tables each area file exports; routes.c joins them into the router.
 * An area adds its table here and in routes.c, and nothing else outside its own files. */
#ifndef CONNECTD_API_H
#define CONNECTD_API_H

#include <stddef.h>

#include "router.h"

struct route_table {
    const struct route *routes;
    size_t count;
};

#define ROUTE_TABLE(arr) ((struct route_table){(arr), sizeof(arr) / sizeof((arr)[0])})

struct route_table ops_routes(void);     /* api/ops.c: /healthz, /readyz, /metrics */
struct route_table sandbox_routes(void); /* api/sandbox.c: /sandbox/... (only with --sandbox) */
struct route_table extid_routes(void);   /* api/extid.c: External Identity (#127, #128) */
struct route_table customer_routes(void);  /* api/customer.c: Customer (#9-#13) */
struct route_table address_routes(void);   /* api/address.c: Address (#1-#5) */
struct route_table category_routes(void);  /* api/category.c: Category (#6-#8) */
struct route_table reference_routes(void); /* api/reference.c: External Reference (#14-#17) */
struct route_table credential_routes(void); /* api/credential.c: Check credential (#118) */
struct route_table metadata_routes(void);   /* api/metadata.c: Metadata (#119-#124) */
struct route_table profile_routes(void);    /* api/profile.c: Profile (#125, #126, C1) */
struct route_table oauth_routes(void);         /* oauth/endpoint.c: /user/oauth/token, revoke, introspect */
struct route_table login_routes(void);         /* login/pages.c: loginCheck, logout, the stylesheet */
struct route_table login_sandbox_routes(void); /* login/pages.c: /user/sandbox/messages (--sandbox) */
struct route_table login_flow_routes(void);    /* login/flow.c: login, createUser, register, oauthLogin */
struct route_table authorize_routes(void);     /* login/authorize.c: /user/oauth/authorize and its approval */

#endif
