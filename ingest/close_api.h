/* ingest close api: one page of Close's Event Log, GET {base}/event/ (docs/sources.md §4, §5),
 * with HTTP Basic auth (the API key as user name, empty password), newest events first, walked
 * with cursor_next. */
#ifndef INGEST_CLOSE_API_H
#define INGEST_CLOSE_API_H

#include <stdint.h>
#include <curl/curl.h>
#include <yyjson.h>

typedef enum {
        INGEST_CLOSE_OK = 0,
        INGEST_CLOSE_RATE_LIMITED, /* 429: *wait_ms says how long to stay away */
        INGEST_CLOSE_UNAUTHORIZED, /* 401 or 403: a wrong API key */
        INGEST_CLOSE_ERROR,        /* 5xx, time-out, transport error, unreadable answer */
        INGEST_CLOSE_HALTED        /* *halt was set before or during the request */
} ingest_close_result_t;

typedef struct ingest_close_page {
        yyjson_doc *doc;         /* owned: the answer; free with yyjson_doc_free */
        yyjson_val *events;      /* in doc: the "data" array */
        const char *cursor_next; /* in doc, or NULL on the last page */
} ingest_close_page_t;

/* Reads buf[0..len) (not NUL-terminated), the body of a 200 answer, into *page: strict JSON
 * nested at most CB_JSON_MAX_DEPTH deep, an object with a "data" array; cursor_next is its
 * "cursor_next" when that is a non-empty string. Borrows buf only for the call. Returns 0 (then
 * the caller frees page->doc), or -1 with errstr set and *page zeroed. */
int ingest_close_page_parse(const char *buf, size_t len, ingest_close_page_t *page, char *errstr,
                            size_t errstr_size);

/* Fetches one page with curl (the caller's handle, reset here): the first when cursor is NULL
 * (events with date_updated >= from_us), else the page cursor names. Every request ends within
 * timeout_ms, and soon after *halt (read atomically; NULL: never) becomes non-zero. On
 * INGEST_CLOSE_RATE_LIMITED, *wait_ms is the longer of Retry-After and the RateLimit header's reset
 * (decimals allowed, rounded up), at least 1000. errstr says what went wrong otherwise. */
ingest_close_result_t ingest_close_fetch(CURL *curl, const char *base, const char *api_key,
                                         int64_t from_us, const char *cursor, long timeout_ms,
                                         const int *halt, ingest_close_page_t *page, long *wait_ms,
                                         char *errstr, size_t errstr_size);

/* Milliseconds a 429 asks to wait, from the Retry-After and RateLimit header values (either
 * NULL): the longer of the two, rounded up, at least 1000. */
long ingest_close_rate_limit_wait(const char *retry_after, const char *ratelimit);

#endif
