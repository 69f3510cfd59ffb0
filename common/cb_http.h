/* cb_http: the HTTP server both processes run (libmicrohttpd), with requests that can wait for
 * Kafka before they are answered.
 *
 * The server reads each request's body (up to a limit; 413 beyond it, also for chunked bodies)
 * and then calls the process's handler once, on one of libmicrohttpd's threads. The handler
 * either answers at once with cb_http_respond*(), or keeps a reference (cb_http_req_ref) and
 * returns; the connection is then suspended until some thread answers, and resumed at once.
 * A request is answered exactly once; later answers are ignored.
 *
 * Made of the server (cb_http.c), the request object (cb_http_req.c), the operations endpoints
 * (cb_http_ops.c) and the connections' time limits (cb_http_conns.c); cb_http_impl.h holds what
 * the first three share. */
#ifndef CB_HTTP_H
#define CB_HTTP_H

#include <stddef.h>

typedef struct cb_http cb_http_t;
typedef struct cb_http_req cb_http_req_t;

/* Called once per request with the whole body read. Runs on a server thread; must not block. */
typedef void (*cb_http_handler_fn)(void *opaque, cb_http_req_t *req);

typedef struct cb_http_conf {
        const char *bind; /* address to listen on, e.g. "0.0.0.0" or "127.0.0.1" */
        int port;
        int threads;         /* server threads */
        size_t max_body;     /* bytes; larger bodies get 413 */
        int idle_timeout_s;  /* closes connections idle this long, and those whose request
                                takes longer to arrive (cb_http_conns.h) */
        int max_connections; /* lowered to what the open-files limit leaves room for */
        cb_http_handler_fn handler;
        void *opaque; /* borrowed, passed to handler */
} cb_http_conf_t;

/* Starts listening. Borrows conf's strings for the server's life. Returns NULL with errstr set
 * when the address cannot be bound. */
cb_http_t *cb_http_start(const cb_http_conf_t *conf, char *errstr, size_t errstr_size);

/* The port http listens on: conf's, or the one the system chose when conf's was 0. Returns -1
 * when libmicrohttpd cannot tell. */
int cb_http_port(const cb_http_t *http);

/* Stops accepting new connections; requests in progress go on. From now on a new request on a
 * connection kept open is answered 503 (Retry-After: 1) without reaching the handler, and every
 * response closes its connection. */
void cb_http_quiesce(cb_http_t *http);

/* Waits up to timeout_ms until no request is in progress. Returns 0, or -1 on time-out. */
int cb_http_drain(cb_http_t *http, int timeout_ms);

/* Closes every connection and frees the server. Call cb_http_quiesce and answer every waiting
 * request first. NULL is a no-op. */
void cb_http_stop(cb_http_t *http);

/* Request accessors; the strings are borrowed from req. */
const char *cb_http_req_method(const cb_http_req_t *req);
const char *cb_http_req_path(const cb_http_req_t *req);
const char *cb_http_req_body(const cb_http_req_t *req, size_t *len);
/* A request header (case-insensitive name), or NULL. Valid only inside the handler. */
const char *cb_http_req_header(cb_http_req_t *req, const char *name);

/* Calls fn once per query parameter of req's URL, in order, with its name and value
 * (URL-decoded by libmicrohttpd; value NULL for "?name" without '='), both borrowed for the
 * call. Stops at the first fn that returns non-zero and returns what it returned; returns 0
 * after the last parameter. Valid only inside the handler. */
int cb_http_req_args(cb_http_req_t *req,
                     int (*fn)(void *opaque, const char *name, const char *value), void *opaque);

/* Adds a reference, for a thread that will answer later. */
cb_http_req_t *cb_http_req_ref(cb_http_req_t *req);
/* Drops a reference. */
void cb_http_req_unref(cb_http_req_t *req);

/* Answers req with status and a body (copied). content_type may be NULL for
 * "application/json". extra_name/extra_value add one header, or NULL. Callable from any thread,
 * once the handler has been called. Returns 0, or -1 when req was already answered. */
int cb_http_respond(cb_http_req_t *req, unsigned status, const char *content_type, const char *body,
                    size_t len, const char *extra_name, const char *extra_value);

/* Answers req with status and a body that lives as long as the process (an embedded file:
 * neither copied nor freed), of content_type (static too), with the headers of headers: name,
 * value, name, value, ..., NULL (static strings; NULL for none). Otherwise as cb_http_respond. */
int cb_http_respond_static(cb_http_req_t *req, unsigned status, const char *content_type,
                           const char *body, size_t len, const char *const *headers);

/* Answers with {"error":{"status":N,"message":"..."}}. message must not hold client bytes
 * beyond what is safe to echo; quotes and control characters are escaped. */
int cb_http_respond_error(cb_http_req_t *req, unsigned status, const char *message);
/* The same with one extra header (e.g. Allow on 405, Retry-After on 503). */
int cb_http_respond_error_h(cb_http_req_t *req, unsigned status, const char *message,
                            const char *extra_name, const char *extra_value);

/* Names the route of req for the requests metric (a static string, e.g. "webhook"); requests
 * not named count as "other". */
void cb_http_req_set_route(cb_http_req_t *req, const char *route);

/* Serves the operations endpoints: GET /healthz (200 while the process runs), GET /readyz
 * (200 when ready, else 503 with reason) and GET /metrics (Prometheus text of cb_metrics); HEAD
 * too, any other method 405. reason (borrowed, NULL for none) goes into the JSON escaped, cut
 * at 255 bytes once escaped. Returns 1 when req was one of them (and is answered), else 0. */
int cb_http_serve_ops(cb_http_req_t *req, int ready, const char *reason);

#endif
