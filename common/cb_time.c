#include "cb_time.h"

#include <string.h>

static int digits(const char *s, int n, int *out)
{
        int v = 0, i;

        for (i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return -1;
                v = v * 10 + (s[i] - '0');
        }
        *out = v;
        return 0;
}

static int days_in_month(int y, int mo)
{
        static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

        return mo == 2 && leap ? 29 : days[mo - 1];
}

/* The first and last second that RFC 3339's four-digit years can write: 0000-01-01 and
 * 9999-12-31T23:59:59 (UTC). */
#define FIRST_SECOND (-62167219200LL)
#define LAST_SECOND  253402300799LL

int cb_time_parse(const char *s, int64_t *us)
{
        int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
        int64_t frac = 0, scale = 100000;
        struct tm tm;
        time_t t;

        if (!s || strlen(s) < 19)
                return -1;
        if (digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' ||
            digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
            digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &mi) || s[16] != ':' ||
            digits(s + 17, 2, &sec))
                return -1;
        if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 60)
                return -1;
        s += 19;
        if (*s == '.') {
                s++;
                if (*s < '0' || *s > '9')
                        return -1;
                for (; *s >= '0' && *s <= '9'; s++) {
                        frac += scale * (*s - '0');
                        scale /= 10;
                }
        }
        if (*s == 'Z' || *s == 'z') {
                s++;
        } else if (*s == '+' || *s == '-') {
                sign = *s == '+' ? 1 : -1;
                if (digits(s + 1, 2, &oh) || s[3] != ':' || digits(s + 4, 2, &om) || oh > 23 ||
                    om > 59)
                        return -1;
                s += 6;
        }
        if (*s)
                return -1;

        memset(&tm, 0, sizeof(tm));
        tm.tm_year = y - 1900;
        tm.tm_mon = mo - 1;
        tm.tm_mday = d;
        tm.tm_hour = h;
        tm.tm_min = mi;
        tm.tm_sec = sec;
        t = timegm(&tm);
        t -= sign * (oh * 3600 + om * 60);
        /* an offset may carry the date past year 9999 or before year 0: not writable */
        if ((long long)t < FIRST_SECOND || (long long)t > LAST_SECOND)
                return -1;
        *us = (int64_t)t * 1000000 + frac;
        return 0;
}

static int split(int64_t us, struct tm *tm, int64_t *frac)
{
        time_t t = (time_t)(us / 1000000);

        *frac = us % 1000000;
        if (*frac < 0) {
                *frac += 1000000;
                t--;
        }
        return gmtime_r(&t, tm) ? 0 : -1;
}

/* Writes v (0 <= v < 10^width) as width digits. Returns the end. */
static char *put_digits(char *p, int64_t v, int width)
{
        int i;

        for (i = width - 1; i >= 0; i--) {
                p[i] = (char)('0' + v % 10);
                v /= 10;
        }
        return p + width;
}

/* The one writer behind every format: us in UTC as date and time, with separators
 * ("2017-05-18T21:55:26") or without ("20170518215526"), then frac_digits (3 or 6) of the
 * second's fraction (after a '.' when separated), then zone. Cut, not rounded. */
static int format(int64_t us, int separated, int frac_digits, const char *zone, char *out,
                  size_t out_size)
{
        struct tm tm;
        int64_t frac;
        size_t zlen = strlen(zone);
        char *p = out;

        if (out_size < (separated ? 20 : 14) + (size_t)frac_digits + zlen + 1 ||
            split(us, &tm, &frac) || tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999)
                return -1;
        p = put_digits(p, tm.tm_year + 1900, 4);
        if (separated)
                *p++ = '-';
        p = put_digits(p, tm.tm_mon + 1, 2);
        if (separated)
                *p++ = '-';
        p = put_digits(p, tm.tm_mday, 2);
        if (separated)
                *p++ = 'T';
        p = put_digits(p, tm.tm_hour, 2);
        if (separated)
                *p++ = ':';
        p = put_digits(p, tm.tm_min, 2);
        if (separated)
                *p++ = ':';
        p = put_digits(p, tm.tm_sec, 2);
        if (separated)
                *p++ = '.';
        p = put_digits(p, frac_digits == 3 ? frac / 1000 : frac, frac_digits);
        memcpy(p, zone, zlen + 1);
        return 0;
}

int cb_time_format_ms(int64_t us, char *out, size_t out_size)
{
        return format(us, 1, 3, "Z", out, out_size);
}

int cb_time_format_us(int64_t us, char *out, size_t out_size)
{
        return format(us, 1, 6, "Z", out, out_size);
}

int cb_time_format_close(int64_t us, char *out, size_t out_size)
{
        return format(us, 1, 6, "", out, out_size);
}

int cb_time_format_compact(int64_t us, char *out, size_t out_size)
{
        return format(us, 0, 6, "", out, out_size);
}

int64_t cb_time_now_us(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t cb_time_now_ms(void)
{
        return cb_time_now_us() / 1000;
}

void cb_time_deadline(struct timespec *deadline, int timeout_ms)
{
        clock_gettime(CLOCK_REALTIME, deadline);
        deadline->tv_sec += timeout_ms / 1000;
        deadline->tv_nsec += (long)(timeout_ms % 1000) * 1000000;
        if (deadline->tv_nsec >= 1000000000) {
                deadline->tv_sec++;
                deadline->tv_nsec -= 1000000000;
        }
}
