#include "instances_api.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "ingest.h"

#define QUEUE_MAX 256

typedef struct job {
        struct job *next;
        cb_http_req_t *req; /* one reference */
        ingest_instances_op_t op;
        char id[CB_INSTANCE_ID_MAX];
} job_t;

struct ingest_admin {
        ingest_t *ing;
        pthread_t thread;
        pthread_mutex_t mtx; /* guards the queue and stop */
        pthread_cond_t cond;
        job_t *head, *tail;
        int queued, stop;
        int joined; /* the worker was joined (ingest_admin_stop; the main thread's own) */
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
        job_t *job;

        for (;;) {
                pthread_mutex_lock(&admin->mtx);
                while (!admin->head && !admin->stop)
                        pthread_cond_wait(&admin->cond, &admin->mtx);
                job = admin->head;
                if (job) {
                        admin->head = job->next;
                        if (!admin->head)
                                admin->tail = NULL;
                        admin->queued--;
                }
                pthread_mutex_unlock(&admin->mtx);
                if (!job)
                        return NULL; /* stopped with nothing left */
                run_job(admin, job);
                cb_http_req_unref(job->req);
                free(job);
        }
}

ingest_admin_t *ingest_admin_new(ingest_t *ing)
{
        ingest_admin_t *admin = calloc(1, sizeof(*admin));

        if (!admin)
                return NULL;
        admin->ing = ing;
        pthread_mutex_init(&admin->mtx, NULL);
        pthread_cond_init(&admin->cond, NULL);
        if (pthread_create(&admin->thread, NULL, worker_main, admin)) {
                pthread_mutex_destroy(&admin->mtx);
                pthread_cond_destroy(&admin->cond);
                free(admin);
                return NULL;
        }
        return admin;
}

void ingest_admin_stop(ingest_admin_t *admin)
{
        if (!admin || admin->joined)
                return;
        pthread_mutex_lock(&admin->mtx);
        admin->stop = 1;
        pthread_cond_signal(&admin->cond);
        pthread_mutex_unlock(&admin->mtx);
        pthread_join(admin->thread, NULL);
        admin->joined = 1;
}

void ingest_admin_destroy(ingest_admin_t *admin)
{
        if (!admin)
                return;
        ingest_admin_stop(admin);
        pthread_mutex_destroy(&admin->mtx);
        pthread_cond_destroy(&admin->cond);
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

        if (!ingest_auth_configured(ingest_secrets(admin->ing))) {
                cb_http_respond_error(req, 401,
                                      "the instances API is off: set admin-user-secret and "
                                      "admin-org-secret");
                return;
        }
        if (ingest_auth_check(ingest_secrets(admin->ing),
                              cb_http_req_header(req, "Authorization"))) {
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
        pthread_mutex_lock(&admin->mtx);
        if (admin->queued >= QUEUE_MAX || admin->stop) {
                int stopping = admin->stop;

                pthread_mutex_unlock(&admin->mtx);
                free(job);
                cb_http_respond_error_h(
                    req, 503, stopping ? "shutting down" : "too many instance requests at once",
                    "Retry-After", "1");
                return;
        }
        job->req = cb_http_req_ref(req);
        if (admin->tail)
                admin->tail->next = job;
        else
                admin->head = job;
        admin->tail = job;
        admin->queued++;
        pthread_cond_signal(&admin->cond);
        pthread_mutex_unlock(&admin->mtx);
}
