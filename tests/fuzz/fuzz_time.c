/* Fuzz target: cb_time_parse, the dates of Close payloads, and the two formats written from them
 * into envelopes (cb_time_format_ms, cb_time_format_compact).
 *
 * Every accepted date is checked against an independent oracle (days from civil date, Howard
 * Hinnant's algorithm) computed from the fields at their fixed positions, so that a wrong
 * conversion is caught, not only a crash. */
#include <string.h>

#include "cb_time.h"
#include "fuzz.h"

/* The documented sizes: "at least 25 bytes" and "21 bytes". */
#define MS_SIZE      25
#define COMPACT_SIZE 21

static int num(const char *s, int n)
{
        int v = 0;

        while (n--)
                v = v * 10 + (*s++ - '0');
        return v;
}

static int is_leap(int y)
{
        return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
        static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

        return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
        int64_t era, yoe, doy, doe;

        y -= m <= 2;
        era = (y >= 0 ? y : y - 399) / 400;
        yoe = y - era * 400;
        doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
        doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + doe - 719468;
}

static int64_t floor_div(int64_t a, int64_t b)
{
        return a / b - (a % b < 0);
}

/* What s (already accepted by cb_time_parse) means, in µs since the epoch. */
static int64_t expected_us(const char *s)
{
        int64_t secs, frac = 0, scale = 100000;
        int sign = 0, off = 0;

        secs = days_from_civil(num(s, 4), num(s + 5, 2), num(s + 8, 2)) * 86400 +
               num(s + 11, 2) * 3600 + num(s + 14, 2) * 60 + num(s + 17, 2);
        s += 19;
        if (*s == '.')
                for (s++; *s >= '0' && *s <= '9'; s++, scale /= 10)
                        frac += scale * (*s - '0');
        if (*s == '+' || *s == '-') {
                sign = *s == '+' ? 1 : -1;
                off = num(s + 1, 2) * 3600 + num(s + 4, 2) * 60;
        }
        return (secs - sign * off) * 1000000 + frac;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *s, ms[MS_SIZE], compact[COMPACT_SIZE];
        int64_t us, back;
        size_t i;

        /* Close's dates reach the parser as JSON strings: NUL-terminated, cut at any NUL. */
        s = malloc(size + 1);
        if (!s)
                return 0;
        memcpy(s, data, size);
        s[size] = '\0';
        if (cb_time_parse(s, &us))
                goto done;

        /* Only real calendar dates are accepted ("Returns -1 when s is not such a date"). */
        FUZZ_CHECK(num(s + 8, 2) <= days_in_month(num(s, 4), num(s + 5, 2)));
        FUZZ_CHECK(us == expected_us(s));

        /* Whatever was accepted can be written into an envelope, in the documented sizes. */
        FUZZ_CHECK(cb_time_format_ms(us, ms, sizeof(ms)) == 0);
        FUZZ_CHECK(strlen(ms) == 24 && ms[4] == '-' && ms[10] == 'T' && ms[19] == '.' &&
                   ms[23] == 'Z');
        FUZZ_CHECK(cb_time_format_compact(us, compact, sizeof(compact)) == 0);
        FUZZ_CHECK(strlen(compact) == 20);
        for (i = 0; i < 20; i++)
                FUZZ_CHECK(compact[i] >= '0' && compact[i] <= '9');

        /* The envelope time reads back as the same instant, cut to milliseconds. */
        FUZZ_CHECK(cb_time_parse(ms, &back) == 0);
        FUZZ_CHECK(back == floor_div(us, 1000) * 1000);
        /* Both formats name the same instant: same digits up to the milliseconds. */
        FUZZ_CHECK(!memcmp(compact, ms, 4) && !memcmp(compact + 4, ms + 5, 2) &&
                   !memcmp(compact + 6, ms + 8, 2) && !memcmp(compact + 8, ms + 11, 2) &&
                   !memcmp(compact + 10, ms + 14, 2) && !memcmp(compact + 12, ms + 17, 2) &&
                   !memcmp(compact + 14, ms + 20, 3));
done:
        free(s);
        return 0;
}
