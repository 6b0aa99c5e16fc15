/* messenger.h — delivers the message outbox that carries one-time codes (identity.md §4.1):
 * e-mail over SMTP and SMS through an HTTP gateway, both with libcurl, from one background
 * thread per process with its own database connection. The login flow queues a message in the
 * transaction that stores its code (store_otc_issue) and then wakes the thread; the thread also
 * looks for due messages every second, so retries and messages queued by other processes on the
 * same database are picked up. In sandbox mode the mailbox page (/user/sandbox/messages) shows
 * every message, delivered or not, and bodies are kept; otherwise a body is scrubbed once the
 * message is sent or given up. A channel without a URL is simply not delivered. */
#ifndef CONNECTD_LOGIN_MESSENGER_H
#define CONNECTD_LOGIN_MESSENGER_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "util/buf.h"

#define MESSENGER_ATTEMPTS 5

/* Checks the delivery settings (URL schemes, the sender address, loopback-only http); false
 * with a message naming the setting. Call before messenger_start. */
bool messenger_check_config(const struct config *cfg, char *err, size_t errlen);

/* Starts the sender thread when at least one channel is configured. False when it could not. */
bool messenger_start(const struct config *cfg);
/* A message was queued: look now rather than at the next poll. Cheap; callable from any thread. */
void messenger_wake(void);
/* Stops the thread (an attempt in progress is aborted) and waits for it. */
void messenger_stop(void);

/* Prometheus text: messages sent, retried and given up, per channel. */
void messenger_metrics_render(struct buf *out);

#endif
