/* The request object of cb_http (cb_http.h, cb_http_impl.h): its references, its body, its
 * accessors, and its one answer, handed to libmicrohttpd at once or after a suspension. */
#include "cb_http_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cb_json.h"

static cb_metric_family_t *requests_family(void)
{
        static cb_metric_family_t *fam;

        if (!fam)
                fam = cb_metrics_family("closebridge_http_requests_total",
                                        "HTTP requests answered, by route and status code",
                                        CB_METRIC_COUNTER);
        return fam;
}

void cb_http_req_metrics_init(void)
{
        requests_family();
}

cb_http_req_t *cb_http_req_new(cb_http_t *http, struct MHD_Connection *conn, const char *url,
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
        return req;
}

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

void cb_http_req_detach(cb_http_req_t *req)
{
        /* Wait for any thread still inside cb_http_respond before dropping MHD's reference. */
        pthread_mutex_lock(&req->mtx);
        req->conn = NULL;
        pthread_mutex_unlock(&req->mtx);
        cb_http_req_unref(req);
}

int cb_http_req_append(cb_http_req_t *req, const char *data, size_t size, size_t max)
{
        size_t cap;
        char *p;

        if (req->too_big)
                return -1;
        if (req->len + size > max)
                goto too_big;
        if (req->len + size + 1 > req->cap) {
                cap = req->cap ? req->cap : 1024;
                while (cap < req->len + size + 1)
                        cap *= 2;
                if (cap > max + 1)
                        cap = max + 1;
                p = realloc(req->body, cap);
                if (!p)
                        goto too_big;
                req->body = p;
                req->cap = cap;
        }
        memcpy(req->body + req->len, data, size);
        req->len += size;
        req->body[req->len] = '\0';
        return 0;
too_big:
        req->too_big = 1;
        return -1;
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
        return req->conn ? MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name) : NULL;
}

/* What cb_http_req_args hands MHD_get_connection_values. */
typedef struct args_walk {
        int (*fn)(void *opaque, const char *name, const char *value);
        void *opaque;
        int result;
} args_walk_t;

static enum MHD_Result arg_cb(void *cls, enum MHD_ValueKind kind, const char *key,
                              const char *value)
{
        args_walk_t *w = cls;

        (void)kind;
        w->result = w->fn(w->opaque, key, value);
        return w->result ? MHD_NO : MHD_YES;
}

int cb_http_req_args(cb_http_req_t *req,
                     int (*fn)(void *opaque, const char *name, const char *value), void *opaque)
{
        args_walk_t w = {fn, opaque, 0};

        if (req->conn)
                MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, arg_cb, &w);
        return w.result;
}

void cb_http_req_set_route(cb_http_req_t *req, const char *route)
{
        req->route = route;
}

/* With req->mtx held and the response set: req is answered with status, and its connection,
 * when the handler suspended it, goes on. Returns 0. */
static int settle(cb_http_req_t *req, unsigned status)
{
        req->status = status;
        req->answered = 1;
        if (req->suspended) {
                req->suspended = 0;
                MHD_resume_connection(req->conn);
        }
        return 0;
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
        if (req->resp_body && len)
                memcpy(req->resp_body, body, len);
        req->resp_len = req->resp_body ? len : 0;
        ret = settle(req, status);
done:
        pthread_mutex_unlock(&req->mtx);
        return ret;
}

int cb_http_respond_static(cb_http_req_t *req, unsigned status, const char *content_type,
                           const char *body, size_t len, const char *const *headers)
{
        int ret = -1;

        pthread_mutex_lock(&req->mtx);
        if (!req->answered) {
                req->resp_type = strdup(content_type);
                req->static_body = body;
                req->static_headers = headers;
                req->resp_len = len;
                ret = settle(req, status);
        }
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

/* Hands the answer to MHD; req is answered. */
static enum MHD_Result queue(cb_http_req_t *req)
{
        struct MHD_Response *resp;
        const char *const *h;
        enum MHD_Result r;
        char labels[96];

        snprintf(labels, sizeof(labels), "route=\"%s\",code=\"%u\"",
                 req->route ? req->route : "other", req->status);
        cb_metrics_add(requests_family(), labels, 1);

        /* MHD takes the body over rather than copying it */
        if (req->static_body)
                resp = MHD_create_response_from_buffer(req->resp_len, (void *)req->static_body,
                                                       MHD_RESPMEM_PERSISTENT);
        else if (req->resp_body)
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
        for (h = req->static_headers; h && h[0] && h[1]; h += 2)
                MHD_add_response_header(resp, h[0], h[1]);
        /* stopping: clients that keep their connection open take it elsewhere */
        if (__atomic_load_n(&req->http->closing, __ATOMIC_ACQUIRE))
                MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
        r = MHD_queue_response(req->conn, req->status, resp);
        MHD_destroy_response(resp);
        req->queued = 1;
        return r;
}

enum MHD_Result cb_http_req_queue_or_suspend(cb_http_req_t *req)
{
        if (req->answered)
                return queue(req);
        req->suspended = 1;
        MHD_suspend_connection(req->conn);
        return MHD_YES;
}
