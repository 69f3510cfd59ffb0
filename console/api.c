#include "api_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cb_log.h"
#include "cb_time.h"
#include "route.h"
#include "task.h"

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
        console_task_t *t; /* a task's parameters, or NULL for a list's */
        char err[300];
} params_t;

static int set_param(void *opaque, const char *name, const char *value)
{
        params_t *p = opaque;

        if (p->t)
                return console_task_add_param(p->t, p->f, name, value ? value : "", p->err,
                                              sizeof(p->err))
                           ? 1
                           : 0;
        return console_filter_set(p->f, name, value ? value : "", p->err, sizeof(p->err)) ? 1 : 0;
}

/* Each member of the JSON object o as a task parameter: a string, or an array of strings (a
 * status list). Returns 0, or -1 with p->err set. */
static int body_members(json_object *o, params_t *p)
{
        char joined[CONSOLE_TASK_VALUE_MAX];
        size_t i;

        json_object_object_foreach(o, name, v)
        {
                joined[0] = '\0';
                if (json_object_is_type(v, json_type_array)) {
                        for (i = 0; i < json_object_array_length(v); i++) {
                                json_object *e = json_object_array_get_idx(v, i);
                                size_t used = strlen(joined);

                                /* a list cut short would still parse: too long is refused */
                                if (!json_object_is_type(e, json_type_string) ||
                                    (size_t)snprintf(joined + used, sizeof(joined) - used, "%s%s",
                                                     i ? "," : "", json_object_get_string(e)) >=
                                        sizeof(joined) - used)
                                        break;
                        }
                        if (i < json_object_array_length(v) || i == 0)
                                v = NULL;
                } else if (json_object_is_type(v, json_type_string)) {
                        snprintf(joined, sizeof(joined), "%s", json_object_get_string(v));
                } else {
                        v = NULL;
                }
                if (!v) {
                        snprintf(p->err, sizeof(p->err),
                                 "%.40s: must be a string (or, for status, a short array of them)",
                                 name);
                        return -1;
                }
                if (set_param(p, name, joined))
                        return -1;
        }
        return 0;
}

/* The parameters of a task in a JSON body ({"status": "dead", "since": "..."}, a status also
 * as an array of names), after those of the query. Returns 0, or -1 with p->err set. */
static int body_params(cb_http_req_t *req, params_t *p)
{
        size_t len;
        const char *body = cb_http_req_body(req, &len);
        json_tokener *tok;
        json_object *o;
        int rc = 0;

        if (!body || len == 0)
                return 0;
        if (!(tok = json_tokener_new())) {
                snprintf(p->err, sizeof(p->err), "out of memory");
                return -1;
        }
        o = json_tokener_parse_ex(tok, body, (int)len);
        if (!o || json_tokener_get_error(tok) != json_tokener_success ||
            tok->char_offset != (int)len || !json_object_is_type(o, json_type_object)) {
                snprintf(p->err, sizeof(p->err),
                         "the body must be a JSON object of filter "
                         "parameters, such as {\"status\": \"dead\"}");
                rc = -1;
        }
        if (!rc)
                rc = body_members(o, p);
        json_object_put(o);
        json_tokener_free(tok);
        return rc;
}

/* Reads a list's filter (or, for job->bulk, a new task) from req into job. Returns 0, or -1
 * after answering 400. */
static int read_params(cb_http_req_t *req, console_job_t *job, const char *instance_id)
{
        params_t params = {&job->filter, NULL, ""};

        console_filter_init(&job->filter);
        if (job->bulk) {
                params.t = &job->new_task;
                if (console_task_init(&job->new_task, instance_id, cb_time_now_ms())) {
                        cb_http_respond_error(req, 500, "no random bytes for a task id");
                        return -1;
                }
        }
        if (cb_http_req_args(req, set_param, &params) || (job->bulk && body_params(req, &params)) ||
            console_filter_check(&job->filter, params.err, sizeof(params.err))) {
                cb_http_respond_error(req, 400, params.err);
                return -1;
        }
        if (job->bulk && job->new_task.nparams == 0) {
                cb_http_respond_error(req, 400,
                                      "a task needs a filter (status, since, until, objectType, "
                                      "eventType, objectId or origin); for every event, say "
                                      "since=1970-01-01T00:00:00Z");
                return -1;
        }
        snprintf(job->filter.instance_id, sizeof(job->filter.instance_id), "%s", instance_id);
        return 0;
}

static int no_param(void *opaque, const char *name, const char *value)
{
        (void)opaque, (void)name, (void)value;
        return 1;
}

/* Answers 405 when method is not one route r takes. Returns 1 when it answered. */
static int wrong_method(cb_http_req_t *req, const console_route_t *r, const char *method)
{
        int get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
        const char *why = NULL, *allow = NULL;

        if (r->task && !get && strcmp(method, "DELETE"))
                why = "a task answers GET and DELETE", allow = "GET, HEAD, DELETE";
        else if ((r->redeliver || r->bulk) && strcmp(method, "POST"))
                why = "redeliver takes POST", allow = "POST";
        else if (!r->task && !r->redeliver && !r->bulk && !get)
                why = "the events API answers GET", allow = "GET, HEAD";
        if (!why)
                return 0;
        cb_http_respond_error_h(req, 405, why, "Allow", allow);
        return 1;
}

int console_api_handle(console_api_t *api, cb_http_req_t *req)
{
        const char *method = cb_http_req_method(req);
        console_job_t *job;
        console_route_t r;
        int rc = console_route_parse(cb_http_req_path(req), &r);

        if (rc == 0)
                return 0;
        cb_http_req_set_route(req, r.task        ? "tasks"
                                   : r.bulk      ? "redeliver-task"
                                   : r.redeliver ? "redeliver"
                                   : r.summary   ? "summary"
                                                 : "events");
        if (wrong_method(req, &r, method))
                return 1;
        if (rc < 0) {
                cb_http_respond_error(req, 404,
                                      r.task  ? "no such task"
                                      : r.one ? "no such event"
                                              : "no such instance");
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
        job->bulk = r.bulk;
        job->task = r.task;
        job->cancel = r.task && !strcmp(method, "DELETE");
        job->summary = r.summary;
        job->started_us = cb_time_now_us();
        memcpy(job->instance_id, r.instance_id, sizeof(job->instance_id));
        memcpy(job->env_id, r.env_id, sizeof(job->env_id));
        memcpy(job->task_id, r.task_id, sizeof(job->task_id));
        if (r.summary && cb_http_req_args(req, no_param, NULL)) {
                cb_http_respond_error(req, 400, "the instances' summary takes no parameters");
                free(job);
                return 1;
        }
        if (!r.one && !r.task && !r.summary && read_params(req, job, r.instance_id)) {
                free(job);
                return 1;
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
