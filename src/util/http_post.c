/* http_post.c — the libcurl side of http_post.h. Every option that matters for safety is set
 * explicitly on each call (a reused handle must not inherit a previous caller's choices), and
 * curl's error buffer supplies the text of a failure: it names the host and the cause, never
 * the request's headers or body. */
#include "util/http_post.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/buf.h"

struct http_client {
    CURL *curl;
};

bool http_host_is_loopback(const char *host)
{
    struct in_addr v4;
    if (!strcasecmp(host, "localhost") || !strcmp(host, "[::1]") || !strcmp(host, "::1"))
        return true;
    return inet_pton(AF_INET, host, &v4) == 1 && (ntohl(v4.s_addr) >> 24) == 127;
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static bool init_ok;

static void global_init(void)
{
    init_ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}

bool http_global_init(void)
{
    pthread_once(&init_once, global_init);
    return init_ok;
}

void http_global_cleanup(void)
{
    if (init_ok)
        curl_global_cleanup();
}

struct http_client *http_client_new(void)
{
    if (!http_global_init())
        return NULL;
    CURL *curl = curl_easy_init();
    if (curl == NULL)
        return NULL;
    struct http_client *c = xcalloc(1, sizeof *c);
    c->curl = curl;
    return c;
}

void http_client_free(struct http_client *c)
{
    if (c == NULL)
        return;
    curl_easy_cleanup(c->curl);
    free(c);
}

/* The response body is ignored (events.md §5): accept and drop it. */
static size_t discard(char *p, size_t size, size_t n, void *arg)
{
    (void)p;
    (void)arg;
    return size * n;
}

static int check_abort(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    const atomic_bool *abort = arg;
    return abort && atomic_load(abort) ? 1 : 0;
}

/* Header lines for curl; "Expect:" switches off 100-continue, which would otherwise stall a
 * larger body for a second against receivers that do not answer it. */
static struct curl_slist *header_list(const struct http_post_request *rq, bool *ok)
{
    struct curl_slist *list = NULL, *next;
    *ok = true;
    for (size_t i = 0; i <= rq->nheaders && *ok; i++) {
        const char *line = i < rq->nheaders ? rq->headers[i] : "Expect:";
        if (strpbrk(line, "\r\n")) {
            *ok = false;
            break;
        }
        next = curl_slist_append(list, line);
        if (next == NULL)
            *ok = false;
        else
            list = next;
    }
    return list;
}

static void set_options(CURL *curl, const struct http_post_request *rq, struct curl_slist *headers, char *errbuf)
{
    curl_easy_reset(curl);
    curl_easy_setopt(curl, CURLOPT_URL, rq->url);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, rq->allow_http ? "http,https" : "https");
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
    if (rq->ca_file && *rq->ca_file)
        curl_easy_setopt(curl, CURLOPT_CAINFO, rq->ca_file);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L); /* threads: no SIGALRM for DNS timeouts */
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, rq->timeout_ms);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, rq->timeout_ms);
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, rq->body ? rq->body : "");
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(rq->body ? rq->body_len : 0));
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "connectd/" CONNECTD_VERSION);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, check_abort);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, (void *)rq->abort);
}

static void describe_failure(CURLcode rc, const char *errbuf, long timeout_ms, struct http_post_result *out)
{
    if (rc == CURLE_OPERATION_TIMEDOUT)
        snprintf(out->error, sizeof out->error, "no response within %ld ms", timeout_ms);
    else if (rc == CURLE_ABORTED_BY_CALLBACK) {
        out->aborted = true;
        snprintf(out->error, sizeof out->error, "aborted: shutting down");
    } else
        snprintf(out->error, sizeof out->error, "%s", *errbuf ? errbuf : curl_easy_strerror(rc));
    out->error[strcspn(out->error, "\r\n")] = '\0';
}

bool http_client_post(struct http_client *c, const struct http_post_request *rq, struct http_post_result *out)
{
    memset(out, 0, sizeof *out);
    bool headers_ok;
    struct curl_slist *headers = header_list(rq, &headers_ok);
    if (!headers_ok) {
        curl_slist_free_all(headers);
        snprintf(out->error, sizeof out->error, "a header line holds CR or LF, or memory ran out");
        return false;
    }
    char errbuf[CURL_ERROR_SIZE] = "";
    set_options(c->curl, rq, headers, errbuf);
    CURLcode rc = curl_easy_perform(c->curl);
    long status = 0;
    if (rc == CURLE_OK)
        curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
    /* The list must outlive the transfer; the handle keeps no pointer to it after a reset. */
    curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(headers);
    if (rc != CURLE_OK || status <= 0) {
        describe_failure(rc == CURLE_OK ? CURLE_RECV_ERROR : rc, errbuf, rq->timeout_ms, out);
        return false;
    }
    out->status = (int)status;
    return true;
}

bool http_post(const struct http_post_request *rq, struct http_post_result *out)
{
    struct http_client *c = http_client_new();
    if (c == NULL) {
        memset(out, 0, sizeof *out);
        snprintf(out->error, sizeof out->error, "libcurl could not be initialised");
        return false;
    }
    bool ok = http_client_post(c, rq, out);
    http_client_free(c);
    return ok;
}
