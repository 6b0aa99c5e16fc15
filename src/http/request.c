/* request.c — handler inputs and the reply vocabulary (see request.h).
 * Replies are recorded, not sent, so the glue can render every reply the same way (one
 * negotiation, one renderer) and log and count it once. */
#include "http/request.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "codec/json.h"
#include "codec/xml.h"
#include "util/buf.h"
#include "util/crypto.h"
#include "util/log.h"
#include "util/utf8.h"

const char *request_param(struct request *req, const char *name)
{
    size_t len;
    const char *v = route_param(&req->match, name, &len);
    if (v == NULL)
        return NULL;
    char *copy = h2o_mem_alloc_pool(req->pool, len + 1);
    memcpy(copy, v, len);
    copy[len] = '\0';
    return copy;
}

const char *request_header(const struct request *req, const h2o_token_t *token, size_t *len)
{
    ssize_t i = h2o_find_header(&req->h2o->headers, token, -1);
    if (i < 0) {
        if (len)
            *len = 0;
        return NULL;
    }
    if (len)
        *len = req->h2o->headers.entries[i].value.len;
    return req->h2o->headers.entries[i].value.base;
}

static bool peer_address(const struct request *req, struct sockaddr_storage *ss)
{
    h2o_conn_t *conn = req->h2o->conn;
    return conn->callbacks->get_peername != NULL && conn->callbacks->get_peername(conn, (struct sockaddr *)ss) != 0;
}

size_t request_peer_key(const struct request *req, unsigned char key[16])
{
    struct sockaddr_storage ss;
    if (!peer_address(req, &ss))
        return 0;
    if (ss.ss_family == AF_INET) {
        memcpy(key, &((struct sockaddr_in *)&ss)->sin_addr, 4);
        return 4;
    }
    if (ss.ss_family == AF_INET6) {
        memcpy(key, &((struct sockaddr_in6 *)&ss)->sin6_addr, 16);
        return 16;
    }
    return 0;
}

const char *request_peer_text(struct request *req)
{
    struct sockaddr_storage ss;
    char *out = h2o_mem_alloc_pool(req->pool, INET6_ADDRSTRLEN);
    if (!peer_address(req, &ss))
        return "unknown";
    const void *a = ss.ss_family == AF_INET    ? (const void *)&((struct sockaddr_in *)&ss)->sin_addr
                    : ss.ss_family == AF_INET6 ? (const void *)&((struct sockaddr_in6 *)&ss)->sin6_addr
                                               : NULL;
    return a && inet_ntop(ss.ss_family, a, out, INET6_ADDRSTRLEN) ? out : "unknown";
}

bool request_query_or_reply(struct request *req, struct form *f)
{
    if (req->query == NULL) {
        f->n = 0;
        f->params = NULL;
        return true;
    }
    if (form_parse(req->query, req->query_len, req->pool, f))
        return true;
    return reply_validation(req, "query: malformed percent-encoding");
}

bool request_path_or_reply(struct request *req, const struct field *fields, size_t n, void *out)
{
    json_t *params = json_object();
    for (size_t i = 0; i < req->match.nparams; i++) {
        const struct route_param *p = &req->match.params[i];
        json_t *v = json_stringn(p->value, p->len);
        if (v == NULL) {
            json_decref(params);
            return reply_validation(req, "%.*s: must be UTF-8 text", (int)p->name_len, p->name);
        }
        json_object_setn_new_nocheck(params, p->name, p->name_len, v); /* names come from the route table */
    }
    struct validate_error err;
    bool ok = validate_fields(params, false, fields, n, out, req->pool, &err);
    json_decref(params);
    return ok || reply_validation(req, "%s", err.message);
}

bool request_body_or_reply(struct request *req, const struct field *fields, size_t n, void *out)
{
    struct validate_error err;
    if (validate_fields(req->body.value, req->body.xml, fields, n, out, req->pool, &err))
        return true;
    return reply_validation(req, "%s", err.message);
}

/* ---- recording replies ----------------------------------------------------------------- */

static void reply_reset(struct request *req)
{
    if (req->value)
        json_decref(req->value);
    req->value = NULL;
    req->raw = NULL;
    req->is_error = false;
    req->json_only = false;
}

void reply_value(struct request *req, int status, json_t *value)
{
    reply_reset(req);
    req->reply = REPLY_VALUE;
    req->status = status;
    req->value = value;
}

void reply_raw(struct request *req, int status, const char *content_type, const char *data, size_t len)
{
    reply_reset(req);
    req->reply = REPLY_RAW;
    req->status = status;
    req->raw_type = content_type;
    req->raw = h2o_mem_alloc_pool(req->pool, len ? len : 1);
    memcpy((char *)req->raw, data, len);
    req->raw_len = len;
}

bool reply_error(struct request *req, int status, const char *exception_type, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    utf8_scrub(msg); /* messages may quote client input */
    json_t *v = json_object();
    json_object_set_new(v, "exceptionType", json_string(exception_type));
    json_object_set_new(v, "errorMessage", json_string(msg));
    reply_value(req, status, v);
    req->is_error = true;
    return false;
}

const char *request_log_failure(struct request *req, const char *what)
{
    char *id = h2o_mem_alloc_pool(req->pool, 33);
    if (!random_hex(id, 16))
        snprintf(id, 33, "unavailable");
    /* The path without its query string: a query may carry secrets (spec README §13). */
    h2o_iovec_t path = req->h2o->path;
    size_t plen = req->h2o->query_at == SIZE_MAX ? path.len : req->h2o->query_at;
    log_error("correlation=%s %s %.*s: %s", id, http_method_name(req->method), (int)plen, path.base, what);
    return id;
}

bool reply_internal(struct request *req, const char *what)
{
    /* Only the id reaches the client: the log line holds the cause. */
    const char *id = request_log_failure(req, what);
    return reply_error(req, 500, EXC_SERVICE, "Internal error, correlation id %s", id);
}

void reply_header(struct request *req, const char *name, const char *value)
{
    /* h2o keeps the pointers until the headers are written: copy into the request's pool. */
    h2o_iovec_t n = h2o_strdup(req->pool, name, strlen(name)), v = h2o_strdup(req->pool, value, strlen(value));
    h2o_add_header_by_str(req->pool, &req->h2o->res.headers, n.base, n.len, 1, NULL, v.base, v.len);
}

/* ---- sending --------------------------------------------------------------------------- */

static const char *reason_phrase(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 302: return "Found";
    case 303: return "See Other";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Unknown";
    }
}

static void send_bytes(struct request *req, const char *content_type, const char *data, size_t len)
{
    static h2o_generator_t generator = {NULL, NULL};
    h2o_req_t *h = req->h2o;
    h->res.status = req->status;
    h->res.reason = reason_phrase(req->status);
    h2o_add_header(req->pool, &h->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, content_type, strlen(content_type));
    h2o_iovec_t body = h2o_strdup(req->pool, data, len);
    /* A known length keeps HTTP/1.0 replies un-chunked (spec README §3). */
    h->res.content_length = len;
    h2o_start_response(h, &generator);
    h2o_send(h, &body, 1, H2O_SEND_STATE_FINAL);
}

static struct negotiation negotiate_request(struct request *req, enum default_format def)
{
    const struct route *route = req->match.route;
    size_t alen;
    const char *accept = request_header(req, H2O_TOKEN_ACCEPT, &alen);
    bool legacy = route && (route->flags & ROUTE_XML_DEFAULT);
    return negotiate(accept, alen, req->body.xml, legacy, def);
}

static void send_value(struct request *req, enum default_format def)
{
    const struct route *route = req->match.route;
    struct negotiation n = {FORMAT_JSON, false};
    if (!req->json_only && !(route && (route->flags & ROUTE_JSON_ONLY)))
        n = negotiate_request(req, def);
    struct buf out = BUF_INIT;
    if (n.format == FORMAT_XML) {
        const char *root = req->is_error ? "error" : route && route->xml_root ? route->xml_root : "response";
        xml_render(&out, req->value, root);
        send_bytes(req, n.text_xml ? "text/xml;charset=UTF-8" : "application/xml;charset=UTF-8", out.data, out.len);
    } else {
        json_render(&out, req->value);
        send_bytes(req, "application/json;charset=UTF-8", out.data, out.len);
    }
    buf_free(&out);
}

void request_send(struct request *req, enum default_format def)
{
    if (req->reply == REPLY_NONE)
        reply_internal(req, "handler returned without a reply");
    if (req->reply == REPLY_RAW)
        send_bytes(req, req->raw_type, req->raw, req->raw_len);
    else
        send_value(req, def);
    reply_reset(req);
    if (req->body.value) {
        json_decref(req->body.value);
        req->body.value = NULL;
    }
}
