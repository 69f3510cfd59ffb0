/* The operations endpoints of cb_http (cb_http_serve_ops in cb_http.h): /healthz, /readyz and
 * /metrics, answered the same way by every process. */
#include "cb_http_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cb_json.h"

/* Answers /metrics: every family of cb_metrics, the requests in flight counted just now. */
static void serve_metrics(cb_http_req_t *req)
{
        char *text;

        /* this request counts itself */
        if (req->http)
                cb_http_update_in_flight(req->http);
        text = cb_metrics_render();
        if (!text) {
                cb_http_respond_error(req, 500, "out of memory");
                return;
        }
        cb_http_respond(req, 200, "text/plain; version=0.0.4; charset=utf-8", text, strlen(text),
                        NULL, NULL);
        free(text);
}

/* Answers /healthz (health 1) or /readyz (health 0) with a JSON status. */
static void serve_status(cb_http_req_t *req, int health, int ready, const char *reason)
{
        char body[512], esc[256];
        int n;

        if (health || ready) {
                n = snprintf(body, sizeof(body), "{\"status\":\"%s\"}\n", health ? "ok" : "ready");
        } else {
                /* reason is the process's own text, but a quote in it must not break the JSON */
                cb_json_escape(esc, sizeof(esc), reason ? reason : "");
                n = snprintf(body, sizeof(body), "{\"status\":\"not ready\",\"reason\":\"%s\"}\n",
                             esc);
        }
        if (n < 0 || (size_t)n >= sizeof(body))
                n = (int)sizeof(body) - 1;
        cb_http_respond(req, health || ready ? 200 : 503, NULL, body, (size_t)n, NULL, NULL);
}

int cb_http_serve_ops(cb_http_req_t *req, int ready, const char *reason)
{
        const char *path = cb_http_req_path(req), *method = cb_http_req_method(req);
        int health = !strcmp(path, "/healthz"), metrics = !strcmp(path, "/metrics");

        if (!health && !metrics && strcmp(path, "/readyz"))
                return 0;
        cb_http_req_set_route(req, metrics ? "metrics" : health ? "healthz" : "readyz");
        if (strcmp(method, "GET") && strcmp(method, "HEAD"))
                cb_http_respond_error_h(req, 405, "use GET", "Allow", "GET, HEAD");
        else if (metrics)
                serve_metrics(req);
        else
                serve_status(req, health, ready, reason);
        return 1;
}
