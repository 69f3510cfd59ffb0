/* console filter: the query parameters of the events API (GET /instances/{id}/events,
 * GET /instances/events and the redeliver filters), parsed into a typed filter, and the page
 * cursor. Pure: no I/O, fuzzed by tests/fuzz/fuzz_console_filter.c.
 *
 * Parameters (each at most once; an unknown one is an error, so that a misspelt filter never
 * silently widens a result or a replay):
 *   status      one state name (record.h) or several, comma-separated: "dead,retrying"
 *   since       event time at or after, RFC 3339 ("2026-12-01T00:00:00Z", cb_time_parse)
 *   until       event time before, RFC 3339; since < until when both are given
 *   objectType  e.g. "leads"        (exact match, at most 63 bytes)
 *   eventType   CREATED, UPDATED, DELETED or UNKNOWN
 *   objectId    e.g. "lead_abc"     (exact match, at most 127 bytes)
 *   origin      webhook or polling
 *   pageSize    1..CONSOLE_PAGE_MAX, default CONSOLE_PAGE_DEFAULT
 *   nextPage    a cursor from a previous answer's Elements-Next-Page-Token
 * Results are ordered newest first: by event time, then by index row, both descending; the
 * cursor names the last row of a page (its time and row id), and the next page starts after
 * it. */
#ifndef CONSOLE_FILTER_H
#define CONSOLE_FILTER_H

#include <stddef.h>
#include <stdint.h>

#include "cb_instance.h"

#define CONSOLE_PAGE_DEFAULT 50
#define CONSOLE_PAGE_MAX     500
/* A cursor's text, with its NUL. */
#define CONSOLE_CURSOR_MAX 64

typedef struct console_filter {
        char instance_id[CB_INSTANCE_ID_MAX]; /* "" for every instance (set by the caller, from
                                                 the path, not by a parameter) */
        unsigned states;                      /* bit (1u << state) per wanted state; 0: any */
        int64_t since_ms;                     /* INT64_MIN: none */
        int64_t until_ms;                     /* INT64_MAX: none */
        char object_type[64];
        char object_id[128];
        char event_type[16];
        char origin[16];
        int page_size;
        int has_cursor; /* the page starts after (cursor_time_ms, cursor_row) */
        int64_t cursor_time_ms;
        int64_t cursor_row;
        unsigned seen;          /* parameters set so far, one bit each (console_filter_set) */
        int repeated;           /* a parameter was given twice */
        char repeated_name[16]; /* the first one given twice (its second value is not taken),
                                   "" when none */
} console_filter_t;

/* An empty filter: every event, first page of CONSOLE_PAGE_DEFAULT. */
void console_filter_init(console_filter_t *f);

/* Sets one parameter name=value (both NUL-terminated, borrowed; value already URL-decoded, as
 * libmicrohttpd gives it) on f. Returns 0, or -1 with errstr set to a message fit for a 400
 * answer that names the parameter ("status: unknown state \"x\"; one of received, ...").
 * Call console_filter_check once every parameter is set. */
int console_filter_set(console_filter_t *f, const char *name, const char *value, char *errstr,
                       size_t errstr_size);

/* What no single parameter can judge: a parameter given twice (console_filter_set counts them),
 * since not before until. Returns 0, or -1 with errstr set. */
int console_filter_check(const console_filter_t *f, char *errstr, size_t errstr_size);

/* Writes the cursor of the row (time_ms, row) as text (URL-safe characters only) into out.
 * Returns 0, or -1 when out is too small, row is not positive or time_ms is INT64_MIN. */
int console_cursor_format(int64_t time_ms, int64_t row, char *out, size_t out_size);

/* Reads a cursor written by console_cursor_format. Returns 0, or -1 when s is not one. */
int console_cursor_parse(const char *s, int64_t *time_ms, int64_t *row);

#endif
