/* test_date.c — timestamp input forms and output forms (src/codec/date.c, spec README §8).
 * The business zone is Europe/Oslo: +01:00 in winter, +02:00 in summer. */
#include <criterion/criterion.h>
#include <string.h>

#include "codec/date.h"

static void oslo(void)
{
    cr_assert(date_set_timezone("Europe/Oslo"));
}

TestSuite(date, .init = oslo);

static int64_t parse(const char *s)
{
    int64_t ms = 0;
    cr_assert(date_parse_text(s, strlen(s), &ms), "should parse: %s", s);
    return ms;
}

static void rejects(const char *s)
{
    int64_t ms;
    cr_assert_not(date_parse_text(s, strlen(s), &ms), "should reject: %s", s);
}

Test(date, unknown_timezone_is_refused)
{
    cr_assert_not(date_set_timezone("Mars/Olympus_Mons"));
    cr_assert_not(date_set_timezone("../../etc/passwd"));
    cr_assert_not(date_set_timezone(""));
    cr_assert(date_set_timezone("Europe/Oslo"));
}

Test(date, integer_text_is_epoch_milliseconds)
{
    cr_assert_eq(parse("1560963388000"), 1560963388000LL);
    cr_assert_eq(parse("-6000000000"), -6000000000LL);
}

Test(date, values_below_threshold_are_seconds)
{
    cr_assert_eq(parse("1560963388"), 1560963388000LL);
    cr_assert_eq(parse("4999999999"), 4999999999000LL);
    cr_assert_eq(parse("5000000000"), 5000000000LL);
    cr_assert_eq(parse("-86400"), -86400000LL);
    cr_assert_eq(parse("0"), 0);
}

Test(date, json_integer_and_string_values)
{
    int64_t ms;
    json_t *v = json_integer(1560963388000LL);
    cr_assert(date_parse_value(v, &ms));
    cr_assert_eq(ms, 1560963388000LL);
    json_decref(v);
    v = json_integer(1560963388);
    cr_assert(date_parse_value(v, &ms));
    cr_assert_eq(ms, 1560963388000LL);
    json_decref(v);
    v = json_string("2019-06-12T10:15:30Z");
    cr_assert(date_parse_value(v, &ms));
    cr_assert_eq(ms, 1560334530000LL);
    json_decref(v);
}

Test(date, json_reals_booleans_and_null_are_rejected)
{
    int64_t ms;
    json_t *vals[] = {json_real(1.5), json_true(), json_null(), json_object()};
    for (size_t i = 0; i < 4; i++) {
        cr_assert_not(date_parse_value(vals[i], &ms));
        json_decref(vals[i]);
    }
}

Test(date, iso_with_z_is_utc)
{
    cr_assert_eq(parse("2019-06-12T10:15:30Z"), 1560334530000LL);
}

Test(date, iso_with_colon_offset)
{
    cr_assert_eq(parse("2019-06-12T12:15:30+02:00"), 1560334530000LL);
    cr_assert_eq(parse("2019-06-12T05:15:30-05:00"), 1560334530000LL);
}

Test(date, iso_with_compact_offset)
{
    cr_assert_eq(parse("2019-06-12T12:15:30+0200"), 1560334530000LL);
    cr_assert_eq(parse("2019-06-12T12:15:30+02"), 1560334530000LL);
}

Test(date, iso_fraction_keeps_milliseconds)
{
    cr_assert_eq(parse("2019-06-12T10:15:30.123Z"), 1560334530123LL);
    cr_assert_eq(parse("2019-06-12T10:15:30.1Z"), 1560334530100LL);
    cr_assert_eq(parse("2019-06-12T10:15:30.123456789Z"), 1560334530123LL);
}

Test(date, iso_without_seconds_is_accepted)
{
    cr_assert_eq(parse("2019-06-12T10:15Z"), 1560334500000LL);
}

Test(date, iso_without_offset_uses_oslo_summer_time)
{
    cr_assert_eq(parse("2019-06-12T12:15:30"), parse("2019-06-12T10:15:30Z"));
}

Test(date, iso_without_offset_uses_oslo_winter_time)
{
    cr_assert_eq(parse("2019-01-12T12:15:30"), parse("2019-01-12T11:15:30Z"));
}

Test(date, day_is_midnight_in_oslo)
{
    cr_assert_eq(parse("2019-06-12"), parse("2019-06-11T22:00:00Z"));
    cr_assert_eq(parse("2019-01-12"), parse("2019-01-11T23:00:00Z"));
    int64_t ms;
    cr_assert(date_parse_day("2019-06-12", 10, &ms));
    cr_assert_eq(ms, parse("2019-06-11T22:00:00Z"));
}

Test(date, parse_day_accepts_only_the_date_form)
{
    int64_t ms;
    cr_assert_not(date_parse_day("2019-06-12T10:15:30Z", 20, &ms));
    cr_assert_not(date_parse_day("1560963388", 10, &ms));
    cr_assert_not(date_parse_day("2019-6-12", 9, &ms));
}

Test(date, impossible_dates_are_rejected)
{
    rejects("2019-02-30");
    rejects("2019-02-29");
    rejects("2019-13-01");
    rejects("2019-00-10");
    rejects("2019-01-00");
    rejects("2019-04-31T10:00:00Z");
    rejects("2019-06-12T24:00:00Z");
    rejects("2019-06-12T10:60:00Z");
    rejects("2019-06-12T10:15:60Z");
    rejects("2019-06-12T10:15:30+25:00");
    cr_assert_eq(parse("2020-02-29"), parse("2020-02-28T23:00:00Z"));
}

Test(date, garbage_and_empty_are_rejected)
{
    rejects("");
    rejects("-");
    rejects("abc");
    rejects("12a");
    rejects("+123");
    rejects("1560963388000x");
    rejects("2019-06-12x");
    rejects("2019-06-12T10:15:30Zx");
    rejects("2019-06-12T10:15:30 ");
    rejects("2019-06-12 10:15:30");
    rejects("2019-06-12T10:15:30.Z");
    rejects("2019-06-12T10:15:30+02:0");
    rejects("99999999999999999999");
    int64_t ms;
    cr_assert_not(date_parse_text(NULL, 0, &ms));
}

Test(date, out_ms_floors_to_the_second)
{
    cr_assert_eq(date_out_ms(1560963388999LL), 1560963388000LL);
    cr_assert_eq(date_out_ms(1560963388000LL), 1560963388000LL);
    cr_assert_eq(date_out_ms(0), 0);
    cr_assert_eq(date_out_ms(-1), -1000);
    cr_assert_eq(date_out_ms(-1000), -1000);
    cr_assert_eq(date_out_ms(-1001), -2000);
}

Test(date, format_day_uses_oslo)
{
    char out[11];
    date_format_day(parse("2019-06-11T22:00:00Z"), out);
    cr_assert_str_eq(out, "2019-06-12");
    date_format_day(parse("2019-06-11T21:59:59Z"), out);
    cr_assert_str_eq(out, "2019-06-11");
    date_format_day(parse("2022-01-07"), out);
    cr_assert_str_eq(out, "2022-01-07");
}

Test(date, format_iso_utc_has_seconds_and_z)
{
    char out[21];
    date_format_iso_utc(1642597637123LL, out);
    cr_assert_str_eq(out, "2022-01-19T13:07:17Z");
    date_format_iso_utc(-1, out);
    cr_assert_str_eq(out, "1969-12-31T23:59:59Z");
}

Test(date, next_day_spans_dst_changes)
{
    /* 2019-03-31 is 23 hours long in Oslo, 2019-10-27 is 25. */
    cr_assert_eq(date_next_day(parse("2019-03-31")), parse("2019-04-01"));
    cr_assert_eq(parse("2019-04-01") - parse("2019-03-31"), 23 * 3600 * 1000LL);
    cr_assert_eq(date_next_day(parse("2019-10-27")), parse("2019-10-28"));
    cr_assert_eq(parse("2019-10-28") - parse("2019-10-27"), 25 * 3600 * 1000LL);
    cr_assert_eq(date_next_day(parse("2019-12-31")), parse("2020-01-01"));
}

Test(date, now_is_plausible)
{
    int64_t now = date_now_ms();
    cr_assert_gt(now, 1600000000000LL);
}

Test(date, epoch_values_beyond_year_9999_are_rejected)
{
    int64_t ms;
    cr_assert(date_parse_text("253402300799999", 15, &ms));
    cr_assert_eq(ms, DATE_MAX_MS);
    cr_assert_not(date_parse_text("253402300800000", 15, &ms));
    cr_assert_not(date_parse_text("-9223372036854775807", 20, &ms));
    json_t *v = json_integer(INT64_MIN);
    cr_assert_not(date_parse_value(v, &ms));
    json_decref(v);
}

Test(date, out_ms_never_overflows)
{
    cr_assert_eq(date_out_ms(-1), -1000);
    cr_assert_eq(date_out_ms(1999), 1000);
    cr_assert_eq(date_out_ms(INT64_MIN), -DATE_MAX_MS - 1); /* clamped, then floored to the second */
}

Test(date, iso_date_time_pushed_past_year_9999_by_its_offset_is_rejected)
{
    int64_t ms;
    cr_assert_not(date_parse_text("9999-12-31T23:00-05", 19, &ms));
    cr_assert(date_parse_text("9999-12-31T23:00Z", 17, &ms));
}
