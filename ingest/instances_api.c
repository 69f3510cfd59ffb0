#include "instances_api.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/rand.h>

#include "auth.h"
#include "cb_base64.h"
#include "cb_json.h"
#include "cb_log.h"
#include "ingest.h"
#include "instance_doc.h"

/* Instances created by the API get ids from here up, away from the small ids people choose in
 * instances files. */
#define API_ID_BASE 1000000
/* The key of id reservations on the instances topic (tombstones; see reserve_id). */
#define RESERVATION_KEY "id-reservation"
#define QUEUE_MAX       256

typedef enum { OP_LIST, OP_GET, OP_CREATE, OP_PATCH, OP_DELETE } op_t;

typedef struct job {
        struct job *next;
        cb_http_req_t *req; /* one reference */
        op_t op;
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

static void respond_json(cb_http_req_t *req, unsigned status, json_object *obj)
{
        const char *s = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
                                                                JSON_C_TO_STRING_NOSLASHESCAPE);

        cb_http_respond(req, status, NULL, s, strlen(s), NULL, NULL);
}

/* 503 with Retry-After (retry-after-s): the instance could not be stored or given an id. */
static void respond_unavailable(ingest_t *ing, cb_http_req_t *req, const char *msg)
{
        char retry[24];

        snprintf(retry, sizeof(retry), "%ld", ing->conf.retry_after_s);
        cb_http_respond_error_h(req, 503, msg, "Retry-After", retry);
}

/* "<prefix>" + base64 of n random bytes, into out. Returns 0 or -1. */
static int random_secret(const char *prefix, size_t n, char *out, size_t size)
{
        unsigned char bytes[48];
        size_t plen = strlen(prefix);

        if (n > sizeof(bytes) || RAND_bytes(bytes, (int)n) != 1 || plen >= size)
                return -1;
        memcpy(out, prefix, plen);
        return cb_base64_encode(bytes, n, out + plen, size - plen) < 0 ? -1 : 0;
}

/* ingest_instance_check, answering 400 with its message when inst is incomplete. Returns 0
 * when complete. */
static int check_required(cb_http_req_t *req, json_object *inst)
{
        char msg[INGEST_INSTANCE_ERR_MAX];

        if (!ingest_instance_check(inst, msg, sizeof(msg)))
                return 0;
        cb_http_respond_error(req, 400, msg);
        return -1;
}

/* ingest_instance_merge, answering 400 with its message when patch is refused. Returns 0
 * when applied. */
static int merge_patch(cb_http_req_t *req, json_object *stored, json_object *patch)
{
        char msg[INGEST_INSTANCE_ERR_MAX];

        if (!ingest_instance_merge(stored, patch, msg, sizeof(msg)))
                return 0;
        cb_http_respond_error(req, 400, msg);
        return -1;
}

/* Takes a new instance id from Kafka itself: the offset of a tombstone written to partition 0
 * of the instances topic is unique for as long as the topic lives, whichever replica wrote it,
 * so no coordinator of our own is needed. Returns 0 or -1 with errstr set. */
static int reserve_id(ingest_t *ing, char *id, size_t size, char *errstr, size_t errstr_size)
{
        cb_instance_t *taken;
        int64_t offset = -1;
        int tries;

        for (tries = 0; tries < 8; tries++) {
                if (ingest_producer_send_sync(ing->producer, ing->topic_instances, 0,
                                              RESERVATION_KEY, NULL, 0, &offset, errstr,
                                              errstr_size))
                        return -1;
                snprintf(id, size, "%lld", (long long)(API_ID_BASE + offset));
                /* an instances file may have declared this id by hand */
                taken = cb_table_get(ing->table, id);
                cb_instance_release(taken);
                if (!taken)
                        return 0;
        }
        snprintf(errstr, errstr_size, "no free instance id");
        return -1;
}

/* Writes stored (or a tombstone when NULL) for id and waits until this replica's table holds
 * it. Answers req 503 and returns -1 on failure. */
static int write_instance(ingest_t *ing, cb_http_req_t *req, const char *id, json_object *stored)
{
        char err[256] = "", msg[400];
        const char *value =
            stored ? json_object_to_json_string_ext(stored, JSON_C_TO_STRING_PLAIN |
                                                                JSON_C_TO_STRING_NOSLASHESCAPE)
                   : NULL;

        if (ingest_producer_send_sync(ing->producer, ing->topic_instances, RD_KAFKA_PARTITION_UA,
                                      id, value, value ? strlen(value) : 0, NULL, err,
                                      sizeof(err)) ||
            (cb_table_sync(ing->table, ing->conf.ack_timeout_ms) &&
             snprintf(err, sizeof(err), "this replica's table did not catch up in time") > 0)) {
                snprintf(msg, sizeof(msg), "the instance could not be stored: %s", err);
                cb_log_kv(CB_LOG_WARN, CB_KV("instance", id), "%s", msg);
                respond_unavailable(ing, req, msg);
                return -1;
        }
        return 0;
}

/* The request body as a JSON object, or NULL after answering 400. Caller owns. */
static json_object *body_object(cb_http_req_t *req)
{
        char err[256];
        size_t len;
        const char *raw = cb_http_req_body(req, &len);
        json_object *obj = cb_json_parse(raw, len, err, sizeof(err));

        if (!json_object_is_type(obj, json_type_object)) {
                cb_http_respond_error(req, 400, *err ? err : "the body must be a JSON object");
                json_object_put(obj);
                return NULL;
        }
        return obj;
}

/* Checks stored as cb_instance_new will when the table loads it; answers 400 when it would be
 * refused. Returns 0 when valid. */
static int check_loadable(cb_http_req_t *req, const char *id, json_object *stored)
{
        char err[256];
        cb_instance_t *inst = cb_instance_new(id, json_object_get(stored), err, sizeof(err));

        if (!inst) {
                cb_http_respond_error(req, 400, err);
                return -1;
        }
        cb_instance_release(inst);
        return 0;
}

static void do_create(ingest_t *ing, cb_http_req_t *req)
{
        char id[CB_INSTANCE_ID_MAX], secret[96], token[96], err[256];
        json_object *stored = body_object(req), *conf, *answer;

        if (!stored || check_required(req, stored))
                goto done;
        json_object_object_del(stored, "id");
        json_object_object_get_ex(stored, "configuration", &conf);
        if (!ingest_instance_conf_str(conf, "event.notification.secret")) {
                if (random_secret("whsec_", 24, secret, sizeof(secret)))
                        goto oom;
                json_object_object_add(conf, "event.notification.secret",
                                       json_object_new_string(secret));
        }
        if (random_secret("", 24, token, sizeof(token)))
                goto oom;
        json_object_object_add(stored, "token", json_object_new_string(token));
        if (check_loadable(req, "1", stored))
                goto done;
        if (reserve_id(ing, id, sizeof(id), err, sizeof(err))) {
                cb_log_warn("no instance id reserved: %s", err);
                respond_unavailable(ing, req, err);
                goto done;
        }
        json_object_object_add(stored, "id", json_object_new_int64(strtoll(id, NULL, 10)));
        if (write_instance(ing, req, id, stored))
                goto done;
        cb_log_info("instance %s created", id);
        answer = ingest_instance_view(stored, 1);
        respond_json(req, 200, answer);
        json_object_put(answer);
        goto done;
oom:
        cb_http_respond_error(req, 500, "cannot generate secrets");
done:
        json_object_put(stored);
}

static void do_patch(ingest_t *ing, cb_http_req_t *req, const char *id)
{
        cb_instance_t *inst = cb_table_get(ing->table, id);
        json_object *patch = NULL, *stored = NULL, *answer;

        if (!inst) {
                cb_http_respond_error(req, 404, "unknown instance");
                return;
        }
        patch = body_object(req);
        if (!patch || json_object_deep_copy(inst->json, &stored, NULL) ||
            merge_patch(req, stored, patch) || check_required(req, stored) ||
            check_loadable(req, id, stored) || write_instance(ing, req, id, stored))
                goto done;
        cb_log_info("instance %s changed", id);
        answer = ingest_instance_view(stored, 0);
        respond_json(req, 200, answer);
        json_object_put(answer);
done:
        if (patch && !stored)
                cb_http_respond_error(req, 500, "out of memory");
        json_object_put(stored);
        json_object_put(patch);
        cb_instance_release(inst);
}

static void do_delete(ingest_t *ing, cb_http_req_t *req, const char *id)
{
        cb_instance_t *inst = cb_table_get(ing->table, id);
        char body[96];

        if (!inst) {
                cb_http_respond_error(req, 404, "unknown instance");
                return;
        }
        cb_instance_release(inst);
        if (write_instance(ing, req, id, NULL))
                return;
        cb_log_info("instance %s deleted", id);
        snprintf(body, sizeof(body), "{\"id\":%s,\"deleted\":true}", id);
        cb_http_respond(req, 200, NULL, body, strlen(body), NULL, NULL);
}

static void do_read(ingest_t *ing, cb_http_req_t *req, op_t op, const char *id)
{
        cb_instance_t *inst, **all;
        json_object *answer;
        long n, i;

        if (op == OP_GET) {
                inst = cb_table_get(ing->table, id);
                if (!inst) {
                        cb_http_respond_error(req, 404, "unknown instance");
                        return;
                }
                answer = ingest_instance_view(inst->json, 0);
                cb_instance_release(inst);
        } else {
                n = cb_table_snapshot(ing->table, &all);
                if (n < 0) {
                        cb_http_respond_error(req, 500, "out of memory");
                        return;
                }
                answer = json_object_new_array();
                for (i = 0; i < n; i++) {
                        json_object_array_add(answer, ingest_instance_view(all[i]->json, 0));
                        cb_instance_release(all[i]);
                }
                free(all);
        }
        respond_json(req, 200, answer);
        json_object_put(answer);
}

static void run_job(ingest_admin_t *admin, job_t *job)
{
        switch (job->op) {
        case OP_CREATE:
                do_create(admin->ing, job->req);
                break;
        case OP_PATCH:
                do_patch(admin->ing, job->req, job->id);
                break;
        case OP_DELETE:
                do_delete(admin->ing, job->req, job->id);
                break;
        default:
                do_read(admin->ing, job->req, job->op, job->id);
        }
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

void ingest_admin_handle(ingest_admin_t *admin, cb_http_req_t *req, const char *rest)
{
        const char *method = cb_http_req_method(req);
        job_t *job;
        op_t op;

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
        if (!*rest || !strcmp(rest, "/")) {
                if (!strcmp(method, "GET"))
                        op = OP_LIST;
                else if (!strcmp(method, "POST"))
                        op = OP_CREATE;
                else {
                        cb_http_respond_error_h(req, 405, "use GET or POST", "Allow", "GET, POST");
                        return;
                }
        } else {
                if (*rest != '/' || !cb_instance_id_valid(rest + 1)) {
                        cb_http_respond_error(req, 404, "unknown instance");
                        return;
                }
                if (!strcmp(method, "GET"))
                        op = OP_GET;
                else if (!strcmp(method, "PATCH"))
                        op = OP_PATCH;
                else if (!strcmp(method, "DELETE"))
                        op = OP_DELETE;
                else {
                        cb_http_respond_error_h(req, 405, "use GET, PATCH or DELETE", "Allow",
                                                "GET, PATCH, DELETE");
                        return;
                }
        }
        job = calloc(1, sizeof(*job));
        if (!job) {
                cb_http_respond_error(req, 500, "out of memory");
                return;
        }
        job->op = op;
        snprintf(job->id, sizeof(job->id), "%s", *rest ? rest + 1 : "");
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
