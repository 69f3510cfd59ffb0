#include "instances_api.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cb_auth.h"
#include "cb_queue.h"
#include "ingest.h"

#define QUEUE_MAX 256

typedef struct job {
        cb_qlink_t link;
        cb_http_req_t *req; /* one reference */
        ingest_instances_op_t op;
        char id[CB_INSTANCE_ID_MAX];
} job_t;

struct ingest_admin {
        ingest_t *ing;
        pthread_t thread;
        cb_queue_t queue; /* to the worker; closed by ingest_admin_stop */
        int joined;       /* the worker was joined (ingest_admin_stop; the main thread's own) */
};

/* Sends answer (an op's) to req. */
static void respond(ingest_t *ing, cb_http_req_t *req, const ingest_instances_answer_t *answer)
{
        const char *text;
        char retry[24];

        if (answer->body) {
                text = json_object_to_json_string_ext(
                    answer->body, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
                cb_http_respond(req, answer->status, NULL, text, strlen(text), NULL, NULL);
        } else if (answer->retry_after) {
                snprintf(retry, sizeof(retry), "%ld", ing->conf.retry_after_s);
                cb_http_respond_error_h(req, answer->status, answer->message, "Retry-After", retry);
        } else {
                cb_http_respond_error(req, answer->status, answer->message);
        }
}

static void run_job(ingest_admin_t *admin, job_t *job)
{
        ingest_instances_answer_t answer;
        size_t len = 0;
        const char *body = cb_http_req_body(job->req, &len);

        ingest_instances_op_run(admin->ing, job->op, job->id, body, len, &answer);
        respond(admin->ing, job->req, &answer);
        ingest_instances_answer_fini(&answer);
}

static void *worker_main(void *arg)
{
        ingest_admin_t *admin = arg;
        cb_qlink_t *l;
        job_t *job;

        /* until stopped with nothing left */
        while ((l = cb_queue_pop_wait(&admin->queue))) {
                job = CB_QUEUE_ENTRY(l, job_t, link);
                run_job(admin, job);
                cb_http_req_unref(job->req);
                free(job);
        }
        return NULL;
}

ingest_admin_t *ingest_admin_new(ingest_t *ing)
{
        ingest_admin_t *admin = calloc(1, sizeof(*admin));

        if (!admin)
                return NULL;
        admin->ing = ing;
        if (cb_queue_init(&admin->queue, QUEUE_MAX, NULL, NULL)) {
                free(admin);
                return NULL;
        }
        if (pthread_create(&admin->thread, NULL, worker_main, admin)) {
                cb_queue_fini(&admin->queue);
                free(admin);
                return NULL;
        }
        return admin;
}

void ingest_admin_stop(ingest_admin_t *admin)
{
        if (!admin || admin->joined)
                return;
        cb_queue_close(&admin->queue); /* the worker finishes what is queued, then returns */
        pthread_join(admin->thread, NULL);
        admin->joined = 1;
}

void ingest_admin_destroy(ingest_admin_t *admin)
{
        if (!admin)
                return;
        ingest_admin_stop(admin);
        cb_queue_fini(&admin->queue);
        free(admin);
}

unsigned ingest_instances_route(const char *method, const char *rest,
                                ingest_instances_route_t *route)
{
        memset(route, 0, sizeof(*route));
        if (!*rest || !strcmp(rest, "/")) {
                if (!strcmp(method, "GET"))
                        route->op = INGEST_INSTANCES_LIST;
                else if (!strcmp(method, "POST"))
                        route->op = INGEST_INSTANCES_CREATE;
                else {
                        route->message = "use GET or POST";
                        route->allow = "GET, POST";
                        return 405;
                }
                return 0;
        }
        if (*rest != '/' || !cb_instance_id_valid(rest + 1)) {
                route->message = "unknown instance";
                return 404;
        }
        if (!strcmp(method, "GET"))
                route->op = INGEST_INSTANCES_GET;
        else if (!strcmp(method, "PATCH"))
                route->op = INGEST_INSTANCES_PATCH;
        else if (!strcmp(method, "DELETE"))
                route->op = INGEST_INSTANCES_DELETE;
        else {
                route->message = "use GET, PATCH or DELETE";
                route->allow = "GET, PATCH, DELETE";
                return 405;
        }
        snprintf(route->id, sizeof(route->id), "%s", rest + 1);
        return 0;
}

void ingest_admin_handle(ingest_admin_t *admin, cb_http_req_t *req, const char *rest)
{
        ingest_instances_route_t route;
        unsigned status;
        job_t *job;
        int rc;

        if (!cb_auth_configured(ingest_secrets(admin->ing))) {
                cb_http_respond_error(req, 401,
                                      "the instances API is off: set admin-user-secret and "
                                      "admin-org-secret");
                return;
        }
        if (cb_auth_check(ingest_secrets(admin->ing), cb_http_req_header(req, "Authorization"))) {
                cb_http_respond_error(req, 401,
                                      "Authorization must be \"User <secret>, Organization "
                                      "<secret>\"");
                return;
        }
        status = ingest_instances_route(cb_http_req_method(req), rest, &route);
        if (status) {
                if (route.allow)
                        cb_http_respond_error_h(req, status, route.message, "Allow", route.allow);
                else
                        cb_http_respond_error(req, status, route.message);
                return;
        }
        job = calloc(1, sizeof(*job));
        if (!job) {
                cb_http_respond_error(req, 500, "out of memory");
                return;
        }
        job->op = route.op;
        memcpy(job->id, route.id, sizeof(job->id));
        job->req = cb_http_req_ref(req);
        rc = cb_queue_push(&admin->queue, &job->link);
        if (rc != CB_QUEUE_OK) {
                cb_http_req_unref(job->req);
                free(job);
                cb_http_respond_error_h(
                    req, 503,
                    rc == CB_QUEUE_CLOSED ? "shutting down" : "too many instance requests at once",
                    "Retry-After", "1");
        }
}
