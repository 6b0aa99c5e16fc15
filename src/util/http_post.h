/* http_post.h — one outbound HTTP POST over libcurl, with the safe defaults every caller wants:
 * a total timeout, no redirects followed, TLS peer and host verified, only http(s) spoken.
 * Used by the webhook dispatcher (events/) and meant for any other outbound call (an SMS
 * gateway). A client keeps one curl handle, so connections to the same host are reused; it
 * belongs to one thread. http_global_init() must run once before threads start. */
#ifndef CONNECTD_HTTP_POST_H
#define CONNECTD_HTTP_POST_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#define HTTP_POST_ERROR_MAX 256

struct http_post_request {
    const char *url;
    const char *const *headers; /* "Name: value" lines, without CR/LF */
    size_t nheaders;
    const char *body;
    size_t body_len;
    long timeout_ms;          /* the whole exchange, connecting included */
    bool allow_http;          /* plain http:// too (sandbox loopback receivers); https always */
    const char *ca_file;      /* extra trust anchors (PEM); NULL = the system store */
    const atomic_bool *abort; /* when it turns true the exchange is given up; may be NULL */
};

struct http_post_result {
    int status;                      /* the HTTP status, or 0 when there was no response */
    bool aborted;                    /* given up because *abort turned true */
    char error[HTTP_POST_ERROR_MAX]; /* why there was no response ("" when status > 0) */
};

struct http_client;

/* localhost, 127.0.0.0/8 or ::1 (bare, or in brackets as libcurl's URL parser gives it): the
 * hosts that plain http may go to in the sandbox. A name that merely starts with "127." is not. */
bool http_host_is_loopback(const char *host);

/* curl_global_init, once per process (later calls do nothing); false if it failed. */
bool http_global_init(void);
void http_global_cleanup(void);

struct http_client *http_client_new(void);
void http_client_free(struct http_client *c);

/* POSTs the body. True when a response arrived (any status, 3xx included: redirects are never
 * followed); false with out->error set for a timeout, a connection or TLS error, a refused
 * URL scheme, or an abort. The response body is read and discarded. */
bool http_client_post(struct http_client *c, const struct http_post_request *rq, struct http_post_result *out);

/* The same with a client made for this one call. */
bool http_post(const struct http_post_request *rq, struct http_post_result *out);

#endif
