#include "api_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cb_log.h"
#include "cb_time.h"
#include "route.h"

#define API_TOKEN_MAX 256

/* The token of inst ("" when it has none). Borrowed from inst. */
static const char *token_of(const cb_instance_t *inst)
{
        json_object *v = json_object_object_get(inst->json, "token");
        const char *s = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;

        return s ? s : "";
}

/* The id of the instance whose token is token, into id; 0, or -1 when none has it. Every
 * instance's token is compared (in constant time), whichever matches. */
static int instance_of_token(console_api_t *api, const char *token, char *id, size_t id_size)
{
        cb_instance_t **all;
        long n, i;
        int found = -1;

        n = cb_table_snapshot(api->conf.table, &all);
        for (i = 0; i < n; i++) {
                if (*token_of(all[i]) && cb_auth_same(token, token_of(all[i])) && found < 0) {
                        snprintf(id, id_size, "%s", all[i]->id);
                        found = 0;
                }
                cb_instance_release(all[i]);
        }
        if (n >= 0)
                free(all);
        return found;
}

/* 1 when r's instance exists and its token is token (compared in constant time). */
static int token_matches(console_api_t *api, const console_route_t *r, const char *token)
{
        cb_instance_t *inst = cb_table_get(api->conf.table, r->instance_id);
        int same = inst && *token_of(inst) && cb_auth_same(token, token_of(inst));

        cb_instance_release(inst);
        return same;
}

/* Checks who may see r; narrows r to the tenant's instance. Returns 0, or the status it
 * answered req with. */
static unsigned authorize(console_api_t *api, cb_http_req_t *req, console_route_t *r)
{
        char token[API_TOKEN_MAX], own[CB_INSTANCE_ID_MAX];
        cb_auth_grant_t grant = cb_auth_parse(
            api->conf.secrets, cb_http_req_header(req, "Authorization"), token, sizeof(token));

        if (grant == CB_AUTH_ADMIN)
                return 0;
        /* a tenant asking for its own instance by id, the common case: that one token, not a
           scan of every instance's */
        if (grant == CB_AUTH_ELEMENT && r->instance_id[0] && token_matches(api, r, token))
                return 0;
        if (grant == CB_AUTH_NONE || instance_of_token(api, token, own, sizeof(own))) {
                cb_http_respond_error(req, 401,
                                      "Authorization must be \"User <secret>, Organization "
                                      "<secret>\", or with \", Element <instance token>\" for "
                                      "one instance");
                return 401;
        }
        if (r->instance_id[0] && strcmp(r->instance_id, own)) {
                cb_http_respond_error(req, 404, "no such instance");
                return 404;
        }
        snprintf(r->instance_id, sizeof(r->instance_id), "%s", own);
        return 0;
}

/* What set_param collects. */
typedef struct params {
        console_filter_t *f;
        char err[300];
} params_t;

static int set_param(void *opaque, const char *name, const char *value)
{
        params_t *p = opaque;

        return console_filter_set(p->f, name, value ? value : "", p->err, sizeof(p->err)) ? 1 : 0;
}

int console_api_handle(console_api_t *api, cb_http_req_t *req)
{
        const char *method = cb_http_req_method(req);
        console_job_t *job;
        params_t params;
        console_route_t r;
        int rc = console_route_parse(cb_http_req_path(req), &r);

        if (rc == 0)
                return 0;
        cb_http_req_set_route(req, r.redeliver ? "redeliver" : "events");
        if (r.redeliver && strcmp(method, "POST")) {
                cb_http_respond_error_h(req, 405, "redeliver takes POST", "Allow", "POST");
                return 1;
        }
        if (!r.redeliver && strcmp(method, "GET") && strcmp(method, "HEAD")) {
                cb_http_respond_error_h(req, 405, "the events API answers GET", "Allow",
                                        "GET, HEAD");
                return 1;
        }
        if (rc < 0) {
                cb_http_respond_error(req, 404, r.one ? "no such event" : "no such instance");
                return 1;
        }
        if (authorize(api, req, &r))
                return 1;
        job = calloc(1, sizeof(*job));
        if (!job) {
                cb_http_respond_error(req, 500, "out of memory");
                return 1;
        }
        job->one = r.one;
        job->redeliver = r.redeliver;
        job->started_us = cb_time_now_us();
        memcpy(job->instance_id, r.instance_id, sizeof(job->instance_id));
        memcpy(job->env_id, r.env_id, sizeof(job->env_id));
        console_filter_init(&job->filter);
        if (!r.one) {
                params.f = &job->filter;
                params.err[0] = '\0';
                if (cb_http_req_args(req, set_param, &params) ||
                    console_filter_check(&job->filter, params.err, sizeof(params.err))) {
                        cb_http_respond_error(req, 400, params.err);
                        free(job);
                        return 1;
                }
                snprintf(job->filter.instance_id, sizeof(job->filter.instance_id), "%s",
                         r.instance_id);
        }
        job->req = cb_http_req_ref(req);
        if (cb_queue_push(&api->queue, &job->link) != CB_QUEUE_OK) {
                cb_http_respond_error_h(req, 503, "the console is busy", "Retry-After", "1");
                cb_http_req_unref(job->req);
                free(job);
        }
        return 1;
}

console_api_t *console_api_new(const console_api_conf_t *conf, char *errstr, size_t errstr_size)
{
        console_api_t *api = calloc(1, sizeof(*api));
        int i;

        if (!api || !(api->threads = calloc((size_t)conf->workers, sizeof(*api->threads)))) {
                free(api);
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        api->conf = *conf;
        api->m_seconds =
            cb_metrics_family("closebridge_console_api_seconds",
                              "time to answer an events API request", CB_METRIC_HISTOGRAM);
        if (cb_queue_init(&api->queue, conf->queue_max, NULL, NULL)) {
                snprintf(errstr, errstr_size, "cannot make the API's queue");
                console_api_destroy(api);
                return NULL;
        }
        api->queue_ready = 1;
        for (i = 0; i < conf->workers; i++) {
                if (pthread_create(&api->threads[i], NULL, console_api_worker_main, api)) {
                        snprintf(errstr, errstr_size, "cannot start the API's workers");
                        console_api_destroy(api);
                        return NULL;
                }
                api->nthreads++;
        }
        return api;
}

void console_api_destroy(console_api_t *api)
{
        cb_qlink_t *l, *next;
        int i;

        if (!api)
                return;
        if (api->queue_ready) {
                cb_queue_close(&api->queue);
                for (i = 0; i < api->nthreads; i++)
                        pthread_join(api->threads[i], NULL);
                /* the workers take what is left before they end; nothing should remain */
                for (l = cb_queue_take_all(&api->queue, NULL, NULL); l; l = next) {
                        console_job_t *job = CB_QUEUE_ENTRY(l, console_job_t, link);

                        next = l->next;
                        cb_http_respond_error_h(job->req, 503, "the console is stopping",
                                                "Retry-After", "1");
                        cb_http_req_unref(job->req);
                        free(job);
                }
                cb_queue_fini(&api->queue);
        }
        free(api->threads);
        free(api);
}
