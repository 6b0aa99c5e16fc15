/* subscription.h — what a webhook subscription may hold (spec/events.md §2, §3, §6): the event
 * types of §6, and the checks of its base URL, paths and authentication header. The CLI runs
 * them when a subscription is added; the dispatcher runs the URL check again before each
 * delivery, because the process that delivers may run without --sandbox. */
#ifndef CONNECTD_EVENTS_SUBSCRIPTION_H
#define CONNECTD_EVENTS_SUBSCRIPTION_H

#include <stdbool.h>
#include <stddef.h>

#define WEBHOOK_URL_MAX 2048
#define WEBHOOK_PATH_MAX 512
#define WEBHOOK_HEADER_NAME_MAX 64
#define WEBHOOK_HEADER_VALUE_MAX 1024
#define WEBHOOK_ALL_TYPES "*" /* stored for "every event type" */

struct event_type {
    const char *name;   /* the detail-type */
    const char *source; /* EVENT_SOURCE_CONNECT or EVENT_SOURCE_CONNECTID */
};

/* Every detail-type of §6.1 and §6.2, NULL-terminated. */
extern const struct event_type EVENT_TYPES[];
const struct event_type *event_type_find(const char *name);

/* An absolute https URL with a host and no user info, query or fragment (paths are appended to
 * it); http only when sandbox is on and the host is a loopback address. False with err set. */
bool webhook_url_check(const char *url, bool sandbox, char *err, size_t errlen);
/* A path appended to the base URL: starts with '/', visible ASCII, no '#'. */
bool webhook_path_check(const char *path, char *err, size_t errlen);
/* An HTTP token (RFC 9110 §5.1) that is not a header the dispatcher sets itself. */
bool webhook_header_name_check(const char *name, char *err, size_t errlen);
/* Visible ASCII and spaces, not empty, no CR/LF. */
bool webhook_header_value_check(const char *value, char *err, size_t errlen);

/* base + path, with one '/' where both bring one (caller frees). */
char *webhook_target_url(const char *base, const char *path);

#endif
