/* Fuzz target: the events API's query parameters (console_filter_set, console_filter_check)
 * and its page cursor (console_cursor_parse, console_cursor_format).
 *
 * The input is a query: "name=value" pairs separated by '&' or '\n' (a pair without '=' has
 * the empty value, an empty pair is skipped; bytes after a NUL are cut, as they would be in a C
 * string). Every pair is set
 * on one filter, then the filter is checked, and what the API depends on is held:
 * - a refusal says why: a non-empty message, NUL-terminated, of printable ASCII and bounded
 *   length whatever the input (it goes into a 400 answer);
 * - a filter taken is one the index can run: pageSize 1..CONSOLE_PAGE_MAX, since before until,
 *   only states that exist, strings that fit, a cursor that format writes back;
 * - every value that parses as a cursor is the text format writes for it, and that text parses
 *   back to the same row. */
#include <string.h>

#include "filter.h"
#include "fuzz.h"
#include "record.h"

#define ERR_SIZE 512
/* What a message may grow to: the words, a parameter name and a quoted value of 64 bytes. */
#define ERR_BOUND 250
#define STATES    ((1u << (CONSOLE_SKIPPED + 1)) - 1)

static void check_message(const char *err)
{
        size_t i, len;

        FUZZ_CHECK(memchr(err, '\0', ERR_SIZE) != NULL);
        len = strlen(err);
        FUZZ_CHECK(len > 0 && len < ERR_BOUND);
        for (i = 0; i < len; i++)
                FUZZ_CHECK(err[i] >= 0x20 && err[i] < 0x7f);
}

static int terminated(const char *s, size_t size)
{
        return memchr(s, '\0', size) != NULL;
}

/* Round trip of value as a cursor. */
static void check_cursor(const char *value)
{
        char text[CONSOLE_CURSOR_MAX];
        int64_t t, r, t2, r2;

        if (console_cursor_parse(value, &t, &r))
                return;
        FUZZ_CHECK(t > INT64_MIN && r > 0); /* times before 1970 are cursors too */
        FUZZ_CHECK(console_cursor_format(t, r, text, sizeof(text)) == 0);
        FUZZ_CHECK(console_cursor_parse(text, &t2, &r2) == 0);
        FUZZ_CHECK(t2 == t && r2 == r);
        FUZZ_CHECK(strcmp(text, value) == 0); /* one text per cursor */
}

static void check_filter(const console_filter_t *f)
{
        char text[CONSOLE_CURSOR_MAX];
        int64_t t, r;

        FUZZ_CHECK(f->repeated == 0);
        FUZZ_CHECK(f->page_size >= 1 && f->page_size <= CONSOLE_PAGE_MAX);
        FUZZ_CHECK(f->since_ms < f->until_ms);
        FUZZ_CHECK((f->states & ~STATES) == 0);
        FUZZ_CHECK(terminated(f->object_type, sizeof(f->object_type)));
        FUZZ_CHECK(terminated(f->object_id, sizeof(f->object_id)));
        FUZZ_CHECK(terminated(f->event_type, sizeof(f->event_type)));
        FUZZ_CHECK(terminated(f->origin, sizeof(f->origin)));
        FUZZ_CHECK(!f->event_type[0] || !strcmp(f->event_type, "CREATED") ||
                   !strcmp(f->event_type, "UPDATED") || !strcmp(f->event_type, "DELETED") ||
                   !strcmp(f->event_type, "UNKNOWN"));
        FUZZ_CHECK(!f->origin[0] || !strcmp(f->origin, "webhook") || !strcmp(f->origin, "polling"));
        if (f->has_cursor) {
                FUZZ_CHECK(console_cursor_format(f->cursor_time_ms, f->cursor_row, text,
                                                 sizeof(text)) == 0);
                FUZZ_CHECK(console_cursor_parse(text, &t, &r) == 0);
                FUZZ_CHECK(t == f->cursor_time_ms && r == f->cursor_row);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        console_filter_t f;
        char err[ERR_SIZE], *buf, *p, *end, *eq;
        int failed = 0;

        buf = malloc(size + 1);
        if (!buf)
                return 0;
        memcpy(buf, data, size);
        buf[size] = '\0';
        end = buf + strlen(buf);

        console_filter_init(&f);
        for (p = buf; p <= end && !failed; p++) {
                char *sep = p + strcspn(p, "&\n");
                const char *value = "";

                if (sep == p)
                        continue; /* "a=1&&b=2": nothing between the two */
                *sep = '\0';
                eq = strchr(p, '=');
                if (eq) {
                        *eq = '\0';
                        value = eq + 1;
                }
                check_cursor(value);
                memset(err, 'x', sizeof(err));
                if (console_filter_set(&f, p, value, err, sizeof(err))) {
                        check_message(err);
                        failed = 1;
                }
                p = sep;
        }
        if (!failed) {
                memset(err, 'x', sizeof(err));
                if (console_filter_check(&f, err, sizeof(err)))
                        check_message(err);
                else
                        check_filter(&f);
        }
        free(buf);
        return 0;
}
