/* The server of cb_http (cb_http.h): the libmicrohttpd daemon, its callbacks, which feed each
 * request (cb_http_req.c) its body and its handler, and the count of requests in progress. */
#include "cb_http_impl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cb_log.h"
#include "cb_time.h"

/* Each connection's memory for headers and reading (MHD's default is 32 KiB). MHD clears it for
 * every request, which at 32 KiB was the biggest single cost of a webhook; bodies are copied
 * out as they arrive, so a smaller read buffer only means more, smaller chunks. Request
 * headers beyond about half of it get 431. */
#define CONNECTION_MEMORY (12 * 1024)

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
        cb_http_t *http = cls;
        cb_http_req_t *req = *con_cls;
        enum MHD_Result r = MHD_YES;
        const char *cl;

        (void)version;
        if (!req) {
                req = cb_http_req_new(http, conn, url, method);
                if (!req)
                        return MHD_NO; /* out of memory: MHD closes the connection */
                *con_cls = req;
                pthread_mutex_lock(&http->mtx);
                http->active++;
                pthread_mutex_unlock(&http->mtx);
                if (__atomic_load_n(&http->closing, __ATOMIC_ACQUIRE)) {
                        /* A request on a connection kept open after cb_http_quiesce: not taken,
                           as what it would wait for is stopping (and a connection suspended at
                           MHD_stop_daemon aborts the process). */
                        cb_http_respond_error_h(req, 503, "shutting down: send it again",
                                                "Retry-After", "1");
                        return cb_http_req_queue_or_suspend(req);
                }
                cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_CONTENT_LENGTH);
                if (cl && strtoull(cl, NULL, 10) > http->conf.max_body) {
                        /* Answer before reading: MHD discards the body and closes. */
                        req->too_big = 1;
                        cb_http_respond_error(req, 413, "request body over the limit");
                        return cb_http_req_queue_or_suspend(req);
                }
                return MHD_YES;
        }
        if (*upload_data_size) {
                /* A response cannot be queued while data arrives: keep discarding. */
                cb_http_req_append(req, upload_data, *upload_data_size, http->conf.max_body);
                *upload_data_size = 0;
                return MHD_YES;
        }
        pthread_mutex_lock(&req->mtx);
        if (req->queued)
                goto done;
        if (req->too_big)
                cb_http_respond_error(req, 413, "request body over the limit");
        if (!req->handled && !req->answered) {
                req->handled = 1;
                cb_http_conns_busy(http->conns, conn, 1);
                http->conf.handler(http->conf.opaque, req);
        }
        r = cb_http_req_queue_or_suspend(req);
done:
        pthread_mutex_unlock(&req->mtx);
        return r;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
        cb_http_t *http = cls;
        cb_http_req_t *req = *con_cls;

        (void)toe;
        cb_http_conns_busy(http->conns, conn, 0);
        if (!req)
                return;
        *con_cls = NULL;
        cb_http_req_detach(req);
        pthread_mutex_lock(&http->mtx);
        http->active--;
        pthread_cond_broadcast(&http->cond);
        pthread_mutex_unlock(&http->mtx);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
        char msg[512];
        size_t n;

        (void)cls;
        vsnprintf(msg, sizeof(msg), fmt, ap);
        n = strlen(msg);
        while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
                msg[--n] = '\0';
        cb_log_warn("http: %s", msg);
}

cb_http_t *cb_http_start(const cb_http_conf_t *conf, char *errstr, size_t errstr_size)
{
        struct sockaddr_storage ss;
        struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
        /* poll(), not epoll: with epoll and a thread pool, MHD_quiesce_daemon races the workers
           removing the listening socket from their epoll sets, and the loser's epoll_ctl fails
           into MHD_PANIC ("Failed to remove listen FD from epoll set", an open libmicrohttpd
           defect, seen in test_ops under ASan). With poll() quiescing only signals the workers;
           bench/ingest measured no difference between the two. */
        unsigned flags =
            MHD_USE_POLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
        cb_http_t *http;

        memset(&ss, 0, sizeof(ss));
        if (inet_pton(AF_INET, conf->bind, &sin->sin_addr) == 1) {
                sin->sin_family = AF_INET;
                sin->sin_port = htons((uint16_t)conf->port);
        } else if (inet_pton(AF_INET6, conf->bind, &sin6->sin6_addr) == 1) {
                sin6->sin6_family = AF_INET6;
                sin6->sin6_port = htons((uint16_t)conf->port);
                flags |= MHD_USE_IPv6;
        } else {
                snprintf(errstr, errstr_size, "\"%s\" is not an IPv4 or IPv6 address", conf->bind);
                return NULL;
        }
        http = calloc(1, sizeof(*http));
        if (!http) {
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        http->conf = *conf;
        http->quiesced_fd = MHD_INVALID_SOCKET;
        http->in_flight =
            cb_metrics_family("closebridge_http_requests_in_flight",
                              "HTTP requests received and not yet answered", CB_METRIC_GAUGE);
        cb_http_req_metrics_init();
        pthread_mutex_init(&http->mtx, NULL);
        pthread_cond_init(&http->cond, NULL);
        http->conns = cb_http_conns_new(conf->idle_timeout_s);
        if (!http->conns) {
                snprintf(errstr, errstr_size, "out of memory");
                goto fail;
        }
        {
                /* No per-IP limit: behind a load balancer every request comes from the
                   balancer's address, and Close sends many webhooks at once from a few. */
                struct MHD_OptionItem opts[] = {
                    {MHD_OPTION_SOCK_ADDR, 0, &ss},
                    {MHD_OPTION_CONNECTION_TIMEOUT, conf->idle_timeout_s, NULL},
                    {MHD_OPTION_CONNECTION_LIMIT, cb_http_conns_fit_fd_limit(conf->max_connections),
                     NULL},
                    {MHD_OPTION_CONNECTION_MEMORY_LIMIT, CONNECTION_MEMORY, NULL},
                    {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, http},
                    {MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)cb_http_conns_notify, http->conns},
                    {MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)cb_http_conns_request_line,
                     http->conns},
                    /* last: a pool of one thread is no pool, MHD refuses the option then */
                    {conf->threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END,
                     conf->threads, NULL},
                    {MHD_OPTION_END, 0, NULL}};

                /* The logger must come first, or MHD prints its early messages itself. */
                http->daemon = MHD_start_daemon(flags, (uint16_t)conf->port, NULL, NULL, on_request,
                                                http, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
                                                MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
        }
        if (!http->daemon) {
                snprintf(errstr, errstr_size, "cannot listen on %s port %d", conf->bind,
                         conf->port);
                goto fail;
        }
        return http;
fail:
        cb_http_conns_destroy(http->conns);
        pthread_mutex_destroy(&http->mtx);
        pthread_cond_destroy(&http->cond);
        free(http);
        return NULL;
}

void cb_http_quiesce(cb_http_t *http)
{
        __atomic_store_n(&http->closing, 1, __ATOMIC_RELEASE);
        if (http->quiesced_fd == MHD_INVALID_SOCKET)
                http->quiesced_fd = MHD_quiesce_daemon(http->daemon);
}

int cb_http_drain(cb_http_t *http, int timeout_ms)
{
        struct timespec deadline;
        int ret = 0;

        cb_time_deadline(&deadline, timeout_ms);
        pthread_mutex_lock(&http->mtx);
        while (http->active > 0 && !ret)
                ret = pthread_cond_timedwait(&http->cond, &http->mtx, &deadline) ? -1 : 0;
        pthread_mutex_unlock(&http->mtx);
        return ret;
}

void cb_http_stop(cb_http_t *http)
{
        if (!http)
                return;
        MHD_stop_daemon(http->daemon);
        cb_http_conns_destroy(http->conns);
        if (http->quiesced_fd != MHD_INVALID_SOCKET)
                close(http->quiesced_fd);
        pthread_mutex_destroy(&http->mtx);
        pthread_cond_destroy(&http->cond);
        free(http);
}

int cb_http_port(const cb_http_t *http)
{
        const union MHD_DaemonInfo *info =
            MHD_get_daemon_info(http->daemon, MHD_DAEMON_INFO_BIND_PORT);

        return info ? (int)info->port : -1;
}

void cb_http_update_in_flight(cb_http_t *http)
{
        pthread_mutex_lock(&http->mtx);
        cb_metrics_set(http->in_flight, "", http->active);
        pthread_mutex_unlock(&http->mtx);
}
