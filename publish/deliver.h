/* publish deliver: one HTTP POST of a callback body (libcurl).
 *
 * Redirects are never followed, only http and https are spoken, no proxy is taken from the
 * environment, the response body is read and dropped, and each attempt has a time limit.
 * A deliverer belongs to one thread; its connection is kept alive between attempts. */
#ifndef PUBLISH_DELIVER_H
#define PUBLISH_DELIVER_H

#include <stddef.h>

typedef struct publish_deliverer publish_deliverer_t;

/* Creates a deliverer whose attempts last at most timeout_ms. Returns NULL on OOM. */
publish_deliverer_t *publish_deliverer_new(long timeout_ms, const char *user_agent);
void publish_deliverer_destroy(publish_deliverer_t *d);

/* A request header, "Name: value". */
typedef struct publish_header {
        const char *line;
} publish_header_t;

/* POSTs body[0..len) to url with headers[0..n). Returns the HTTP status (any, 2xx is success),
 * or -1 for a transport error (refused, timed out, bad URL) with errstr set. Borrows all. */
long publish_deliver(publish_deliverer_t *d, const char *url, const char *const *headers, size_t n,
                     const char *body, size_t len, char *errstr, size_t errstr_size);

#endif
