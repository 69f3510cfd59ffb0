/* Test helper: a cb_http server on 127.0.0.1 (a port the system chooses) and a libcurl client
 * for it. One request at a time, blocking, with a 10 s time-out so that a hung server fails
 * the test instead of stalling it. Call curl_global_init before the first request. */
#ifndef TEST_FIXTURE_HTTP_H
#define TEST_FIXTURE_HTTP_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>

#include "cb_http.h"

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

static inline size_t fixture_http_on_body(char *data, size_t size, size_t n, void *arg)
{
        fixture_http_reply_t *reply = arg;
        size_t len = size * n, room = sizeof(reply->body) - 1 - reply->len;

        memcpy(reply->body + reply->len, data, len < room ? len : room);
        reply->len += len < room ? len : room;
        reply->body[reply->len] = '\0';
        return len;
}

static inline size_t fixture_http_on_header(char *data, size_t size, size_t n, void *arg)
{
        fixture_http_reply_t *reply = arg;
        size_t len = size * n, room = sizeof(reply->headers) - 1 - reply->headers_len;

        memcpy(reply->headers + reply->headers_len, data, len < room ? len : room);
        reply->headers_len += len < room ? len : room;
        reply->headers[reply->headers_len] = '\0';
        return len;
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

#endif
