/* router.h — the route table (spec README §4).
 * A route is method + template ("/capi/v1/customer/address/{productCode}") + the auth mode
 * the auth layer enforces + the handler. Matching considers only routes of the request's
 * method; when several templates match, the one with a literal segment at the first segment
 * where they differ wins. A path that matches only other methods gives 405 with the Allow
 * set; no match at all gives 404. HEAD is served by GET routes. */
#ifndef CONNECTD_ROUTER_H
#define CONNECTD_ROUTER_H

#include <stdbool.h>
#include <stddef.h>

#include "http/path.h"

enum http_method {
    HTTP_GET,
    HTTP_HEAD,
    HTTP_POST,
    HTTP_PUT,
    HTTP_PATCH,
    HTTP_DELETE,
    HTTP_OPTIONS,
    HTTP_METHOD_COUNT,
    HTTP_OTHER = HTTP_METHOD_COUNT,
};

/* Who may call a route; the auth layer enforces it (spec README §5.1). */
enum auth_mode {
    AUTH_NONE,   /* operations endpoints, login pages, the token endpoint */
    AUTH_CLIENT, /* client-credentials token: /capi/v1/client/... */
    AUTH_USER,   /* user token: every other /capi/v1/... path */
};

/* Route flags. */
#define ROUTE_BODY 0x1        /* takes a JSON/XML body: 415 and malformed-body checks apply */
#define ROUTE_XML_DEFAULT 0x2 /* legacy XML-default endpoint (spec README §7.1) */
#define ROUTE_JSON_ONLY 0x4   /* always answers JSON (metadata endpoints) */
#define ROUTE_GUI 0x8         /* a login-service browser page: limited per client address (README §10) */

struct request;
typedef void (*handler_fn)(struct request *req);

struct route {
    enum http_method method;
    const char *path; /* template; "{name}" is a parameter segment */
    enum auth_mode mode;
    handler_fn handler;
    unsigned flags;
    const char *xml_root; /* XML root element of the reply (spec README §7.2), or NULL */
};

#define ROUTER_MAX_PARAMS 8

struct route_param {
    const char *name; /* from the template, not NUL-terminated */
    size_t name_len;
    const char *value; /* the decoded segment */
    size_t len;
};

struct route_match {
    const struct route *route;
    size_t nparams;
    struct route_param params[ROUTER_MAX_PARAMS];
    unsigned allow; /* on ROUTE_METHOD_NOT_ALLOWED: bit (1u << method) per allowed method */
};

enum route_result {
    ROUTE_FOUND,
    ROUTE_NOT_FOUND,
    ROUTE_METHOD_NOT_ALLOWED,
};

struct router;

struct router *router_new(void);
void router_free(struct router *r);
/* Adds a route (the struct is referenced, not copied: keep it static). Returns false, with a
 * message in err, for a malformed template or the same method + template twice. */
bool router_add(struct router *r, const struct route *route, char *err, size_t errlen);
/* Stable index of each route in the order added: 0 .. router_count()-1. */
size_t router_count(const struct router *r);
const struct route *router_route(const struct router *r, size_t index);
size_t router_index_of(const struct router *r, const struct route *route);

enum route_result router_match(const struct router *r, enum http_method method, const struct path *path,
                               struct route_match *out);

/* Parameter value by name, or NULL (len set to 0). */
const char *route_param(const struct route_match *m, const char *name, size_t *len);

enum http_method http_method_parse(const char *s, size_t len);
const char *http_method_name(enum http_method m);
/* Writes "GET, HEAD, POST" for an allow mask (HEAD listed whenever GET is). */
void router_allow_header(unsigned allow, char *buf, size_t cap);

#endif
