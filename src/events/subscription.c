/* subscription.c — the catalogue of event types and the checks of subscription settings
 * (subscription.h). URLs are parsed with libcurl's own URL parser, so what is checked here
 * is exactly what the dispatcher will later connect to. */
#include "events/subscription.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "store/store.h"
#include "util/buf.h"
#include "util/http_post.h"

#define C EVENT_SOURCE_CONNECT
#define I EVENT_SOURCE_CONNECTID

const struct event_type EVENT_TYPES[] = {
    {"SUBSCRIPTION_START", C}, {"SUBSCRIPTION_STOP", C}, {"SUBSCRIPTION_RENEW", C},
    {"SUBSCRIPTION_STOP_RESET", C}, {"SUBSCRIPTION_DELIVERYPLAN_CHANGED", C}, {"CUSTOMER_CREATED", C},
    {"CUSTOMER_CHANGED", C}, {"ADDRESS_CHANGED", C}, {"EXTERNAL_REFERENCE_REGISTERED", C},
    {"EXTERNAL_REFERENCE_CHANGED", C}, {"EXTERNAL_REFERENCE_REMOVED", C}, {"ORDER_PROCESSED", C},
    {"INVOICE_PAID", C}, {"PAYMENT_METHOD_CHANGED", C}, {"PAYMENT_TOKEN_ADDED", C}, {"PAYMENT_TOKEN_REMOVED", C},
    {"PRIVACY_ACCESS_REQUESTED", C}, {"PRIVACY_REMOVAL_REQUESTED", C}, {"CONSENT_GIVEN", C},
    {"CONSENT_WITHDRAWN", C}, {"PERMISSION_CHANGED", C}, {"PRIVACY_CHANGED", C}, {"COMPLAINT_REGISTERED", C},
    {"DELIVERY_STOP_REGISTERED", C}, {"DELIVERY_STOP_REMOVED", C}, {"SHARE_INVITATION_SENT", C},
    {"SHARE_INVITATION_CHANGED", C}, {"SHARE_ACCEPTED", C}, {"SHARE_DECLINED", C}, {"SHARE_CANCELLED", C},
    {"SHARE_NETS_CHANGED", C}, {"DISTRIBUTION_LEVEL_CHANGED", C}, {"RECRUITMENT_REGISTERED", C},
    {"RECRUITMENT_PREMIUMS_CHANGED", C}, {"MESSAGE_RECEIVED", C}, {"STOCK_CHANGED", C},
    {"USER_CREATED", I}, {"USER_CUSTOMER_LINKED", I}, {"METADATA_CHANGED", I}, {"METADATA_REMOVED", I},
    {"ORDER_REGISTERED", I}, {"ORDER_COMPLETED", I}, {"ORDER_CANCELLED", I}, {"ORDER_USER_ASSIGNED", I},
    {NULL, NULL},
};

#undef C
#undef I

const struct event_type *event_type_find(const char *name)
{
    for (const struct event_type *t = EVENT_TYPES; name && t->name; t++)
        if (!strcmp(t->name, name))
            return t;
    return NULL;
}

/* ---- URLs ---------------------------------------------------------------------------------- */

static bool visible_ascii(const char *s, bool space_ok)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p > 0x7e || *p < (space_ok ? 0x20 : 0x21))
            return false;
    return true;
}

/* One part of a parsed URL (caller frees with curl_free), NULL when absent. */
static char *url_part(CURLU *u, CURLUPart part)
{
    char *v = NULL;
    if (curl_url_get(u, part, &v, 0) != CURLUE_OK)
        return NULL;
    return v;
}

static bool url_parts_check(CURLU *u, bool sandbox, char *err, size_t errlen)
{
    char *scheme = url_part(u, CURLUPART_SCHEME), *host = url_part(u, CURLUPART_HOST);
    char *user = url_part(u, CURLUPART_USER), *query = url_part(u, CURLUPART_QUERY);
    char *fragment = url_part(u, CURLUPART_FRAGMENT);
    bool ok = false;
    if (scheme == NULL || host == NULL || *host == '\0')
        snprintf(err, errlen, "must be an absolute URL with a host, e.g. https://hooks.example.no/connect");
    else if (user)
        snprintf(err, errlen, "must not carry a user name or password (use --auth-header/--auth-value)");
    else if (query || fragment)
        snprintf(err, errlen, "must not carry a query string or fragment (paths are appended to it)");
    else if (!strcmp(scheme, "https"))
        ok = true;
    else if (strcmp(scheme, "http"))
        snprintf(err, errlen, "must be an https URL, not %s", scheme);
    else if (!sandbox)
        snprintf(err, errlen, "must be an https URL (http is allowed only for loopback hosts with --sandbox)");
    else if (!http_host_is_loopback(host))
        snprintf(err, errlen, "http is allowed only for loopback hosts (localhost, 127.0.0.0/8, [::1]); use https");
    else
        ok = true;
    curl_free(scheme);
    curl_free(host);
    curl_free(user);
    curl_free(query);
    curl_free(fragment);
    return ok;
}

bool webhook_url_check(const char *url, bool sandbox, char *err, size_t errlen)
{
    if (url == NULL || *url == '\0' || strlen(url) > WEBHOOK_URL_MAX || !visible_ascii(url, false)) {
        snprintf(err, errlen, "must be an absolute https URL of at most %d visible ASCII characters", WEBHOOK_URL_MAX);
        return false;
    }
    CURLU *u = curl_url();
    if (u == NULL) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    bool ok = curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK;
    if (!ok)
        snprintf(err, errlen, "must be an absolute URL with a scheme and a host, e.g. https://hooks.example.no/connect");
    else
        ok = url_parts_check(u, sandbox, err, errlen);
    curl_url_cleanup(u);
    return ok;
}

bool webhook_path_check(const char *path, char *err, size_t errlen)
{
    if (path == NULL || path[0] != '/' || strlen(path) > WEBHOOK_PATH_MAX || !visible_ascii(path, false) ||
        strchr(path, '#')) {
        snprintf(err, errlen, "must start with '/' and hold at most %d visible ASCII characters without '#'",
                 WEBHOOK_PATH_MAX);
        return false;
    }
    return true;
}

/* ---- the authentication header --------------------------------------------------------------- */

static bool token_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("!#$%&'*+-.^_`|~", c);
}

bool webhook_header_name_check(const char *name, char *err, size_t errlen)
{
    static const char *const OWN[] = {"content-type", "content-length", "host", "x-event-signature",
                                      "transfer-encoding", "connection", "expect"};
    size_t n = name ? strlen(name) : 0;
    bool ok = n > 0 && n <= WEBHOOK_HEADER_NAME_MAX;
    for (size_t i = 0; ok && i < n; i++)
        ok = token_char(name[i]);
    if (!ok) {
        snprintf(err, errlen, "must be an HTTP header name (letters, digits and !#$%%&'*+-.^_`|~, at most %d)",
                 WEBHOOK_HEADER_NAME_MAX);
        return false;
    }
    for (size_t i = 0; i < sizeof OWN / sizeof OWN[0]; i++)
        if (!strcasecmp(name, OWN[i])) {
            snprintf(err, errlen, "%s is set by the dispatcher itself; choose another header", name);
            return false;
        }
    return true;
}

bool webhook_header_value_check(const char *value, char *err, size_t errlen)
{
    if (value == NULL || *value == '\0' || strlen(value) > WEBHOOK_HEADER_VALUE_MAX || !visible_ascii(value, true) ||
        value[0] == ' ' || value[strlen(value) - 1] == ' ') {
        snprintf(err, errlen, "must be 1-%d visible ASCII characters (spaces inside only)", WEBHOOK_HEADER_VALUE_MAX);
        return false;
    }
    return true;
}

char *webhook_target_url(const char *base, const char *path)
{
    struct buf b = BUF_INIT;
    size_t n = strlen(base);
    bool slash = n > 0 && base[n - 1] == '/' && path && path[0] == '/';
    buf_append(&b, base, slash ? n - 1 : n);
    buf_puts(&b, path ? path : "");
    return b.data;
}
