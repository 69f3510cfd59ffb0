/* cb_http_conns: the open connections of a cb_http server, and the time limit on receiving a
 * request that libmicrohttpd lacks.
 *
 * libmicrohttpd's connection timeout counts inactivity only, so a client that sends a byte a
 * second keeps its connection, and a slot of the connection limit, for as long as it likes: a
 * thousand such clients lock every other client out (tests/integration/test_connection_abuse.py).
 * Here each request must arrive in time: its request line within timeout_s of the connection
 * opening (or of the previous answer on it), the rest, headers and body, within timeout_s of
 * the request line. A connection that misses it is shut down by a sweeper thread (once a
 * second), and libmicrohttpd then closes it as it would a client hanging up. From the moment
 * the handler has the request (waiting for Kafka, answering) the connection's time does not
 * count, until the request completes.
 *
 * Metrics: closebridge_http_connections (gauge), closebridge_http_slow_requests_total.
 * Threads: the callbacks run on libmicrohttpd's threads, the sweeper on its own; a mutex guards
 * the list. libmicrohttpd reports a connection closed before it closes its socket, so the
 * sweeper never shuts down a socket number that was closed and taken again. */
#ifndef CB_HTTP_CONNS_H
#define CB_HTTP_CONNS_H

#include <microhttpd.h>

typedef struct cb_http_conns cb_http_conns_t;

/* Starts the sweeper for requests limited to timeout_s. Returns NULL when out of resources. */
cb_http_conns_t *cb_http_conns_new(int timeout_s);

/* Stops the sweeper and frees conns; call once libmicrohttpd has stopped. NULL is a no-op. */
void cb_http_conns_destroy(cb_http_conns_t *conns);

/* MHD_OPTION_NOTIFY_CONNECTION callback; cls is the cb_http_conns_t. */
void cb_http_conns_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code);

/* MHD_OPTION_URI_LOG_CALLBACK callback (the request line has arrived); cls is the
 * cb_http_conns_t. Returns NULL, the request's first con_cls. */
void *cb_http_conns_request_line(void *cls, const char *uri, struct MHD_Connection *conn);

/* Marks conn's request as the handler's (busy 1: its time stops counting) or as completed
 * (busy 0: the next request's time starts now). */
void cb_http_conns_busy(cb_http_conns_t *conns, struct MHD_Connection *conn, int busy);

/* max, lowered to what the open-files limit leaves room for besides the process's other files;
 * the soft limit is first raised towards the hard one when needed (1024 is a common default).
 * Logs a warning when max had to be lowered. */
int cb_http_conns_fit_fd_limit(int max);

#endif
