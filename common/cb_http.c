#include "cb_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <microhttpd.h>

#include "cb_http_conns.h"
#include "cb_json.h"
#include "cb_log.h"
#include "cb_time.h"
#include "cb_metrics.h"

/* Each connection's memory for headers and reading (MHD's default is 32 KiB). MHD clears it for
 * every request, which at 32 KiB was the biggest single cost of a webhook; bodies are copied
 * out as they arrive, so a smaller read buffer only means more, smaller chunks. Request
 * headers beyond about half of it get 431. */
#define CONNECTION_MEMORY (12 * 1024)

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
        cb_http_t *http;
        struct MHD_Connection *conn;
        pthread_mutex_t mtx; /* recursive: the handler runs under it and may answer */
        int refcnt;          /* atomic; MHD holds one until completion */
        char *method, *path;
        char *body;
        size_t len, cap;
        int too_big, handled, suspended, answered, queued;
        const char *route;
        unsigned status;
        char *resp_body, *resp_type, *extra_name, *extra_value;
        size_t resp_len;
};

static void req_free(cb_http_req_t *req)
{
        pthread_mutex_destroy(&req->mtx);
        free(req->method);
        free(req->path);
        free(req->body);
        free(req->resp_body);
        free(req->resp_type);
        free(req->extra_name);
        free(req->extra_value);
        free(req);
}

cb_http_req_t *cb_http_req_ref(cb_http_req_t *req)
{
        __atomic_add_fetch(&req->refcnt, 1, __ATOMIC_RELAXED);
        return req;
}

void cb_http_req_unref(cb_http_req_t *req)
{
        if (req && !__atomic_sub_fetch(&req->refcnt, 1, __ATOMIC_ACQ_REL))
                req_free(req);
}

const char *cb_http_req_method(const cb_http_req_t *req)
{
        return req->method;
}

const char *cb_http_req_path(const cb_http_req_t *req)
{
        return req->path;
}

const char *cb_http_req_body(const cb_http_req_t *req, size_t *len)
{
        *len = req->len;
        return req->body ? req->body : "";
}

const char *cb_http_req_header(cb_http_req_t *req, const char *name)
{
        return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

int cb_http_respond(cb_http_req_t *req, unsigned status, const char *content_type, const char *body,
                    size_t len, const char *extra_name, const char *extra_value)
{
        int ret = -1;

        pthread_mutex_lock(&req->mtx);
        if (req->answered)
                goto done;
        req->resp_body = malloc(len ? len : 1);
        req->resp_type = strdup(content_type ? content_type : "application/json");
        req->extra_name = extra_name ? strdup(extra_name) : NULL;
        req->extra_value = extra_value ? strdup(extra_value) : NULL;
        if (req->resp_body)
                memcpy(req->resp_body, body, len);
        req->resp_len = req->resp_body ? len : 0;
        req->status = status;
        req->answered = 1;
        ret = 0;
        if (req->suspended) {
                req->suspended = 0;
                MHD_resume_connection(req->conn);
        }
done:
        pthread_mutex_unlock(&req->mtx);
        return ret;
}

int cb_http_respond_error_h(cb_http_req_t *req, unsigned status, const char *message,
                            const char *extra_name, const char *extra_value)
{
        char buf[1024], esc[768];
        int n;

        cb_json_escape(esc, sizeof(esc), message);
        n = snprintf(buf, sizeof(buf), "{\"error\":{\"status\":%u,\"message\":\"%s\"}}\n", status,
                     esc);
        if (n < 0 || (size_t)n >= sizeof(buf))
                n = (int)sizeof(buf) - 1;
        return cb_http_respond(req, status, NULL, buf, (size_t)n, extra_name, extra_value);
}

int cb_http_respond_error(cb_http_req_t *req, unsigned status, const char *message)
{
        return cb_http_respond_error_h(req, status, message, NULL, NULL);
}

void cb_http_req_set_route(cb_http_req_t *req, const char *route)
{
        req->route = route;
}

static cb_metric_family_t *requests_family(void)
{
        static cb_metric_family_t *fam;

        if (!fam)
                fam = cb_metrics_family("closebridge_http_requests_total",
                                        "HTTP requests answered, by route and status code",
                                        CB_METRIC_COUNTER);
        return fam;
}

static enum MHD_Result queue(cb_http_req_t *req)
{
        struct MHD_Response *resp;
        enum MHD_Result r;
        char labels[96];

        snprintf(labels, sizeof(labels), "route=\"%s\",code=\"%u\"",
                 req->route ? req->route : "other", req->status);
        cb_metrics_add(requests_family(), labels, 1);

        /* MHD takes the body over rather than copying it */
        if (req->resp_body)
                resp = MHD_create_response_from_buffer_with_free_callback(req->resp_len,
                                                                          req->resp_body, free);
        else
                resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
        if (!resp)
                return MHD_NO;
        req->resp_body = NULL;
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, req->resp_type);
        if (req->extra_name && req->extra_value)
                MHD_add_response_header(resp, req->extra_name, req->extra_value);
        /* stopping: clients that keep their connection open take it elsewhere */
        if (__atomic_load_n(&req->http->closing, __ATOMIC_ACQUIRE))
                MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
        r = MHD_queue_response(req->conn, req->status, resp);
        MHD_destroy_response(resp);
        req->queued = 1;
        return r;
}

static int append(cb_http_req_t *req, const char *data, size_t size, size_t max)
{
        size_t cap;
        char *p;

        if (req->len + size > max)
                return -1;
        if (req->len + size + 1 > req->cap) {
                cap = req->cap ? req->cap : 1024;
                while (cap < req->len + size + 1)
                        cap *= 2;
                if (cap > max + 1)
                        cap = max + 1;
                p = realloc(req->body, cap);
                if (!p)
                        return -1;
                req->body = p;
                req->cap = cap;
        }
        memcpy(req->body + req->len, data, size);
        req->len += size;
        req->body[req->len] = '\0';
        return 0;
}

static cb_http_req_t *req_new(cb_http_t *http, struct MHD_Connection *conn, const char *url,
                              const char *method)
{
        pthread_mutexattr_t attr;
        cb_http_req_t *req = calloc(1, sizeof(*req));

        if (!req)
                return NULL;
        req->http = http;
        req->conn = conn;
        req->refcnt = 1;
        req->method = strdup(method);
        req->path = strdup(url);
        if (!req->method || !req->path) {
                free(req->method);
                free(req->path);
                free(req);
                return NULL;
        }
        pthread_mutexattr_init(&attr);
        pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
        pthread_mutex_init(&req->mtx, &attr);
        pthread_mutexattr_destroy(&attr);
        pthread_mutex_lock(&http->mtx);
        http->active++;
        pthread_mutex_unlock(&http->mtx);
        return req;
}

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
                req = req_new(http, conn, url, method);
                if (!req)
                        return MHD_NO; /* out of memory: MHD closes the connection */
                *con_cls = req;
                if (__atomic_load_n(&http->closing, __ATOMIC_ACQUIRE)) {
                        /* A request on a connection kept open after cb_http_quiesce: not taken,
                           as what it would wait for is stopping (and a connection suspended at
                           MHD_stop_daemon aborts the process). */
                        cb_http_respond_error_h(req, 503, "shutting down: send it again",
                                                "Retry-After", "1");
                        return queue(req);
                }
                cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_CONTENT_LENGTH);
                if (cl && strtoull(cl, NULL, 10) > http->conf.max_body) {
                        /* Answer before reading: MHD discards the body and closes. */
                        req->too_big = 1;
                        cb_http_respond_error(req, 413, "request body over the limit");
                        return queue(req);
                }
                return MHD_YES;
        }
        if (*upload_data_size) {
                /* A response cannot be queued while data arrives: keep discarding. */
                if (!req->too_big &&
                    append(req, upload_data, *upload_data_size, http->conf.max_body))
                        req->too_big = 1;
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
        if (req->answered) {
                r = queue(req);
        } else {
                req->suspended = 1;
                MHD_suspend_connection(conn);
        }
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
        /* Wait for any thread still inside cb_http_respond before dropping MHD's reference. */
        pthread_mutex_lock(&req->mtx);
        req->conn = NULL;
        pthread_mutex_unlock(&req->mtx);
        cb_http_req_unref(req);
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
        requests_family();
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

int cb_http_serve_ops(cb_http_req_t *req, int ready, const char *reason)
{
        char body[256], *text;
        int health = !strcmp(req->path, "/healthz"), metrics = !strcmp(req->path, "/metrics"), n;

        if (!health && !metrics && strcmp(req->path, "/readyz"))
                return 0;
        req->route = metrics ? "metrics" : health ? "healthz" : "readyz";
        if (strcmp(req->method, "GET") && strcmp(req->method, "HEAD")) {
                cb_http_respond_error_h(req, 405, "use GET", "Allow", "GET, HEAD");
                return 1;
        }
        if (metrics) {
                pthread_mutex_lock(&req->http->mtx);
                /* this request counts itself */
                cb_metrics_set(req->http->in_flight, "", req->http->active);
                pthread_mutex_unlock(&req->http->mtx);
                text = cb_metrics_render();
                if (!text) {
                        cb_http_respond_error(req, 500, "out of memory");
                        return 1;
                }
                cb_http_respond(req, 200, "text/plain; version=0.0.4; charset=utf-8", text,
                                strlen(text), NULL, NULL);
                free(text);
                return 1;
        }
        if (health || ready)
                n = snprintf(body, sizeof(body), "{\"status\":\"%s\"}\n", health ? "ok" : "ready");
        else
                n = snprintf(body, sizeof(body), "{\"status\":\"not ready\",\"reason\":\"%s\"}\n",
                             reason);
        cb_http_respond(req, health || ready ? 200 : 503, NULL, body, (size_t)n, NULL, NULL);
        return 1;
}
