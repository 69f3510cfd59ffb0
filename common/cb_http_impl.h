/* cb_http_impl: what the modules of cb_http share and its callers do not see: the server and
 * request structs, and the calls between the server (cb_http.c: the libmicrohttpd daemon and
 * its callbacks), the request object (cb_http_req.c) and the operations endpoints
 * (cb_http_ops.c). Include cb_http.h for the public API; only those three files and their unit
 * tests include this one.
 *
 * Threads: libmicrohttpd's threads run the server's callbacks, each with one request at a time;
 * the thread that answers a waiting request may be any. A request's mtx guards its state from
 * the first call of the handler on; the server's mtx guards its count of requests in progress.
 * Ownership: libmicrohttpd holds one reference to each request, from cb_http_req_new to
 * cb_http_req_detach; every cb_http_req_ref holds another. */
#ifndef CB_HTTP_IMPL_H
#define CB_HTTP_IMPL_H

#include <pthread.h>
#include <stddef.h>
#include <microhttpd.h>

#include "cb_http.h"
#include "cb_http_conns.h"
#include "cb_metrics.h"

struct cb_http {
        struct MHD_Daemon *daemon;
        cb_http_conns_t *conns; /* request time limits */
        cb_http_conf_t conf;
        MHD_socket quiesced_fd;
        pthread_mutex_t mtx; /* guards active */
        pthread_cond_t cond;
        int active;                    /* requests between first call and completion */
        int closing;                   /* atomic: set by cb_http_quiesce */
        cb_metric_family_t *in_flight; /* gauge of active */
};

struct cb_http_req {
        cb_http_t *http;             /* borrowed; NULL only in unit tests of the request alone */
        struct MHD_Connection *conn; /* NULL once completed (or with no server) */
        pthread_mutex_t mtx;         /* recursive: the handler runs under it and may answer */
        int refcnt;                  /* atomic; MHD holds one until completion */
        char *method, *path;
        char *body; /* NUL-terminated, NULL until the first byte */
        size_t len, cap;
        int too_big;   /* over max_body (or out of memory for it): answered 413 */
        int handled;   /* the handler has been called */
        int suspended; /* the connection waits for cb_http_respond */
        int answered;  /* status and response held, not necessarily queued */
        int queued;    /* the response went to MHD */
        const char *route;
        unsigned status;
        char *resp_body, *resp_type, *extra_name, *extra_value;
        size_t resp_len;
        const char *static_body;           /* cb_http_respond_static's, not owned */
        const char *const *static_headers; /* its header pairs, NULL-terminated, not owned */
};

/* cb_http_req.c */

/* Registers the closebridge_http_requests_total family, so that the server's threads find it
 * made; cb_http_start calls it before any thread runs. */
void cb_http_req_metrics_init(void);

/* A new request for method and url (both copied) on conn of http (both borrowed, either may be
 * NULL for a request not served, as in unit tests). Holds one reference, libmicrohttpd's, that
 * cb_http_req_detach drops. Returns NULL when out of memory. */
cb_http_req_t *cb_http_req_new(cb_http_t *http, struct MHD_Connection *conn, const char *url,
                               const char *method);

/* Appends size bytes of data (copied) to the body, keeping it NUL-terminated. Past max bytes in
 * all, or out of memory, marks req too big and keeps no more. Returns 0, or -1 when req is too
 * big. Called on the connection's thread before the handler, without the lock. */
int cb_http_req_append(cb_http_req_t *req, const char *data, size_t size, size_t max);

/* Hands req's answer to libmicrohttpd when there is one (and counts it in the requests metric),
 * else suspends the connection until cb_http_respond resumes it. The caller holds req->mtx, or
 * is the only thread that knows req. Returns libmicrohttpd's result (MHD_NO closes). */
enum MHD_Result cb_http_req_queue_or_suspend(cb_http_req_t *req);

/* libmicrohttpd is done with req: waits for any thread inside cb_http_respond, forgets the
 * connection and drops libmicrohttpd's reference. */
void cb_http_req_detach(cb_http_req_t *req);

/* cb_http.c */

/* Sets the closebridge_http_requests_in_flight gauge to the requests now in progress. */
void cb_http_update_in_flight(cb_http_t *http);

#endif
