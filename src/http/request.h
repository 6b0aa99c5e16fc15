/* request.h — what a handler sees and the small vocabulary it replies with.
 * A handler reads its inputs from struct request (path parameters, query, parsed body) and
 * answers with exactly one reply_* call; the server glue (server.c) renders the reply in the
 * negotiated format, sends it, and records it in the access log and metrics. Memory that
 * lives as long as the request comes from req->pool (freed in one go at the end). */
#ifndef CONNECTD_REQUEST_H
#define CONNECTD_REQUEST_H

#include <h2o.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "codec/body.h"
#include "codec/validate.h"
#include "http/form.h"
#include "http/negotiate.h"
#include "router.h"

struct worker;
struct db;

/* Who is calling: set by the auth layer on /capi requests (spec README §5), NULL elsewhere.
 * Handlers see only data of the caller's partner. */
struct caller {
    char client_id[101];
    char partner[64];
    char user_id[33]; /* the user's uniqueId for user-mode tokens, "" for client mode */
};

/* exceptionType values (spec README §9.1). */
#define EXC_VALIDATION "ValidationException"
#define EXC_NOT_FOUND "NotFoundException"
#define EXC_ILLEGAL_STATE "IllegalStateException"
#define EXC_ACCESS_DENIED "AccessDeniedException"
#define EXC_NO_HANDLER "NoHandlerFoundException"
#define EXC_METHOD "HttpRequestMethodNotSupportedException"
#define EXC_MEDIA_TYPE "HttpMediaTypeNotSupportedException"
#define EXC_TOO_MANY "TooManyRequestsException"
#define EXC_SERVICE "ServiceException"

enum reply_kind {
    REPLY_NONE,  /* the handler has not answered yet */
    REPLY_VALUE, /* a value tree, rendered JSON or XML by negotiation */
    REPLY_RAW,   /* bytes with their own content type (metrics, HTML) */
};

struct request {
    h2o_req_t *h2o;
    h2o_mem_pool_t *pool;
    struct worker *worker;
    struct db *db; /* the worker's own connection */

    enum http_method method;
    struct path path;
    struct route_match match; /* match.route is NULL until routing succeeded */
    const char *query;        /* raw query string without '?', or NULL */
    size_t query_len;
    struct body body; /* parsed for ROUTE_BODY routes; body.value NULL otherwise */
    const char *client_id; /* the authenticated client, for the access log; NULL if none */
    const struct caller *caller; /* /capi only: the authenticated caller */

    /* the reply */
    enum reply_kind reply;
    int status;
    bool is_error;  /* an API error body: its XML root is <error> */
    bool json_only; /* OAuth bodies are JSON whatever the Accept header says (spec README §9.2) */
    json_t *value;
    const char *raw;
    size_t raw_len;
    const char *raw_type;
};

/* ---- inputs ---------------------------------------------------------------------------- */

/* The decoded value of path parameter name (NUL-terminated copy in the pool), or NULL. */
const char *request_param(struct request *req, const char *name);
/* The value of request header name (lower-case), or NULL; *len receives its length. */
const char *request_header(const struct request *req, const h2o_token_t *token, size_t *len);
/* The client's address as a compact key (4 bytes IPv4, 16 IPv6) for per-address limits; 0
 * when the connection has none. */
size_t request_peer_key(const struct request *req, unsigned char key[16]);
/* The client's address as text ("127.0.0.1", "::1"; "unknown" when none), pool memory. */
const char *request_peer_text(struct request *req);
/* Parses the query string into f. On a malformed query answers 400 and returns false. */
bool request_query_or_reply(struct request *req, struct form *f);
/* Validates the path parameters against a field table (validate.h) the way a body is: each
 * parameter is its decoded text, so integers, limits and enums read as in bodies ("productCode:
 * must not be longer than 12 characters"). Answers 400 and returns false on the first
 * violation. */
bool request_path_or_reply(struct request *req, const struct field *fields, size_t n, void *out);
/* Validates the parsed body against a field table (validate.h); answers 400 and returns false
 * on the first violation. */
bool request_body_or_reply(struct request *req, const struct field *fields, size_t n, void *out);

/* ---- replies (exactly one per request) ------------------------------------------------- */

/* Takes ownership of value. */
void reply_value(struct request *req, int status, json_t *value);
void reply_raw(struct request *req, int status, const char *content_type, const char *data, size_t len);
/* An API error body {"exceptionType","errorMessage"} (spec README §9.1). Returns false so a
 * handler can write `return reply_error(...)` in a bool function. */
bool reply_error(struct request *req, int status, const char *exception_type, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Logs an unexpected failure under a fresh correlation id and returns the id (pool memory).
 * Never pass user input as what. */
const char *request_log_failure(struct request *req, const char *what);
/* 500 ServiceException carrying only the correlation id (request_log_failure). */
bool reply_internal(struct request *req, const char *what);
void reply_header(struct request *req, const char *name, const char *value);

#define reply_validation(req, ...) reply_error((req), 400, EXC_VALIDATION, __VA_ARGS__)
#define reply_not_found(req, ...) reply_error((req), 400, EXC_NOT_FOUND, __VA_ARGS__)

/* ---- used by the glue ------------------------------------------------------------------ */

/* Renders and sends the reply (500 if the handler gave none). */
void request_send(struct request *req, enum default_format def);

#endif
