/* retry.h — the retry schedule of connectd's outbound senders: at most 5 attempts, the first at
 * once, the others after four waits measured from the previous failure. Webhooks wait 30 s,
 * 2 min, 10 min and 30 min (spec/events.md §5, --webhook-retry-schedule); one-time-code
 * messages 5 s, 15 s, 30 s and 1 min (their code lives 10 minutes, --message-retry-schedule).
 * The waits are settings so tests need not wait; the number of attempts is not. */
#ifndef CONNECTD_UTIL_RETRY_H
#define CONNECTD_UTIL_RETRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RETRY_ATTEMPTS 5
#define WEBHOOK_RETRY_DEFAULT "30s,2m,10m,30m"
#define MESSAGE_RETRY_DEFAULT "5s,15s,30s,1m"
#define RETRY_MAX_MS (24LL * 3600 * 1000)

struct retry_schedule {
    int64_t delay_ms[RETRY_ATTEMPTS - 1]; /* wait after failed attempt 1, 2, 3, 4 */
};

/* Four comma-separated waits, each a whole number with the unit ms, s, m or h (e.g.
 * "30s,2m,10m,30m"), none longer than 24 h. False with a message in err that names the
 * setting `name`. */
bool retry_schedule_parse(const char *name, const char *text, struct retry_schedule *out, char *err,
                          size_t errlen);

/* After failed attempt number `attempt` (1 = the first): true with the wait before the next
 * one, or false when it was the last (the event is dropped for that subscription). */
bool retry_next(const struct retry_schedule *s, int attempt, int64_t *delay_ms);

#endif
