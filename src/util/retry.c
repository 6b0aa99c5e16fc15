/* retry.c — parsing a retry schedule and choosing the next attempt (retry.h). */
#include "util/retry.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool parse_wait(const char *s, size_t len, int64_t *ms)
{
    static const struct {
        const char *unit;
        int64_t ms;
    } UNITS[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}};
    size_t digits = 0;
    while (digits < len && s[digits] >= '0' && s[digits] <= '9')
        digits++;
    if (digits == 0 || digits > 9)
        return false;
    for (size_t i = 0; i < sizeof UNITS / sizeof UNITS[0]; i++) {
        size_t ulen = strlen(UNITS[i].unit);
        if (len - digits == ulen && !memcmp(s + digits, UNITS[i].unit, ulen)) {
            *ms = strtoll(s, NULL, 10) * UNITS[i].ms;
            return *ms <= RETRY_MAX_MS;
        }
    }
    return false;
}

bool retry_schedule_parse(const char *name, const char *text, struct retry_schedule *out, char *err,
                          size_t errlen)
{
    const char *p = text ? text : "";
    int n = 0;
    bool ok = true;
    while (ok) {
        size_t len = strcspn(p, ",");
        ok = n < RETRY_ATTEMPTS - 1 && parse_wait(p, len, &out->delay_ms[n]);
        n++;
        if (!ok || p[len] == '\0')
            break;
        p += len + 1;
    }
    if (!ok || n != RETRY_ATTEMPTS - 1) {
        snprintf(err, errlen, "%s: must be %d comma-separated waits such as 30s,2m,10m,30m (units ms, s, m, h; "
                              "at most 24h each), got '%s'",
                 name, RETRY_ATTEMPTS - 1, text ? text : "");
        return false;
    }
    return true;
}

bool retry_next(const struct retry_schedule *s, int attempt, int64_t *delay_ms)
{
    if (attempt < 1 || attempt >= RETRY_ATTEMPTS)
        return false;
    *delay_ms = s->delay_ms[attempt - 1];
    return true;
}
