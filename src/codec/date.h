/* date.h — timestamps and dates (spec README §8).
 * Out: instants are epoch milliseconds truncated to the whole second; date-only fields are
 * yyyy-MM-dd in the business time zone; the event envelope uses ISO-8601 UTC seconds.
 * In: epoch ms (or seconds when |v| < 5e9), ISO-8601 date-time with or without offset
 * (without: business zone), or yyyy-MM-dd (00:00 business zone).
 * The business zone is the process's TZ, set once at start by date_set_timezone() before any
 * thread starts; everything here is then thread-safe. */
#ifndef CONNECTD_DATE_H
#define CONNECTD_DATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DATE_SECONDS_THRESHOLD 5000000000LL /* below this (in absolute value) a number is seconds */
#define DATE_MAX_MS 253402300799999LL        /* 9999-12-31T23:59:59.999Z: inputs beyond are refused */

/* Sets the business time zone (an IANA name such as "Europe/Oslo"). False if the zone is
 * unknown (no /usr/share/zoneinfo file). Call before starting threads. */
bool date_set_timezone(const char *tzname);

int64_t date_now_ms(void);

/* Any of the three input forms, from text. False on anything else (including impossible
 * dates such as 2019-02-30, trailing garbage, or an empty string). */
bool date_parse_text(const char *s, size_t len, int64_t *ms);
/* A JSON value: an integer, or a string holding one of the three forms. */
bool date_parse_value(const json_t *v, int64_t *ms);
/* Only yyyy-MM-dd (query filters `from`/`to`): the start of that day in the business zone. */
bool date_parse_day(const char *s, size_t len, int64_t *ms);
/* The start (00:00, business zone) of the day that holds ms: "today" of README §8. */
int64_t date_day_start(int64_t ms);
/* The start of the day after (for an inclusive `to`). */
int64_t date_next_day(int64_t day_start_ms);

/* Output forms. */
int64_t date_out_ms(int64_t ms);                 /* truncated to the whole second (floor) */
void date_format_day(int64_t ms, char out[11]);  /* yyyy-MM-dd, business zone */
void date_format_iso_utc(int64_t ms, char out[21]); /* 2022-01-19T13:07:17Z */

#endif
