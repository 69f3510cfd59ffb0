/* Test helper: a cb_http server on 127.0.0.1 (a port the system chooses) and a libcurl client
 * for it. One request at a time, blocking, with a 10 s time-out so that a hung server fails
 * the test instead of stalling it. Call curl_global_init before the first request. */
#ifndef TEST_FIXTURE_HTTP_H
#define TEST_FIXTURE_HTTP_H

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>

#include "cb_http.h"
#include "cb_time.h"

typedef struct {
        long status; /* 0 when the request failed at the transport */
        char body[16384];
        size_t len;
        char headers[4096]; /* the response's header lines, as received */
        size_t headers_len;
} fixture_http_reply_t;

/* The server with handler and opaque (borrowed), max_body bytes and two threads; fails the test
 * (abort) when it cannot start. Caller owns (cb_http_quiesce + cb_http_stop). */
static inline cb_http_t *fixture_http_start(cb_http_handler_fn handler, void *opaque,
                                            size_t max_body)
{
        cb_http_conf_t conf = {.bind = "127.0.0.1",
                               .port = 0,
                               .threads = 2,
                               .max_body = max_body,
                               .idle_timeout_s = 10,
                               .max_connections = 64,
                               .handler = handler,
                               .opaque = opaque};
        char errstr[256];
        cb_http_t *http = cb_http_start(&conf, errstr, sizeof(errstr));

        if (!http) {
                fprintf(stderr, "cb_http_start: %s\n", errstr);
                abort();
        }
        return http;
}

/* Appends what fits of data[0..n) to buf (cap bytes, *len used), NUL-terminated. */
static inline void fixture_http_append(char *buf, size_t cap, size_t *len, const char *data,
                                       size_t n)
{
        size_t room = cap - 1 - *len, k = n < room ? n : room;

        memcpy(buf + *len, data, k);
        *len += k;
        buf[*len] = '\0';
}

static inline size_t fixture_http_on_body(char *data, size_t size, size_t n, void *arg)
{
        fixture_http_reply_t *reply = arg;

        fixture_http_append(reply->body, sizeof(reply->body), &reply->len, data, size * n);
        return size * n;
}

static inline size_t fixture_http_on_header(char *data, size_t size, size_t n, void *arg)
{
        fixture_http_reply_t *reply = arg;

        fixture_http_append(reply->headers, sizeof(reply->headers), &reply->headers_len, data,
                            size * n);
        return size * n;
}

typedef struct {
        const char *data;
        size_t left;
} fixture_http_upload_t;

static inline size_t fixture_http_on_read(char *buf, size_t size, size_t n, void *arg)
{
        fixture_http_upload_t *up = arg;
        size_t len = size * n < up->left ? size * n : up->left;

        memcpy(buf, up->data, len);
        up->data += len;
        up->left -= len;
        return len;
}

/* Sends method path to port with body (len bytes, or none when NULL), chunked when chunked is
 * set, and header (one "Name: value" line, or NULL) into reply. Returns curl's result. */
static inline CURLcode fixture_http_call(int port, const char *method, const char *path,
                                         const char *body, size_t len, int chunked,
                                         const char *header, fixture_http_reply_t *reply)
{
        fixture_http_upload_t up = {body, len};
        struct curl_slist *headers = NULL;
        char url[256];
        CURLcode rc;
        CURL *curl = curl_easy_init();

        memset(reply, 0, sizeof(*reply));
        if (!curl)
                return CURLE_OUT_OF_MEMORY;
        snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
        headers = curl_slist_append(headers, "Expect:");
        if (header)
                headers = curl_slist_append(headers, header);
        if (chunked)
                headers = curl_slist_append(headers, "Transfer-Encoding: chunked");
        curl_easy_setopt(curl, CURLOPT_URL, url);
        curl_easy_setopt(curl, CURLOPT_TIMEOUT, 10L);
        curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, fixture_http_on_body);
        curl_easy_setopt(curl, CURLOPT_WRITEDATA, reply);
        curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, fixture_http_on_header);
        curl_easy_setopt(curl, CURLOPT_HEADERDATA, reply);
        if (!strcmp(method, "HEAD")) {
                curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
        } else if (body && chunked) {
                curl_easy_setopt(curl, CURLOPT_POST, 1L);
                curl_easy_setopt(curl, CURLOPT_READFUNCTION, fixture_http_on_read);
                curl_easy_setopt(curl, CURLOPT_READDATA, &up);
        } else if (body) {
                curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
                curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
        }
        if (strcmp(method, "HEAD") && strcmp(method, body ? "POST" : "GET"))
                curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
        rc = curl_easy_perform(curl);
        if (rc == CURLE_OK)
                curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply->status);
        curl_slist_free_all(headers);
        curl_easy_cleanup(curl);
        return rc;
}

/* GET path on port into reply; returns the status, 0 when the request failed. */
static inline long fixture_http_get(int port, const char *path, fixture_http_reply_t *reply)
{
        fixture_http_call(port, "GET", path, NULL, 0, 0, NULL, reply);
        return reply->status;
}

/* Quiesces and stops a server of fixture_http_start. */
static inline void fixture_http_stop(cb_http_t *http)
{
        cb_http_quiesce(http);
        cb_http_stop(http);
}

/* Requests a handler keeps for the test thread to answer: the handler calls fixture_http_keep
 * under mtx (which also guards whatever else the test's handler records), the test thread
 * fixture_http_wait_held. */
typedef struct {
        pthread_mutex_t mtx;
        pthread_cond_t cond;
        int defer;           /* keep requests */
        cb_http_req_t *held; /* the kept request, a reference of the test's */
} fixture_http_held_t;

static inline void fixture_http_held_init(fixture_http_held_t *h)
{
        pthread_mutex_init(&h->mtx, NULL);
        pthread_cond_init(&h->cond, NULL);
        h->defer = 0;
        h->held = NULL;
}

static inline void fixture_http_held_fini(fixture_http_held_t *h)
{
        pthread_mutex_destroy(&h->mtx);
        pthread_cond_destroy(&h->cond);
}

/* In a handler, with h->mtx held: keeps req when h->defer is set and returns 1 (the handler
 * must not answer it), else 0. */
static inline int fixture_http_keep(fixture_http_held_t *h, cb_http_req_t *req)
{
        if (!h->defer)
                return 0;
        h->held = cb_http_req_ref(req);
        pthread_cond_broadcast(&h->cond);
        return 1;
}

/* Waits up to 10 s for the handler to keep a request; returns it (the test's reference), or
 * NULL. */
static inline cb_http_req_t *fixture_http_wait_held(fixture_http_held_t *h)
{
        struct timespec deadline;
        cb_http_req_t *req;
        int rc = 0;

        cb_time_deadline(&deadline, 10000);
        pthread_mutex_lock(&h->mtx);
        while (!h->held && !rc)
                rc = pthread_cond_timedwait(&h->cond, &h->mtx, &deadline);
        req = h->held;
        h->held = NULL;
        pthread_mutex_unlock(&h->mtx);
        return req;
}

/* A POST of {} to /later on port from a thread of its own, for a request the test answers
 * itself. */
typedef struct {
        int port;
        fixture_http_reply_t reply;
        CURLcode rc;
        pthread_t tid;
} fixture_http_client_t;

static inline void *fixture_http_client_main(void *arg)
{
        fixture_http_client_t *c = arg;

        c->rc = fixture_http_call(c->port, "POST", "/later", "{}", 2, 0, NULL, &c->reply);
        return NULL;
}

/* Starts c's request to port. Returns 0, or -1 when no thread could be started. */
static inline int fixture_http_client_start(fixture_http_client_t *c, int port)
{
        c->port = port;
        return pthread_create(&c->tid, NULL, fixture_http_client_main, c) ? -1 : 0;
}

/* Waits for c's request to end (it has a 10 s time-out of its own). */
static inline void fixture_http_client_join(fixture_http_client_t *c)
{
        pthread_join(c->tid, NULL);
}

#endif
