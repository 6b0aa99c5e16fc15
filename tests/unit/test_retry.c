/* test_retry.c — src/util/retry.c: the webhook schedule of events.md §5 (default 30 s, 2 min,
 * 10 min, 30 min) and the one-time-code one, the settings' syntax, and that there are never
 * more than 5 attempts. */
#include <criterion/criterion.h>
#include <string.h>

#include "util/retry.h"

Test(retry, test_default_schedule_is_the_specs)
{
    struct retry_schedule s;
    char err[256];
    cr_assert(retry_schedule_parse("webhook-retry-schedule", WEBHOOK_RETRY_DEFAULT, &s, err, sizeof err), "%s", err);
    int64_t want[] = {30000, 120000, 600000, 1800000};
    for (int i = 0; i < 4; i++)
        cr_assert_eq(s.delay_ms[i], want[i]);
}

Test(retry, test_default_message_schedule_fits_in_a_codes_ten_minutes)
{
    struct retry_schedule s;
    char err[256];
    cr_assert(retry_schedule_parse("message-retry-schedule", MESSAGE_RETRY_DEFAULT, &s, err, sizeof err), "%s", err);
    int64_t want[] = {5000, 15000, 30000, 60000}, total = 0;
    for (int i = 0; i < 4; i++)
        total += s.delay_ms[i];
    for (int i = 0; i < 4; i++)
        cr_assert_eq(s.delay_ms[i], want[i]);
    cr_assert_lt(total, 10 * 60 * 1000);
}

Test(retry, test_every_unit_parses)
{
    struct retry_schedule s;
    char err[256];
    cr_assert(retry_schedule_parse("x", "250ms,3s,1m,24h", &s, err, sizeof err), "%s", err);
    cr_assert_eq(s.delay_ms[0], 250);
    cr_assert_eq(s.delay_ms[1], 3000);
    cr_assert_eq(s.delay_ms[2], 60000);
    cr_assert_eq(s.delay_ms[3], 86400000);
    cr_assert(retry_schedule_parse("x", "0ms,0ms,0ms,0ms", &s, err, sizeof err));
}

Test(retry, test_bad_schedules_are_refused_naming_the_setting)
{
    const char *bad[] = {"", "30s", "30s,2m,10m", "30s,2m,10m,30m,1h", "30,2m,10m,30m", "30s,,10m,30m",
                         "30s,2m,10m,25h", "-1s,2m,10m,30m", "1.5s,2m,10m,30m", "30s, 2m,10m,30m", "30s,2m,10m,30m,"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct retry_schedule s;
        char err[256] = "";
        cr_assert_not(retry_schedule_parse("message-retry-schedule", bad[i], &s, err, sizeof err), "'%s' accepted",
                      bad[i]);
        cr_assert(strstr(err, "message-retry-schedule: must be 4 comma-separated waits") == err, "%s", err);
    }
}

Test(retry, test_attempts_one_to_four_are_followed_by_the_next_and_the_fifth_is_the_last)
{
    struct retry_schedule s = {{1, 2, 3, 4}};
    int64_t d = -1;
    for (int attempt = 1; attempt <= 4; attempt++) {
        cr_assert(retry_next(&s, attempt, &d));
        cr_assert_eq(d, attempt);
    }
    cr_assert_not(retry_next(&s, 5, &d));
    cr_assert_not(retry_next(&s, 6, &d));
    cr_assert_not(retry_next(&s, 0, &d));
}
