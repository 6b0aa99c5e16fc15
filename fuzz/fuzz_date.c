/* fuzz_date.c — libFuzzer target for timestamp input (src/codec/date.c, spec README §8).
 * Text goes to date_parse_text and date_parse_day (Europe/Oslo), an integer read from it to
 * date_parse_value; accepted instants go through the reply's output functions. Checks they
 * stay within DATE_MAX_MS, that yyyy-MM-dd formats back to itself and ...Z back to its text. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/date.h"
#include "codec/json.h"
#include "codec/validate.h"

#define CHECK(c)                                                                                  \
    do {                                                                                          \
        if (!(c)) {                                                                               \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #c);            \
            abort();                                                                              \
        }                                                                                         \
    } while (0)

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (!date_set_timezone("Europe/Oslo"))
        abort();
    return 0;
}

/* What a reply does with a stored instant: whole seconds, a day, an ISO-8601 UTC string. */
static void render(int64_t ms)
{
    CHECK(ms >= -DATE_MAX_MS && ms <= DATE_MAX_MS); /* date.h: inputs beyond are refused */
    int64_t out = date_out_ms(ms);
    CHECK(out <= ms && ms - out < 1000 && out % 1000 == 0);
    char day[11], iso[21];
    date_format_day(ms, day);
    date_format_iso_utc(ms, iso);
    CHECK(strlen(day) <= 10 && strlen(iso) <= 20);
}

/* Years we can compare as text: %Y does not pad years below 1000. */
static bool four_digit_year(const char *s)
{
    return s[0] >= '1' && s[0] <= '9';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Exact-size copy so ASan sees any read past the end. */
    char *s = malloc(size ? size : 1);
    memcpy(s, data, size);
    int64_t ms;

    if (date_parse_text(s, size, &ms)) {
        render(ms);
        /* yyyy-MM-ddTHH:MM:SSZ is the output form of date_format_iso_utc. */
        if (size == 20 && s[10] == 'T' && s[19] == 'Z' && four_digit_year(s)) {
            char iso[21];
            date_format_iso_utc(ms, iso);
            CHECK(memcmp(iso, s, 20) == 0);
        }
    }

    if (date_parse_day(s, size, &ms)) {
        CHECK(size == 10);
        render(ms);
        int64_t t;
        CHECK(date_parse_text(s, size, &t) && t == ms);
        int64_t next = date_next_day(ms);
        CHECK(next - ms >= 22 * 3600 * 1000LL && next - ms <= 26 * 3600 * 1000LL);
        if (four_digit_year(s)) {
            char day[11];
            date_format_day(ms, day);
            CHECK(memcmp(day, s, 10) == 0);
            date_format_day(next - 1, day); /* the last millisecond is still that day */
            CHECK(memcmp(day, s, 10) == 0);
        }
    }

    /* A JSON integer (or digit string) as a timestamp field gives it. */
    int64_t n;
    if (coerce_int_text(s, size, &n)) {
        json_t *v = json_integer(n);
        if (date_parse_value(v, &ms))
            render(ms);
        json_decref(v);
    }
    free(s);
    return 0;
}
