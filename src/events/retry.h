/* retry.h — the delivery schedule of spec/events.md §5: at most 5 attempts per event and
 * subscription, the first at once, the others 30 s, 2 min, 10 min and 30 min after the previous
 * failure. The four waits are a setting (--webhook-retry-schedule) so tests need not wait 42
 * minutes; the number of attempts is not. */
#ifndef CONNECTD_EVENTS_RETRY_H
#define CONNECTD_EVENTS_RETRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WEBHOOK_ATTEMPTS 5
#define WEBHOOK_RETRY_DEFAULT "30s,2m,10m,30m"
#define WEBHOOK_RETRY_MAX_MS (24LL * 3600 * 1000)

struct retry_schedule {
    int64_t delay_ms[WEBHOOK_ATTEMPTS - 1]; /* wait after failed attempt 1, 2, 3, 4 */
};

/* Four comma-separated waits, each a whole number with the unit ms, s, m or h (e.g.
 * "30s,2m,10m,30m"), none longer than 24 h. False with a message in err. */
bool retry_schedule_parse(const char *text, struct retry_schedule *out, char *err, size_t errlen);

/* After failed attempt number `attempt` (1 = the first): true with the wait before the next
 * one, or false when it was the last (the event is dropped for that subscription). */
bool retry_next(const struct retry_schedule *s, int attempt, int64_t *delay_ms);

#endif
