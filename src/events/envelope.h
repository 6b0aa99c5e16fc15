/* envelope.h — the pure parts of a webhook delivery (spec/events.md §2, §3, §4): which partner
 * an outbox event goes to, the EventBridge-style envelope built from the outbox row, and its
 * X-Event-Signature. No I/O: the dispatcher (dispatcher.c) feeds rows in and posts the result. */
#ifndef CONNECTD_EVENTS_ENVELOPE_H
#define CONNECTD_EVENTS_ENVELOPE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WEBHOOK_SECRET_BYTES 32 /* §2: the signing secret */
#define EVENT_SIGNATURE_MAX 72  /* "sha256=" + 64 hex + NUL */

/* An outbox row as the envelope needs it. */
struct event_row {
    const char *event_id;    /* the envelope "id": the same on every attempt */
    const char *detail_type;
    const char *source;
    const char *detail;      /* compact JSON object */
    int64_t created_at;      /* epoch ms, whole seconds */
};

/* §2 routing: the keys that name the event's partner. Connect events: *schema only (their
 * detail.schema). ConnectID events: *client_id (detail.clientId) first, then *schema when
 * present. Either may be NULL; both NULL means the event goes to no one. The pointers point
 * into detail. */
void event_route_key(const char *source, const json_t *detail, const char **client_id, const char **schema);

struct outbox_event;
/* The same for a stored row, in the shape the store's router takes (store.h event_key_fn):
 * keys that do not fit are left empty (no client or schema is that long). */
void event_route_key_row(const struct outbox_event *ev, char *client_id, char *schema);

/* The §4.1 envelope as compact JSON text (caller frees), fields in the documented order, or
 * NULL when the stored detail is not a JSON object. */
char *envelope_build(const struct event_row *ev, const char *account, const char *region);

/* "sha256=<lower-case hex HMAC-SHA256(body)>" keyed with the secret's bytes (§3). */
bool envelope_sign(const unsigned char *secret, size_t secret_len, const char *body, size_t len,
                   char out[EVENT_SIGNATURE_MAX]);

/* The 64 hex characters of a signing secret as its 32 bytes; false when malformed. */
bool webhook_secret_decode(const char *hex, unsigned char out[WEBHOOK_SECRET_BYTES]);

#endif
