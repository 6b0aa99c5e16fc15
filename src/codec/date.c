/* date.c — the three timestamp input forms and the output forms (spec README §8).
 * UTC arithmetic uses timegm/gmtime_r; the business zone is the process TZ, set once by
 * date_set_timezone() before threads start, so mktime/localtime_r are then safe to call from
 * any worker. Parsing is strict: every character must belong to a recognised form. */
#include "codec/date.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

bool date_set_timezone(const char *tzname)
{
    /* A relative path only: "../" would let a config value probe arbitrary files. */
    if (tzname == NULL || tzname[0] == '\0' || tzname[0] == '/' || strstr(tzname, "..") != NULL)
        return false;
    char path[512];
    int n = snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", tzname);
    struct stat st;
    if (n < 0 || (size_t)n >= sizeof path || stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return false;
    if (setenv("TZ", tzname, 1) != 0)
        return false;
    tzset();
    return true;
}

int64_t date_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- small lexing helpers ---------------------------------------------------------------- */

/* Reads exactly n digits at s[*i]; false if any is not a digit. */
static bool take_digits(const char *s, size_t len, size_t *i, int n, int *out)
{
    if (*i + (size_t)n > len)
        return false;
    int v = 0;
    for (int k = 0; k < n; k++) {
        char c = s[*i + (size_t)k];
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (c - '0');
    }
    *i += (size_t)n;
    *out = v;
    return true;
}

static bool take_char(const char *s, size_t len, size_t *i, char c)
{
    if (*i >= len || s[*i] != c)
        return false;
    (*i)++;
    return true;
}

static bool is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* The fields of a parsed date-time before it is placed on the time line. */
struct civil {
    int year, month, day, hour, min, sec, ms;
};

static bool civil_valid(const struct civil *c)
{
    return c->month >= 1 && c->month <= 12 && c->day >= 1 &&
           c->day <= days_in_month(c->year, c->month) && c->hour <= 23 && c->min <= 59 &&
           c->sec <= 59;
}

static void civil_to_tm(const struct civil *c, struct tm *tm)
{
    memset(tm, 0, sizeof *tm);
    tm->tm_year = c->year - 1900;
    tm->tm_mon = c->month - 1;
    tm->tm_mday = c->day;
    tm->tm_hour = c->hour;
    tm->tm_min = c->min;
    tm->tm_sec = c->sec;
    tm->tm_isdst = -1; /* let mktime decide whether summer time applies */
}

/* Business-zone wall time to epoch ms. A time in a spring-forward gap is moved forward by
 * mktime, which is what a person meant by it. */
static bool civil_local_ms(const struct civil *c, int64_t *ms)
{
    struct tm tm;
    civil_to_tm(c, &tm);
    errno = 0;
    time_t t = mktime(&tm);
    if (t == (time_t)-1 && errno != 0)
        return false;
    *ms = (int64_t)t * 1000 + c->ms;
    return true;
}

static int64_t civil_utc_ms(const struct civil *c, int offset_min)
{
    struct tm tm;
    civil_to_tm(c, &tm);
    tm.tm_isdst = 0;
    return ((int64_t)timegm(&tm) - (int64_t)offset_min * 60) * 1000 + c->ms;
}

/* yyyy-MM-dd at s[*i]. */
static bool take_date(const char *s, size_t len, size_t *i, struct civil *c)
{
    memset(c, 0, sizeof *c);
    return take_digits(s, len, i, 4, &c->year) && take_char(s, len, i, '-') &&
           take_digits(s, len, i, 2, &c->month) && take_char(s, len, i, '-') &&
           take_digits(s, len, i, 2, &c->day);
}

/* HH:MM[:SS[.fraction]] at s[*i]; the fraction keeps milliseconds and drops the rest. */
static bool take_time(const char *s, size_t len, size_t *i, struct civil *c)
{
    if (!take_digits(s, len, i, 2, &c->hour) || !take_char(s, len, i, ':') ||
        !take_digits(s, len, i, 2, &c->min))
        return false;
    if (!take_char(s, len, i, ':'))
        return true;
    if (!take_digits(s, len, i, 2, &c->sec))
        return false;
    if (!take_char(s, len, i, '.'))
        return true;
    int ndigits = 0, scale = 100;
    while (*i < len && s[*i] >= '0' && s[*i] <= '9') {
        if (ndigits < 3) {
            c->ms += (s[*i] - '0') * scale;
            scale /= 10;
        }
        ndigits++;
        (*i)++;
    }
    return ndigits >= 1 && ndigits <= 9;
}

/* Z, ±HH:MM, ±HHMM or ±HH; *has_offset stays false when the text ends first. */
static bool take_offset(const char *s, size_t len, size_t *i, bool *has_offset, int *minutes)
{
    *has_offset = false;
    *minutes = 0;
    if (*i == len)
        return true;
    *has_offset = true;
    if (take_char(s, len, i, 'Z'))
        return true;
    int sign = s[*i] == '+' ? 1 : s[*i] == '-' ? -1 : 0;
    if (sign == 0)
        return false;
    (*i)++;
    int hh, mm = 0;
    if (!take_digits(s, len, i, 2, &hh))
        return false;
    if (*i < len) {
        take_char(s, len, i, ':');
        if (!take_digits(s, len, i, 2, &mm))
            return false;
    }
    if (hh > 18 || mm > 59)
        return false;
    *minutes = sign * (hh * 60 + mm);
    return true;
}

/* ---- the three input forms --------------------------------------------------------------- */

/* A bare epoch number: seconds below the threshold, else milliseconds; refused outside the
 * years 0000-9999 so every accepted instant can be rendered and compared without overflow. */
static bool epoch_number_ms(int64_t v, int64_t *ms)
{
    int64_t m = (v > -DATE_SECONDS_THRESHOLD && v < DATE_SECONDS_THRESHOLD) ? v * 1000 : v;
    if (m < -DATE_MAX_MS || m > DATE_MAX_MS)
        return false;
    *ms = m;
    return true;
}

/* Epoch ms (or seconds below the threshold) as digits with an optional leading '-'. */
static bool parse_epoch_text(const char *s, size_t len, int64_t *ms)
{
    size_t i = 0;
    bool neg = len > 0 && s[0] == '-';
    if (neg)
        i++;
    if (i == len)
        return false;
    int64_t v = 0;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        int d = s[i] - '0';
        if (v > (INT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    return epoch_number_ms(neg ? -v : v, ms);
}

bool date_parse_day(const char *s, size_t len, int64_t *ms)
{
    size_t i = 0;
    struct civil c;
    if (len != 10 || !take_date(s, len, &i, &c) || !civil_valid(&c))
        return false;
    return civil_local_ms(&c, ms);
}

static bool parse_iso(const char *s, size_t len, int64_t *ms)
{
    size_t i = 0;
    struct civil c;
    bool has_offset;
    int offset_min;
    if (!take_date(s, len, &i, &c) || !take_char(s, len, &i, 'T') || !take_time(s, len, &i, &c) ||
        !take_offset(s, len, &i, &has_offset, &offset_min) || i != len || !civil_valid(&c))
        return false;
    if (has_offset)
        *ms = civil_utc_ms(&c, offset_min);
    else if (!civil_local_ms(&c, ms))
        return false;
    /* An offset can push 9999-12-31 past the year: the same bound as for epoch numbers. */
    return *ms >= -DATE_MAX_MS && *ms <= DATE_MAX_MS;
}

bool date_parse_text(const char *s, size_t len, int64_t *ms)
{
    if (s == NULL || len == 0)
        return false;
    if (len == 10 && s[4] == '-')
        return date_parse_day(s, len, ms);
    if (len > 10 && s[4] == '-')
        return parse_iso(s, len, ms);
    return parse_epoch_text(s, len, ms);
}

bool date_parse_value(const json_t *v, int64_t *ms)
{
    if (json_is_integer(v))
        return epoch_number_ms(json_integer_value(v), ms);
    if (json_is_string(v))
        return date_parse_text(json_string_value(v), json_string_length(v), ms);
    return false;
}

/* ---- output -------------------------------------------------------------------------------- */

static time_t floor_seconds(int64_t ms)
{
    int64_t s = ms / 1000;
    if (ms % 1000 < 0)
        s--;
    return (time_t)s;
}

int64_t date_next_day(int64_t day_start_ms)
{
    time_t t = floor_seconds(day_start_ms);
    struct tm tm;
    localtime_r(&t, &tm);
    tm.tm_mday += 1; /* mktime normalises month and year ends; days are 23 to 25 hours long */
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    tm.tm_isdst = -1;
    return (int64_t)mktime(&tm) * 1000;
}

int64_t date_out_ms(int64_t ms)
{
    if (ms < -DATE_MAX_MS)
        ms = -DATE_MAX_MS; /* never from our parsers; clamped so the floor below cannot overflow */
    int64_t r = ms % 1000;
    return ms - (r < 0 ? r + 1000 : r);
}

int64_t date_day_start(int64_t ms)
{
    char day[11];
    int64_t start = ms;
    date_format_day(ms, day);
    return date_parse_day(day, 10, &start) ? start : ms;
}

void date_format_day(int64_t ms, char out[11])
{
    time_t t = floor_seconds(ms);
    struct tm tm;
    if (localtime_r(&t, &tm) == NULL || strftime(out, 11, "%Y-%m-%d", &tm) == 0)
        out[0] = '\0';
}

void date_format_iso_utc(int64_t ms, char out[21])
{
    time_t t = floor_seconds(ms);
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL || strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        out[0] = '\0';
}
