#include "filter.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "errf.h"
#include "cb_time.h"
#include "record.h"

/* Bytes of a client's value an error message may quote. */
#define QUOTE_MAX 64
#define STATES    "one of received, retrying, delivered, dead, skipped"
/* Every state's bit (record.h: CONSOLE_RECEIVED..CONSOLE_SKIPPED). */
#define STATES_ALL ((1u << (CONSOLE_SKIPPED + 1)) - 1)
/* The cursor's text: its version, then time and row in decimal. */
#define CURSOR_PREFIX "c1."

enum param {
        P_STATUS,
        P_SINCE,
        P_UNTIL,
        P_OBJECT_TYPE,
        P_EVENT_TYPE,
        P_OBJECT_ID,
        P_ORIGIN,
        P_PAGE_SIZE,
        P_NEXT_PAGE,
        P_COUNT,
};

static const char *const param_names[P_COUNT] = {
    [P_STATUS] = "status",          [P_SINCE] = "since",          [P_UNTIL] = "until",
    [P_OBJECT_TYPE] = "objectType", [P_EVENT_TYPE] = "eventType", [P_OBJECT_ID] = "objectId",
    [P_ORIGIN] = "origin",          [P_PAGE_SIZE] = "pageSize",   [P_NEXT_PAGE] = "nextPage",
};

/* Writes s[0..len) (len stops at a NUL) for an error message into out (QUOTE_MAX + 4 bytes): at
 * most QUOTE_MAX bytes, "..." after when cut, bytes other than printable ASCII as '?'. */
static void quote(char out[QUOTE_MAX + 4], const char *s, size_t len)
{
        size_t i;

        for (i = 0; i < len && i < QUOTE_MAX && s[i]; i++)
                out[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
        if (i == QUOTE_MAX && i < len && s[i])
                memcpy(out + i, "...", 3), i += 3;
        out[i] = '\0';
}

void console_filter_init(console_filter_t *f)
{
        memset(f, 0, sizeof(*f));
        f->since_ms = INT64_MIN;
        f->until_ms = INT64_MAX;
        f->page_size = CONSOLE_PAGE_DEFAULT;
}

/* status: a comma-separated list of state names, at least one, none empty. */
static int set_status(console_filter_t *f, const char *value, char *errstr, size_t errstr_size)
{
        char name[16], q[QUOTE_MAX + 4];
        unsigned states = 0;
        const char *p = value, *end;
        size_t len;
        int st;

        for (;;) {
                end = strchr(p, ',');
                len = end ? (size_t)(end - p) : strlen(p);
                if (len == 0)
                        return console_errf(errstr, errstr_size,
                                            "status: empty state in the list; " STATES);
                st = -1;
                if (len < sizeof(name)) {
                        memcpy(name, p, len);
                        name[len] = '\0';
                        st = console_state_parse(name);
                }
                if (st < 0) {
                        quote(q, p, len);
                        return console_errf(errstr, errstr_size,
                                            "status: unknown state \"%s\"; " STATES, q);
                }
                states |= 1u << st;
                if (!end)
                        break;
                p = end + 1;
        }
        f->states = states;
        return 0;
}

/* since, until: an RFC 3339 date-time, as epoch ms (floor). */
static int set_time(int64_t *ms, const char *name, const char *value, char *errstr,
                    size_t errstr_size)
{
        char q[QUOTE_MAX + 4];
        int64_t us;

        if (cb_time_parse(value, &us)) {
                quote(q, value, strlen(value));
                return console_errf(
                    errstr, errstr_size,
                    "%s: not an RFC 3339 date-time \"%s\" (e.g. 2026-12-01T00:00:00Z)", name, q);
        }
        *ms = us / 1000 - (us % 1000 < 0);
        return 0;
}

/* objectType, objectId: exact text, not empty, not longer than dst holds (never cut: a cut value
 * would match more). */
static int set_text(char *dst, size_t size, const char *name, const char *value, char *errstr,
                    size_t errstr_size)
{
        size_t len = strlen(value);

        if (len == 0)
                return console_errf(errstr, errstr_size, "%s: empty", name);
        if (len >= size)
                return console_errf(errstr, errstr_size, "%s: too long (%zu bytes, at most %zu)",
                                    name, len, size - 1);
        memcpy(dst, value, len + 1);
        return 0;
}

/* eventType, origin: one of the names in list (NULL-terminated), exactly. */
static int set_choice(char *dst, size_t size, const char *name, const char *value,
                      const char *const *list, const char *words, char *errstr, size_t errstr_size)
{
        char q[QUOTE_MAX + 4];

        for (; *list; list++)
                if (!strcmp(value, *list)) {
                        snprintf(dst, size, "%s", *list);
                        return 0;
                }
        quote(q, value, strlen(value));
        return console_errf(errstr, errstr_size, "%s: unknown value \"%s\"; one of %s", name, q,
                            words);
}

/* pageSize: decimal digits only, no leading zero, 1..CONSOLE_PAGE_MAX. */
static int set_page_size(console_filter_t *f, const char *value, char *errstr, size_t errstr_size)
{
        char q[QUOTE_MAX + 4];
        size_t i, len = strlen(value);
        int n = 0;

        if (len == 0 || len > 3 || value[0] == '0')
                goto bad;
        for (i = 0; i < len; i++) {
                if (value[i] < '0' || value[i] > '9')
                        goto bad;
                n = n * 10 + (value[i] - '0');
        }
        if (n < 1 || n > CONSOLE_PAGE_MAX)
                goto bad;
        f->page_size = n;
        return 0;
bad:
        quote(q, value, len);
        return console_errf(errstr, errstr_size, "pageSize: \"%s\" is not a number from 1 to %d", q,
                            CONSOLE_PAGE_MAX);
}

int console_filter_set(console_filter_t *f, const char *name, const char *value, char *errstr,
                       size_t errstr_size)
{
        static const char *const event_types[] = {"CREATED", "UPDATED", "DELETED", "UNKNOWN", NULL};
        static const char *const origins[] = {"webhook", "polling", NULL};
        char q[QUOTE_MAX + 4];
        int p;

        if (!name)
                name = "";
        if (!value)
                value = ""; /* "?status" without '=' */
        for (p = 0; p < P_COUNT; p++)
                if (!strcmp(name, param_names[p]))
                        break;
        if (p == P_COUNT) {
                quote(q, name, strlen(name));
                return console_errf(errstr, errstr_size, "unknown parameter \"%s\"", q);
        }
        if (f->seen & (1u << p)) {
                /* only the first value counts; console_filter_check refuses the filter */
                if (!f->repeated)
                        snprintf(f->repeated_name, sizeof(f->repeated_name), "%s", param_names[p]);
                f->repeated = 1;
                return 0;
        }
        f->seen |= 1u << p;

        switch (p) {
        case P_STATUS:
                return set_status(f, value, errstr, errstr_size);
        case P_SINCE:
                return set_time(&f->since_ms, name, value, errstr, errstr_size);
        case P_UNTIL:
                return set_time(&f->until_ms, name, value, errstr, errstr_size);
        case P_OBJECT_TYPE:
                return set_text(f->object_type, sizeof(f->object_type), name, value, errstr,
                                errstr_size);
        case P_OBJECT_ID:
                return set_text(f->object_id, sizeof(f->object_id), name, value, errstr,
                                errstr_size);
        case P_EVENT_TYPE:
                return set_choice(f->event_type, sizeof(f->event_type), name, value, event_types,
                                  "CREATED, UPDATED, DELETED, UNKNOWN", errstr, errstr_size);
        case P_ORIGIN:
                return set_choice(f->origin, sizeof(f->origin), name, value, origins,
                                  "webhook, polling", errstr, errstr_size);
        case P_PAGE_SIZE:
                return set_page_size(f, value, errstr, errstr_size);
        default: /* P_NEXT_PAGE */
                if (console_cursor_parse(value, &f->cursor_time_ms, &f->cursor_row)) {
                        f->cursor_time_ms = 0;
                        f->cursor_row = 0;
                        return console_errf(errstr, errstr_size,
                                            "nextPage: not a page token of this API (take it from "
                                            "Elements-Next-Page-Token)");
                }
                f->has_cursor = 1;
                return 0;
        }
}

int console_filter_check(const console_filter_t *f, char *errstr, size_t errstr_size)
{
        if (f->repeated)
                return console_errf(errstr, errstr_size, "parameter given twice: %s",
                                    f->repeated_name[0] ? f->repeated_name : "?");
        if (f->since_ms >= f->until_ms)
                return console_errf(errstr, errstr_size, "since must be before until");
        if (f->states & ~STATES_ALL)
                return console_errf(errstr, errstr_size, "status: unknown state");
        if (f->page_size < 1 || f->page_size > CONSOLE_PAGE_MAX)
                return console_errf(errstr, errstr_size, "pageSize: not a number from 1 to %d",
                                    CONSOLE_PAGE_MAX);
        return 0;
}

int console_cursor_format(int64_t time_ms, int64_t row, char *out, size_t out_size)
{
        int n;

        if (!out || out_size == 0)
                return -1;
        out[0] = '\0';
        /* what console_cursor_parse takes back, nothing else */
        if (time_ms == INT64_MIN || row <= 0)
                return -1;
        n = snprintf(out, out_size, CURSOR_PREFIX "%lld.%lld", (long long)time_ms, (long long)row);
        if (n < 0 || (size_t)n >= out_size) {
                out[0] = '\0';
                return -1;
        }
        return 0;
}

/* Reads a decimal int64 >= 0 from *s up to stop (or the end): digits only, at least one, no
 * leading zero, no overflow. Advances *s past it. Returns 0 or -1. */
static int read_decimal(const char **s, char stop, int64_t *v)
{
        const char *p = *s;
        int64_t n = 0;

        if (*p < '0' || *p > '9' || (p[0] == '0' && p[1] >= '0' && p[1] <= '9'))
                return -1;
        for (; *p >= '0' && *p <= '9'; p++) {
                if (n > (INT64_MAX - (*p - '0')) / 10)
                        return -1;
                n = n * 10 + (*p - '0');
        }
        if (*p != stop)
                return -1;
        *s = p;
        *v = n;
        return 0;
}

int console_cursor_parse(const char *s, int64_t *time_ms, int64_t *row)
{
        int64_t t, r;
        int neg;

        if (!s || strncmp(s, CURSOR_PREFIX, strlen(CURSOR_PREFIX)))
                return -1;
        s += strlen(CURSOR_PREFIX);
        /* an event time may be before 1970 (Close's dates are the sender's): "-" then digits */
        neg = *s == '-';
        s += neg;
        if (read_decimal(&s, '.', &t) || (neg && t == 0))
                return -1;
        if (neg)
                t = -t;
        s++;
        if (read_decimal(&s, '\0', &r) || r <= 0)
                return -1;
        *time_ms = t;
        *row = r;
        return 0;
}
